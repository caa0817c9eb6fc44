"""/v1/activation-keys and /v1/rental-account: prepaid rental credits (SPEC §4)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import Field, StrictInt

from api.http.responses import Resource
from api.http.schemas.common import Body, MoneyIn, MoneyOut, Strict, Versioned, money_out
from domain.model.activation_key import MAX_KEY_CREDITS, MAX_KEYS_PER_BATCH, MAX_LABEL, KeyBatch
from domain.model.rental_account import MAX_DAILY_RATE, RentalAccount
from projections.jsonable import utc_text


class KeysIssue(Strict):
    credits: StrictInt = Field(ge=1, le=MAX_KEY_CREDITS, description="What each key adds")
    count: StrictInt = Field(ge=1, le=MAX_KEYS_PER_BATCH)
    company_id: UUID | None = Field(
        default=None, description="Sold to this company (else through a partner: anyone's)"
    )
    price: MoneyIn | None = Field(
        default=None, description="The batch's sale price: a charge on the company's invoice"
    )
    label: str = Field(default="", max_length=MAX_LABEL)


class Redemption(Strict):
    code: str = Field(min_length=1, max_length=40, description="ISC-XXXX-XXXX-XXXX")
    company_id: UUID | None = Field(default=None, description="Defaults to the caller's company")


class RentalActivation(Versioned):
    rate: StrictInt = Field(ge=1, le=MAX_DAILY_RATE, description="Credits per day")


class RentalSwap(Versioned):
    replacement_id: UUID = Field(description="A registered rental device of the company")


class KeyBatchOut(Body):
    id: str
    company_id: str | None
    credits: int
    count: int
    price: MoneyOut | None
    label: str
    issued_at: str
    voided_at: str | None
    version: int


class IssuedKeysOut(KeyBatchOut):
    codes: list[str] = Field(description="Shown once: only their hashes are stored")


class KeyBatchItem(Body):
    id: str
    company_id: str | None
    credits: int
    count: int
    redeemed: int
    price: MoneyOut | None
    label: str
    issued_at: str
    voided_at: str | None


class KeyBatchesOut(Body):
    items: list[KeyBatchItem]
    next_cursor: int | None


class RentalItem(Body):
    device_id: str
    rate: int
    status: str
    since: str
    paid_through: str


class RentalAccountItem(Body):
    account_id: str
    company_id: str
    balance: int
    daily_total: int
    runway: str | None
    suspended_since: str | None
    version: int
    rentals: list[RentalItem]


class RentalAccountsOut(Body):
    items: list[RentalAccountItem]
    next_cursor: int | None


class RentalOut(Body):
    device_id: str
    rate: int
    status: str = Field(description="active or suspended")
    since: str
    paid_through: str


class RentalAccountOut(Body):
    id: str | None
    company_id: str
    balance: int
    daily_total: int
    runway: str | None = Field(description="The last day the rentals are paid for")
    suspended_since: str | None
    redeemed_total: int
    charged_total: int
    rentals: list[RentalOut]
    version: int


def _instant(value: datetime | None) -> str | None:
    return None if value is None else utc_text(value)


def key_batch_out(batch: KeyBatch) -> dict[str, Any]:
    return {
        "id": str(batch.id),
        "company_id": None if batch.company_id is None else str(batch.company_id),
        "credits": batch.credits,
        "count": batch.count,
        "price": None if batch.price is None else money_out(batch.price),
        "label": batch.label,
        "issued_at": _instant(batch.issued_at),
        "voided_at": _instant(batch.voided_at),
        "version": batch.version,
    }


def account_out(account: RentalAccount) -> dict[str, Any]:
    status = "suspended" if account.is_suspended else "active"
    return {
        "id": str(account.id),
        "company_id": str(account.company_id),
        "balance": account.balance,
        "daily_total": account.daily_total,
        "runway": _date(account.runway),
        "suspended_since": _date(account.suspended_since),
        "redeemed_total": account.redeemed_total,
        "charged_total": account.charged_total,
        "rentals": [
            {
                "device_id": device_id,
                "rate": rental["rate"],
                "status": status,
                "since": rental["since"].isoformat(),
                "paid_through": rental["paid_through"].isoformat(),
            }
            for device_id, rental in account.rentals.items()
        ],
        "version": account.version,
    }


def no_account_out(company_id: UUID) -> dict[str, Any]:
    """Before its first use: an empty account."""
    return RentalAccountOut(
        id=None,
        company_id=str(company_id),
        balance=0,
        daily_total=0,
        runway=None,
        suspended_since=None,
        redeemed_total=0,
        charged_total=0,
        rentals=[],
        version=0,
    ).model_dump(mode="json")


def _date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


KEY_BATCH = Resource(KeyBatch, key_batch_out, KeyBatchOut, "/v1/activation-keys")
RENTAL_ACCOUNT = Resource(RentalAccount, account_out, RentalAccountOut)


class LicenceOut(Body):
    licence: str = Field(description="payload.signature (base64url): what the device keeps")
    key_id: str
    device_id: str
    serial: str
    company_id: str
    valid_until: str = Field(description="The end of the rental's last paid day, UTC")
    issued_at: str


class LicenceKeyOut(Body):
    key_id: str
    algorithm: str = Field(description="Ed25519")
    public_key: str = Field(description="The raw 32-byte public key, base64url")


class LicenceKeysOut(Body):
    keys: list[LicenceKeyOut]
