"""Rental licences signed with Ed25519 (SPEC §4, docs/adr/0025-rental-licences.md).

A licence is `<payload>.<signature>`, both base64url without padding: the payload is the
licence's JSON (keys sorted, no spaces), the signature Ed25519 over those payload bytes.
A gateway keeps the provider's public keys (GET /v1/rental/licence-keys), checks the
signature offline with `verify_licence`, and stops the device once `valid_until` has passed.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from domain.application.credits import LicenceFacts
from projections.jsonable import utc_text

ALGORITHM = "Ed25519"
FORMAT_VERSION = 1


class InvalidLicence(Exception):
    """Not a licence, an unknown key, or a signature that does not verify."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class PublicKey:
    key_id: str
    public_key: str  # raw 32 bytes, base64url
    algorithm: str = ALGORITHM


class LicenceSigner:
    """Signs with one private key (its seed from the settings); publishes its public key."""

    def __init__(self, seed: bytes) -> None:
        if len(seed) != 32:
            raise ValueError("An Ed25519 licence key is 32 bytes (64 hex digits).")
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        raw = self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public = PublicKey(key_id=hashlib.sha256(raw).hexdigest()[:16], public_key=_b64(raw))

    def sign(self, facts: LicenceFacts) -> tuple[str, dict[str, Any]]:
        payload = {
            "v": FORMAT_VERSION,
            "kid": self.public.key_id,
            "device_id": str(facts.device_id),
            "serial": facts.serial,
            "company_id": str(facts.company_id),
            "valid_until": utc_text(facts.valid_until),
            "issued_at": utc_text(facts.issued_at),
        }
        body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8")
        return f"{_b64(body)}.{_b64(self._private.sign(body))}", payload


def verify_licence(
    licence: str, public_keys: list[PublicKey], now: datetime | None = None
) -> dict[str, Any]:
    """The licence's payload when its signature verifies with the named published key (and,
    given `now`, it has not run out); else InvalidLicence saying why."""
    try:
        body_text, signature_text = licence.strip().split(".")
        body, signature = _unb64(body_text), _unb64(signature_text)
        payload: dict[str, Any] = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidLicence("not a licence (payload.signature, base64url)") from error
    key = next((k for k in public_keys if k.key_id == payload.get("kid")), None)
    if key is None:
        raise InvalidLicence(f"unknown signing key {payload.get('kid')!r}")
    try:
        Ed25519PublicKey.from_public_bytes(_unb64(key.public_key)).verify(signature, body)
    except (InvalidSignature, ValueError):
        raise InvalidLicence("the signature does not verify: the licence was altered") from None
    if now is not None:
        valid_until = datetime.fromisoformat(str(payload["valid_until"]).replace("Z", "+00:00"))
        if now >= valid_until:
            raise InvalidLicence(f"the licence ran out at {payload['valid_until']}")
    return payload
