"""Company: the tenant. Name, currency, time zone, VAT rate and feature settings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, TypedDict
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.model import bounds
from domain.model.buyout_price import CategoryValuation
from domain.model.errors import InvalidValue, RuleViolation
from domain.model.events import Cause, LessorCreated, LessorEvent
from domain.model.management_rights import DEFAULT_RIGHT, ManagementRight
from domain.model.money import exponent
from domain.model.text import clean_text
from domain.model.time import DEFAULT_TIME_ZONE, zone
from domain.model.valuation import Curve, standard_curve

DEFAULT_VAT_RATE = Decimal("25")

# Feature switches a company can turn on or off, with their defaults (SPEC §2).
DEFAULT_SETTINGS: dict[str, bool] = {
    "device_buyout": False,  # offer end-of-lease buyouts at all
    "buyout_receipts": True,  # email a receipt when a buyout is paid
    "auto_mark_received": False,  # a delivered replacement counts as received
    "employees_mark_received": True,  # employees may mark their new device received
}


def _check_settings(changes: dict[str, Any]) -> dict[str, bool]:
    unknown = sorted(set(changes) - set(DEFAULT_SETTINGS))
    if unknown:
        raise InvalidValue(f"Unknown company settings: {', '.join(unknown)}.")
    for name, value in changes.items():
        if not isinstance(value, bool):
            raise InvalidValue(f"The setting '{name}' must be true or false.")
    return dict(changes)


class NewCompany(TypedDict):
    """What registering a company is told (the companies service passes it through)."""

    name: str
    currency: str
    time_zone: str
    vat_rate: Decimal
    settings: dict[str, Any]


class Company(Aggregate):
    class_version = 3  # 2: v1 snapshots may lack the fields added while v1 was current

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """The oldest snapshots predate the default licence, valuation and release digest:
        those hold their initial values until their first event (ADR 0008)."""
        state.setdefault("default_subscription_id", None)
        state.setdefault("default_product_id", None)
        state.setdefault("valuation", {})
        state.setdefault("last_digest_week", None)

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """Before management rights, every company's admins had them all (ADR 0031)."""
        state.setdefault("management_right", DEFAULT_RIGHT.value)

    class Registered(LessorCreated):
        class_version = 1
        name: str
        currency: str
        time_zone: str
        vat_rate: Decimal
        settings: dict[str, bool]

    class SettingsChanged(LessorEvent):
        class_version = 1
        changes: dict[str, bool]

    class Renamed(LessorEvent):
        class_version = 1
        name: str

    class VatRateChanged(LessorEvent):
        class_version = 1
        vat_rate: Decimal

    class TimeZoneChanged(LessorEvent):
        class_version = 1
        time_zone: str

    class AutomaticValuationChanged(LessorEvent):
        class_version = 1
        category: str
        enabled: bool  # switching on overrides manual prices set before this moment

    class CustomCurveSaved(LessorEvent):
        class_version = 1
        category: str
        points: list[list[str]]  # [[month, percent], …] as text: exact decimals
        floor: str

    class CustomCurveCleared(LessorEvent):
        class_version = 1
        category: str

    class ReleaseDigestSent(LessorEvent):
        """The Monday 09:00 list of devices ready to release, once per company and week."""

        class_version = 1
        week: str  # ISO week, e.g. 2026-W48
        devices: list[dict[str, str]]  # id, serial, model, buyer
        recipients: list[str]

    class DefaultLicenceChosen(LessorEvent):
        class_version = 1
        subscription_id: UUID | None  # None: new members get no licence by default
        product_id: UUID | None

    class ManagementRightGranted(LessorEvent):
        """The provider set what the company's admins may change in their subscriptions."""

        class_version = 1
        right: str  # a ManagementRight value

    @classmethod
    def register(
        cls,
        *,
        company_id: UUID,
        name: str,
        currency: str,
        time_zone: str = DEFAULT_TIME_ZONE,
        vat_rate: Decimal = DEFAULT_VAT_RATE,
        settings: dict[str, Any] | None = None,
        cause: Cause,
    ) -> Company:
        cleaned_name = clean_text(name, "company name")
        if not cleaned_name:
            raise InvalidValue("A company needs a name.")
        exponent(currency)
        zone(time_zone)
        chosen = {**DEFAULT_SETTINGS, **_check_settings(settings or {})}
        return cls._create(
            cls.Registered,
            id=company_id,
            name=cleaned_name,
            currency=currency,
            time_zone=time_zone,
            vat_rate=bounds.vat_rate(vat_rate),
            settings=chosen,
            **cause.stamp(company_id),
        )

    @event(Registered)
    def __init__(
        self,
        *,
        name: str,
        currency: str,
        time_zone: str,
        vat_rate: Decimal,
        settings: dict[str, bool],
    ) -> None:
        self.name = name
        self.currency = currency
        self.time_zone = time_zone
        self.vat_rate = vat_rate
        self.settings = dict(settings)
        # The licence new members get while a seat is free (two fields: snapshots are JSON).
        self.default_subscription_id: UUID | None = None
        self.default_product_id: UUID | None = None
        # category → {"enabled": bool, "enabled_at": iso text | None, "curve": {...} | None}
        self.valuation: dict[str, dict[str, Any]] = {}
        self.last_digest_week: str | None = None
        # What its admins may change in their subscriptions (plain text: snapshots are JSON).
        self.management_right: str = DEFAULT_RIGHT.value

    def change(
        self,
        *,
        name: str | None = None,
        vat_rate: Decimal | None = None,
        time_zone: str | None = None,
        settings: dict[str, Any] | None = None,
        cause: Cause,
    ) -> None:
        """Check every field first, then record only what differs: a refusal records nothing,
        and a repeated request records nothing new."""
        new_name = clean_text(name, "company name") if name is not None else None
        if new_name is not None and not new_name:
            raise InvalidValue("A company needs a name.")
        if vat_rate is not None:
            bounds.vat_rate(vat_rate)
        if time_zone is not None:
            zone(time_zone)
        changed = {
            k: v for k, v in _check_settings(settings or {}).items() if self.settings.get(k) != v
        }
        if new_name is not None and new_name != self.name:
            self._record(self.Renamed, cause, name=new_name)
        if vat_rate is not None and vat_rate != self.vat_rate:
            self._record(self.VatRateChanged, cause, vat_rate=vat_rate)
        if time_zone is not None and time_zone != self.time_zone:
            self._record(self.TimeZoneChanged, cause, time_zone=time_zone)
        if changed:
            self._record(self.SettingsChanged, cause, changes=changed)

    def choose_default_licence(
        self, subscription_id: UUID | None, product_id: UUID | None, *, cause: Cause
    ) -> None:
        """The (subscription, product) licence given to new members while a seat is free."""
        if (subscription_id is None) != (product_id is None):
            raise InvalidValue("Name both the subscription and the product, or neither.")
        if (subscription_id, product_id) != (self.default_subscription_id, self.default_product_id):
            self._record(
                self.DefaultLicenceChosen,
                cause,
                subscription_id=subscription_id,
                product_id=product_id,
            )

    @property
    def rights(self) -> ManagementRight:
        return ManagementRight(self.management_right)

    def grant_management_right(self, right: ManagementRight, *, cause: Cause) -> None:
        """Records only a change: granting the right in force again records nothing."""
        if right != self.rights:
            self._record(self.ManagementRightGranted, cause, right=right.value)

    def send_release_digest(
        self, week: str, devices: list[dict[str, str]], recipients: list[str], *, cause: Cause
    ) -> bool:
        """Once per ISO week: a second run of the same Monday records nothing."""
        if self.last_digest_week == week or not devices:
            return False
        self._record(
            self.ReleaseDigestSent, cause, week=week, devices=devices, recipients=recipients
        )
        return True

    # ------------------------------------------------------------- valuation

    def category_valuation(self, category: str) -> CategoryValuation | None:
        entry = self.valuation.get(category)
        if entry is None:
            return None
        curve = entry.get("curve")
        return CategoryValuation(
            enabled=bool(entry.get("enabled")),
            enabled_at=datetime.fromisoformat(entry["enabled_at"])
            if entry.get("enabled_at")
            else None,
            custom_curve=_curve_from(curve) if curve else None,
        )

    def set_automatic_valuation(self, category: str, enabled: bool, *, cause: Cause) -> None:
        """Switching it on (again) overrides every manual price set before this moment."""
        category = _category(category)
        if enabled and standard_curve(category) is None and not self._has_custom(category):
            raise InvalidValue(
                f"There is no standard curve for '{category}': save a custom curve first."
            )
        current = self.valuation.get(category, {}).get("enabled", False)
        if enabled or current:  # switching on always records (it overrides manual prices)
            self._record(self.AutomaticValuationChanged, cause, category=category, enabled=enabled)

    def save_custom_curve(self, category: str, curve: Curve, *, cause: Cause) -> None:
        """Saving recalculates the category's prices: they are computed from the curve."""
        self._record(
            self.CustomCurveSaved,
            cause,
            category=_category(category),
            points=[[str(m), str(p)] for m, p in curve.points],
            floor=str(curve.floor),
        )

    def clear_custom_curve(self, category: str, *, cause: Cause) -> None:
        category = _category(category)
        if not self._has_custom(category):
            raise RuleViolation(f"There is no custom curve for '{category}'.")
        self._record(self.CustomCurveCleared, cause, category=category)

    def _has_custom(self, category: str) -> bool:
        return bool(self.valuation.get(category, {}).get("curve"))

    def _record(self, event_class: type[LessorEvent], cause: Cause, **fields: Any) -> None:
        """Trigger one of the company's events, stamped with the cause (ADR 0012)."""
        self.trigger_event(event_class, **fields, **cause.stamp(self.id))

    # ------------------------------------------------------------- mutators

    @event(Renamed)
    def _renamed(self, *, name: str) -> None:
        self.name = name

    @event(VatRateChanged)
    def _vat_rate_changed(self, *, vat_rate: Decimal) -> None:
        self.vat_rate = vat_rate

    @event(TimeZoneChanged)
    def _time_zone_changed(self, *, time_zone: str) -> None:
        self.time_zone = time_zone

    @event(SettingsChanged)
    def _settings_changed(self, *, changes: dict[str, bool]) -> None:
        self.settings = {**self.settings, **changes}

    @event(DefaultLicenceChosen)
    def _default_licence_chosen(
        self, *, subscription_id: UUID | None, product_id: UUID | None
    ) -> None:
        self.default_subscription_id = subscription_id
        self.default_product_id = product_id

    @event(ManagementRightGranted)
    def _management_right_granted(self, *, right: str) -> None:
        self.management_right = right

    @event(ReleaseDigestSent)
    def _release_digest_sent(self, *, week: str) -> None:
        self.last_digest_week = week

    @event(AutomaticValuationChanged)
    def _automatic_valuation_changed(self, *, category: str, enabled: bool, at: datetime) -> None:
        if enabled:
            self._update_valuation(category, enabled=True, enabled_at=at.isoformat())
        else:
            self._update_valuation(category, enabled=False)

    @event(CustomCurveSaved)
    def _custom_curve_saved(self, *, category: str, points: list[list[str]], floor: str) -> None:
        self._update_valuation(
            category, curve={"points": [list(p) for p in points], "floor": floor}
        )

    @event(CustomCurveCleared)
    def _custom_curve_cleared(self, *, category: str) -> None:
        self._update_valuation(category, curve=None)

    def _update_valuation(self, category: str, **changes: Any) -> None:
        """A new dict each time: the previous state may be shared with a snapshot."""
        entry = {**self.valuation.get(category, {}), **changes}
        self.valuation = {**self.valuation, category: entry}


def _category(category: str) -> str:
    cleaned = category.strip().lower()
    if not cleaned:
        raise InvalidValue("Name a device category.")
    return cleaned


def _curve_from(data: dict[str, Any]) -> Curve:
    return Curve(
        points=tuple((int(m), Decimal(p)) for m, p in data["points"]),
        floor=Decimal(data["floor"]),
    )
