"""Each read model's queries apply tenancy and roles themselves, whichever client calls them.

The world is built through the HTTP API (two companies, A and B, the projector running);
the queries are then called directly with a `Caller`, the way a route, the CLI or a
future console calls them. Another company's rows never show, and its ids answer exactly
like ids that do not exist; employees see only their own devices and no logs at all.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

import projections
from api.bootstrap import Container
from domain.model.actor import Actor, Caller, Role
from domain.model.errors import DomainError, NotAllowed, NotFound
from projections.charges import ChargeFilter, query_charges
from projections.directory import (
    CompanyFilter,
    MemberFilter,
    company_member_ids,
    query_caller_name,
    query_companies,
    query_company,
    query_members,
)
from projections.event_log import (
    EventLogFilter,
    query_device_events,
    query_event,
    query_event_log,
    query_rental_account_history,
    query_subscription_history,
)
from projections.hardware_overview import HardwareFilter, query_hardware
from projections.reading import Page, Views
from projections.rental_accounts import (
    RentalAccountFilter,
    query_key_batches,
    query_rental_accounts,
)
from projections.subscription_overview import (
    SubscriptionFilter,
    company_subscription_ids,
    query_subscriptions,
)
from projections.usage import MonthUsage, current_usage, month_usage
from tests.e2e._http import Tenant, TestClient, World, auth, created, head, settle, token_id

# A list query of one read model: (views, caller, the filter's fields) → a page after `after`.
ListQuery = Callable[[Views, Caller, dict[str, Any], int | None], Page]
LISTS: dict[str, ListQuery] = {
    "query_event_log": lambda v, c, f, after: query_event_log(
        v, c, EventLogFilter(**f, after=after, limit=7)
    ),
    "query_hardware": lambda v, c, f, after: query_hardware(
        v, c, HardwareFilter(**f, after=after, limit=1)
    ),
    "query_subscriptions": lambda v, c, f, after: query_subscriptions(
        v, c, SubscriptionFilter(**f, after=after, limit=1)
    ),
    "query_charges": lambda v, c, f, after: query_charges(
        v, c, ChargeFilter(**f, after=after, limit=1)
    ),
    "query_companies": lambda v, c, f, after: query_companies(
        v, c, CompanyFilter(**f, after=after, limit=1)
    ),
    "query_members": lambda v, c, f, after: query_members(
        v, c, MemberFilter(**f, after=after, limit=1)
    ),
}
# Queries whose tenancy is tested with their own read model's data (the world has none).
ELSEWHERE = {
    "query_invoices",  # tests/integration/test_invoices.py::test_invoice_reads_keep_to_the_tenant
    "invoice_detail",
}
# Queries of read models the world leaves empty (rental credits, usage): their tenancy is
# tested below, on rows made for both companies first.
OWN_DATA = {
    "query_rental_accounts",
    "query_rental_account_history",
    "query_key_batches",
    "month_usage",
    "current_usage",
}
# Who may run each list query at all (the others are refused whatever they ask).
LIST_READERS: dict[str, set[Role]] = {
    "query_event_log": {Role.OPERATOR, Role.ADMIN, Role.SERVICE},
    "query_hardware": {Role.OPERATOR, Role.ADMIN, Role.SERVICE, Role.EMPLOYEE},
    "query_subscriptions": {Role.OPERATOR, Role.ADMIN, Role.SERVICE},
    "query_charges": {Role.OPERATOR, Role.ADMIN},
    "query_companies": {Role.OPERATOR},
    "query_members": {Role.OPERATOR, Role.ADMIN},
}
# A query of one aggregate's rows, and which of a tenant's ids it is asked about.
OneQuery = Callable[[Views, Caller, UUID], Page]
ONE: dict[str, tuple[OneQuery, Callable[[Tenant], str]]] = {
    "query_device_events": (
        lambda v, c, i: query_device_events(v, c, i, limit=500),
        lambda t: t.device_of_employee,
    ),
    "query_subscription_history": (
        lambda v, c, i: query_subscription_history(v, c, i, limit=500),
        lambda t: t.subscription,
    ),
}

# Queries of one item (the console's): tested one by one below.
ONE_ITEM = {"query_event", "query_company", "query_caller_name"}

# Every id of one company's rows (a member file's export and import), the list query they
# follow, and the id field of its items.
IdsQuery = Callable[[Views, Caller, UUID], list[UUID]]
COMPANY_IDS: dict[str, tuple[IdsQuery, str, str]] = {
    "company_member_ids": (company_member_ids, "query_members", "member_id"),
    "company_subscription_ids": (
        company_subscription_ids,
        "query_subscriptions",
        "subscription_id",
    ),
}


def caller(role: Role, tenant: Tenant | None = None, member: str | None = None) -> Caller:
    return Caller(
        actor=Actor(f"test-{role.value}", role),
        company_id=UUID(tenant.company_id) if tenant else None,
        member_id=UUID(member) if member else None,
    )


def everything(views: Views, name: str, who: Caller, **fields: Any) -> list[dict[str, Any]]:
    """Every page of a list query, following its cursor (small pages on purpose)."""
    items: list[dict[str, Any]] = []
    after: int | None = None
    for _ in range(1000):
        page = LISTS[name](views, who, fields, after)
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        after = page.next_cursor
    raise AssertionError(f"{name}: pagination did not end")


def refusal(run: Callable[..., object], *args: Any, **kwargs: Any) -> DomainError:
    """The domain error `run(*args, **kwargs)` raises (it must raise one)."""
    with pytest.raises(DomainError) as raised:
        run(*args, **kwargs)
    return raised.value


def tenant_ids(tenant: Tenant) -> set[str]:
    return {tenant.company_id, tenant.subscription, *tenant.member_ids, *tenant.device_ids}


def test_every_query_that_takes_a_caller_is_in_these_tables() -> None:
    found = set()
    for package in pkgutil.iter_modules(projections.__path__):
        if not package.ispkg:
            continue
        try:
            queries = importlib.import_module(f"projections.{package.name}.queries")
        except ModuleNotFoundError:
            continue  # a read model without queries of its own (its reader is an adapter)
        for name, function in inspect.getmembers(queries, inspect.isfunction):
            public = not name.startswith("_") and function.__module__ == queries.__name__
            if public and "caller" in inspect.signature(function).parameters:
                found.add(name)
    assert "query_hardware" in found  # the scan works at all
    assert found == (
        LISTS.keys() | ONE.keys() | COMPANY_IDS.keys() | ELSEWHERE | OWN_DATA | ONE_ITEM
    )
    assert LIST_READERS.keys() == LISTS.keys()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SERVICE])
@pytest.mark.parametrize("name", LISTS)
def test_another_companys_caller_sees_none_of_its_rows(
    world: World, container: Container, name: str, role: Role
) -> None:
    a, b = world.a, world.b
    who = caller(role, b)
    if role not in LIST_READERS[name]:
        assert isinstance(refusal(everything, container.db, name, who), NotAllowed)
        return
    items = everything(container.db, name, who)
    assert items, "B has rows of its own"
    assert {i["company_id"] for i in items} == {b.company_id}
    assert not any(id_ in str(items) for id_ in tenant_ids(a))
    # Asking for A's company answers exactly like asking for one that does not exist.
    for_a = refusal(everything, container.db, name, who, company_id=UUID(a.company_id))
    unknown = refusal(everything, container.db, name, who, company_id=uuid4())
    assert isinstance(for_a, NotFound)
    assert (type(for_a), str(for_a)) == (type(unknown), str(unknown))
    own = everything(container.db, name, who, company_id=UUID(b.company_id))
    assert own == items


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SERVICE])
@pytest.mark.parametrize("name", COMPANY_IDS)
def test_a_companys_ids_are_its_list_querys_and_another_company_is_not_found(
    world: World, container: Container, name: str, role: Role
) -> None:
    a, b = world.a, world.b
    run, listed_by, field = COMPANY_IDS[name]
    who = caller(role, b)
    if role not in LIST_READERS[listed_by]:
        assert isinstance(refusal(run, container.db, who, UUID(b.company_id)), NotAllowed)
        return
    for_a = refusal(run, container.db, who, UUID(a.company_id))
    unknown = refusal(run, container.db, who, uuid4())
    assert isinstance(for_a, NotFound)
    assert (type(for_a), str(for_a)) == (type(unknown), str(unknown))
    own = run(container.db, who, UUID(b.company_id))
    assert own
    assert [str(i) for i in own] == [i[field] for i in everything(container.db, listed_by, who)]


def test_filters_naming_another_companys_ids_find_nothing(
    world: World, container: Container
) -> None:
    a, b = world.a, world.b
    db, admin_b = container.db, caller(Role.ADMIN, b)
    for aggregate in (a.device_of_employee, a.subscription, a.company_id, a.employee_member):
        found = everything(db, "query_event_log", admin_b, aggregate_id=UUID(aggregate))
        assert found == [], aggregate
    assert everything(db, "query_hardware", admin_b, assignee_id=UUID(a.employee_member)) == []
    # Both companies have a device "SN-0001": B only ever finds its own.
    by_serial = everything(db, "query_hardware", admin_b, serial="SN-0001")
    assert [i["device_id"] for i in by_serial] == [b.device_of_employee]
    for name in ("query_subscriptions", "query_charges"):
        assert everything(db, name, admin_b, subscription_id=UUID(a.subscription)) == [], name
        assert everything(db, name, admin_b, subscription_id=UUID(b.subscription)), name


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SERVICE])
@pytest.mark.parametrize("name", ONE)
def test_another_companys_aggregate_answers_like_a_missing_one(
    world: World, container: Container, name: str, role: Role
) -> None:
    a, b = world.a, world.b
    run, id_of = ONE[name]
    who = caller(role, b)
    foreign = refusal(run, container.db, who, UUID(id_of(a)))
    unknown = refusal(run, container.db, who, uuid4())
    other_kind = refusal(run, container.db, who, UUID(b.employee_member))
    assert isinstance(foreign, NotFound)
    assert (type(foreign), str(foreign)) == (type(unknown), str(unknown))
    assert (type(other_kind), str(other_kind)) == (type(unknown), str(unknown))
    assert id_of(a) not in str(foreign)
    own = run(container.db, who, UUID(id_of(b))).items
    assert own
    assert {i["aggregate_id"] for i in own} == {id_of(b)}
    assert {i["company_id"] for i in own} == {b.company_id}


def test_employees_see_only_their_own_devices(world: World, container: Container) -> None:
    a, b = world.a, world.b
    db = container.db
    for member, device in (
        (a.employee_member, a.device_of_employee),
        (a.other_employee_member, a.device_of_other_employee),
    ):
        who = caller(Role.EMPLOYEE, a, member)
        assert [i["device_id"] for i in everything(db, "query_hardware", who)] == [device]
        for fields in (
            {"company_id": UUID(a.company_id)},
            {"assignee_id": UUID(a.admin_member)},
            {"assignee_id": UUID(a.employee_member)},
            {"serial": "SN-0003"},  # the device in stock
        ):
            found = everything(db, "query_hardware", who, **fields)
            assert {i["device_id"] for i in found} <= {device}, fields
        for_b = refusal(everything, db, "query_hardware", who, company_id=UUID(b.company_id))
        assert isinstance(for_b, NotFound)


def test_employees_read_no_logs_subscriptions_or_charges(
    world: World, container: Container
) -> None:
    a, b = world.a, world.b
    db, who = container.db, caller(Role.EMPLOYEE, a, a.employee_member)
    for name in ("query_event_log", "query_subscriptions", "query_charges"):
        assert isinstance(refusal(everything, db, name, who), NotAllowed), name
    # A device's log is refused whatever the id, so an employee learns nothing from it.
    for device in (a.device_of_employee, b.device_of_employee, str(uuid4())):
        assert isinstance(refusal(query_device_events, db, who, UUID(device)), NotAllowed)
    # Subscriptions are invisible to employees: their own company's is "not found" too.
    own = refusal(query_subscription_history, db, who, UUID(a.subscription))
    unknown = refusal(query_subscription_history, db, who, uuid4())
    assert isinstance(own, NotFound)
    assert str(own) == str(unknown)


def test_the_operator_sees_every_company_or_the_one_asked_for(
    world: World, container: Container
) -> None:
    a, b = world.a, world.b
    db, operator = container.db, caller(Role.OPERATOR)
    for name in LISTS:
        companies = {i["company_id"] for i in everything(db, name, operator)}
        assert {a.company_id, b.company_id} <= companies, name
        only_a = everything(db, name, operator, company_id=UUID(a.company_id))
        assert only_a, name
        assert {i["company_id"] for i in only_a} == {a.company_id}, name
    for name, (run, id_of) in ONE.items():
        for tenant in (a, b):
            assert run(db, operator, UUID(id_of(tenant))).items, (name, tenant.company_id)
        assert isinstance(refusal(run, db, operator, uuid4()), NotFound), name


def _credits_and_usage_for_both(api: TestClient, world: World, container: Container) -> None:
    """A redeemed key and a usage change in each of A and B, folded by their read models."""
    for tenant in (world.a, world.b):
        issued = api.post(
            "/v1/activation-keys",
            json={"credits": 5, "count": 1, "company_id": tenant.company_id},
            headers=auth(world.operator),
        )
        [code] = created(issued)["codes"]
        redeemed = api.post(
            "/v1/rental-account/redemptions", json={"code": code}, headers=auth(tenant.admin)
        )
        assert redeemed.status_code == 201, redeemed.text
        change = {
            "company_id": tenant.company_id,
            "change_id": f"tenancy-{tenant.company_id}",
            "kind": "superuser",
            "entity_id": f"user-of-{tenant.company_id}",
            "action": "activated",
            "at": MONTH_START.isoformat(),
        }
        recorded = api.post("/v1/usage/changes", json=change, headers=auth(tenant.admin))
        assert recorded.status_code == 200, recorded.text
    settle(api, container, world.operator)  # the event log among them
    reached = {"min_position": head(container), "company_id": world.a.company_id}
    for path in ("/v1/rental-accounts", "/v1/usage/current"):
        folded = api.get(path, params=reached, headers=auth(world.operator))
        assert folded.status_code == 200, folded.text


MONTH_START = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _count(usage: MonthUsage) -> int:
    return {k.kind: k.count for k in usage.kinds}["superuser"]


def _same_refusal(run: Callable[..., object], foreign: Any, unknown: Any, *args: Any) -> None:
    for_a, missing = refusal(run, *args, foreign), refusal(run, *args, unknown)
    assert isinstance(for_a, NotFound)
    assert (type(for_a), str(for_a)) == (type(missing), str(missing))
    assert str(foreign) not in str(for_a)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SERVICE])
def test_rental_credit_and_usage_queries_keep_to_the_callers_company(
    api: TestClient, world: World, container: Container, role: Role
) -> None:
    _credits_and_usage_for_both(api, world, container)
    a, b, db = world.a, world.b, container.db
    who = caller(role, b)
    # The accounts: B's only; naming A's company answers like a company that does not exist.
    accounts = query_rental_accounts(db, who, RentalAccountFilter()).items
    assert [i["company_id"] for i in accounts] == [b.company_id]
    for_a = refusal(query_rental_accounts, db, who, RentalAccountFilter(UUID(a.company_id)))
    unknown = refusal(query_rental_accounts, db, who, RentalAccountFilter(uuid4()))
    assert isinstance(for_a, NotFound)
    assert (type(for_a), str(for_a)) == (type(unknown), str(unknown))
    # The account's history: B's own events; A's company is not found.
    own = query_rental_account_history(db, who, UUID(b.company_id)).items
    assert own
    assert {i["company_id"] for i in own} == {b.company_id}
    assert {i["aggregate_id"] for i in own} == {accounts[0]["account_id"]}
    _same_refusal(query_rental_account_history, UUID(a.company_id), uuid4(), db, who)
    # Usage: B's month and running count; A's company is not found.
    march = date(2026, 3, 1)
    assert month_usage(db, who, None, march).to_json()["company_id"] == b.company_id
    assert _count(month_usage(db, who, None, march)) == 1
    assert current_usage(db, who, None, MONTH_START).company_id == UUID(b.company_id)
    for run in (
        lambda company: month_usage(db, who, company, march),
        lambda company: current_usage(db, who, company, MONTH_START),
    ):
        _same_refusal(run, UUID(a.company_id), uuid4())
    # Key batches are the provider's: no company's caller lists them.
    assert isinstance(refusal(query_key_batches, db, who), NotAllowed)


def test_rental_credit_and_usage_queries_for_employees_and_the_operator(
    api: TestClient, world: World, container: Container
) -> None:
    _credits_and_usage_for_both(api, world, container)
    a, b, db = world.a, world.b, container.db
    employee = caller(Role.EMPLOYEE, a, a.employee_member)
    march = date(2026, 3, 1)
    for run in (
        lambda: query_rental_accounts(db, employee, RentalAccountFilter()),
        lambda: query_rental_account_history(db, employee, UUID(a.company_id)),
        lambda: query_key_batches(db, employee),
        lambda: month_usage(db, employee, None, march),
        lambda: current_usage(db, employee, None, MONTH_START),
    ):
        assert isinstance(refusal(run), NotAllowed)
    operator = caller(Role.OPERATOR)
    listed = query_rental_accounts(db, operator, RentalAccountFilter()).items
    assert {i["company_id"] for i in listed} >= {a.company_id, b.company_id}
    only_a = query_rental_accounts(db, operator, RentalAccountFilter(UUID(a.company_id))).items
    assert [i["company_id"] for i in only_a] == [a.company_id]
    batches = query_key_batches(db, operator).items
    assert {i["company_id"] for i in batches} >= {a.company_id, b.company_id}
    for tenant in (a, b):
        history = query_rental_account_history(db, operator, UUID(tenant.company_id)).items
        assert {i["company_id"] for i in history} == {tenant.company_id}
        usage = month_usage(db, operator, UUID(tenant.company_id), march)
        assert usage.company_id == UUID(tenant.company_id)
        assert _count(usage) == 1


def test_one_event_of_another_company_answers_like_a_missing_one(
    world: World, container: Container
) -> None:
    a, b, db = world.a, world.b, container.db
    operator = caller(Role.OPERATOR)
    of_a = everything(db, "query_event_log", operator, company_id=UUID(a.company_id))[-1]
    of_b = everything(db, "query_event_log", operator, company_id=UUID(b.company_id))[-1]
    # The item is the list's own, the actor named alike.
    assert query_event(db, operator, of_a["position"]) == of_a
    admin_b = caller(Role.ADMIN, b)
    assert query_event(db, admin_b, of_b["position"]) == of_b
    foreign = refusal(query_event, db, admin_b, of_a["position"])
    missing = refusal(query_event, db, admin_b, head(container) + 1000)
    assert isinstance(foreign, NotFound)
    assert (type(foreign), str(foreign)) == (type(missing), str(missing))
    # Provider-wide events (the catalog) belong to no company: operators only.
    catalog = everything(db, "query_event_log", operator, aggregate_type="Product")[0]
    assert query_event(db, operator, catalog["position"])["company_id"] is None
    assert isinstance(refusal(query_event, db, admin_b, catalog["position"]), NotFound)
    employee = caller(Role.EMPLOYEE, b, b.employee_member)
    assert isinstance(refusal(query_event, db, employee, of_b["position"]), NotAllowed)


def test_one_company_is_its_own_peoples_and_the_operators(
    world: World, container: Container
) -> None:
    a, b, db = world.a, world.b, container.db
    for who in (caller(Role.OPERATOR), caller(Role.ADMIN, b), caller(Role.EMPLOYEE, b)):
        assert query_company(db, who, UUID(b.company_id))["name"] == "Company B"
    foreign = refusal(query_company, db, caller(Role.ADMIN, b), UUID(a.company_id))
    missing = refusal(query_company, db, caller(Role.ADMIN, b), uuid4())
    assert isinstance(foreign, NotFound)
    assert (type(foreign), str(foreign)) == (type(missing), str(missing))
    assert isinstance(refusal(query_company, db, caller(Role.OPERATOR), uuid4()), NotFound)


def test_the_caller_is_named_as_the_event_log_names_actors(
    world: World, container: Container
) -> None:
    b, db = world.b, container.db
    admin = Caller(Actor(token_id(b.admin), Role.ADMIN), UUID(b.company_id), UUID(b.admin_member))
    named = query_caller_name(db, admin)
    assert (named["name"], named["email"]) == ("Admin B", "admin@b.example")
    stranger = query_caller_name(db, caller(Role.OPERATOR))  # a token the directory lacks
    assert stranger["name"] == "operator"
