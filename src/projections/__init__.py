"""Read models: pure functions from the event sequence to view rows (no I/O of their own)."""
