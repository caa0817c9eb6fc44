"""Prepaid rental credits through the application, in memory (SPEC §4): key codes, issuing,
redeeming once, the never-negative balance, daily charges, suspension and resume, runway."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.application import CommandContext, LessorApplication
from domain.model.activation_key import (
    ALPHABET,
    MAX_FAILURES,
    NotRedeemable,
    TooManyFailures,
    check_character,
    code_from,
    parse_code,
)
from domain.model.actor import Actor, Caller, Role
from domain.model.device import ContractType
from domain.model.errors import InvalidValue, NotAllowed, NotFound, RuleViolation
from domain.model.events import Cause
from domain.model.rental_account import RentalAccount
from tests.apps import in_memory_app
from tests.rental_devices import register_device

OPERATOR = Caller(actor=Actor("tok-operator", Role.OPERATOR), company_id=None)
# 10:00 in Stockholm on Monday 2 March 2026 (UTC+1)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ctx(caller: Caller, at: datetime = T0) -> CommandContext:
    return CommandContext(caller=caller, cause=Cause(actor=caller.actor, at=at, correlation_id="r"))


def midnight(day: date) -> datetime:
    """00:00 in Stockholm on `day` (CET in winter, CEST from the last Sunday of March)."""
    from domain.model.time import local_midnight

    return local_midnight(day, "Europe/Stockholm")


class World:
    def __init__(self, app: LessorApplication | None = None) -> None:
        self.app = app or in_memory_app()
        self.companies: list[UUID] = []
        self.admins: dict[UUID, Caller] = {}

    def company(self, name: str = "Acme") -> UUID:
        company_id = self.app.companies.register(
            ctx(OPERATOR), name=name, currency="SEK", time_zone="Europe/Stockholm"
        ).subject_id
        self.companies.append(company_id)
        self.admins[company_id] = Caller(
            actor=Actor(f"tok-{name}", Role.ADMIN), company_id=company_id
        )
        return company_id

    def device(
        self, company_id: UUID, serial: str, contract: ContractType = ContractType.RENTAL
    ) -> UUID:
        return register_device(self.app, ctx(OPERATOR), company_id, serial, contract)

    def keys(
        self, credits: int, count: int = 1, company_id: UUID | None = None, at: datetime = T0
    ) -> list[str]:
        return self.app.credits.issue_keys(
            ctx(OPERATOR, at), credits=credits, count=count, company_id=company_id
        ).codes

    def redeem(self, company_id: UUID, code: str, at: datetime = T0) -> RentalAccount:
        outcome = self.app.credits.redeem(
            ctx(self.admins[company_id], at), company_id=company_id, code=code
        )
        return outcome.subject_as(RentalAccount)

    def activate(
        self, company_id: UUID, device_id: UUID, rate: int, at: datetime = T0
    ) -> RentalAccount:
        outcome = self.app.credits.activate(ctx(self.admins[company_id], at), device_id, rate=rate)
        return outcome.subject_as(RentalAccount)

    def account(self, company_id: UUID) -> RentalAccount:
        account = self.app.credits.account(OPERATOR, company_id)
        assert account is not None
        return account


# --------------------------------------------------------------------- key codes


@given(st.integers(min_value=0, max_value=2**122))
@settings(max_examples=50)
def test_a_code_parses_back_and_any_one_typo_or_swap_is_caught(bits: int) -> None:
    code = code_from(bits)
    assert parse_code(code) == code
    assert parse_code(code.lower().replace("-", " ")) == code
    compact = code.replace("-", "")[3:]
    for i, char in enumerate(compact):
        for other in ALPHABET:
            if other != char:
                typo = compact[:i] + other + compact[i + 1 :]
                with pytest.raises(InvalidValue):
                    parse_code(typo)
    for i in range(len(compact) - 1):
        # Luhn mod 32 misses one swap, of the first and last characters of the alphabet
        if compact[i] != compact[i + 1] and {compact[i], compact[i + 1]} != {"2", "Z"}:
            swapped = compact[:i] + compact[i + 1] + compact[i] + compact[i + 2 :]
            with pytest.raises(InvalidValue):
                parse_code(swapped)


@pytest.mark.parametrize("text", ["", "ISC-", "ISC-AAAA-AAAA-AAA", "ISC-0000-1111-OOOO", "x" * 50])
def test_a_malformed_key_is_bad_input(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_code(text)


def test_the_check_character_is_in_the_alphabet() -> None:
    assert check_character("23456789ABC") in ALPHABET


# ------------------------------------------------------------------ issue, redeem


def test_redeeming_a_key_opens_the_account_and_adds_its_credits() -> None:
    w = World()
    acme = w.company()
    [code] = w.keys(100)

    account = w.redeem(acme, code)

    assert (account.balance, account.redeemed_total, account.runway) == (100, 100, None)


def test_a_key_is_redeemed_once_ever_and_a_used_or_unknown_key_answers_the_same() -> None:
    w = World()
    acme, globex = w.company("Acme"), w.company("Globex")
    [code] = w.keys(100)
    w.redeem(acme, code)

    with pytest.raises(NotRedeemable) as used:
        w.redeem(globex, code)
    with pytest.raises(NotRedeemable) as unknown:
        w.redeem(globex, code_from(12345))

    assert used.value.detail == unknown.value.detail
    assert w.app.credits.account(OPERATOR, globex) is None


def test_a_key_sold_to_a_company_is_not_redeemable_by_another() -> None:
    w = World()
    acme, globex = w.company("Acme"), w.company("Globex")
    [code] = w.keys(50, company_id=acme)

    with pytest.raises(NotRedeemable):
        w.redeem(globex, code)
    assert w.redeem(acme, code).balance == 50


def test_voided_keys_cannot_be_redeemed_but_redeemed_ones_stay() -> None:
    w = World()
    acme = w.company()
    issued = w.app.credits.issue_keys(ctx(OPERATOR), credits=10, count=3)
    first, second, _ = issued.codes
    w.redeem(acme, first)

    w.app.credits.void_batch(ctx(OPERATOR), issued.outcome.subject_id)

    with pytest.raises(NotRedeemable):
        w.redeem(acme, second)
    assert w.account(acme).balance == 10


def test_repeated_failures_are_throttled_per_company() -> None:
    w = World()
    acme, globex = w.company("Acme"), w.company("Globex")
    [code] = w.keys(10)
    for n in range(MAX_FAILURES):
        with pytest.raises(NotRedeemable):
            w.redeem(acme, code_from(n), at=T0 + timedelta(seconds=n))

    with pytest.raises(TooManyFailures) as throttled:
        w.redeem(acme, code, at=T0 + timedelta(minutes=1))

    assert 0 < throttled.value.retry_after_s <= 15 * 60
    assert w.redeem(globex, code).balance == 10  # another company is not held back
    with pytest.raises(NotRedeemable):  # fifteen minutes on, acme may try again
        w.redeem(acme, code, at=T0 + timedelta(minutes=16))


def test_only_operators_issue_keys_and_only_the_company_redeems_into_its_account() -> None:
    w = World()
    acme, globex = w.company("Acme"), w.company("Globex")
    with pytest.raises(NotAllowed):
        w.app.credits.issue_keys(ctx(w.admins[acme]), credits=10, count=1)
    [code] = w.keys(10)
    with pytest.raises(NotFound):
        w.app.credits.redeem(ctx(w.admins[acme]), company_id=globex, code=code)


@pytest.mark.parametrize(("credits", "count"), [(0, 1), (-5, 1), (10, 0), (10, 1001), (10**7, 1)])
def test_bad_credits_or_counts_write_nothing(credits: int, count: int) -> None:
    w = World()
    w.company()
    before = w.app.head()
    with pytest.raises(InvalidValue):
        w.app.credits.issue_keys(ctx(OPERATOR), credits=credits, count=count)
    assert w.app.head() == before


def test_concurrent_redemption_of_one_key_by_two_companies_exactly_one_wins() -> None:
    w = World()
    acme, globex = w.company("Acme"), w.company("Globex")
    [code] = w.keys(100)
    barrier = threading.Barrier(2)
    results: dict[UUID, object] = {}

    def redeem(company_id: UUID) -> None:
        barrier.wait()
        try:
            results[company_id] = w.redeem(company_id, code).balance
        except NotRedeemable as refused:
            results[company_id] = refused

    threads = [threading.Thread(target=redeem, args=(c,)) for c in (acme, globex)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(str(type(r).__name__) for r in results.values()) == ["NotRedeemable", "int"]
    balances = [a.balance for c in (acme, globex) if (a := w.app.credits.account(OPERATOR, c))]
    assert balances == [100]


# ------------------------------------------------------------ rentals and charges


def test_activation_charges_the_first_day_at_once_then_each_midnight() -> None:
    w = World()
    acme = w.company()
    phone = w.device(acme, "SN-1")
    w.redeem(acme, w.keys(100)[0])

    account = w.activate(acme, phone, 7)
    assert (account.balance, account.runway) == (93, date(2026, 3, 2) + timedelta(days=13))

    w.app.credits.advance(account.id, midnight(date(2026, 3, 3)))
    w.app.credits.advance(account.id, midnight(date(2026, 3, 3)))  # a second tick: nothing
    assert w.account(acme).balance == 86
    assert w.account(acme).paid_through(phone) == date(2026, 3, 3)


def test_activation_is_refused_when_the_balance_cannot_pay_the_first_day() -> None:
    w = World()
    acme = w.company()
    phone = w.device(acme, "SN-1")
    w.redeem(acme, w.keys(5)[0])
    before = w.app.head()

    with pytest.raises(RuleViolation, match="negative"):
        w.activate(acme, phone, 7)
    assert w.app.head() == before


def test_activation_refuses_a_device_that_is_not_rented_or_already_active() -> None:
    w = World()
    acme, globex = w.company("Acme"), w.company("Globex")
    leased = w.device(acme, "SN-L", ContractType.PURCHASED)
    phone = w.device(acme, "SN-1")
    w.redeem(acme, w.keys(100)[0])
    with pytest.raises(RuleViolation, match="not a rental"):
        w.activate(acme, leased, 7)
    w.activate(acme, phone, 7)
    with pytest.raises(RuleViolation, match="already active"):
        w.activate(acme, phone, 7)
    with pytest.raises(NotFound):
        w.app.credits.activate(ctx(w.admins[globex]), phone, rate=7)
    with pytest.raises(InvalidValue):
        w.activate(acme, w.device(acme, "SN-2"), 0)


def test_the_day_that_cannot_be_paid_suspends_every_rental_and_keeps_the_remainder() -> None:
    w = World()
    acme = w.company()
    a, b = w.device(acme, "SN-A"), w.device(acme, "SN-B")
    w.redeem(acme, w.keys(25)[0])
    w.activate(acme, a, 5)
    w.activate(acme, b, 5)  # 15 left: one more day of both
    account_id = w.account(acme).id

    w.app.credits.advance(account_id, midnight(date(2026, 3, 5)))  # scheduler down 3 → 5 March

    account = w.account(acme)
    assert (account.balance, account.suspended_since) == (5, date(2026, 3, 4))
    assert account.paid_through(a) == account.paid_through(b) == date(2026, 3, 3)
    w.app.credits.advance(account_id, midnight(date(2026, 3, 9)))
    assert w.account(acme).balance == 5  # a suspended rental is never charged


def test_redemption_resumes_suspended_rentals_and_charges_the_day() -> None:
    w = World()
    acme = w.company()
    a = w.device(acme, "SN-A")
    w.redeem(acme, w.keys(10)[0])
    w.activate(acme, a, 7)
    w.app.credits.advance(w.account(acme).id, midnight(date(2026, 3, 3)))
    assert w.account(acme).is_suspended

    account = w.redeem(acme, w.keys(20)[0], at=midnight(date(2026, 3, 6)) + timedelta(hours=8))

    assert (account.is_suspended, account.balance) == (False, 3 + 20 - 7)
    assert account.paid_through(a) == date(2026, 3, 6)


def test_a_daylight_saving_day_is_still_one_day() -> None:
    w = World()
    acme = w.company()
    a = w.device(acme, "SN-A")
    w.redeem(acme, w.keys(100)[0])
    w.activate(acme, a, 1, at=datetime(2026, 3, 28, 12, tzinfo=UTC))
    account_id = w.account(acme).id
    # 29 March 2026 has 23 hours in Stockholm; 25 October 25 hours
    for day in (date(2026, 3, 29), date(2026, 3, 30)):
        w.app.credits.advance(account_id, midnight(day))
        assert w.account(acme).paid_through(a) == day
    assert midnight(date(2026, 3, 30)) - midnight(date(2026, 3, 29)) == timedelta(hours=23)
    assert w.account(acme).balance == 97


def test_a_swap_carries_the_paid_day_over_and_deactivation_ends_the_rental() -> None:
    w = World()
    acme = w.company()
    old = w.device(acme, "SN-OLD")
    w.redeem(acme, w.keys(30)[0])
    w.activate(acme, old, 7)

    swapped = w.app.rentals.swap(ctx(w.admins[acme]), old, serial="SN-NEW", model="IP232")
    account = w.account(acme)
    assert account.balance == 23  # no second charge for the day
    assert account.paid_through(swapped.subject_id) == date(2026, 3, 2)
    assert account.rental(old) is None

    w.app.rentals.deactivate(ctx(w.admins[acme]), swapped.subject_id)
    account = w.account(acme)
    assert (account.rentals, account.balance, account.runway) == ({}, 23, None)


def test_a_swap_to_a_registered_unit_hands_over_the_paid_days_and_refuses_what_cannot() -> None:
    w = World()
    acme, globex = w.company("Acme"), w.company("Globex")
    old, spare, rented = (
        w.device(acme, "SN-OLD"),
        w.device(acme, "SN-SPARE"),
        w.device(acme, "SN-R"),
    )
    leased = w.device(acme, "SN-P", ContractType.PURCHASED)
    foreign = w.device(globex, "SN-G")
    w.redeem(acme, w.keys(30)[0])
    w.activate(acme, old, 7)
    w.activate(acme, rented, 3)
    admin = ctx(w.admins[acme], T0 + timedelta(hours=3))

    with pytest.raises(RuleViolation, match="already rented"):
        w.app.credits.swap(admin, old, replacement_id=rented)
    with pytest.raises(RuleViolation, match="not a rental"):
        w.app.credits.swap(admin, old, replacement_id=leased)
    with pytest.raises(NotFound):
        w.app.credits.swap(admin, old, replacement_id=foreign)
    with pytest.raises(RuleViolation, match="no active rental"):
        w.app.credits.swap(admin, spare, replacement_id=old)

    account = w.app.credits.swap(admin, old, replacement_id=spare).subject_as(RentalAccount)
    assert account.balance == 20  # no second charge for the day
    assert account.paid_through(spare) == date(2026, 3, 2)
    assert account.rental(old) is None
    with pytest.raises(RuleViolation, match="ended"):
        w.activate(acme, old, 7)  # the unit that left is no longer a rental
