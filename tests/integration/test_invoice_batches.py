"""Issuing in batches (`Invoicing.issue_all`, ADR 0053) on SQLite and PostgreSQL: the same
invoices and numbers as one issue at a time, gapless and never shared when batches and
single issues run at once, and a refusal that stops the issue after the drafts before it."""

from __future__ import annotations

import threading
from datetime import date
from uuid import UUID, uuid4

import pytest

from api.bootstrap import Container
from domain.model.errors import InvalidValue, NotFound, RuleViolation
from domain.model.pricing import Term
from domain.model.usage import UsageChange
from tests.integration.invoice_world import Shop, at, first_local, utc

ISSUED_AT = utc(2027, 3, 2)


@pytest.fixture
def shop(container: Container) -> Shop:
    return Shop(container)


def march_drafts(shop: Shop, companies: int, *, separate_for_first: bool = False) -> list[UUID]:
    plan = shop.product()
    for n in range(companies):
        company = shop.company(f"Batch {n}")
        shop.subscribe(company, plan, 1 + n, date(2027, 3, 1), Term.MONTHLY, utc(2027, 2, 20))
        if separate_for_first and n == 0:
            shop.subscribe(
                company, plan, 2, date(2027, 3, 1), Term.MONTHLY, utc(2027, 2, 20), separate=True
            )
    shop.tick(first_local(2027, 3))
    return [UUID(d["invoice_id"]) for d in shop.drafts()]


def test_a_batch_issues_what_single_issues_would_with_the_numbers_in_order(shop: Shop) -> None:
    drafts = march_drafts(shop, 4, separate_for_first=True)  # the first company has two
    assert len(drafts) == 5
    before = {d: shop.detail(d) for d in drafts}

    issued = list(shop.c.app.invoicing.issue_all(at(ISSUED_AT), drafts, batch=2))

    assert [i.id for i in issued] == drafts
    assert [i.number for i in issued] == [f"2027-{n:06d}" for n in range(1, 6)]
    for invoice_id, draft in before.items():
        after = shop.detail(invoice_id)
        assert after["status"] == "issued"
        assert (after["lines"], after["gross"]) == (draft["lines"], draft["gross"])
    assert shop.drafts() == []
    # A single issue after the batches takes the next number: none skipped, none reused.
    acme = shop.company("After")
    shop.subscribe(acme, shop.product("B2"), 1, date(2027, 3, 1), Term.MONTHLY, utc(2027, 3, 1))
    shop.run(acme, "2027-03", utc(2027, 3, 2))
    [late] = shop.drafts(acme)
    assert shop.issue(late["invoice_id"], ISSUED_AT) == "2027-000006"


def test_a_refusal_stops_the_issue_after_the_drafts_before_it(shop: Shop) -> None:
    first, second, third = march_drafts(shop, 3)
    company = UUID(shop.detail(second)["company_id"])
    shop.run(company, "2027-03", utc(2027, 3, 1, 10))  # the second draft is superseded
    issue_all = shop.c.app.invoicing.issue_all

    with pytest.raises(RuleViolation, match="superseded"):
        for _ in issue_all(at(ISSUED_AT), [first, second, third], batch=10):
            pass

    assert [shop.detail(i)["status"] for i in (first, second, third)] == [
        "issued",
        "superseded",
        "draft",
    ]
    assert shop.detail(first)["number"] == "2027-000001"
    with pytest.raises(NotFound):
        list(issue_all(at(ISSUED_AT), [uuid4(), third]))
    head = shop.c.app.head()
    with pytest.raises(InvalidValue):
        list(issue_all(at(ISSUED_AT), [third], batch=0))
    assert shop.c.app.head() == head
    [issued] = issue_all(at(ISSUED_AT), [third])
    assert issued.number == "2027-000002"


def test_batches_and_single_issues_at_once_share_no_number_and_skip_none(shop: Shop) -> None:
    drafts = march_drafts(shop, 12)
    numbers: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def in_batches(mine: list[UUID]) -> None:
        barrier.wait()
        try:
            issued = shop.c.app.invoicing.issue_all(at(ISSUED_AT), mine, batch=2)
            numbers.extend(invoice.number for invoice in issued)
        except BaseException as error:
            errors.append(error)

    def one_by_one(mine: list[UUID]) -> None:
        barrier.wait()
        for invoice_id in mine:
            try:
                numbers.append(shop.issue(invoice_id, ISSUED_AT))
            except BaseException as error:
                errors.append(error)

    threads = [
        threading.Thread(target=in_batches, args=(drafts[0::4],)),
        threading.Thread(target=in_batches, args=(drafts[1::4],)),
        threading.Thread(target=one_by_one, args=(drafts[2::4],)),
        threading.Thread(target=one_by_one, args=(drafts[3::4],)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == [f"2027-{n:06d}" for n in range(1, len(drafts) + 1)]
    issued = shop.invoices(status="issued")
    assert sorted(i["number"] for i in issued) == sorted(numbers)


def test_the_schedulers_batched_runs_leave_out_only_a_refused_company(shop: Shop) -> None:
    plan = shop.product()
    companies = [shop.company(f"Run {n}") for n in range(3)]
    for company in companies:
        shop.subscribe(company, plan, 2, date(2027, 3, 1), Term.MONTHLY, utc(2027, 2, 20))
    unpriced = companies[1]  # February usage of a kind without a price stops its run only
    shop.c.app.usage.record_changes(
        at(utc(2027, 2, 15)),
        unpriced,
        [UsageChange("c-1", "smart", "module-1", "activated", utc(2027, 2, 15))],
    )

    report = shop.c.scheduler.tick(first_local(2027, 3))

    assert report.failures == [f"invoice run {unpriced}"]
    assert report.invoice_runs == 2
    assert {UUID(d["company_id"]) for d in shop.drafts()} == {companies[0], companies[2]}
