"""The reconciliation checks of ADR 0045 have teeth: on one seeded store (per database), a
clean state agrees (exit 0); then each planted discrepancy — an invoice issued through the
library with a line the facts do not give, a charge a view missed, payments at Stripe (the
built-in stand-in, over the SDK) without a paid buyout and the reverse, licences beyond the
seats and for no member — is named with its ids and amounts (exit 1), by the CLI and by
POST/GET /v1/reconciliations (operators only)."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from adapters.clock import FixedClock
from adapters.stripe_standin import StandInGateway
from api.bootstrap import Container
from api.cli.shared import operator_context
from domain.model.device import Device
from domain.model.invoice import Invoice, InvoiceKind, book_id
from domain.model.money import Money
from domain.model.subscription import Subscription
from domain.ports import CheckoutRequest
from projections.invoices import draft_to_issue
from tests.e2e._cli import Run, cli_runner
from tests.e2e._http import auth, make_client
from tests.e2e._subscriptions import add_product, buy, command, open_shop
from tests.rental_devices import register_device

PRICE = Money(31600, "SEK")


def _checks(done: Run) -> dict[str, list[str]]:
    assert done.code in (0, 1), done.err
    report = json.loads(done.out)
    return {
        c["name"]: [f"{d['subject']}: {d['problem']}" for d in c["discrepancies"]]
        for c in report["checks"]
    }


def _paid_at_stripe(container: Container, device: UUID, company: str) -> tuple[str, str]:
    """A buyout checkout opened through our gateway and paid at the stand-in (its webhook
    goes nowhere: Lessor does not hear of it). Returns (session id, payment intent id)."""
    gateway = container.payment_gateway
    assert isinstance(gateway, StandInGateway)  # no Stripe key is configured in tests
    session = gateway.open_checkout(
        CheckoutRequest(
            device_id=device,
            company_id=UUID(company),
            attempt=1,
            amount=PRICE,
            description="iPhone 15",
            customer_email="eva@example.com",
            success_url="http://127.0.0.1/ok",
            cancel_url="http://127.0.0.1/no",
        )
    )
    gateway.standin.pay(session.session_id, wait_s=0)
    return session.session_id, str(gateway.standin.stored(session.session_id)["payment_intent"])


def _record_paid(
    container: Container, device: UUID, company: str, session: str, payment: str | None
) -> None:
    """Device.BuyoutPaid written through the library, around the webhook that records it."""
    bought = container.app.repository.get(device)
    bought.trigger_event(
        Device.BuyoutPaid,
        session_id=session,
        payment_id=payment,
        amount=PRICE,
        paid_at=container.clock.now(),
        **operator_context(container).cause.stamp(UUID(company)),
    )
    container.app.save(bought)


def test_each_check_names_what_was_planted(
    container: Container, clock: FixedClock, database_url: str, tmp_path: Path
) -> None:
    del clock
    with make_client(container) as api:
        shop = open_shop(api, container, name="Checks AB")
        plan = add_product(api, shop.operator, "WP", "Workplace Plan", "plan", {"SEK": "49.00"})
        sub = buy(api, shop.admin, [(plan, 1)], start_date="2026-03-01", term="monthly")
        sub_id = sub.json()["id"]
        second = buy(api, shop.admin, [(plan, 1)], start_date="2026-03-01", term="monthly")
        member = shop.employees[0]
        body = {"member_id": member, "product_id": plan}
        assert command(api, shop.admin, sub_id, "licences", body).status_code == 200
    company = shop.company_id
    ctx = operator_context(container)
    bought, unheard, unpaid = (
        register_device(container.app, ctx, UUID(company), f"PH-{n}") for n in range(3)
    )
    session, payment = _paid_at_stripe(container, bought, company)
    _record_paid(container, bought, company, session, payment)  # Stripe and Lessor agree
    gateway = container.payment_gateway
    assert isinstance(gateway, StandInGateway)
    lessor_cli = cli_runner(  # the CLI asks the same stand-in, through the SDK
        database_url,
        tmp_path,
        {
            "LESSOR_STRIPE_API_KEY": "sk_test_reconcile",
            "LESSOR_STRIPE_API_BASE": gateway.standin.url,
            "LESSOR_STRIPE_WEBHOOK_SECRET": "whsec_reconcile_test",
        },
    )
    invoicing = container.app.invoicing  # in process: the test's clock and a quick start
    invoicing.run(ctx, UUID(company), "2026-03")
    march = invoicing.issue(ctx, next(_draft_ids(container))).subject_id
    invoicing.credit_note(ctx, march)  # recomputed from the invoice it credits
    with make_client(container) as api:  # a seat added after the issue: a new draft
        added = command(api, shop.admin, sub_id, "seats", {"product_id": plan, "seats": 1})
        assert added.status_code == 200, added.text
    invoicing.run(ctx, UUID(company), "2026-03")

    clean = lessor_cli("reconcile", "--json")
    assert clean.code == 0, clean.out
    counts = {c["name"]: c["checked"] for c in json.loads(clean.out)["checks"]}
    assert counts["issued invoices"] == 2
    assert counts["subscription seats and licences"] == 2
    assert counts["buyouts paid at Stripe"] == 1
    assert counts["projections equal a rebuild"] >= 8

    # 1. The new draft issued through the library with a line the facts do not give.
    draft = draft_to_issue(container.db, next(_draft_ids(container)))
    assert draft is not None
    first = draft.lines[0]
    forged_lines = [replace(first, amount=first.amount + Money(100, "SEK")), *draft.lines[1:]]
    forged = Invoice.issue(
        invoice_id=draft.invoice_id,
        company_id=UUID(company),
        kind=InvoiceKind.INVOICE,
        number="2026-000003",
        issue_date=container.clock.now().date(),
        month=draft.month,
        currency=draft.currency,
        subscription_id=draft.subscription_id,
        lines=forged_lines,
        vat_rate=draft.vat_rate,
        seller={},
        buyer={"name": "Checks AB"},
        cause=ctx.cause,
    )
    container.app.save(forged)
    # 2. A charge the charges view missed (its row gone).
    with container.db.transaction() as tx:
        missed = tx.execute("DELETE FROM charges WHERE company_id = ?", (company,))
    assert missed == 3  # two subscriptions' March and the added seat
    # 3. Stripe has a payment Lessor never heard of; Lessor has one Stripe does not.
    _, unheard_payment = _paid_at_stripe(container, unheard, company)
    _record_paid(container, unpaid, company, "cs_test_never_opened", "pi_never_paid")
    # 4. Licences beyond the two seats, one of them for no member, around the aggregate.
    subscription = container.app.repository.get(UUID(sub_id))
    stranger = uuid4()
    for holder in (UUID(shop.employees[1]), stranger):
        subscription.trigger_event(
            Subscription.LicenceAssigned,
            member_id=holder,
            product_id=UUID(plan),
            **ctx.cause.stamp(UUID(company)),
        )
    container.app.save(subscription)
    other = container.app.repository.get(UUID(second.json()["id"]))  # a second plan for one
    other.trigger_event(
        Subscription.LicenceAssigned,
        member_id=UUID(member),
        product_id=UUID(plan),
        **ctx.cause.stamp(UUID(company)),
    )
    container.app.save(other)

    # 5. A run recorded through the library with usage the ledger never had.
    book = container.app.repository.get(book_id(UUID(company)))
    usage = replace(first, source="usage:2026-02:1", kind="usage", subscription_id=None)
    book.record_run("2026-03", draft.vat_rate, "2026-02", [usage], ctx.cause)
    container.app.save(book)

    planted = lessor_cli("reconcile", "--json")
    assert planted.code == 1
    found = _checks(planted)
    invoice = f"invoice {draft.invoice_id} (2026-000003)"
    other = f"{invoice}: the recomputed invoice has another "
    forged_fields = [p for p in found["issued invoices"] if p.startswith(other)]
    assert sorted(p[len(other) :].split(":")[0] for p in forged_fields) == [
        "gross",
        "lines",
        "net",
        "vat",
    ], found["issued invoices"]
    assert len(found["issued invoices"]) == 5
    run = f"invoice run 2026-03 #{book.runs} of company {company}"
    assert f"{run}: its usage lines are not the ledger's as of the run" in found["issued invoices"]
    gross = _gross_at_25_percent(draft.lines)
    assert (
        f"{other}gross: {gross + 125} SEK recorded, {gross} SEK recomputed"
        in found["issued invoices"]
    )
    assert [p for p in found["projections equal a rebuild"] if "charges" in p] == [
        f"projection charges, table charges: 0 rows only in the live view, {missed} only in a"
        " rebuild"
    ]
    assert sorted(found["buyouts paid at Stripe"]) == sorted(
        [
            f"payment {unheard_payment}, device {unheard}: Stripe has a succeeded payment of"
            " 31600 SEK; no buyout is recorded as paid by it",
            f"device {unpaid}, session cs_test_never_opened, payment pi_never_paid: the buyout"
            " is recorded as paid (31600 SEK); Stripe has no succeeded payment for it",
        ]
    )
    line = f"subscription {sub_id}, product {plan}"
    assert sorted(found["subscription seats and licences"]) == sorted(
        [
            f"{line}: 3 licences are assigned; 2 seats are bought",
            f"{line}, member {stranger}: the licence is held by no member of the company",
            f"member {member} of company {company}: holds 2 plan licences (subscriptions"
            f" {sub_id}, {second.json()['id']})",
        ]
    )
    table = lessor_cli("reconcile", "--check", "buyouts paid at Stripe")  # the one it shows
    assert table.code == 1
    assert str(unheard_payment) in table.out
    assert "buyouts paid at Stripe" in table.out
    assert "issued invoices" not in table.out

    # The same report over HTTP, for operators only, kept where any worker reads it.
    with make_client(container) as api:
        assert api.post("/v1/reconciliations", headers=auth(shop.admin)).status_code == 403
        started = api.post("/v1/reconciliations", headers=auth(shop.operator))
        assert started.status_code == 202, started.text
        run = started.json()
        assert started.headers["Location"] == f"/v1/reconciliations/{run['id']}"
        assert run["status"] in ("running", "done")
        path = f"/v1/reconciliations/{run['id']}"
        assert api.get(path, headers=auth(shop.admin)).status_code == 403
        for _ in range(600):
            run = api.get(path, headers=auth(shop.operator)).json()
            if run["status"] != "running":
                break
            time.sleep(0.1)
        assert (run["status"], run["agrees"], run["error"]) == ("done", False, None)
        by_name = {c["name"]: c for c in run["checks"]}
        stripe = by_name["buyouts paid at Stripe"]["discrepancies"]
        assert {d["subject"] for d in stripe} == {
            f"payment {unheard_payment}, device {unheard}",
            f"device {unpaid}, session cs_test_never_opened, payment pi_never_paid",
        }
        assert {"stripe": "31600 SEK"} in [d["amounts"] for d in stripe]
    container.projector.rebuild("charges")


def _gross_at_25_percent(lines: list[Any]) -> int:
    """The gross of these lines at 25 % VAT, in minor units (the SPEC's default rate)."""
    net = sum(line.amount.minor for line in lines)
    return net + (net * 25 + 50) // 100


def _draft_ids(container: Container) -> Any:
    container.projector.catch_up("invoices")
    with container.db.transaction() as tx:
        rows = tx.fetchall("SELECT invoice_id FROM invoices WHERE status = 'draft'")
    return (UUID(r[0]) for r in rows)
