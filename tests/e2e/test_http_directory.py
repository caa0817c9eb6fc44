"""Who is who over HTTP: the list of companies (operators), of a company's members (its
admins), and the event log naming the person behind each actor."""

from __future__ import annotations

from typing import Any

from api.bootstrap import Container
from tests.e2e._http import (
    TestClient,
    World,
    assert_problem,
    auth,
    collect_pages,
    head,
    position,
    token_id,
)


def test_operators_list_every_company_page_by_page(api: TestClient, world: World) -> None:
    companies = collect_pages(api, "/v1/companies", world.operator, {"limit": 1})
    by_id = {c["company_id"]: c for c in companies}
    assert len(by_id) == len(companies)  # every company once
    assert (by_id[world.a.company_id]["name"], by_id[world.a.company_id]["currency"]) == (
        "Company A",
        "SEK",
    )
    assert by_id[world.b.company_id]["name"] == "Company B"
    for secret in (world.a.admin, world.a.service, world.a.employee):
        assert_problem(api.get("/v1/companies", headers=auth(secret)), 403, "forbidden")


def test_admins_list_their_own_companys_members_with_email_and_last_day(
    api: TestClient, world: World
) -> None:
    a, b = world.a, world.b
    offboarded = api.post(
        f"/v1/members/{a.other_employee_member}/last-employment-day",
        json={"last_employment_day": "2026-06-30"},
        headers=auth(a.admin),
    )
    assert offboarded.status_code == 200, offboarded.text
    members = collect_pages(
        api, "/v1/members", a.admin, {"limit": 2}, min_position=position(offboarded)
    )
    assert [(m["member_id"], m["name"], m["email"], m["role"]) for m in members] == [
        (a.admin_member, "Admin A", "admin@a.example", "admin"),
        (a.employee_member, "Eva A", "eva@a.example", "employee"),
        (a.other_employee_member, "Erik A", "erik@a.example", "employee"),
    ]
    assert [m["last_employment_day"] for m in members] == [None, None, "2026-06-30"]
    employees = collect_pages(api, "/v1/members", a.admin, {"role": "employee"})
    assert [m["member_id"] for m in employees] == [a.employee_member, a.other_employee_member]
    # Another company answers like one that does not exist; employees and services may not list.
    other = api.get("/v1/members", params={"company_id": b.company_id}, headers=auth(a.admin))
    assert_problem(other, 404, "not-found")
    for secret in (a.employee, a.service):
        assert_problem(api.get("/v1/members", headers=auth(secret)), 403, "forbidden")
    # Operators ask for one company, or get every company's.
    only_b = collect_pages(api, "/v1/members", world.operator, {"company_id": b.company_id})
    assert {m["company_id"] for m in only_b} == {b.company_id}
    assert [m["name"] for m in only_b] == ["Admin B", "Eva B", "Erik B"]
    everyone = collect_pages(api, "/v1/members", world.operator)
    assert {m["company_id"] for m in everyone} == {a.company_id, b.company_id}


def _logged(api: TestClient, secret: str, container: Container, **params: Any) -> list[Any]:
    query = {"limit": 500, **params}
    return collect_pages(api, "/v1/event-log", secret, query, min_position=head(container))


def test_the_event_log_names_the_person_behind_each_actor(
    api: TestClient, world: World, container: Container
) -> None:
    a = world.a
    items = _logged(api, a.admin, container)
    by_actor = {item["actor"]["id"]: item["actor"] for item in items}
    # A member's token: the member's name and email (and the token's label); id and role kept.
    assert by_actor[token_id(a.admin)] == {
        "id": token_id(a.admin),
        "role": "admin",
        "name": "Admin A",
        "email": "admin@a.example",
        "label": "test",
    }
    # A service account: its label.
    assert by_actor[token_id(a.service)] == {
        "id": token_id(a.service),
        "role": "service",
        "name": "test",
        "email": None,
        "label": "test",
    }
    # The provider's staff, to a tenant: "operator", without the provider's own labels.
    assert by_actor[token_id(world.operator)] == {
        "id": token_id(world.operator),
        "role": "operator",
        "name": "operator",
        "email": None,
        "label": None,
    }
    as_operator = _logged(api, world.operator, container, company_id=a.company_id)
    operator_id = token_id(world.operator)
    labels = {i["actor"]["label"] for i in as_operator if i["actor"]["id"] == operator_id}
    assert labels == {"test"}  # operators see their colleagues' token labels
    # Who set up the tokens outside the API (the test's console actor) is not a token: its role.
    unnamed = [i["actor"] for i in items if i["actor"]["id"] == "test-setup"]
    assert unnamed
    assert {(x["name"], x["email"], x["label"]) for x in unnamed} == {("operator", None, None)}


def test_the_operation_filter_takes_the_short_name_too(
    api: TestClient, world: World, container: Container
) -> None:
    qualified = _logged(api, world.a.admin, container, operation="Device.Assigned")
    short = _logged(api, world.a.admin, container, operation="Assigned")
    assert len(qualified) == 2  # two devices assigned in company A
    assert short == qualified
    registered = _logged(api, world.a.admin, container, operation="Registered")
    assert {i["operation"] for i in registered} >= {"Device.Registered", "Member.Registered"}
    assert _logged(api, world.a.admin, container, operation="Device.Registered") == [
        i for i in registered if i["operation"] == "Device.Registered"
    ]
    assert _logged(api, world.a.admin, container, operation="NoSuchThing") == []
