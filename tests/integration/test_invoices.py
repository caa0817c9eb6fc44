"""The invoice run, drafts and issuing on the real store (SPEC §6, docs/adr/0035).

Given/when/then on SQLite and PostgreSQL: what a run collects, one invoice per currency and
per separate-invoice subscription, VAT once on the net total, gapless numbers, a charge
recorded after an issue on the next invoice, an issued invoice that never changes."""

from __future__ import annotations

import io
import threading
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import facturx
import pytest
from pypdf import PdfReader

from adapters.clock import FixedClock
from adapters.facturx_document import cii_xml, facturx_pdf
from api.bootstrap import Container, build, init_database
from api.settings import Settings
from domain.model.actor import Actor, Caller, Role
from domain.model.errors import AlreadyExists, InvalidValue, NotAllowed, NotFound, RuleViolation
from domain.model.invoice import Invoice
from domain.model.money import Money
from domain.model.pricing import Term
from projections.invoices import InvoiceFilter, invoice_detail, query_invoices
from tests.integration.invoice_world import Shop, at, first_local, minor, sek, utc


@pytest.fixture
def shop(container: Container) -> Shop:
    return Shop(container)


def test_a_3_year_term_starting_in_the_month_is_one_line_with_vat_on_the_net(shop: Shop) -> None:
    acme, plan = shop.company(), shop.product()
    shop.subscribe(acme, plan, 5, date(2027, 3, 1), Term.THREE_YEARS, utc(2027, 2, 20))
    assert shop.tick(first_local(2027, 3)) == 1
    assert shop.tick(first_local(2027, 3)) == 0  # once a month
    [draft] = shop.drafts(acme)
    detail = shop.detail(draft["invoice_id"])
    [line] = detail["lines"]
    assert (line["kind"], line["quantity"], line["months"], line["discount"]) == (
        "term",
        5,
        36,
        "0.10",
    )
    assert minor(line, "amount") == sek("7938.00")
    assert (minor(detail, "net"), minor(detail, "vat"), minor(detail, "gross")) == (
        sek("7938.00"),
        sek("1984.50"),
        sek("9922.50"),
    )


def test_issuing_numbers_gaplessly_and_later_charges_go_on_the_next_invoice(shop: Shop) -> None:
    acme, plan = shop.company(), shop.product()
    sub = shop.subscribe(acme, plan, 5, date(2027, 3, 1), Term.THREE_YEARS, utc(2027, 2, 20))
    shop.tick(first_local(2027, 3))
    [march] = shop.drafts(acme)
    assert shop.issue(march["invoice_id"], utc(2027, 3, 2)) == "2027-000001"
    before = shop.detail(march["invoice_id"])
    shop.c.app.subscriptions.add_seats(
        at(utc(2028, 10, 17)),
        sub,
        plan,
        4,
    )
    shop.run(acme, "2028-11", utc(2028, 11, 1))
    [november] = shop.drafts(acme)
    [line] = shop.detail(november["invoice_id"])["lines"]
    assert (line["kind"], line["days"], line["days_in_term"]) == ("seats", 500, 1096)
    assert minor(line, "amount") == sek("2897.08")
    assert shop.issue(november["invoice_id"], utc(2028, 11, 2)) == "2028-000001"
    assert shop.detail(march["invoice_id"]) == before  # the issued one never changed


def test_one_invoice_per_currency_and_per_separate_invoice_subscription(shop: Shop) -> None:
    acme, plan = shop.company(), shop.product()
    option = shop.product("EXTRA", 1000, "Extra")
    shop.subscribe(acme, plan, 2, date(2027, 3, 1), Term.MONTHLY, utc(2027, 2, 20))
    shop.subscribe(acme, option, 1, date(2027, 3, 1), Term.MONTHLY, utc(2027, 2, 20))
    separate = shop.subscribe(
        acme, plan, 3, date(2027, 3, 1), Term.MONTHLY, utc(2027, 2, 20), separate=True, po="PO-9"
    )
    shop.tick(first_local(2027, 3))
    drafts = shop.drafts(acme)
    assert {d["subscription_id"]: minor(d, "net") for d in drafts} == {
        None: sek("98.00") + sek("10.00"),
        str(separate): sek("147.00"),
    }
    [own] = [d for d in drafts if d["subscription_id"]]
    assert [line["po_reference"] for line in shop.detail(own["invoice_id"])["lines"]] == ["PO-9"]


def test_a_company_at_zero_vat_pays_no_vat(shop: Shop) -> None:
    acme, plan = shop.company(vat="0"), shop.product()
    shop.subscribe(acme, plan, 5, date(2027, 3, 1), Term.MONTHLY, utc(2027, 2, 20))
    shop.tick(first_local(2027, 3))
    [draft] = shop.drafts(acme)
    assert (minor(draft, "net"), minor(draft, "vat"), minor(draft, "gross")) == (
        sek("245.00"),
        0,
        sek("245.00"),
    )


def test_a_second_run_supersedes_the_open_draft_and_an_issue_is_once(shop: Shop) -> None:
    acme, plan = shop.company(), shop.product()
    shop.subscribe(acme, plan, 5, date(2027, 3, 1), Term.MONTHLY, utc(2027, 2, 20))
    shop.tick(first_local(2027, 3))
    [first] = shop.drafts(acme)
    shop.run(acme, "2027-03", utc(2027, 3, 1, 10))  # on demand, again
    [second] = shop.drafts(acme)
    assert second["invoice_id"] != first["invoice_id"]
    assert minor(second, "net") == minor(first, "net")
    with pytest.raises(RuleViolation):
        shop.issue(first["invoice_id"], utc(2027, 3, 2))
    number = shop.issue(second["invoice_id"], utc(2027, 3, 2))
    with pytest.raises(AlreadyExists):
        shop.issue(second["invoice_id"], utc(2027, 3, 2))
    shop.tick(first_local(2027, 4))  # April's fee only: March's is issued
    [april] = shop.drafts(acme)
    assert minor(april, "net") == sek("245.00")
    assert number == "2027-000001"


def test_a_correction_is_an_adjustment_line_on_the_next_invoice(shop: Shop) -> None:
    acme, plan = shop.company(), shop.product()
    shop.subscribe(acme, plan, 5, date(2027, 3, 1), Term.MONTHLY, utc(2027, 2, 20), po="PO-1")
    shop.tick(first_local(2027, 3))
    [march] = shop.drafts(acme)
    number = shop.issue(march["invoice_id"], utc(2027, 3, 2))
    frozen = shop.detail(march["invoice_id"])
    shop.c.app.invoicing.adjust(
        at(utc(2027, 3, 10)),
        UUID(march["invoice_id"]),
        line_no=1,
        amount=Money.of("-49.00", "SEK"),
        description="One seat was never used",
    )
    shop.tick(first_local(2027, 4))
    [april] = shop.drafts(acme)
    lines = shop.detail(april["invoice_id"])["lines"]
    [fee] = [line for line in lines if line["kind"] == "monthly"]
    assert minor(fee, "amount") == sek("245.00")
    [adjustment] = [line for line in lines if line["kind"] == "adjustment"]
    assert adjustment["reference"] == f"{number}#1"
    assert adjustment["po_reference"] == "PO-1"
    assert minor(adjustment, "amount") == -sek("49.00")
    assert minor(april, "net") == sek("245.00") - sek("49.00")
    assert minor(april, "vat") == sek("49.00")  # 25 % of 196.00, once on the net
    assert shop.detail(march["invoice_id"]) == frozen


def test_a_credit_note_reverses_an_issued_invoice_with_its_own_number(shop: Shop) -> None:
    acme, plan = shop.company(), shop.product()
    shop.subscribe(acme, plan, 5, date(2027, 3, 1), Term.MONTHLY, utc(2027, 2, 20))
    shop.tick(first_local(2027, 3))
    [march] = shop.drafts(acme)
    shop.issue(march["invoice_id"], utc(2027, 3, 2))
    note = shop.c.app.invoicing.credit_note(at(utc(2027, 3, 3)), UUID(march["invoice_id"]))
    with pytest.raises(AlreadyExists):
        shop.c.app.invoicing.credit_note(at(utc(2027, 3, 3)), UUID(march["invoice_id"]))
    credit = shop.detail(note.subject_id)
    original = shop.detail(march["invoice_id"])
    assert (credit["kind"], credit["number"], credit["credits"]) == (
        "credit_note",
        "2027-000002",
        march["invoice_id"],
    )
    assert minor(credit, "gross") == -minor(original, "gross")
    assert original["credited_by"] == str(note.subject_id)
    assert [line["reference"] for line in credit["lines"]] == ["2027-000001#1"]


def test_an_issued_invoice_facts_never_change_under_later_commands(shop: Shop) -> None:
    acme, plan = shop.company(), shop.product()
    sub = shop.subscribe(acme, plan, 5, date(2027, 3, 1), Term.MONTHLY, utc(2027, 2, 20))
    shop.tick(first_local(2027, 3))
    [march] = shop.drafts(acme)
    shop.issue(march["invoice_id"], utc(2027, 3, 2))
    invoice_id = UUID(march["invoice_id"])
    stored = [n.state for n in shop.c.app.recorder.select_events(invoice_id)]  # type: ignore[attr-defined]
    app = shop.c.app
    app.subscriptions.add_seats(at(utc(2027, 3, 5)), sub, plan, 2)
    app.subscriptions.change_po_reference(at(utc(2027, 3, 6)), sub, "PO-NEW")
    app.companies.change(at(utc(2027, 3, 7)), acme, vat_rate=Decimal("12"))
    app.invoicing.adjust(
        at(utc(2027, 3, 8)), invoice_id, line_no=1, amount=Money.of("1", "SEK"), description="x"
    )
    shop.run(acme, "2027-03", utc(2027, 3, 9))
    app.invoicing.credit_note(at(utc(2027, 3, 10)), invoice_id)
    shop.tick(first_local(2027, 4))
    assert [n.state for n in app.recorder.select_events(invoice_id)] == stored  # type: ignore[attr-defined]
    assert app.invoicing.get(invoice_id).version == 1


def test_adjustments_are_refused_for_a_bad_line_or_currency(shop: Shop) -> None:
    acme, plan = shop.company(), shop.product()
    shop.subscribe(acme, plan, 5, date(2027, 3, 1), Term.MONTHLY, utc(2027, 2, 20))
    shop.tick(first_local(2027, 3))
    [march] = shop.drafts(acme)
    shop.issue(march["invoice_id"], utc(2027, 3, 2))
    invoice_id = UUID(march["invoice_id"])
    head = shop.c.app.head()
    for line_no, amount in (
        (2, Money.of("1", "SEK")),
        (1, Money.of("1", "EUR")),
        (1, Money.zero("SEK")),
    ):
        with pytest.raises(InvalidValue):
            shop.c.app.invoicing.adjust(
                at(utc(2027, 3, 5)), invoice_id, line_no=line_no, amount=amount, description="x"
            )
    assert shop.c.app.head() == head


def test_concurrent_issues_share_no_number_and_skip_none(shop: Shop) -> None:
    plan = shop.product()
    companies = [shop.company(f"Co {n}") for n in range(8)]
    for company in companies:
        shop.subscribe(company, plan, 1, date(2027, 3, 1), Term.MONTHLY, utc(2027, 2, 20))
    shop.tick(first_local(2027, 3))
    drafts = [d["invoice_id"] for d in shop.drafts()]
    assert len(drafts) == len(companies)
    numbers: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def issue(mine: list[str]) -> None:
        barrier.wait()
        for invoice_id in mine:
            try:
                numbers.append(shop.issue(invoice_id, utc(2027, 3, 2)))
            except BaseException as error:
                errors.append(error)

    threads = [threading.Thread(target=issue, args=(drafts[n::4],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == [f"2027-{n:06d}" for n in range(1, len(companies) + 1)]
    issued = shop.invoices(status="issued")
    assert sorted(i["number"] for i in issued) == sorted(numbers)


def test_a_monthly_seat_removal_shows_on_the_next_months_invoice(shop: Shop) -> None:
    acme, plan = shop.company(), shop.product()
    sub = shop.subscribe(acme, plan, 5, date(2027, 3, 1), Term.MONTHLY, utc(2027, 2, 20))
    shop.tick(first_local(2027, 3))
    [march] = shop.drafts(acme)
    shop.issue(march["invoice_id"], utc(2027, 3, 2))
    shop.c.app.subscriptions.remove_seats(at(utc(2027, 3, 20)), sub, plan, 2)
    shop.tick(first_local(2027, 4))
    [april] = shop.drafts(acme)
    [line] = shop.detail(april["invoice_id"])["lines"]
    assert (line["quantity"], minor(line, "amount")) == (3, sek("147.00"))
    assert minor(shop.detail(march["invoice_id"]), "net") == sek("245.00")


def test_a_provider_that_issues_automatically_issues_each_run_at_once(
    settings: Settings, clock: FixedClock
) -> None:
    automatic = settings.model_copy(update={"invoice_auto_issue": True})
    init_database(automatic)
    container = build(automatic, clock=clock)
    try:
        shop = Shop(container)
        acme, plan = shop.company(), shop.product()
        shop.subscribe(acme, plan, 5, date(2027, 3, 1), Term.MONTHLY, utc(2027, 2, 20))
        report = container.scheduler.tick(first_local(2027, 3))
        assert (report.failures, report.invoice_runs, report.invoices_issued) == ([], 1, 1)
        [issued] = shop.invoices(acme)
        assert (issued["status"], issued["number"]) == ("issued", "2027-000001")
        again = container.scheduler.tick(first_local(2027, 3))
        assert (again.invoice_runs, again.invoices_issued) == (0, 0)
    finally:
        container.close()


def test_factur_x_carries_the_cii_xml_which_passes_the_xsd(shop: Shop) -> None:
    acme, plan = shop.company(), shop.product()
    shop.c.app.invoicing.set_billing_details(
        at(utc(2027, 2, 1)), acme, vat_id="SE556000000001", address="Storgatan 1", country="SE"
    )
    shop.subscribe(acme, plan, 5, date(2027, 3, 1), Term.THREE_YEARS, utc(2027, 2, 20))
    shop.subscribe(acme, plan, 2, date(2027, 3, 1), Term.MONTHLY, utc(2027, 2, 20), po="PO-7")
    shop.tick(first_local(2027, 3))
    [draft] = shop.drafts(acme)
    invoice_id = UUID(draft["invoice_id"])
    shop.issue(invoice_id, utc(2027, 3, 6))
    invoice = shop.c.app.invoicing.get(invoice_id)
    invoice = replace_seller(invoice)
    xml = cii_xml(invoice)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    reader = PdfReader(io.BytesIO(facturx_pdf(invoice)))
    assert reader.attachments["factur-x.xml"] == [xml]
    assert b"<ram:DuePayableAmount>" + str(invoice.gross.amount).encode() in xml


def replace_seller(invoice: Invoice) -> Invoice:
    """The test store's provider has no VAT id in its settings: give the fact one."""
    invoice.seller = {**invoice.seller, "vat_id": "SE556677889901", "country": "SE"}
    return invoice


def test_without_what_en16931_needs_there_is_no_factur_x_and_no_issue(
    settings: Settings, clock: FixedClock
) -> None:
    strict = settings.model_copy(
        update={"invoice_require_en16931": True, "invoice_seller_vat_id": "SE556677889901"}
    )
    init_database(strict)
    container = build(strict, clock=clock)
    try:
        shop = Shop(container)
        acme, plan = shop.company(), shop.product()
        shop.subscribe(acme, plan, 5, date(2027, 3, 1), Term.MONTHLY, utc(2027, 2, 20))
        shop.tick(first_local(2027, 3))
        [draft] = shop.drafts(acme)
        head = container.app.head()
        with pytest.raises(RuleViolation, match="buyer VAT id, buyer country"):
            shop.issue(draft["invoice_id"], utc(2027, 3, 2))
        assert container.app.head() == head  # nothing written, no number taken
        container.app.invoicing.set_billing_details(
            at(utc(2027, 3, 2)), acme, vat_id="SE556000000001", address="", country="SE"
        )
        assert shop.issue(draft["invoice_id"], utc(2027, 3, 2)) == "2027-000001"
        issued = container.app.invoicing.get(UUID(draft["invoice_id"]))
        assert issued.buyer == {
            "name": "Acme AB",
            "vat_id": "SE556000000001",
            "address": "",
            "country": "SE",
        }
        issued.buyer = {**issued.buyer, "vat_id": ""}
        with pytest.raises(RuleViolation, match="buyer VAT id"):
            cii_xml(issued)
    finally:
        container.close()


def test_invoice_reads_keep_to_the_tenant(shop: Shop) -> None:
    plan = shop.product()
    a, b = shop.company("A AB"), shop.company("B AB")
    for company in (a, b):
        shop.subscribe(company, plan, 1, date(2027, 3, 1), Term.MONTHLY, utc(2027, 2, 20))
    shop.tick(first_local(2027, 3))
    drafts = {UUID(d["company_id"]): d["invoice_id"] for d in shop.drafts()}
    shop.issue(drafts[a], utc(2027, 3, 2))
    shop.issue(drafts[b], utc(2027, 3, 2))
    shop.tick(first_local(2027, 4))  # April's drafts: the operator's alone
    shop.c.projector.catch_up()
    views = shop.c.db

    def admin(company: UUID) -> Caller:
        return Caller(actor=Actor(f"admin-{company}", Role.ADMIN), company_id=company)

    mine = query_invoices(views, admin(b), InvoiceFilter()).items
    assert [(i["company_id"], i["status"]) for i in mine] == [(str(b), "issued")]
    for asked in (a, uuid4()):
        with pytest.raises(NotFound) as raised:
            query_invoices(views, admin(b), InvoiceFilter(company_id=asked))
        assert str(raised.value) == "Company not found."
    with pytest.raises(NotFound) as foreign:
        invoice_detail(views, admin(b), UUID(drafts[a]))
    with pytest.raises(NotFound) as unknown:
        invoice_detail(views, admin(b), uuid4())
    assert str(foreign.value) == str(unknown.value)
    [april_b] = shop.drafts(b)
    with pytest.raises(NotFound):  # a draft is the provider's, not the admin's
        invoice_detail(views, admin(b), UUID(april_b["invoice_id"]))
    service = Caller(actor=Actor("svc", Role.SERVICE), company_id=b)
    with pytest.raises(NotAllowed):
        query_invoices(views, service, InvoiceFilter())
    with pytest.raises(NotAllowed):
        invoice_detail(views, service, UUID(drafts[b]))
