"""The return path over HTTP (SPEC §2.2 step 8, ADR 0006), on both stores, in Europe/Stockholm.

At R − 1 month the employee chooses to return the leased laptop — final at once, so the
device is `active_pending_return`. Its return can only be confirmed once the replacement is
received; then it is `returned`, and an admin removes it (`removed`). Employees act on their
own devices only: confirming a return, releasing or removing is for admins (403), and another
employee's device does not exist for them (404).
"""

from __future__ import annotations

from datetime import date

from adapters.clock import FixedClock
from api.bootstrap import Container
from tests.e2e._end_of_lease import (
    add_months,
    device_of,
    leased_device,
    listed,
    local,
    ok,
    open_shop,
    operations,
    options_of,
    post,
    replacement_body,
    tick,
)
from tests.e2e._http import TestClient, assert_problem, auth

RENEWAL = date(2026, 6, 10)


def test_a_returned_laptop_is_confirmed_once_its_replacement_arrives_then_removed(
    api: TestClient, container: Container, clock: FixedClock
) -> None:
    shop = open_shop(api, container, name="Return AB", settings={"device_buyout": True})
    alice = shop.admins[0]
    eva, erik = shop.employees
    laptop = leased_device(
        api,
        shop,
        "RET-LT-1",
        holder=eva,
        lease_start=date(2023, 6, 10),
        renewal_date=RENEWAL,
        category="laptop",
        model="ThinkPad T14",
    )
    eriks = leased_device(
        api,
        shop,
        "RET-LT-2",
        holder=erik,
        lease_start=date(2023, 6, 10),
        renewal_date=RENEWAL,
        category="laptop",
        model="ThinkPad T14",
    )
    tick(container, clock, local(add_months(RENEWAL, -1)))

    # Another employee's device does not exist for Eva: not readable, not actionable.
    for path in ("", "/options"):
        assert_problem(api.get(f"/v1/devices/{eriks}{path}", headers=auth(eva.token)), 404)
    for path in ("/return", "/return-confirmation", "/release", "/removal", "/buyout"):
        assert_problem(post(api, eva.token, f"/v1/devices/{eriks}{path}"), 404, "not-found")
    assert_problem(
        post(api, eva.token, f"/v1/devices/{eriks}/preliminary-choice", {"choice": "buyout"}),
        404,
        "not-found",
    )
    assert device_of(api, erik.token, eriks)["status"] == "active"

    # Final decision: return. Final at once.
    clock.set(local(date(2026, 5, 12), 9))
    assert options_of(api, eva.token, laptop)["actions"] == ["return"]  # no price: no buyout
    chosen = ok(post(api, eva.token, f"/v1/devices/{laptop}/return"))
    assert chosen["status"] == "active_pending_return"
    assert chosen["end_of_lease"]["final_decision"] == "return"
    after = options_of(api, eva.token, laptop)
    assert (after["phase"], after["actions"]) == ("decided", [])
    assert_problem(post(api, eva.token, f"/v1/devices/{laptop}/return"), 409, "rule-violation")
    assert listed(api, container, alice.token, status="active_pending_return") == [laptop]

    # Not before the replacement is received — and never by the employee.
    assert_problem(
        post(api, alice.token, f"/v1/devices/{laptop}/return-confirmation"), 409, "rule-violation"
    )
    clock.set(local(date(2026, 5, 20), 10))
    replacement = ok(
        post(
            api,
            alice.token,
            f"/v1/devices/{laptop}/replacements",
            replacement_body("RET-LT-3", model="ThinkPad T16"),
        ),
        201,
    )
    new_laptop = replacement["id"]
    assert (replacement["status"], replacement["received"]) == ("in_stock", False)
    refused = assert_problem(
        post(api, alice.token, f"/v1/devices/{laptop}/return-confirmation"), 409, "rule-violation"
    )
    assert "replacement is received" in refused["detail"]
    for path in ("/return-confirmation", "/release", "/removal"):
        assert_problem(post(api, eva.token, f"/v1/devices/{laptop}{path}"), 403, "forbidden")
    assert_problem(post(api, alice.token, f"/v1/devices/{laptop}/removal"), 409, "rule-violation")
    assert_problem(post(api, alice.token, f"/v1/devices/{laptop}/release"), 409, "rule-violation")

    # Eva marks her new laptop received (the company lets employees do so).
    clock.set(local(date(2026, 5, 25), 16))
    received = ok(post(api, eva.token, f"/v1/devices/{new_laptop}/received"))
    assert (received["status"], received["received"]) == ("active", True)
    assert_problem(post(api, eva.token, f"/v1/devices/{laptop}/return-confirmation"), 403)

    # The admin confirms the return, then removes the device.
    clock.set(local(date(2026, 5, 26), 11))
    returned = ok(post(api, alice.token, f"/v1/devices/{laptop}/return-confirmation"))
    assert returned["status"] == "returned"
    assert_problem(post(api, eva.token, f"/v1/devices/{laptop}/removal"), 403, "forbidden")
    clock.set(local(date(2026, 6, 1), 8))
    removed = ok(post(api, alice.token, f"/v1/devices/{laptop}/removal"))
    assert removed["status"] == "removed"
    assert_problem(post(api, alice.token, f"/v1/devices/{laptop}/removal"), 409, "rule-violation")

    assert listed(api, container, alice.token, status="removed") == [laptop]
    # A removed device's story is over: the default list leaves it out, a filter shows it.
    assert laptop not in listed(api, container, alice.token)
    assert laptop in listed(api, container, alice.token, include_closed=True)
    active = listed(api, container, alice.token, status="active")
    assert laptop not in active
    assert {new_laptop, eriks} <= set(active)
    log = operations(api, container, alice.token, laptop)
    for operation in ("Device.ReturnChosen", "Device.ReturnConfirmed", "Device.Removed"):
        assert log.count(operation) == 1, log
    # The renewal date passes: a decided device is never overdue; Erik's undecided one is,
    # and stays active.
    tick(container, clock, local(RENEWAL))
    assert device_of(api, alice.token, laptop)["end_of_lease"]["overdue"] is False
    undecided = device_of(api, alice.token, eriks)
    assert (undecided["status"], undecided["end_of_lease"]["overdue"]) == ("active", True)
    assert listed(api, container, alice.token, overdue=True) == [eriks]
