"""Payment provider adapters behind one protocol (see base.py)."""
