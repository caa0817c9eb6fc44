"""The subscription journey over HTTP, as a customer lives it (SPEC §3, §6; docs/billing.md).

Quote → buy a backdated 3-year term → assign members → add seats mid-term → change the PO
reference → the scheduler renews at term end (and a second pass changes nothing) → the
history shows every step with who and when, and the charges show each line with the PO
reference in force when it was charged. Business time comes from the FixedClock, moved
between steps; amounts are computed independently, with exact fractions.
"""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction
from uuid import UUID

from adapters.clock import FixedClock
from api.bootstrap import Container
from domain.model.actor import Role
from tests.conftest import T0, issue_token
from tests.e2e._http import TestClient, assert_problem, auth, head, position
from tests.e2e._subscriptions import (
    add_product,
    buy,
    charge_summary,
    charges,
    command,
    d,
    half_up,
    history,
    line_of,
    log_time,
    ok,
    open_shop,
    overview_of,
    prorated_minor,
    read,
    steps,
    term_minor,
    tick,
    utc,
)

PRICE = 4900  # Workplace Plan: 49.00 SEK per seat per month


def test_quote_buy_assign_add_seats_change_po_renew_and_read_the_history(
    api: TestClient, container: Container, clock: FixedClock
) -> None:
    shop = open_shop(api, container, name="Journey AB")
    plan = add_product(api, shop.operator, "WP", "Workplace Plan", "plan", {"SEK": "49.00"})
    admin_actor = shop.actor(shop.admin, "admin")
    service_actor = shop.actor(shop.service, "service")
    system_actor = {"id": "scheduler", "role": "system"}

    # --- 1. A quote: 5 seats for 3 years = 5 × 49.00 × 36 × 0.90 = 7 938.00 SEK. No event.
    before_quote = head(container)
    quote = ok(
        api.post(
            "/v1/subscriptions/quote",
            json={"lines": [{"product_id": plan, "seats": 5}], "term": "3y"},
            headers=auth(shop.admin),
        )
    )
    assert quote["term"] == "3y"
    assert quote["months"] == 36
    assert Fraction(quote["discount"]) == Fraction(1, 10)
    assert quote["total"] == {"amount": "7938.00", "currency": "SEK", "minor": 793800}
    assert quote["total"]["minor"] == term_minor(PRICE, 5, "3y")
    (quoted,) = quote["lines"]
    assert quoted["product_name"] == "Workplace Plan"
    assert quoted["seats"] == 5
    assert quoted["unit_price"]["minor"] == PRICE
    assert quoted["amount"]["minor"] == 793800
    assert head(container) == before_quote, "a quote recorded something"

    # --- 2. Buy it, backdated (devices already installed since 2025-06-01).
    bought_at = T0 + timedelta(minutes=5)
    clock.set(bought_at)
    bought = buy(
        api,
        shop.admin,
        [(plan, 5)],
        start_date="2025-06-01",
        term="3y",
        renewal_option="every_time",
        po_reference="PO-2025-17",
        headers={"X-Correlation-Id": "journey-buy"},
    )
    subscription = bought.json()
    sub_id = subscription["id"]
    assert bought.headers["Location"] == f"/v1/subscriptions/{sub_id}"
    assert position(bought) == head(container)
    assert subscription["company_id"] == shop.company_id
    assert subscription["status"] == "active"  # the first term was charged at once
    assert (subscription["term"], subscription["start_date"]) == ("3y", "2025-06-01")
    assert (subscription["term_start"], subscription["term_end"]) == ("2025-06-01", "2028-06-01")
    assert subscription["charged_through"] == "2028-06-01"
    assert subscription["po_reference"] == "PO-2025-17"
    assert subscription["renewal_option"] == "every_time"
    line = line_of(subscription, plan)
    assert (line["seats"], line["assigned"], line["free"]) == (5, 0, 5)
    assert line["unit_price"]["minor"] == PRICE
    assert subscription["version"] == 2  # created, first term charged

    # --- 3. The next morning, members get licences (the admin two, the service account one).
    assigned_at = utc(2026, 3, 3, 7, 30)
    clock.set(assigned_at)
    for secret, member in (
        (shop.admin, shop.employees[0]),
        (shop.admin, shop.employees[1]),
        (shop.service, shop.employees[2]),
    ):
        assigned = ok(
            command(api, secret, sub_id, "licences", {"member_id": member, "product_id": plan})
        )
    line = line_of(assigned, plan)
    assert (line["seats"], line["assigned"], line["free"]) == (5, 3, 2)
    assert sorted(line["holders"]) == sorted(shop.employees)

    # --- 4. 4 seats added on 2026-10-17: pro rata for the 593 of 1 096 days left.
    added_at = utc(2026, 10, 17, 8)
    clock.set(added_at)
    added = command(api, shop.service, sub_id, "seats", {"product_id": plan, "seats": 4})
    line = line_of(ok(added), plan)
    assert (line["seats"], line["assigned"], line["free"]) == (9, 3, 6)
    days_remaining = (d("2028-06-01") - d("2026-10-17")).days
    days_in_term = (d("2028-06-01") - d("2025-06-01")).days
    assert (days_remaining, days_in_term) == (593, 1096)  # the term holds 29 February 2028
    seats_amount = half_up(
        Fraction(4 * PRICE * 36) * Fraction(9, 10) * Fraction(days_remaining, days_in_term)
    )
    assert seats_amount == 343594  # 4 × 49 × 36 × 0.9 × 593 / 1096 = 3 435.937… → 3 435.94
    assert seats_amount == prorated_minor(PRICE, 4, "3y", days_remaining, days_in_term)
    # The billing dates did not move.
    after_seats = read(api, shop.admin, sub_id)
    assert (after_seats["term_start"], after_seats["term_end"]) == ("2025-06-01", "2028-06-01")

    # --- 5. A new PO reference: for the next charges only.
    po_changed_at = utc(2027, 2, 1, 12)
    clock.set(po_changed_at)
    changed = ok(command(api, shop.admin, sub_id, "po-reference", {"po_reference": "PO-2027-02"}))
    assert changed["po_reference"] == "PO-2027-02"

    term_line = ("term", 5, 793800, "2025-06-01", "2028-06-01", "PO-2025-17")
    seats_line = ("seats", 4, seats_amount, "2026-10-17", "2028-06-01", "PO-2025-17")
    before_renewal = charges(api, container, shop.admin, subscription_id=sub_id)
    assert [charge_summary(c) for c in before_renewal] == [term_line, seats_line]

    # --- 6. Nothing is due before the term end; at the term end the scheduler renews.
    assert tick(container, clock, utc(2028, 5, 31, 21, 59)) == (0, 0)  # 23:59 in Stockholm
    renewed_at = utc(2028, 6, 1, 3)  # 05:00 on 2028-06-01 in Stockholm
    assert tick(container, clock, renewed_at) == (1, 2)  # Renewed, TermCharged
    reached = head(container)
    assert tick(container, clock, renewed_at) == (0, 0)
    assert head(container) == reached, "a second tick at the same instant wrote events"
    assert tick(container, clock, renewed_at + timedelta(days=1)) == (0, 0)
    assert head(container) == reached, "a later tick charged the renewed term again"

    renewed = read(api, shop.admin, sub_id)
    assert renewed["status"] == "active"
    assert (renewed["term"], renewed["term_start"], renewed["term_end"]) == (
        "3y",
        "2028-06-01",
        "2031-06-01",
    )
    assert renewed["charged_through"] == "2031-06-01"
    assert renewed["renewal_option"] == "every_time"
    line = line_of(renewed, plan)
    assert (line["seats"], line["assigned"], line["free"]) == (9, 3, 6)  # licences carry over

    listed = overview_of(api, container, shop.admin, sub_id)
    assert (listed["term_start"], listed["term_end"], listed["next_renewal"]) == (
        "2028-06-01",
        "2031-06-01",
        "2031-06-01",
    )
    assert listed["po_reference"] == "PO-2027-02"
    assert [(li["seats"], li["assigned"], li["free"]) for li in listed["lines"]] == [(9, 3, 6)]
    assert listed["version"] == renewed["version"]

    # --- 7. The charges: each line keeps the PO reference in force when it was charged.
    renewal_amount = term_minor(PRICE, 9, "3y")
    assert renewal_amount == 1428840  # 9 × 49 × 36 × 0.90 = 14 288.40
    renewal_line = ("term", 9, renewal_amount, "2028-06-01", "2031-06-01", "PO-2027-02")
    lines = charges(api, container, shop.admin, subscription_id=sub_id)
    assert [charge_summary(c) for c in lines] == [term_line, seats_line, renewal_line]
    assert [c["date"] for c in lines[1:]] == ["2026-10-17", "2028-06-01"]
    assert {c["company_id"] for c in lines} == {shop.company_id}
    assert {c["amount"]["currency"] for c in lines} == {"SEK"}
    assert all(c["unit_price"]["minor"] == PRICE for c in lines)
    assert [c["months"] for c in lines] == [36, 36, 36]
    assert all(Fraction(c["discount"]) == Fraction(1, 10) for c in lines)
    assert "593/1096" in lines[1]["description"]
    assert lines[0]["description"].startswith("Workplace Plan")
    # The same lines, as the operator sees them, and narrowed to a charge date range.
    assert charges(api, container, shop.operator, company_id=shop.company_id) == lines
    in_2026 = charges(
        api, container, shop.admin, charged_from="2026-01-01", charged_to="2027-01-01"
    )
    assert [charge_summary(c) for c in in_2026] == [seats_line]
    # The service account may manage the subscription but not read what is billed.
    assert_problem(api.get("/v1/charges", headers=auth(shop.service)), 403, "forbidden")

    # --- 8. The history: every operation, who did it and when (business time).
    items = history(api, container, shop.service, sub_id)
    assert steps(items) == [
        ("Subscription.Created", admin_actor, log_time(bought_at)),
        ("Subscription.TermCharged", admin_actor, log_time(bought_at)),
        ("Subscription.LicenceAssigned", admin_actor, log_time(assigned_at)),
        ("Subscription.LicenceAssigned", admin_actor, log_time(assigned_at)),
        ("Subscription.LicenceAssigned", service_actor, log_time(assigned_at)),
        ("Subscription.SeatsAdded", service_actor, log_time(added_at)),
        ("Subscription.PoReferenceChanged", admin_actor, log_time(po_changed_at)),
        ("Subscription.Renewed", system_actor, log_time(renewed_at)),
        ("Subscription.TermCharged", system_actor, log_time(renewed_at)),
    ]
    assert [i["aggregate_version"] for i in items] == list(range(1, 10))
    assert {i["aggregate_id"] for i in items} == {sub_id}
    assert {i["company_id"] for i in items} == {shop.company_id}
    assert [i["correlation_id"] for i in items[:2]] == ["journey-buy", "journey-buy"]
    assert len({i["correlation_id"] for i in items[7:]}) == 1  # one scheduler pass

    created, first_charge = items[0]["details"], items[1]["details"]
    assert created["start_date"] == "2025-06-01"
    assert created["term"] == "3y"
    assert created["po_reference"] == "PO-2025-17"
    assert created["renewal_option"] == "every_time"
    assert (first_charge["period_start"], first_charge["period_end"]) == (
        "2025-06-01",
        "2028-06-01",
    )
    assert [c["amount"]["minor"] for c in first_charge["charges"]] == [793800]
    assert [items[i]["details"]["member_id"] for i in (2, 3, 4)] == shop.employees
    seats_added = items[5]["details"]
    assert (seats_added["seats"], seats_added["on"]) == (4, "2026-10-17")
    assert (seats_added["days_remaining"], seats_added["days_in_term"]) == (593, 1096)
    assert seats_added["charge"]["amount"]["minor"] == seats_amount
    assert seats_added["po_reference"] == "PO-2025-17"
    assert items[6]["details"]["po_reference"] == "PO-2027-02"
    renewal = items[7]["details"]
    assert (renewal["term_start"], renewal["term_end"]) == ("2028-06-01", "2031-06-01")
    assert renewal["renewal_option"] == "every_time"
    renewal_charge = items[8]["details"]
    assert renewal_charge["po_reference"] == "PO-2027-02"
    assert [c["amount"]["minor"] for c in renewal_charge["charges"]] == [renewal_amount]

    # The event log shows the same steps (to the operator, and to the company's admin).
    log = api.get(
        "/v1/event-log",
        params={"aggregate_id": sub_id, "min_position": head(container)},
        headers=auth(shop.admin),
    )
    assert steps(ok(log)["items"]) == steps(items)

    # The employee can't read any of it: the subscription is 404 to them, like a missing id.
    employee = _employee_token(container, shop.company_id, shop.employees[0])
    for path in (f"/v1/subscriptions/{sub_id}", f"/v1/subscriptions/{sub_id}/history"):
        assert_problem(api.get(path, headers=auth(employee)), 404, "not-found")


def _employee_token(container: Container, company_id: str, member_id: str) -> str:
    return issue_token(container, Role.EMPLOYEE, UUID(company_id), UUID(member_id))
