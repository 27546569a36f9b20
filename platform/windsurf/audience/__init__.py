"""The audience: one contact list per creator (leads and buyers, with consent), unsubscribes, and broadcasts."""
