"""Helpers for the end-of-lease journeys (SPEC §2, ADR 0006), over HTTP on the real store.

A company that offers buyouts, its admins and employees (real tokens, the way `lessor tokens
create` issues them), leased devices; business time moved explicitly (the API's FixedClock,
then `container.scheduler.tick(now)`); Stripe's events built and signed the way Stripe
signs them (the approach of tests/e2e/test_http_stripe_webhook.py); and a real SMTP server
(aiosmtpd on 127.0.0.1) that the container's email sender delivers the outbox to.

Expected prices are computed here from the SPEC's table, independently of `src/`.
"""

from __future__ import annotations

import json
import socket
import threading
from calendar import monthrange
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
import stripe
from aiosmtpd.controller import Controller

from adapters.clock import FixedClock
from adapters.scheduler import TickReport
from api.bootstrap import Container
from api.settings import Settings
from domain.model.actor import Role
from tests.conftest import issue_token
from tests.e2e._http import (
    TestClient,
    assign,
    auth,
    collect_pages,
    created,
    device_body,
    head,
    register_member,
)

ZONE = "Europe/Stockholm"
STOCKHOLM = ZoneInfo(ZONE)
SENDER = "lessor@journeys.example"

# ---------------------------------------------------------------------------- time


def local(d: date, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """The UTC instant of a Stockholm wall time (zoneinfo does the DST arithmetic)."""
    wall = datetime(d.year, d.month, d.day, hour, minute, second, tzinfo=STOCKHOLM)
    return wall.astimezone(UTC)


def add_months(d: date, months: int) -> date:
    """Calendar months, clamped to the month's end (SPEC §6)."""
    year, index = divmod(d.year * 12 + d.month - 1 + months, 12)
    return date(year, index + 1, min(d.day, monthrange(year, index + 1)[1]))


def completed_months(start: date, end: date) -> int:
    """Whole months from start to end, end-of-month clamped (SPEC §2.1)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if add_months(start, months) > end else months


def tick(container: Container, clock: FixedClock, when: datetime) -> TickReport:
    """Move business time to `when` and run the scheduler there."""
    clock.set(when)
    report = container.scheduler.tick(clock.now())
    assert report.failures == [], report
    return report


def instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None


# --------------------------------------------------------------------------- price

# SPEC §2.1: the standard phone curve (age in completed months → % of cost) and its floor.
PHONE_CURVE = ((0, 100), (12, 55), (24, 35), (36, 22), (48, 15), (60, 10))
PHONE_FLOOR = 10


def curve_percent(months: int, curve: tuple[tuple[int, int], ...], floor: int) -> Fraction:
    """Piecewise-linear between the anchors, never below the floor."""
    for (m0, p0), (m1, p1) in pairwise(curve):
        if m0 <= months <= m1:
            value = Fraction(p0) + Fraction(p1 - p0) * Fraction(months - m0, m1 - m0)
            return max(value, Fraction(floor))
    return Fraction(floor)


def phone_value_minor(cost_minor: int, lease_start: date, on: date) -> int:
    """The automatic buyout price in minor units: whole currency units, rounded half-up."""
    percent = curve_percent(completed_months(lease_start, on), PHONE_CURVE, PHONE_FLOOR)
    major = Fraction(cost_minor, 100) * percent / 100
    whole, rest = divmod(major.numerator, major.denominator)
    return (whole + (1 if 2 * rest >= major.denominator else 0)) * 100


def money(minor: int, currency: str = "SEK") -> dict[str, Any]:
    return {"amount": f"{minor // 100}.{minor % 100:02d}", "currency": currency, "minor": minor}


# ---------------------------------------------------------------------- the shop


@dataclass(frozen=True)
class Person:
    member_id: str
    token: str
    name: str
    email: str


@dataclass
class Shop:
    company_id: str
    operator: str
    admins: list[Person]
    employees: list[Person]

    @property
    def admin(self) -> str:
        return self.admins[0].token


def open_shop(
    api: TestClient,
    container: Container,
    *,
    name: str,
    settings: dict[str, bool],
    admins: tuple[str, ...] = ("Alice", "Adam"),
    employees: tuple[str, ...] = ("Eva", "Erik"),
) -> Shop:
    """A Stockholm company with these settings, its admins and employees, each with a token."""
    operator = issue_token(container, Role.OPERATOR)
    response = api.post(
        "/v1/companies",
        json={"name": name, "currency": "SEK", "time_zone": ZONE, "settings": settings},
        headers=auth(operator),
    )
    company_id = str(created(response)["id"])
    domain = name.lower().replace(" ", "-") + ".example"
    people: list[Person] = []
    for who in admins:
        email = f"{who.lower()}@{domain}"
        member = register_member(api, operator, company_id, who, email, "admin")
        token = issue_token(container, Role.ADMIN, UUID(company_id), UUID(member))
        people.append(Person(member, token, who, email))
    staff: list[Person] = []
    for who in employees:
        email = f"{who.lower()}@{domain}"
        member = register_member(api, people[0].token, company_id, who, email, "employee")
        token = issue_token(container, Role.EMPLOYEE, UUID(company_id), UUID(member))
        staff.append(Person(member, token, who, email))
    return Shop(company_id, operator, people, staff)


def leased_device(
    api: TestClient,
    shop: Shop,
    serial: str,
    *,
    holder: Person,
    lease_start: date,
    renewal_date: date,
    cost: str = "12000.00",
    category: str = "phone",
    model: str = "iPhone 15",
) -> str:
    """A leased device, registered and assigned to `holder` by an admin."""
    body = device_body(
        serial,
        amount=cost,
        category=category,
        contract_type="leased",
        lease_start=lease_start.isoformat(),
        renewal_date=renewal_date.isoformat(),
        model=model,
    )
    device_id = str(created(api.post("/v1/devices", json=body, headers=auth(shop.admin)))["id"])
    assign(api, shop.admin, device_id, holder.member_id)
    return device_id


def set_automatic_valuation(api: TestClient, shop: Shop, category: str, enabled: bool) -> None:
    response = api.post(
        f"/v1/companies/{shop.company_id}/valuation/{category}/automatic",
        json={"enabled": enabled},
        headers=auth(shop.admin),
    )
    assert response.status_code == 200, response.text
    assert response.json()["valuation"][category]["enabled"] is enabled


def replacement_body(
    serial: str, model: str = "iPhone 16", start: date | None = None
) -> dict[str, Any]:
    """A replacement phone (its serial may be "" until delivery): purchased, or leased for
    three years from `start`."""
    body: dict[str, Any] = {
        "serial": serial,
        "model": model,
        "category": "phone",
        "company_cost": {"amount": "13000.00", "currency": "SEK"},
        "contract_type": "purchased",
    }
    if start is not None:
        body.update(
            contract_type="leased",
            lease_start=start.isoformat(),
            renewal_date=add_months(start, 36).isoformat(),
        )
    return body


# -------------------------------------------------------------------- requests


def post(api: TestClient, secret: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """A command; the body defaults to {} (every command takes a JSON object)."""
    return api.post(path, json={} if body is None else body, headers=auth(secret))


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, (
        f"{response.request.method} {response.request.url}: {response.status_code} "
        f"{response.text[:500]}"
    )
    body: dict[str, Any] = response.json()
    return body


def options_of(api: TestClient, secret: str, device_id: str) -> dict[str, Any]:
    return ok(api.get(f"/v1/devices/{device_id}/options", headers=auth(secret)))


def device_of(api: TestClient, secret: str, device_id: str) -> dict[str, Any]:
    return ok(api.get(f"/v1/devices/{device_id}", headers=auth(secret)))


def operations(api: TestClient, container: Container, admin: str, device_id: str) -> list[str]:
    """The device's event log as admins see it, oldest first, once it caught up."""
    response = api.get(
        f"/v1/devices/{device_id}/events",
        params={"min_position": head(container), "limit": 500},
        headers=auth(admin),
    )
    return [item["operation"] for item in ok(response)["items"]]


def listed(api: TestClient, container: Container, secret: str, **filters: Any) -> list[str]:
    """GET /v1/devices with these filters (after everything written so far): device ids."""
    params = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in filters.items()}
    items = collect_pages(api, "/v1/devices", secret, params, min_position=head(container))
    return [item["device_id"] for item in items]


# ---------------------------------------------------------------------- Stripe


@dataclass(frozen=True)
class Session:
    """A Checkout Session the API opened (through the container's payment gateway)."""

    company_id: str
    device_id: str
    session_id: str
    url: str


def start_buyout(api: TestClient, shop: Shop, employee: Person, device_id: str) -> Session:
    """The employee's final decision to buy: a checkout opens; its URL is in the options."""
    device = ok(post(api, employee.token, f"/v1/devices/{device_id}/buyout"))
    assert device["id"] == device_id
    options = options_of(api, employee.token, device_id)
    assert options["phase"] == "checkout_open", options
    url = str(options["checkout_url"])
    assert device["checkout_url"] == url  # the buyout's answer carries the payment page
    return Session(shop.company_id, device_id, url.rsplit("/", 1)[1], url)


def session_event(
    event_id: str,
    type_: str,
    session: Session,
    *,
    created_at: datetime,
    amount_minor: int,
    currency: str = "sek",
    **fields: Any,
) -> str:
    """A Stripe event about a checkout session, as Stripe would send it (JSON text)."""
    obj: dict[str, Any] = {
        "id": session.session_id,
        "object": "checkout.session",
        "amount_total": amount_minor,
        "currency": currency,
        "client_reference_id": session.device_id,
        "metadata": {"device_id": session.device_id, "company_id": session.company_id},
        "mode": "payment",
        "payment_intent": f"pi_{event_id}",
        "payment_status": "paid",
        "status": "complete",
    }
    obj.update(fields)
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2026-10-28.endive",
            "created": int(created_at.timestamp()),
            "type": type_,
            "data": {"object": obj},
            "livemode": False,
        }
    )


def deliver(api: TestClient, container: Container, payload: str) -> str:
    """POST /webhooks/stripe signed with the endpoint's secret; the result it answers."""
    secret = container.settings.stripe_webhook_secret.get_secret_value()
    header = stripe.WebhookSignature.generate_signature_header(payload, secret)
    response = api.post(
        "/webhooks/stripe",
        content=payload.encode(),
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )
    return str(ok(response)["result"])


def pay(
    api: TestClient, container: Container, session: Session, event_id: str, at: datetime, minor: int
) -> None:
    paid = session_event(
        event_id, "checkout.session.completed", session, created_at=at, amount_minor=minor
    )
    assert deliver(api, container, paid) == "applied"


# ----------------------------------------------------------------------- email


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    port: int = 0
    received: list[EmailMessage] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.original_content, policy=default)
        assert isinstance(parsed, EmailMessage)
        with self._lock:
            self.received.append(parsed)
        return "250 2.0.0 OK"

    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self.received)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_inbox() -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1 for the duration."""
    handler = Inbox(port=_free_port())
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


def email_settings(database_url: str, inbox: Inbox, tmp_path: Path) -> Settings:
    """The e2e settings, with the container's email sender pointed at `inbox`."""
    return Settings(
        database_url=database_url,
        projector_poll_s=0.05,
        read_wait_timeout_s=10,
        smtp_host="127.0.0.1",
        smtp_port=inbox.port,
        smtp_sender=SENDER,
        outbox_dir=str(tmp_path / "outbox"),
    )


def send_email(container: Container, inbox: Inbox, now: datetime) -> list[EmailMessage]:
    """Fold the outbox and send what is due at `now`; the messages that arrived."""
    before = len(inbox.messages())
    container.projector.catch_up("outbox")
    sent = container.email_sender.send_due(now)
    arrived = inbox.messages()[before:]
    assert len(arrived) == sent, (sent, [m["Subject"] for m in arrived])
    return arrived


def one_to(messages: list[EmailMessage], person: Person) -> EmailMessage:
    """The one message among `messages` addressed to `person`."""
    mine = [m for m in messages if m["To"] == person.email]
    assert len(mine) == 1, [(m["To"], m["Subject"]) for m in messages]
    return mine[0]


def summary(messages: list[EmailMessage]) -> list[tuple[str, str]]:
    return sorted((str(m["To"]), str(m["Subject"])) for m in messages)
