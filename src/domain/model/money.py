"""Money: integer minor units of one ISO-4217 currency, exact arithmetic, one rounding rule.

Amounts are never floats. Computed values (percentages, proration) are exact `Decimal`s and
become money through `round_half_up` — the only place in the model where money rounds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    InvalidOperation,
)
from fractions import Fraction
from math import lcm
from types import MappingProxyType
from typing import Final

from domain.model.bounds import MAX_MINOR
from domain.model.errors import CurrencyMismatch, InvalidValue

# Minor-unit digits of the circulating ISO-4217 currencies. Fund codes (CLF, UYI…), precious
# metals and test codes (XAU, XXX, XTS) are left out on purpose: nobody is invoiced in them.
_CODES_BY_DIGITS: Final = {
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF",
    2: """
        AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN
        BWP BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD
        FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR
        KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN
        MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD
        SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD
        TZS UAH USD UYU UZS VES WST XCD XCG YER ZAR ZMW ZWG
    """,
    3: "BHD IQD JOD KWD LYD OMR TND",
}
CURRENCY_EXPONENTS: Final[Mapping[str, int]] = MappingProxyType(
    {code: digits for digits, codes in _CODES_BY_DIGITS.items() for code in codes.split()}
)

# Unbounded precision, so that products and the final quantize never drop a digit (the default
# context keeps 28). Never divide in it: 1/3 would need infinite digits.
_EXACT: Final = Context(
    prec=MAX_PREC,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    rounding=ROUND_HALF_UP,
    traps=[InvalidOperation],
)

# Parsed amounts with this many integer digits are refused before they are scaled: an
# exponent such as "1E+999999999" would otherwise build a gigantic int. Every amount that
# fits MAX_MINOR has fewer.
_MAX_MAJOR_DIGITS: Final = len(str(MAX_MINOR))


def exponent(currency: str) -> int:
    """Minor-unit digits of `currency` (SEK 2, JPY 0, BHD 3); InvalidValue if unknown."""
    if not isinstance(currency, str) or currency not in CURRENCY_EXPONENTS:
        raise InvalidValue(f"unknown currency {currency!r}")
    return CURRENCY_EXPONENTS[currency]


def round_half_up(value: Decimal | Fraction) -> int:
    """Round an exact number of minor units to an int, halves away from zero.

    This is the one place where money rounds: every computed amount (a percentage of a
    price, a prorated fee) stays an exact Decimal or Fraction until it passes through
    here, once. Fractions carry proration (× days left / days in term) without any
    intermediate rounding.
    """
    if isinstance(value, Fraction):
        magnitude = (2 * abs(value.numerator) + value.denominator) // (2 * value.denominator)
        return magnitude if value >= 0 else -magnitude
    finite = _finite_decimal(value)
    return int(finite.quantize(Decimal(1), rounding=ROUND_HALF_UP, context=_EXACT))


def to_minor(amount: Decimal, currency: str) -> int:
    """Exact major units (e.g. a computed 3420.004 SEK) to rounded minor units (342000)."""
    return round_half_up(_shift(_finite_decimal(amount), exponent(currency)))


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in integer minor units (öre, cents) of one currency, at most MAX_MINOR
    of them either way (ADR 0014): every amount, and every result of arithmetic on amounts,
    fits a view's 64-bit column with room for sums, or is refused as InvalidValue.

    Equality across currencies is simply False; ordering and arithmetic across currencies
    raise CurrencyMismatch, because there is no exchange rate in the model.
    """

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise InvalidValue(f"minor units must be an int, got {self.minor!r}")
        exponent(self.currency)
        if abs(self.minor) > MAX_MINOR:
            raise _too_large(_shift(Decimal(self.minor), -exponent(self.currency)), self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def of(cls, amount: Decimal | str | int, currency: str) -> Money:
        """Money from major units ("12.50", Decimal("12.5"), 12); never rounds silently.

        An amount with more decimals than the currency has (12.345 SEK, 12.5 JPY) is
        refused: a price is what the user typed, not an approximation of it.
        """
        places = exponent(currency)
        value = _parse_amount(amount)
        if value.adjusted() >= _MAX_MAJOR_DIGITS:
            raise _too_large(value, currency)
        minor = _exact_minor(value, places)
        if minor is None:
            raise InvalidValue(f"{currency} has {places} decimals; {amount!r} has more")
        return cls(minor, currency)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Money:
        """Inverse of `to_dict`; InvalidValue for anything but {"minor": int, "currency": str}.

        This is how stored events read their amounts back, so it does not apply MAX_MINOR: an
        amount recorded before the bound existed must not make its aggregate unloadable.
        """
        if not isinstance(data, Mapping) or set(data) != {"minor", "currency"}:
            raise InvalidValue(f"money must be {{'minor', 'currency'}}, got {data!r}")
        minor, currency = data["minor"], data["currency"]
        if isinstance(minor, bool) or not isinstance(minor, int) or not isinstance(currency, str):
            raise InvalidValue(f"money must be {{'minor': int, 'currency': str}}, got {data!r}")
        exponent(currency)
        restored = object.__new__(cls)
        object.__setattr__(restored, "minor", minor)
        object.__setattr__(restored, "currency", currency)
        return restored

    def to_dict(self) -> dict[str, int | str]:
        return {"minor": self.minor, "currency": self.currency}

    @property
    def amount(self) -> Decimal:
        """Major units, exact, with the currency's digits (Decimal('3420.00'))."""
        return _shift(Decimal(self.minor), -exponent(self.currency))

    @property
    def is_zero(self) -> bool:
        return self.minor == 0

    @property
    def is_positive(self) -> bool:
        return self.minor > 0

    @property
    def is_negative(self) -> bool:
        return self.minor < 0

    def __str__(self) -> str:
        return f"{self.amount:f} {self.currency}"

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.minor + self._minor_of(other), self.currency)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.minor - self._minor_of(other), self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.minor < self._minor_of(other)

    def __le__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.minor <= self._minor_of(other)

    def __gt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.minor > self._minor_of(other)

    def __ge__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.minor >= self._minor_of(other)

    def times(self, factor: int | Decimal | Fraction) -> Money:
        """This amount times an exact factor (a rate, a percentage), rounded half-up once."""
        if isinstance(factor, int) and not isinstance(factor, bool):
            return Money(self.minor * factor, self.currency)
        if isinstance(factor, Fraction):
            return Money(round_half_up(self.minor * factor), self.currency)
        exact_factor = _finite_decimal(factor)
        product = _EXACT.multiply(Decimal(self.minor), exact_factor)
        return Money(round_half_up(product), self.currency)

    def allocate(self, ratios: Sequence[int | Decimal]) -> list[Money]:
        """Split into parts proportional to `ratios` that sum back to exactly this amount.

        Largest remainder: every part is its exact share rounded toward zero, and the
        minor units left over go one each to the parts with the largest remainders (the
        earlier part wins a tie). So each part is within one minor unit of its exact share,
        a zero ratio gets exactly zero, and allocate(-x) mirrors allocate(x).
        """
        weights = _integer_weights(ratios)
        total = sum(weights)
        magnitude = abs(self.minor)
        parts = [magnitude * weight // total for weight in weights]
        remainders = [magnitude * weight % total for weight in weights]
        leftover = magnitude - sum(parts)
        # Sorting is stable, so equal remainders keep their order: earlier parts first.
        for index in sorted(range(len(parts)), key=lambda i: -remainders[i])[:leftover]:
            parts[index] += 1
        sign = -1 if self.minor < 0 else 1
        return [Money(sign * part, self.currency) for part in parts]

    def split(self, n: int) -> list[Money]:
        """`n` near-equal parts summing to this amount; earlier parts carry the extra units."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise InvalidValue(f"can only split into a positive number of parts, got {n!r}")
        return self.allocate([1] * n)

    def _minor_of(self, other: Money) -> int:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} do not mix")
        return other.minor


def minor_prices(prices: Mapping[str, int]) -> dict[str, int]:
    """A price per currency (product list prices, usage prices): each a known currency and a
    whole number of minor units from 0 to MAX_MINOR, or InvalidValue naming the currency."""
    for currency, minor in prices.items():
        exponent(currency)
        if isinstance(minor, bool) or not isinstance(minor, int) or not 0 <= minor <= MAX_MINOR:
            raise InvalidValue(
                f"The {currency} price must be a non-negative amount of at most"
                f" {Money(MAX_MINOR, currency)}."
            )
    return dict(prices)


def _too_large(amount: Decimal, currency: str) -> InvalidValue:
    largest = _shift(Decimal(MAX_MINOR), -exponent(currency))
    shown = f"{amount:f}" if amount.adjusted() < 40 else f"{amount:.3E}"  # never a megabyte
    return InvalidValue(
        f"The amount {shown} {currency} is too large: Lessor records amounts of at most"
        f" ±{largest:f} {currency}."
    )


def _finite_decimal(value: object) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidValue(f"expected a finite Decimal, got {value!r}")
    return value


def _parse_amount(amount: object) -> Decimal:
    """Decimal from a Decimal, an int or a numeric string; floats are refused (not exact)."""
    if isinstance(amount, bool):
        raise InvalidValue(f"not an amount: {amount!r}")
    if isinstance(amount, int):
        return Decimal(amount)
    if isinstance(amount, str):
        try:
            return _finite_decimal(Decimal(amount))
        except InvalidOperation:
            raise InvalidValue(f"not an amount: {amount!r}") from None
    return _finite_decimal(amount)


def _shift(value: Decimal, places: int) -> Decimal:
    """`value` × 10**places exactly (Decimal.scaleb would round to the context precision)."""
    sign, digits, exp = value.as_tuple()
    if not isinstance(exp, int):
        raise InvalidValue(f"expected a finite Decimal, got {value!r}")
    return Decimal((sign, digits, exp + places))


def _exact_minor(value: Decimal, places: int) -> int | None:
    """`value` in units of 10**-places if that is a whole number, else None."""
    scaled = _shift(value, places)
    sign, digits, exp = scaled.as_tuple()
    assert isinstance(exp, int)  # _shift accepted only finite values
    coefficient = int("".join(map(str, digits)))
    whole: int
    if exp >= 0:
        whole = coefficient * 10**exp
    elif coefficient == 0:
        whole = 0
    elif -exp > len(digits):
        return None  # a non-zero coefficient smaller than the divisor
    else:
        whole, rest = divmod(coefficient, 10**-exp)
        if rest:
            return None
    return -whole if sign else whole


def _integer_weights(ratios: Sequence[int | Decimal]) -> list[int]:
    """Ratios scaled by a common denominator to ints with the same proportions."""
    fractions: list[Fraction] = []
    for ratio in ratios:
        if isinstance(ratio, bool) or not isinstance(ratio, int | Decimal):
            raise InvalidValue(f"ratios must be ints or Decimals, got {ratio!r}")
        if isinstance(ratio, Decimal) and not ratio.is_finite():
            raise InvalidValue(f"ratios must be finite, got {ratio!r}")
        if ratio < 0:
            raise InvalidValue(f"ratios must not be negative, got {ratio!r}")
        fractions.append(Fraction(ratio))
    if sum(fractions) <= 0:
        raise InvalidValue(f"ratios must have a positive sum, got {list(ratios)!r}")
    denominator = lcm(*(fraction.denominator for fraction in fractions))
    return [int(fraction * denominator) for fraction in fractions]
