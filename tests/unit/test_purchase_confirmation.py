"""Purchase confirmation (SPEC §3, seed 001, ADR 0032): quote, then confirm with the
provider's terms accepted; a stale quote — price or terms changed, expired, or for another
purchase — is refused with the quote in force now, and nothing is written. In memory."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from domain.application import LessorApplication, Quote
from domain.model.errors import InvalidValue, NotAllowed, RuleViolation
from domain.model.pricing import RenewalOption, Term
from domain.model.purchase_quote import QUOTE_VALIDITY, StaleQuote
from domain.model.subscription import Subscription
from tests.apps import in_memory_app
from tests.unit.test_subscription_application import (
    OPERATOR,
    T0,
    TODAY,
    Catalog,
    Tenant,
    a_tenant,
    ctx,
    events_of,
    head,
    sek,
)
from tests.unit.test_subscription_application import catalog as catalog  # the fixture


@pytest.fixture
def app() -> LessorApplication:
    app = in_memory_app()
    app.terms.publish(ctx(OPERATOR), "2026-11", "The first terms")
    return app


@pytest.fixture
def acme(app: LessorApplication) -> Tenant:
    return a_tenant(app, "Acme AB")


def quote_plan(app: LessorApplication, acme: Tenant, catalog: Catalog, seats: int = 2) -> Quote:
    return app.subscriptions.quote(
        acme.admin, acme.company_id, [(catalog.plan, seats)], Term.ONE_YEAR, T0
    )


def confirm(
    app: LessorApplication,
    acme: Tenant,
    catalog: Catalog,
    quote: Quote,
    *,
    seats: int = 2,
    accept: str | None = "2026-11",
    after: timedelta = timedelta(minutes=5),
) -> UUID:
    return app.subscriptions.create(
        ctx(acme.admin, at=T0 + after),
        company_id=acme.company_id,
        lines=[(catalog.plan, seats)],
        quote_id=quote.quote_id,
        accept_terms=accept,
        start_date=TODAY,
        term=Term.ONE_YEAR,
        po_reference=None,
        separate_invoice=False,
        renewal_option=RenewalOption.NONE,
    ).subject_id


def confirmations(app: LessorApplication, sub: UUID) -> list[Subscription.PurchaseConfirmed]:
    return [e for e in events_of(app, sub) if isinstance(e, Subscription.PurchaseConfirmed)]


def test_a_quote_names_its_price_lines_terms_and_a_bounded_validity(
    app: LessorApplication, acme: Tenant, catalog: Catalog
) -> None:
    quote = quote_plan(app, acme, catalog)

    assert quote.total == sek("1176.00")  # 2 × 49.00 × 12
    assert [(q.product_name, q.seats, q.amount) for q in quote.lines] == [
        ("Workplace Plan", 2, sek("1176.00"))
    ]
    assert quote.terms_version == "2026-11"
    assert quote.expires_at == T0 + QUOTE_VALIDITY
    assert quote.quote_id is not None
    assert quote_plan(app, acme, catalog).quote_id == quote.quote_id  # a fingerprint


def test_given_a_quote_when_the_admin_confirms_it_then_the_purchase_records_quote_and_terms(
    app: LessorApplication, acme: Tenant, catalog: Catalog
) -> None:
    quote = quote_plan(app, acme, catalog)

    sub = confirm(app, acme, catalog, quote)

    (confirmed,) = confirmations(app, sub)
    assert (confirmed.quote_id, confirmed.purchase, confirmed.terms_version) == (
        quote.quote_id,
        "create",
        "2026-11",
    )
    assert confirmed.total == quote.total
    assert type(events_of(app, sub)[0]) is Subscription.Created


def test_given_a_price_change_after_the_quote_the_confirmation_is_refused_with_the_new_quote(
    app: LessorApplication, acme: Tenant, catalog: Catalog
) -> None:
    quote = quote_plan(app, acme, catalog)
    app.catalog.change_product(ctx(OPERATOR), catalog.plan, prices={"SEK": 5900})
    before = head(app)

    with pytest.raises(StaleQuote, match="no longer matches") as refused:
        confirm(app, acme, catalog, quote)

    assert head(app) == before
    fresh = refused.value.fresh
    assert fresh.total == sek("1416.00")  # 2 × 59.00 × 12
    assert fresh.quote_id != quote.quote_id
    assert confirmations(app, confirm(app, acme, catalog, fresh))[0].total == sek("1416.00")


def test_given_new_terms_between_quote_and_confirmation_the_old_acceptance_is_refused(
    app: LessorApplication, acme: Tenant, catalog: Catalog
) -> None:
    quote = quote_plan(app, acme, catalog)
    app.terms.publish(ctx(OPERATOR), "2026-12", "New liability clause")
    before = head(app)

    with pytest.raises(StaleQuote, match="now version '2026-12'") as refused:
        confirm(app, acme, catalog, quote)
    with pytest.raises(StaleQuote, match="no longer matches"):  # the new terms, the old quote
        confirm(app, acme, catalog, quote, accept="2026-12")

    assert head(app) == before
    fresh = refused.value.fresh
    assert fresh.terms_version == "2026-12"
    sub = confirm(app, acme, catalog, fresh, accept="2026-12")
    assert confirmations(app, sub)[0].terms_version == "2026-12"


@pytest.mark.parametrize(
    ("after", "seats"),
    [
        (QUOTE_VALIDITY, 2),  # expired at the instant it ends
        (QUOTE_VALIDITY + timedelta(days=3), 2),
        (timedelta(minutes=1), 3),  # a quote for other seats
    ],
)
def test_an_expired_quote_or_one_for_another_purchase_is_stale(
    app: LessorApplication, acme: Tenant, catalog: Catalog, after: timedelta, seats: int
) -> None:
    quote = quote_plan(app, acme, catalog)
    before = head(app)

    with pytest.raises(StaleQuote):
        confirm(app, acme, catalog, quote, seats=seats, after=after)

    assert head(app) == before


def test_a_quote_id_with_an_expiry_beyond_the_validity_is_not_accepted(
    app: LessorApplication, acme: Tenant, catalog: Catalog
) -> None:
    quote = quote_plan(app, acme, catalog)
    assert quote.quote_id is not None
    forged = Quote(quote.term, quote.lines, quote.total, "20991231T000000Z" + quote.quote_id[16:])

    with pytest.raises(StaleQuote, match="expired"):
        confirm(app, acme, catalog, forged)


@pytest.mark.parametrize(
    ("quote_id", "accept", "message"),
    [
        (None, "2026-11", "name its quote_id"),
        ("valid", None, "Accept the provider's terms: accept_terms '2026-11'"),
        ("nonsense-id", "2026-11", "not one this API issued"),
    ],
)
def test_a_half_or_malformed_confirmation_is_bad_input(
    app: LessorApplication,
    acme: Tenant,
    catalog: Catalog,
    quote_id: str | None,
    accept: str | None,
    message: str,
) -> None:
    quote = quote_plan(app, acme, catalog)
    sent = Quote(quote.term, quote.lines, quote.total, quote.quote_id if quote_id else None)
    if quote_id == "nonsense-id":
        sent = Quote(quote.term, quote.lines, quote.total, quote_id)
    before = head(app)

    with pytest.raises(InvalidValue, match=message):
        confirm(app, acme, catalog, sent, accept=accept)

    assert head(app) == before


def test_a_purchase_without_a_quote_still_works_and_records_no_confirmation(
    app: LessorApplication, acme: Tenant, catalog: Catalog
) -> None:
    sub = confirm(app, acme, catalog, Quote(Term.ONE_YEAR, [], sek("0")), accept=None)

    assert confirmations(app, sub) == []


def test_added_seats_are_confirmed_from_a_seats_quote_that_prices_the_charge_exactly(
    app: LessorApplication, acme: Tenant, catalog: Catalog
) -> None:
    sub = confirm(app, acme, catalog, quote_plan(app, acme, catalog))
    later = T0 + timedelta(days=100)
    quote = app.subscriptions.quote_seats(acme.admin, sub, catalog.plan, 3, later)
    app.catalog.change_product(ctx(OPERATOR), catalog.plan, prices={"SEK": 5000})

    with pytest.raises(StaleQuote) as refused:
        app.subscriptions.add_seats(
            ctx(acme.admin, at=later), sub, catalog.plan, 3, quote.quote_id, "2026-11"
        )
    fresh = refused.value.fresh
    app.subscriptions.add_seats(
        ctx(acme.admin, at=later), sub, catalog.plan, 3, fresh.quote_id, "2026-11"
    )

    (added,) = [e for e in events_of(app, sub) if isinstance(e, Subscription.SeatsAdded)]
    confirmed = confirmations(app, sub)[-1]
    assert added.charge is not None
    assert confirmed.total == added.charge.amount == fresh.total
    assert confirmed.purchase == "add_seats"
    assert quote.total != fresh.total  # the price change showed


def test_only_operators_publish_terms_and_a_version_is_published_once(
    app: LessorApplication, acme: Tenant
) -> None:
    before = head(app)

    with pytest.raises(NotAllowed):
        app.terms.publish(ctx(acme.admin), "2027-01")
    with pytest.raises(RuleViolation, match="published already"):
        app.terms.publish(ctx(OPERATOR), "2026-11")
    with pytest.raises(InvalidValue):
        app.terms.publish(ctx(OPERATOR), "x" * 41)

    assert head(app) == before
    assert app.terms.current_version() == "2026-11"


@pytest.mark.parametrize("version", ["+0.0", "0.", "-1", "\U0001f3fb", "v1 (draft)", "2026/12!"])
def test_a_terms_version_is_a_plain_label(
    app: LessorApplication, acme: Tenant, version: str
) -> None:
    before = head(app)
    with pytest.raises(InvalidValue, match="letters and digits"):
        app.terms.publish(ctx(OPERATOR), version)
    assert head(app) == before


def test_a_version_differing_only_in_case_or_width_was_published_already(
    app: LessorApplication, acme: Tenant
) -> None:
    before = head(app)
    for same in ("2026-11", "２０２６-１１", " 2026-11 "):
        with pytest.raises(RuleViolation, match="published already"):
            app.terms.publish(ctx(OPERATOR), same)
    app.terms.publish(ctx(OPERATOR), "2026-12 rev. B")
    with pytest.raises(RuleViolation, match="published already"):
        app.terms.publish(ctx(OPERATOR), "2026-12 REV. b")
    assert head(app) == before + 1
    assert app.terms.current_version() == "2026-12 rev. B"


def test_without_published_terms_a_quote_is_confirmed_without_accepting_any() -> None:
    app = in_memory_app()
    acme = a_tenant(app, "Acme AB")
    plan = app.catalog.add_product(
        ctx(OPERATOR), code="WP", name="Workplace Plan", kind="plan", prices={"SEK": 4900}
    ).subject_id
    cat = Catalog(plan=plan, premium=plan, backup=plan)
    quote = quote_plan(app, acme, cat)
    assert quote.terms_version is None

    with pytest.raises(InvalidValue, match="no terms"):
        confirm(app, acme, cat, quote, accept="2026-11")
    sub = confirm(app, acme, cat, quote, accept=None)

    assert confirmations(app, sub)[0].terms_version is None
