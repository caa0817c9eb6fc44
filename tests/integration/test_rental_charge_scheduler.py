"""The daily rental charge through the scheduler and the `due` read model (SPEC §4, ADR 0010,
docs/adr/0024-daily-rental-charge.md): due at 00:00 company time exactly, a day at most once,
across both DST changes and month ends, and a catch-up after an outage that suspends on the
day the balance ran out. Europe/Stockholm; in 2026 the clocks change on 29 March and
25 October."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from api.bootstrap import Container
from domain.application import CommandContext
from domain.model.actor import Actor, Caller, Role
from domain.model.events import Cause
from domain.model.rental_account import RentalAccount
from domain.model.time import local_midnight
from tests.rental_devices import register_device

OPERATOR = Caller(actor=Actor("tok-operator", Role.OPERATOR), company_id=None)
US = timedelta(microseconds=1)


def ctx(caller: Caller, when: datetime) -> CommandContext:
    return CommandContext(caller=caller, cause=Cause(caller.actor, when, "test"))


def midnight(day: date) -> datetime:
    return local_midnight(day, "Europe/Stockholm")


def renting(container: Container, credits: int, rate: int, since: datetime) -> UUID:
    """A company with `credits` that rents one phone at `rate` from `since`; its account id."""
    app = container.app
    company = app.companies.register(ctx(OPERATOR, since), name="Rent AB", currency="SEK")
    admin = Caller(actor=Actor("tok-admin", Role.ADMIN), company_id=company.subject_id)
    phone = register_device(app, ctx(OPERATOR, since), company.subject_id, "PH-1")
    [code] = app.credits.issue_keys(ctx(OPERATOR, since), credits=credits, count=1).codes
    app.credits.redeem(ctx(admin, since), company_id=company.subject_id, code=code)
    return app.credits.activate(ctx(admin, since), phone, rate=rate).subject_id


def account(container: Container, account_id: UUID) -> RentalAccount:
    return container.app.repository.get(account_id)  # type: ignore[no-any-return]


def test_the_charge_is_due_at_local_midnight_exactly_and_only_once(container: Container) -> None:
    account_id = renting(container, 100, 7, datetime(2026, 3, 2, 9, tzinfo=UTC))
    tick = container.scheduler.tick

    assert tick(midnight(date(2026, 3, 3)) - US).events == 0
    at_midnight = tick(midnight(date(2026, 3, 3)))
    assert (at_midnight.jobs_due, at_midnight.rental_accounts_charged, at_midnight.events) == (
        1,
        1,
        1,
    )
    assert tick(midnight(date(2026, 3, 3)) + timedelta(hours=1)).jobs_due == 0  # not due again
    assert account(container, account_id).balance == 86


def test_across_both_dst_changes_and_month_ends_each_local_day_is_charged_once(
    container: Container,
) -> None:
    account_id = renting(container, 1000, 3, datetime(2026, 3, 27, 12, tzinfo=UTC))
    days = [date(2026, 3, 27) + timedelta(days=n) for n in range(1, 7)]  # 28 Mar … 2 Apr
    for day in days:
        report = container.scheduler.tick(midnight(day) + timedelta(minutes=1))
        assert report.events == 1, day
        assert account(container, account_id).paid_through(_device(container, account_id)) == day
    assert midnight(date(2026, 3, 30)) - midnight(date(2026, 3, 29)) == timedelta(hours=23)

    container.scheduler.tick(midnight(date(2026, 10, 23)))  # a long outage: caught up at once
    rented = account(container, account_id)
    assert rented.paid_through(_device(container, account_id)) == date(2026, 10, 23)
    for day in (date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26), date(2026, 11, 1)):
        container.scheduler.tick(midnight(day))
        assert account(container, account_id).paid_through(_device(container, account_id)) == day
    assert midnight(date(2026, 10, 26)) - midnight(date(2026, 10, 25)) == timedelta(hours=25)
    charged_days = (date(2026, 11, 1) - date(2026, 3, 27)).days + 1
    assert account(container, account_id).charged_total == 3 * charged_days


def test_after_an_outage_missed_days_are_charged_in_order_and_suspend_on_the_right_day(
    container: Container,
) -> None:
    account_id = renting(container, 30, 7, datetime(2026, 3, 2, 9, tzinfo=UTC))  # 23 left

    container.scheduler.tick(midnight(date(2026, 3, 9)) + timedelta(hours=5))  # down a week

    events = list(container.app.events.get(account_id))
    charged = [e.day for e in events if isinstance(e, RentalAccount.DayCharged)]
    suspended = [e.day for e in events if isinstance(e, RentalAccount.Suspended)]
    assert charged == [date(2026, 3, 3), date(2026, 3, 4), date(2026, 3, 5)]
    assert suspended == [date(2026, 3, 6)]
    assert account(container, account_id).balance == 2
    assert container.scheduler.tick(midnight(date(2026, 3, 10))).jobs_due == 0  # dormant


def _device(container: Container, account_id: UUID) -> UUID:
    [device] = account(container, account_id).rentals
    return UUID(device)
