"""The HTTP command and query API (FastAPI)."""
