"""The invoice email (SPEC §6): on issue, the PDF goes to each of the company's admins
through the outbox — once, even after a rebuild — to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest
from aiosmtpd.controller import Controller

from adapters.clock import FixedClock
from adapters.invoice_documents import invoice_pdf
from api.bootstrap import Container, build, init_database
from api.settings import Settings
from domain.model.actor import Role
from domain.model.pricing import Term
from tests.integration.invoice_world import Shop, at, first_local, utc
from tests.integration.test_email_smtp import SENDER, Inbox, free_port


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    handler = Inbox(port=free_port())
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def mailing(database_url: str, inbox: Inbox, tmp_path: Path) -> Iterator[Container]:
    settings = Settings(
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=inbox.port,
        smtp_sender=SENDER,
        outbox_dir=str(tmp_path / "outbox"),
    )
    init_database(settings)
    built = build(settings, clock=FixedClock(utc(2027, 3, 2)))
    try:
        yield built
    finally:
        built.close()


def test_an_issued_invoice_is_emailed_to_each_admin_once_with_its_pdf(
    mailing: Container, inbox: Inbox
) -> None:
    shop = Shop(mailing)
    acme, plan = shop.company(), shop.product()
    for email, role in (("ada@acme.example", Role.ADMIN), ("eve@acme.example", Role.EMPLOYEE)):
        mailing.app.members.register(
            at(utc(2027, 1, 5)),
            company_id=acme,
            email=email,
            name=email.split("@")[0].title(),
            role=role,
            last_employment_day=None,
        )
    shop.subscribe(acme, plan, 5, date(2027, 3, 1), Term.MONTHLY, utc(2027, 2, 20))
    shop.tick(first_local(2027, 3))
    [draft] = shop.drafts(acme)
    mailing.projector.catch_up()
    assert mailing.email_sender.send_due(utc(2027, 3, 2)) == 0  # a draft is not mailed
    number = shop.issue(draft["invoice_id"], utc(2027, 3, 2))
    mailing.projector.catch_up()

    assert mailing.email_sender.send_due(utc(2027, 3, 2, 10)) == 1
    [message] = inbox.messages()
    assert message["To"] == "ada@acme.example"
    assert message["Subject"] == f"Invoice {number} from Lessor Provider AB"
    [pdf] = list(message.iter_attachments())
    assert pdf.get_filename() == f"{number}.pdf"
    invoice = mailing.app.invoicing.get(UUID(draft["invoice_id"]))
    assert pdf.get_content() == invoice_pdf(invoice)

    mailing.projector.rebuild("outbox")
    assert mailing.projector.verify("outbox") == []
    assert mailing.email_sender.send_due(utc(2027, 3, 3)) == 0
    assert len(inbox.messages()) == 1
