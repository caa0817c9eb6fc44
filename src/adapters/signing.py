"""Ed25519 keys from a 32-byte seed, as the settings hold them (rental licences, ADR 0025;
audit checkpoints, ADR 0044): signing, the published public key and its id, verifying."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALGORITHM = "Ed25519"


def b64(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class PublicKey:
    key_id: str  # the first 16 hex digits of the SHA-256 of the raw key
    public_key: str  # raw 32 bytes, base64url
    algorithm: str = ALGORITHM


class SigningKey:
    """One private key (its seed from the settings) and the public key it publishes."""

    def __init__(self, seed: bytes, purpose: str) -> None:
        if len(seed) != 32:
            raise ValueError(f"An Ed25519 {purpose} key is 32 bytes (64 hex digits).")
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        raw = self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public = PublicKey(key_id=hashlib.sha256(raw).hexdigest()[:16], public_key=b64(raw))

    def sign(self, body: bytes) -> bytes:
        return self._private.sign(body)


def signature_verifies(key: PublicKey, signature: bytes, body: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(unb64(key.public_key)).verify(signature, body)
    except (InvalidSignature, ValueError):
        return False
    return True
