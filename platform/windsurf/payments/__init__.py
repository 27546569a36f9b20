"""Payments: provider adapters behind one protocol (providers/, see providers/base.py), and the sandbox gateway
that ships with the project (sandbox/). Its Piccolo app (tables.py) holds the sandbox gateway's state."""
