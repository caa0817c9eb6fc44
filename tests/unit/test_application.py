"""The application, in memory: tenancy, roles, uniqueness, versions, idempotency, concurrency."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from domain.application import CommandContext, Idempotency, LessorApplication, Outcome
from domain.model.actor import Actor, Caller, Role
from domain.model.company import DEFAULT_SETTINGS, Company
from domain.model.device import ContractType, Device, DeviceStatus
from domain.model.errors import (
    AlreadyExists,
    IdempotencyKeyReused,
    InvalidValue,
    NotAllowed,
    NotFound,
    RuleViolation,
    VersionConflict,
)
from domain.model.events import Cause
from domain.model.member import Member
from domain.model.money import Money
from tests.apps import in_memory_app

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OPERATOR = Caller(actor=Actor("tok-operator", Role.OPERATOR), company_id=None)


def ctx(
    caller: Caller,
    *,
    idempotency: Idempotency | None = None,
    expected_version: int | None = None,
    correlation_id: str = "req-1",
) -> CommandContext:
    return CommandContext(
        caller=caller,
        cause=Cause(actor=caller.actor, at=T0, correlation_id=correlation_id),
        idempotency=idempotency,
        expected_version=expected_version,
    )


@dataclass
class Tenant:
    """A company as its callers see it: an admin, a service, one employee and two devices."""

    company_id: UUID
    admin: Caller
    service: Caller
    employee_id: UUID
    employee: Caller
    in_stock_id: UUID  # a device nobody holds (version 1)
    held_id: UUID  # a device the employee holds (version 2)


def a_company(app: LessorApplication, name: str, currency: str = "SEK") -> UUID:
    return app.companies.register(
        ctx(OPERATOR),
        name=name,
        currency=currency,
        time_zone="Europe/Stockholm",
        vat_rate=Decimal("25"),
        settings={},
    ).subject_id


def a_member(
    app: LessorApplication, caller: Caller, company_id: UUID, email: str, name: str = "Ann"
) -> UUID:
    return app.members.register(
        ctx(caller),
        company_id=company_id,
        email=email,
        name=name,
        role=Role.EMPLOYEE,
        last_employment_day=None,
    ).subject_id


def register_device(
    app: LessorApplication, context: CommandContext, company_id: UUID, serial: str = "SN-1"
) -> Outcome:
    return app.devices.register(
        context,
        company_id=company_id,
        serial=serial,
        model="ThinkPad X1",
        category="laptop",
        company_cost=Money(1_500_000, "SEK"),
        contract_type=ContractType.PURCHASED,
        lease_start=None,
        renewal_date=None,
    )


def a_device(
    app: LessorApplication, caller: Caller, company_id: UUID, serial: str = "SN-1"
) -> UUID:
    return register_device(app, ctx(caller), company_id, serial).subject_id


def a_tenant(app: LessorApplication, name: str) -> Tenant:
    company_id = a_company(app, name)
    slug = name.split()[0].lower()
    admin = Caller(actor=Actor(f"tok-{slug}-admin", Role.ADMIN), company_id=company_id)
    employee_id = a_member(app, admin, company_id, f"ann@{slug}.example")
    held_id = a_device(app, admin, company_id, "SN-HELD")
    app.devices.assign(ctx(admin), held_id, employee_id)
    return Tenant(
        company_id=company_id,
        admin=admin,
        service=Caller(actor=Actor(f"tok-{slug}-svc", Role.SERVICE), company_id=company_id),
        employee_id=employee_id,
        employee=Caller(
            actor=Actor(f"tok-{slug}-ann", Role.EMPLOYEE),
            company_id=company_id,
            member_id=employee_id,
        ),
        in_stock_id=a_device(app, admin, company_id, "SN-STOCK"),
        held_id=held_id,
    )


@pytest.fixture
def app() -> LessorApplication:
    return in_memory_app()


@pytest.fixture
def acme(app: LessorApplication) -> Tenant:
    return a_tenant(app, "Acme AB")


@pytest.fixture
def globex(app: LessorApplication) -> Tenant:
    return a_tenant(app, "Globex Inc")


def head(app: LessorApplication) -> int:
    return app.recorder.max_notification_id() or 0


# --- registering --------------------------------------------------------------------------


def test_an_operator_registers_a_company_at_version_one(app: LessorApplication) -> None:
    outcome = app.companies.register(
        ctx(OPERATOR),
        name="Acme AB",
        currency="SEK",
        time_zone="Europe/Stockholm",
        vat_rate=Decimal("25"),
        settings={"device_buyout": True},
    )

    assert (outcome.version, outcome.created, outcome.replayed) == (1, True, False)
    assert outcome.position == head(app) == 1
    company = app.companies.read(OPERATOR, outcome.subject_id)
    assert company.name == "Acme AB"
    assert company.settings == {**DEFAULT_SETTINGS, "device_buyout": True}


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SERVICE, Role.EMPLOYEE])
def test_only_an_operator_registers_companies(app: LessorApplication, role: Role) -> None:
    caller = Caller(actor=Actor("tok", role), company_id=UUID(int=1), member_id=UUID(int=2))

    with pytest.raises(NotAllowed):
        app.companies.register(
            ctx(caller),
            name="Acme AB",
            currency="SEK",
            time_zone="Europe/Stockholm",
            vat_rate=Decimal("25"),
            settings={},
        )

    assert head(app) == 0


def test_an_admin_registers_a_member_and_a_device_in_their_company(
    app: LessorApplication, acme: Tenant
) -> None:
    member_id = a_member(app, acme.admin, acme.company_id, "Bob@Acme.example ")
    device_id = a_device(app, acme.admin, acme.company_id, serial="SN-42")

    member = app.members.get(acme.admin, member_id)
    assert (member.email, member.company_id) == ("bob@acme.example", acme.company_id)
    assert app.members.find_by_email(acme.company_id, "BOB@acme.example") == member
    device = app.devices.get(acme.admin, device_id)
    assert (device.serial, device.status, device.company_id) == (
        "SN-42",
        DeviceStatus.IN_STOCK,
        acme.company_id,
    )


def test_a_command_stamps_its_events_with_the_callers_actor_and_the_request(
    app: LessorApplication, acme: Tenant
) -> None:
    device_id = register_device(
        app, ctx(acme.service, correlation_id="req-77"), acme.company_id
    ).subject_id

    [registered] = app.events.get(device_id)

    assert registered.actor == acme.service.actor
    assert registered.at == T0
    assert registered.correlation_id == "req-77"
    assert registered.company_id == acme.company_id


def test_a_device_must_cost_in_its_companys_currency(app: LessorApplication, acme: Tenant) -> None:
    before = head(app)

    with pytest.raises(InvalidValue, match=r"company's currency \(SEK\)"):
        app.devices.register(
            ctx(acme.admin),
            company_id=acme.company_id,
            serial="SN-1",
            model="ThinkPad X1",
            category="laptop",
            company_cost=Money(1_500_00, "EUR"),
            contract_type=ContractType.PURCHASED,
            lease_start=None,
            renewal_date=None,
        )

    assert head(app) == before


def test_the_committed_position_is_announced_to_listeners(
    app: LessorApplication, acme: Tenant
) -> None:
    heard: list[int] = []
    app.committed_listeners.append(heard.append)

    outcome = register_device(app, ctx(acme.admin), acme.company_id)

    assert heard == [outcome.position] == [head(app)]


# --- tenancy ------------------------------------------------------------------------------

Reach = Callable[[LessorApplication, Caller, Tenant], Any]

READS_AND_COMMANDS: dict[str, Reach] = {
    "read company": lambda app, who, t: app.companies.read(who, t.company_id),
    "load company": lambda app, who, t: app.companies.get(who, t.company_id),
    "change company": lambda app, who, t: app.companies.change(
        ctx(who), t.company_id, name="Taken over"
    ),
    "read member": lambda app, who, t: app.members.get(who, t.employee_id),
    "register member": lambda app, who, t: a_member(app, who, t.company_id, "eve@evil.example"),
    "set last day": lambda app, who, t: app.members.set_last_employment_day(
        ctx(who), t.employee_id, date(2026, 4, 30)
    ),
    "read device": lambda app, who, t: app.devices.get(who, t.held_id),
    "register device": lambda app, who, t: a_device(app, who, t.company_id, "SN-EVIL"),
    "assign device": lambda app, who, t: app.devices.assign(ctx(who), t.in_stock_id, t.employee_id),
    "unassign device": lambda app, who, t: app.devices.unassign(ctx(who), t.held_id),
}


@pytest.mark.parametrize("reach", READS_AND_COMMANDS.values(), ids=READS_AND_COMMANDS.keys())
def test_another_companys_admin_finds_nothing_and_changes_nothing(
    app: LessorApplication, acme: Tenant, globex: Tenant, reach: Reach
) -> None:
    before = head(app)

    with pytest.raises(NotFound, match="not found"):
        reach(app, globex.admin, acme)

    assert head(app) == before


@pytest.mark.parametrize("reach", READS_AND_COMMANDS.values(), ids=READS_AND_COMMANDS.keys())
def test_what_another_company_cannot_reach_its_own_admin_can(
    app: LessorApplication, acme: Tenant, reach: Reach
) -> None:
    reach(app, acme.admin, acme)


def test_another_tenants_device_answers_exactly_like_a_missing_one(
    app: LessorApplication, acme: Tenant, globex: Tenant
) -> None:
    with pytest.raises(NotFound) as other_tenants:
        app.devices.get(globex.admin, acme.in_stock_id)
    with pytest.raises(NotFound) as missing:
        app.devices.get(globex.admin, UUID(int=404))

    assert other_tenants.value.detail == missing.value.detail == "Device not found."


def test_a_cross_tenant_assignment_leaves_the_device_as_it_was(
    app: LessorApplication, acme: Tenant, globex: Tenant
) -> None:
    with pytest.raises(NotFound):
        app.devices.assign(ctx(globex.admin), acme.in_stock_id, globex.employee_id)

    device = app.devices.get(acme.admin, acme.in_stock_id)
    assert (device.version, device.assignee_id) == (1, None)


def test_a_device_cannot_be_assigned_to_another_companys_member(
    app: LessorApplication, acme: Tenant, globex: Tenant
) -> None:
    with pytest.raises(NotFound, match="Member not found"):
        app.devices.assign(ctx(acme.admin), acme.in_stock_id, globex.employee_id)

    assert app.devices.get(acme.admin, acme.in_stock_id).assignee_id is None


def test_an_operator_reaches_every_company(
    app: LessorApplication, acme: Tenant, globex: Tenant
) -> None:
    for tenant in (acme, globex):
        app.devices.assign(ctx(OPERATOR), tenant.in_stock_id, tenant.employee_id)
        app.companies.change(ctx(OPERATOR), tenant.company_id, vat_rate=Decimal("12"))
        assert app.members.get(OPERATOR, tenant.employee_id).company_id == tenant.company_id
        assert app.devices.get(OPERATOR, tenant.in_stock_id).assignee_id == tenant.employee_id
        assert app.companies.read(OPERATOR, tenant.company_id).vat_rate == Decimal("12")


# --- employees and services -------------------------------------------------------------------


def test_an_employee_sees_the_device_assigned_to_them(app: LessorApplication, acme: Tenant) -> None:
    device = app.devices.get(acme.employee, acme.held_id)

    assert device.assignee_id == acme.employee_id


def test_an_employee_does_not_see_a_device_in_stock_or_held_by_a_colleague(
    app: LessorApplication, acme: Tenant
) -> None:
    colleague = a_member(app, acme.admin, acme.company_id, "bob@acme.example", "Bob")
    bobs = a_device(app, acme.admin, acme.company_id, "SN-BOB")
    app.devices.assign(ctx(acme.admin), bobs, colleague)

    for device_id in (acme.in_stock_id, bobs):
        with pytest.raises(NotFound, match="Device not found"):
            app.devices.get(acme.employee, device_id)


def test_an_employee_loses_sight_of_a_device_handed_back(
    app: LessorApplication, acme: Tenant
) -> None:
    app.devices.unassign(ctx(acme.admin), acme.held_id)

    with pytest.raises(NotFound):
        app.devices.get(acme.employee, acme.held_id)


def test_an_employee_sees_their_own_member_record_only(
    app: LessorApplication, acme: Tenant
) -> None:
    colleague = a_member(app, acme.admin, acme.company_id, "bob@acme.example", "Bob")

    assert app.members.get(acme.employee, acme.employee_id).id == acme.employee_id
    with pytest.raises(NotFound, match="Member not found"):
        app.members.get(acme.employee, colleague)


@pytest.mark.parametrize(
    "reach",
    [
        lambda app, t: app.companies.read(t.employee, t.company_id),
        lambda app, t: app.companies.change(ctx(t.employee), t.company_id, name="Mine"),
        lambda app, t: a_member(app, t.employee, t.company_id, "friend@acme.example"),
        lambda app, t: a_device(app, t.employee, t.company_id, "SN-MINE"),
        lambda app, t: app.devices.unassign(ctx(t.employee), t.held_id),
    ],
    ids=["read company", "change company", "register member", "register device", "unassign"],
)
def test_an_employee_may_not_manage_the_company(
    app: LessorApplication, acme: Tenant, reach: Callable[[LessorApplication, Tenant], Any]
) -> None:
    with pytest.raises(NotAllowed):
        reach(app, acme)


def test_a_service_may_not_change_the_company(app: LessorApplication, acme: Tenant) -> None:
    before = head(app)

    with pytest.raises(NotAllowed, match="'service' may not"):
        app.companies.change(ctx(acme.service), acme.company_id, vat_rate=Decimal("12"))

    assert head(app) == before


def test_a_service_may_not_register_members(app: LessorApplication, acme: Tenant) -> None:
    before = head(app)

    with pytest.raises(NotAllowed, match="'service' may not"):
        a_member(app, acme.service, acme.company_id, "bot@acme.example")

    assert head(app) == before


def test_a_service_manages_devices_and_reads_the_company(
    app: LessorApplication, acme: Tenant
) -> None:
    device_id = a_device(app, acme.service, acme.company_id)
    app.devices.assign(ctx(acme.service), device_id, acme.employee_id)
    app.devices.unassign(ctx(acme.service), device_id)

    assert app.devices.get(acme.service, device_id).version == 3
    assert app.companies.read(acme.service, acme.company_id).name == "Acme AB"


# --- uniqueness -------------------------------------------------------------------------------


@pytest.mark.parametrize("again", ["SN-1", "sn-1", "  Sn-1 "])
def test_a_serial_is_registered_once_per_company_whatever_its_case(
    app: LessorApplication, acme: Tenant, again: str
) -> None:
    a_device(app, acme.admin, acme.company_id, "SN-1")
    before = head(app)

    with pytest.raises(AlreadyExists, match="device serial"):
        a_device(app, acme.service, acme.company_id, again)

    assert head(app) == before


def test_the_same_serial_is_fine_in_another_company(
    app: LessorApplication, acme: Tenant, globex: Tenant
) -> None:
    mine = a_device(app, acme.admin, acme.company_id, "SN-1")

    theirs = a_device(app, globex.admin, globex.company_id, "SN-1")

    assert theirs != mine


@pytest.mark.parametrize("again", ["ann@acme.example", "ANN@Acme.Example", " ann@acme.example "])
def test_an_email_is_registered_once_per_company(
    app: LessorApplication, acme: Tenant, again: str
) -> None:
    before = head(app)

    with pytest.raises(AlreadyExists, match="member email"):
        a_member(app, acme.admin, acme.company_id, again)

    assert head(app) == before


def test_the_same_email_is_fine_in_another_company(
    app: LessorApplication, acme: Tenant, globex: Tenant
) -> None:
    a_member(app, acme.admin, acme.company_id, "consultant@example.com")

    member_id = a_member(app, globex.admin, globex.company_id, "consultant@example.com")

    assert app.members.find_by_email(
        globex.company_id, "consultant@example.com"
    ) == app.members.get(globex.admin, member_id)


# --- expected versions ------------------------------------------------------------------------


def test_a_command_at_the_expected_version_goes_through(
    app: LessorApplication, acme: Tenant
) -> None:
    device_id = a_device(app, acme.admin, acme.company_id)

    outcome = app.devices.assign(ctx(acme.admin, expected_version=1), device_id, acme.employee_id)

    assert (outcome.subject_id, outcome.version, outcome.created) == (device_id, 2, False)


Command = Callable[[LessorApplication, Tenant, CommandContext], Any]


@pytest.mark.parametrize(
    ("command", "current"),
    [
        (lambda app, t, c: app.companies.change(c, t.company_id, name="Acme Group"), 1),
        (
            lambda app, t, c: app.members.set_last_employment_day(
                c, t.employee_id, date(2026, 5, 31)
            ),
            1,
        ),
        (lambda app, t, c: app.devices.assign(c, t.in_stock_id, t.employee_id), 1),
        (lambda app, t, c: app.devices.unassign(c, t.held_id), 2),
    ],
    ids=["change company", "set last day", "assign device", "unassign device"],
)
@pytest.mark.parametrize("offset", [-1, +1, +5])
def test_a_command_at_a_stale_version_is_refused_with_the_current_one_and_saves_nothing(
    app: LessorApplication, acme: Tenant, command: Command, current: int, offset: int
) -> None:
    before = head(app)

    with pytest.raises(VersionConflict) as refused:
        command(app, acme, ctx(acme.admin, expected_version=current + offset))

    assert refused.value.current_version == current
    assert refused.value.detail == (
        f"Expected version {current + offset}, but it is at version {current}."
    )
    assert head(app) == before


def test_two_clients_who_read_the_same_version_cannot_both_act_on_it(
    app: LessorApplication, acme: Tenant
) -> None:
    device_id = a_device(app, acme.admin, acme.company_id)
    read_by_first = app.devices.get(acme.admin, device_id).version
    read_by_second = app.devices.get(acme.service, device_id).version

    app.devices.assign(ctx(acme.admin, expected_version=read_by_first), device_id, acme.employee_id)
    with pytest.raises(VersionConflict) as refused:
        app.devices.unassign(ctx(acme.service, expected_version=read_by_second), device_id)

    assert refused.value.current_version == 2
    assert app.devices.get(acme.admin, device_id).assignee_id == acme.employee_id


def test_saving_a_change_made_on_a_stale_copy_is_an_integrity_error(
    app: LessorApplication, acme: Tenant
) -> None:
    device_id = a_device(app, acme.admin, acme.company_id)
    colleague = a_member(app, acme.admin, acme.company_id, "bob@acme.example", "Bob")
    first: Device = app.repository.get(device_id)
    second: Device = app.repository.get(device_id)
    cause = Cause(actor=acme.admin.actor, at=T0, correlation_id="race")

    first.assign(acme.employee_id, cause=cause)
    app.save(first)
    second.assign(colleague, cause=cause)
    before = head(app)
    with pytest.raises(IntegrityError):
        app.save(second)

    assert head(app) == before
    assert app.repository.get(device_id).assignee_id == acme.employee_id


class RacingApplication(LessorApplication):
    """A store another request commits to first: `competitor` runs just before our next save.

    Only the library's `save` is wrapped, so everything of ours runs as in production.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.competitor: Callable[[], Any] | None = None

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        competitor, self.competitor = self.competitor, None
        if competitor is not None:
            competitor()
        return super().save(*objs, **kwargs)


@pytest.fixture
def racing() -> RacingApplication:
    return in_memory_app(RacingApplication)


def test_of_two_requests_for_one_serial_at_once_the_later_is_told_it_exists(
    racing: RacingApplication,
) -> None:
    acme = a_tenant(racing, "Acme AB")
    racing.competitor = lambda: a_device(racing, acme.service, acme.company_id, "sn-race")

    with pytest.raises(AlreadyExists, match="device serial 'SN-RACE'"):
        a_device(racing, acme.admin, acme.company_id, "SN-RACE")

    devices = [n for n in racing.recorder.select_notifications(1, 1000) if "Device.Reg" in n.topic]
    assert len(devices) == 3  # the tenant's two, and the winner


def test_of_two_requests_for_one_email_at_once_the_later_is_told_it_exists(
    racing: RacingApplication,
) -> None:
    acme = a_tenant(racing, "Acme AB")
    racing.competitor = lambda: a_member(racing, OPERATOR, acme.company_id, "bob@acme.example")

    with pytest.raises(AlreadyExists, match="member email"):
        a_member(racing, acme.admin, acme.company_id, "BOB@acme.example")


def test_of_two_changes_to_one_device_at_once_the_later_with_an_expected_version_conflicts(
    racing: RacingApplication,
) -> None:
    acme = a_tenant(racing, "Acme AB")
    colleague = a_member(racing, acme.admin, acme.company_id, "bob@acme.example", "Bob")
    racing.competitor = lambda: racing.devices.assign(
        ctx(acme.service), acme.in_stock_id, acme.employee_id
    )

    with pytest.raises(VersionConflict) as refused:
        racing.devices.assign(ctx(acme.admin, expected_version=1), acme.in_stock_id, colleague)

    assert refused.value.current_version == 2
    assert racing.devices.get(acme.admin, acme.in_stock_id).assignee_id == acme.employee_id


def test_a_change_without_an_expected_version_that_lost_a_race_is_decided_again(
    racing: RacingApplication,
) -> None:
    """The run again reloads and re-checks the rules: on the new state, this one breaks one."""
    acme = a_tenant(racing, "Acme AB")
    colleague = a_member(racing, acme.admin, acme.company_id, "bob@acme.example", "Bob")
    racing.competitor = lambda: racing.devices.assign(
        ctx(acme.service), acme.in_stock_id, acme.employee_id
    )
    after_competitor = head(racing) + 1

    with pytest.raises(RuleViolation, match="assigned to someone else"):
        racing.devices.assign(ctx(acme.admin), acme.in_stock_id, colleague)

    assert head(racing) == after_competitor
    assert racing.devices.get(acme.admin, acme.in_stock_id).assignee_id == acme.employee_id


def test_a_change_without_an_expected_version_that_lost_a_race_is_done_on_the_new_state(
    racing: RacingApplication,
) -> None:
    acme = a_tenant(racing, "Acme AB")
    racing.competitor = lambda: racing.devices.assign(
        ctx(acme.service), acme.in_stock_id, acme.employee_id
    )

    done = racing.valuation.set_buyout_availability(ctx(acme.admin), acme.in_stock_id, False)

    device = racing.devices.get(acme.admin, acme.in_stock_id)
    assert (done.version, device.version) == (3, 3)
    assert (device.assignee_id, device.buyout_available) == (acme.employee_id, False)


def test_a_command_that_loses_every_race_gives_up_after_a_bounded_number_of_runs(
    racing: RacingApplication,
) -> None:
    acme = a_tenant(racing, "Acme AB")
    pauses: list[int] = []
    racing.pause_before_retry = pauses.append
    rivals = iter([False, True] * 10)

    def competitor() -> None:  # before each of our saves, another request changes the device
        racing.valuation.set_buyout_availability(ctx(acme.service), acme.in_stock_id, next(rivals))
        racing.competitor = competitor  # and again before the next one

    racing.competitor = competitor

    with pytest.raises(VersionConflict):
        racing.devices.assign(ctx(acme.admin), acme.in_stock_id, acme.employee_id)

    assert pauses == [1, 2, 3, 4]  # five runs in all, each retry after a longer pause bound
    assert racing.devices.get(acme.admin, acme.in_stock_id).assignee_id is None


def test_the_same_request_sent_twice_at_once_is_done_once_and_replayed_to_the_other(
    racing: RacingApplication,
) -> None:
    acme = a_tenant(racing, "Acme AB")
    key = Idempotency(key="double-click", request_hash="h-1")
    first: list[Outcome] = []
    racing.competitor = lambda: first.append(
        register_device(racing, ctx(acme.admin, idempotency=key), acme.company_id, "SN-9")
    )

    second = register_device(racing, ctx(acme.admin, idempotency=key), acme.company_id, "SN-9")

    assert second.replayed
    assert (second.subject_id, second.version) == (first[0].subject_id, first[0].version)


def test_a_different_request_racing_under_the_same_key_is_refused(
    racing: RacingApplication,
) -> None:
    acme = a_tenant(racing, "Acme AB")
    racing.competitor = lambda: register_device(
        racing, ctx(acme.admin, idempotency=Idempotency("k", "h-1")), acme.company_id, "SN-8"
    )

    with pytest.raises(IdempotencyKeyReused):
        register_device(
            racing, ctx(acme.admin, idempotency=Idempotency("k", "h-2")), acme.company_id, "SN-9"
        )


# --- idempotency ------------------------------------------------------------------------------


def test_a_retried_request_replays_its_outcome_without_recording_anything(
    app: LessorApplication, acme: Tenant
) -> None:
    key = Idempotency(key="k-1", request_hash="h-1")
    first = register_device(app, ctx(acme.admin, idempotency=key), acme.company_id)
    after_first = head(app)

    retried = register_device(app, ctx(acme.admin, idempotency=key), acme.company_id)

    assert retried.replayed
    assert not first.replayed
    assert (retried.subject_id, retried.version, retried.created) == (
        first.subject_id,
        first.version,
        first.created,
    )
    assert head(app) == after_first


def test_a_retry_replays_the_version_reached_then_even_after_the_subject_moved_on(
    app: LessorApplication, acme: Tenant
) -> None:
    device_id = a_device(app, acme.admin, acme.company_id)
    key = Idempotency(key="assign-1", request_hash="h-assign")
    first = app.devices.assign(ctx(acme.admin, idempotency=key), device_id, acme.employee_id)
    app.devices.unassign(ctx(acme.admin), device_id)
    before = head(app)

    retried = app.devices.assign(ctx(acme.admin, idempotency=key), device_id, acme.employee_id)

    assert retried.replayed
    assert (retried.subject_id, retried.version) == (device_id, first.version) == (device_id, 2)
    assert head(app) == before
    assert app.devices.get(acme.admin, device_id).assignee_id is None  # not re-assigned


def test_a_retry_is_replayed_even_when_the_request_would_now_be_refused(
    app: LessorApplication, acme: Tenant
) -> None:
    key = Idempotency(key="k-1", request_hash="h-1")
    first = register_device(app, ctx(acme.admin, idempotency=key), acme.company_id, "SN-1")

    retried = register_device(app, ctx(acme.admin, idempotency=key), acme.company_id, "SN-1")

    assert retried.subject_id == first.subject_id  # not AlreadyExists


def test_a_key_reused_for_a_different_request_is_refused(
    app: LessorApplication, acme: Tenant
) -> None:
    register_device(app, ctx(acme.admin, idempotency=Idempotency("k-1", "h-1")), acme.company_id)
    before = head(app)

    with pytest.raises(IdempotencyKeyReused):
        register_device(
            app, ctx(acme.admin, idempotency=Idempotency("k-1", "h-2")), acme.company_id, "SN-2"
        )

    assert head(app) == before


def test_a_key_reused_for_another_operation_is_refused(
    app: LessorApplication, acme: Tenant
) -> None:
    device_id = register_device(
        app, ctx(acme.admin, idempotency=Idempotency("k-1", "h-1")), acme.company_id
    ).subject_id

    with pytest.raises(IdempotencyKeyReused):
        app.devices.assign(
            ctx(acme.admin, idempotency=Idempotency("k-1", "h-1")), device_id, acme.employee_id
        )


def test_the_same_key_from_another_caller_is_a_request_of_its_own(
    app: LessorApplication, acme: Tenant
) -> None:
    key = Idempotency(key="k-1", request_hash="h-1")
    by_admin = register_device(app, ctx(acme.admin, idempotency=key), acme.company_id, "SN-1")

    by_service = register_device(app, ctx(acme.service, idempotency=key), acme.company_id, "SN-2")

    assert not by_service.replayed
    assert by_service.subject_id != by_admin.subject_id
    assert app.devices.get(acme.admin, by_service.subject_id).serial == "SN-2"


def test_a_refused_request_leaves_its_key_free_for_a_corrected_retry(
    app: LessorApplication, acme: Tenant
) -> None:
    a_device(app, acme.admin, acme.company_id, "SN-1")
    key = Idempotency(key="k-1", request_hash="h-1")
    with pytest.raises(AlreadyExists):
        register_device(app, ctx(acme.admin, idempotency=key), acme.company_id, "SN-1")

    outcome = register_device(app, ctx(acme.admin, idempotency=key), acme.company_id, "SN-2")

    assert not outcome.replayed


def test_a_company_change_that_changes_nothing_records_nothing(
    app: LessorApplication, acme: Tenant
) -> None:
    before = head(app)

    outcome = app.companies.change(
        ctx(acme.admin), acme.company_id, name="Acme AB", vat_rate=Decimal("25")
    )

    assert (outcome.version, outcome.created) == (1, False)
    assert head(app) == before


def test_changing_a_company_through_the_application_records_only_what_differs(
    app: LessorApplication, acme: Tenant
) -> None:
    outcome = app.companies.change(
        ctx(acme.admin, expected_version=1),
        acme.company_id,
        name="Acme AB",
        settings={"device_buyout": True, "buyout_receipts": True},
    )

    assert outcome.version == 2
    [_, changed] = list(app.events.get(acme.company_id))
    assert isinstance(changed, Company.SettingsChanged)
    assert changed.changes == {"device_buyout": True}


def test_a_last_employment_day_set_twice_is_recorded_once(
    app: LessorApplication, acme: Tenant
) -> None:
    app.members.set_last_employment_day(ctx(acme.admin), acme.employee_id, date(2026, 6, 30))
    before = head(app)

    outcome = app.members.set_last_employment_day(
        ctx(acme.admin), acme.employee_id, date(2026, 6, 30)
    )

    assert outcome.version == 2
    assert head(app) == before
    member: Member = app.members.get(acme.admin, acme.employee_id)
    assert member.last_employment_day == date(2026, 6, 30)


def test_a_rule_broken_through_the_application_saves_nothing(
    app: LessorApplication, acme: Tenant
) -> None:
    device_id = a_device(app, acme.admin, acme.company_id)
    before = head(app)

    with pytest.raises(RuleViolation, match="not assigned to anyone"):
        app.devices.unassign(ctx(acme.admin, idempotency=Idempotency("k", "h")), device_id)

    assert head(app) == before


# --- snapshots --------------------------------------------------------------------------------


def test_a_busy_device_is_snapshotted_and_still_loads_the_same() -> None:
    app = in_memory_app(IS_SNAPSHOTTING_ENABLED="y")
    tenant = a_tenant(app, "Acme AB")
    device_id = a_device(app, tenant.admin, tenant.company_id)
    for _ in range(30):  # 60 more events: past the interval of 50
        app.devices.assign(ctx(tenant.admin), device_id, tenant.employee_id)
        app.devices.unassign(ctx(tenant.admin), device_id)

    assert app.snapshots is not None
    assert [s.originator_version for s in app.snapshots.get(device_id)] == [50]
    loaded = app.devices.get(tenant.admin, device_id)
    replayed: Any = None
    for recorded in app.events.get(device_id):
        replayed = recorded.mutate(replayed)
    assert loaded.version == replayed.version == 61
    assert (loaded.status, loaded.assignee_id) == (replayed.status, replayed.assignee_id)
    assert loaded.status == DeviceStatus.IN_STOCK
