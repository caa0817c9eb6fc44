"""Entry points (HTTP, CLI) and the one composition root (bootstrap)."""
