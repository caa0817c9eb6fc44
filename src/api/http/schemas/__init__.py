"""Request and response bodies, a module per noun. Never the domain's events: the API has
its own shapes. What every body shares (strict types, money, the expected version) is in
`common`, re-exported here."""

from api.http.schemas.common import (
    IsoDate,
    IsoInstant,
    MoneyIn,
    NoBody,
    Strict,
    Versioned,
    money_out,
)

__all__ = ["IsoDate", "IsoInstant", "MoneyIn", "NoBody", "Strict", "Versioned", "money_out"]
