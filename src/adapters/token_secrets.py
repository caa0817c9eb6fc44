"""Bearer token secrets: made here (randomness is infrastructure), stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "lsr_"  # noqa: S105 (a public prefix, not a secret)


def new_token_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(secret: str) -> str:
    """SHA-256 suffices: the secret has 256 random bits, so there is nothing to brute-force."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
