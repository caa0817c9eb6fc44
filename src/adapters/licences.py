"""Rental licences signed with Ed25519 (SPEC §4, docs/adr/0025-rental-licences.md).

A licence is `<payload>.<signature>`, both base64url without padding: the payload is the
licence's JSON (keys sorted, no spaces), the signature Ed25519 over those payload bytes.
A gateway keeps the provider's public keys (GET /v1/rental/licence-keys), checks the
signature offline with `verify_licence`, and stops the device once `valid_until` has passed.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from adapters.signing import ALGORITHM, PublicKey, SigningKey, signature_verifies
from adapters.signing import b64 as _b64
from adapters.signing import unb64 as _unb64
from domain.application.credits import LicenceFacts
from projections.jsonable import utc_text

__all__ = ["ALGORITHM", "InvalidLicence", "LicenceSigner", "PublicKey", "verify_licence"]
FORMAT_VERSION = 1


class InvalidLicence(Exception):
    """Not a licence, an unknown key, or a signature that does not verify."""


class LicenceSigner:
    """Signs with one private key (its seed from the settings); publishes its public key."""

    def __init__(self, seed: bytes) -> None:
        self._key = SigningKey(seed, "licence")
        self.public = self._key.public

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
        return f"{_b64(body)}.{_b64(self._key.sign(body))}", payload


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
    if not signature_verifies(key, signature, body):
        raise InvalidLicence("the signature does not verify: the licence was altered")
    if now is not None:
        valid_until = datetime.fromisoformat(str(payload["valid_until"]).replace("Z", "+00:00"))
        if now >= valid_until:
            raise InvalidLicence(f"the licence ran out at {payload['valid_until']}")
    return payload
