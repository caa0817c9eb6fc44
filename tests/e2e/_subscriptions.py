"""Helpers for the end-to-end subscription tests (SPEC §3): a shop, money, time, reads.

Everything is set up through the public HTTP API; only bearer tokens are issued directly
(the way `lessor tokens create` does it). Time moves two ways, both explicit: the API's
FixedClock (the business time of every command) and `container.scheduler.tick(now)`.
Expected amounts are computed here independently of `src/`, with exact fractions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from fractions import Fraction
from typing import Any
from uuid import UUID

import httpx

from adapters.clock import FixedClock
from api.bootstrap import Container
from domain.model.actor import Role
from tests.conftest import issue_token
from tests.e2e._http import (
    TestClient,
    auth,
    collect_pages,
    created,
    head,
    recorded_actor,
    register_company,
    register_member,
    token_id,
)

MONTHS = {"monthly": 1, "1y": 12, "3y": 36, "5y": 60}
DISCOUNT = {
    "monthly": Fraction(0),
    "1y": Fraction(0),
    "3y": Fraction(1, 10),
    "5y": Fraction(15, 100),
}


# ------------------------------------------------------------------------ money and time


def half_up(value: Fraction) -> int:
    """Round a non-negative exact amount of minor units half-up (0.5 → 1)."""
    assert value >= 0
    whole, rest = divmod(value.numerator, value.denominator)
    return whole + (1 if 2 * rest >= value.denominator else 0)


def term_minor(unit_minor: int, seats: int, term: str) -> int:
    """seats × price per seat per month × months × (1 − discount), in minor units."""
    return half_up(Fraction(unit_minor * seats * MONTHS[term]) * (1 - DISCOUNT[term]))


def prorated_minor(
    unit_minor: int, seats: int, term: str, days_remaining: int, days_in_term: int
) -> int:
    """The full-term price of `seats` × days remaining / days in the term, rounded once."""
    exact = (
        Fraction(unit_minor * seats * MONTHS[term])
        * (1 - DISCOUNT[term])
        * Fraction(days_remaining, days_in_term)
    )
    return half_up(exact)


def utc(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def log_time(instant: datetime) -> str:
    """How the event log shows an instant (fixed-width UTC)."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def d(text: str) -> date:
    return date.fromisoformat(text)


# ------------------------------------------------------------------------------ the shop


@dataclass
class Shop:
    """One company (SEK, Europe/Stockholm) with its admin, a service account, employees."""

    operator: str
    company_id: str
    admin_member: str
    admin: str
    service: str
    employees: list[str]  # member ids

    def actor(self, secret: str, role: str) -> dict[str, str]:
        return {"id": token_id(secret), "role": role}


def open_shop(
    api: TestClient,
    container: Container,
    *,
    name: str = "Shop AB",
    currency: str = "SEK",
    employees: int = 3,
    operator: str | None = None,
) -> Shop:
    operator = operator or issue_token(container, Role.OPERATOR)
    company_id = register_company(api, operator, name, currency)
    low = name.lower().replace(" ", "")
    admin_member = register_member(
        api, operator, company_id, f"Admin of {name}", f"admin@{low}.example", "admin"
    )
    admin = issue_token(container, Role.ADMIN, UUID(company_id), UUID(admin_member))
    service = issue_token(container, Role.SERVICE, UUID(company_id))
    members = [
        register_member(
            api, admin, company_id, f"Employee {i} of {name}", f"e{i}@{low}.example", "employee"
        )
        for i in range(1, employees + 1)
    ]
    return Shop(operator, company_id, admin_member, admin, service, members)


def add_product(
    api: TestClient, operator: str, code: str, name: str, kind: str, prices: dict[str, str]
) -> str:
    response = api.post(
        "/v1/catalog/products",
        json={"code": code, "name": name, "kind": kind, "prices": prices},
        headers=auth(operator),
    )
    return str(created(response)["id"])


def reprice(api: TestClient, operator: str, product_id: str, prices: dict[str, str]) -> None:
    response = api.patch(
        f"/v1/catalog/products/{product_id}", json={"prices": prices}, headers=auth(operator)
    )
    assert response.status_code == 200, response.text


def buy(
    api: TestClient,
    secret: str,
    lines: list[tuple[str, int]],
    *,
    start_date: str,
    term: str,
    renewal_option: str = "none",
    po_reference: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> httpx.Response:
    body: dict[str, Any] = {
        "lines": [{"product_id": p, "seats": s} for p, s in lines],
        "start_date": start_date,
        "term": term,
        "renewal_option": renewal_option,
        **extra,
    }
    if po_reference is not None:
        body["po_reference"] = po_reference
    response = api.post("/v1/subscriptions", json=body, headers={**auth(secret), **(headers or {})})
    assert response.status_code == 201, response.text
    return response


def command(
    api: TestClient, secret: str, subscription_id: str, tail: str, body: dict[str, Any]
) -> httpx.Response:
    """POST /v1/subscriptions/{id}/{tail}, whatever it answers."""
    return api.post(f"/v1/subscriptions/{subscription_id}/{tail}", json=body, headers=auth(secret))


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def line_of(subscription: dict[str, Any], product_id: str) -> dict[str, Any]:
    (line,) = [li for li in subscription["lines"] if li["product_id"] == product_id]
    return line


# ------------------------------------------------------------------------------- time moves


def tick(container: Container, clock: FixedClock, now: datetime) -> tuple[int, int]:
    """Move the business clock to `now` and run one scheduler pass there.

    Returns (subscriptions advanced, their events: the monthly invoice runs the tick also
    makes are not counted). A refused job is a failure of the test.
    """
    clock.set(now)
    report = container.scheduler.tick(now)
    assert report.failures == [], report.failures
    return report.subscriptions_advanced, report.events - report.invoice_events


# ------------------------------------------------------------------------------------ reads


def read(api: TestClient, secret: str, subscription_id: str) -> dict[str, Any]:
    return ok(api.get(f"/v1/subscriptions/{subscription_id}", headers=auth(secret)))


def history(
    api: TestClient, container: Container, secret: str, subscription_id: str
) -> list[dict[str, Any]]:
    """The subscription's history, once the event log has folded everything written."""
    return collect_pages(
        api,
        f"/v1/subscriptions/{subscription_id}/history",
        secret,
        {"limit": 7},
        min_position=head(container),
    )


def charges(
    api: TestClient, container: Container, secret: str, **params: Any
) -> list[dict[str, Any]]:
    """Charge lines (the invoice run's input), once the read model caught up."""
    return collect_pages(api, "/v1/charges", secret, params, min_position=head(container))


def overview(
    api: TestClient, container: Container, secret: str, **params: Any
) -> list[dict[str, Any]]:
    return collect_pages(api, "/v1/subscriptions", secret, params, min_position=head(container))


def overview_of(
    api: TestClient, container: Container, secret: str, subscription_id: str
) -> dict[str, Any]:
    (item,) = [
        i for i in overview(api, container, secret) if i["subscription_id"] == subscription_id
    ]
    return item


def charge_summary(line: dict[str, Any]) -> tuple[Any, ...]:
    """(kind, quantity, amount minor, period start, period end, PO) of one charge line."""
    return (
        line["kind"],
        line["quantity"],
        line["amount"]["minor"],
        line["period_start"],
        line["period_end"],
        line["po_reference"],
    )


def steps(items: list[dict[str, Any]]) -> list[tuple[str, dict[str, str], str]]:
    """(operation, actor, occurred_at) of every history item, in order."""
    return [(i["operation"], recorded_actor(i), i["occurred_at"]) for i in items]
