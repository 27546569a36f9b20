"""Policy pack: rules in `rules.py` (importable, tested directly); the pack server in `__main__.py`."""
