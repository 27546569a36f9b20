"""The ledger: double-entry books per creator, balances as sums of entries, and payouts."""
