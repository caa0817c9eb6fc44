"""Email delivery against a real SMTP server (aiosmtpd on 127.0.0.1), on SQLite and PostgreSQL.

The emails come from real end-of-lease facts made by the application's commands (the
scheduler's R − 1 month rule, a buyout paid through a payment event, the Monday digest, a
release), folded by the real projector into the outbox, and sent by the real sender.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from aiosmtpd.controller import Controller

from adapters.clock import FixedClock
from adapters.email import EmailSender, SmtpTransport
from api.bootstrap import Container, build, init_database
from api.settings import Settings
from domain.application import CommandContext
from domain.model.actor import Actor, Caller, Role
from domain.model.device import ContractType
from domain.model.money import Money
from domain.ports import CheckoutRequest, CheckoutSession, PaymentEvent
from projections.jsonable import utc_text
from tests.e2e._cli import Run, cli_runner
from tests.integration import world

RENEWAL = date(2029, 3, 1)
AT_FINAL = datetime(2029, 2, 1, 6, 0, tzinfo=UTC)  # after 00:00 Stockholm on R − 1 month
PRICE = Money.of("4500.00", "SEK")
SENDER = "lessor@acme.test"


# --- a real SMTP server --------------------------------------------------------------------


@dataclass
class Inbox:
    """An aiosmtpd handler: keeps what it accepts; refuses the next `refusals` with 451, and
    the recipients in `refused_recipients` with the reply given there."""

    port: int = 0
    refusals: int = 0
    refused_recipients: dict[str, str] = field(default_factory=dict)
    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        with self._lock:
            refusal = self.refused_recipients.get(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self._lock:
            if self.refusals > 0:
                self.refusals -= 1
                return "451 4.3.0 Try again later"
            parsed = message_from_bytes(envelope.original_content, policy=default)
            assert isinstance(parsed, EmailMessage)
            self.received.append(parsed)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 2.0.0 OK"

    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self.received)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
def settings(database_url: str, inbox: Inbox, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=inbox.port,
        smtp_sender=SENDER,
        outbox_dir=str(tmp_path / "outbox"),
        projector_poll_s=0.05,
    )


@pytest.fixture
def container(settings: Settings) -> Iterator[Container]:
    init_database(settings)
    built = build(settings, clock=FixedClock(AT_FINAL), gateway=FakeStripe())
    try:
        yield built
    finally:
        built.close()


# --- real facts through the application -----------------------------------------------------


class FakeStripe:
    """The payment provider's side of a checkout (a port the application is given)."""

    def open_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        return CheckoutSession(
            session_id=f"cs_test_{request.attempt}",
            url="https://checkout.example/pay",
            expires_at=AT_FINAL + timedelta(days=1),
        )

    def expire_checkout(self, session_id: str) -> None:
        pass


@dataclass
class Acme:
    company_id: UUID
    admin: Caller
    ann: Caller
    device_id: UUID


def acme(container: Container) -> Acme:
    """Acme offers buyouts; Ann uses a leased laptop with a manual buyout price."""
    app = container.app
    company_id = app.companies.register(
        world.ctx(),
        name="Acme AB",
        currency="SEK",
        time_zone="Europe/Stockholm",
        vat_rate=Decimal("25"),
        settings={"device_buyout": True},
    ).subject_id
    for email, name in [("alice@acme.test", "Alice Admin"), ("adam@acme.test", "Adam Admin")]:
        app.members.register(
            world.ctx(),
            company_id=company_id,
            email=email,
            name=name,
            role=Role.ADMIN,
            last_employment_day=None,
        )
    ann_id = world.member(app, company_id, "ann@acme.test")
    device_id = world.device(
        app, company_id, "PF-ANN-0001", lease_start=date(2026, 3, 1), renewal_date=RENEWAL
    )
    admin = Caller(actor=Actor("tok-admin", Role.ADMIN), company_id=company_id)
    app.devices.assign(world.ctx(admin), device_id, ann_id)
    app.valuation.set_buyout_price(world.ctx(admin), device_id, PRICE)
    ann = Caller(actor=Actor("tok-ann", Role.EMPLOYEE), company_id=company_id, member_id=ann_id)
    return Acme(company_id, admin, ann, device_id)


def final_decision_due(container: Container) -> Acme:
    """The scheduler's R − 1 month rule records the request; the outbox folds it."""
    a = acme(container)
    assert container.app.end_of_lease.advance(a.device_id, AT_FINAL) > 0
    container.projector.catch_up("outbox")
    return a


def at(caller: Caller, when: datetime) -> CommandContext:
    """A command by `caller` at business time `when`."""
    context = world.ctx(caller)
    return replace(context, cause=replace(context.cause, at=when))


def outbox_ids(container: Container) -> list[str]:
    with container.db.transaction() as tx:
        return [r[0] for r in tx.fetchall("SELECT message_id FROM outbox_messages ORDER BY 1")]


# --- delivery -------------------------------------------------------------------------------


def test_a_due_email_arrives_once_with_its_headers_and_content(
    container: Container, inbox: Inbox
) -> None:
    final_decision_due(container)
    [message_id] = outbox_ids(container)
    sender = container.email_sender

    assert sender.send_due(AT_FINAL) == 1
    assert sender.send_due(AT_FINAL) == 0
    assert sender.send_due(AT_FINAL + timedelta(hours=2)) == 0

    [message] = inbox.messages()
    assert inbox.envelopes == [(SENDER, ["ann@acme.test"])]
    assert message["To"] == "ann@acme.test"
    assert message["From"] == SENDER
    assert message["Subject"] == "Decide about your ThinkPad X1 before 2029-03-01"
    assert message["Message-ID"] == f"<{message_id}>"
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_content()
    assert "ThinkPad X1, serial PF-ANN-0001" in body
    assert "Buyout price: 4500.00 SEK" in body
    assert "Decide before: 2029-03-01" in body
    delivery = sender.delivery(message_id)
    assert delivery is not None
    assert (delivery.status, delivery.attempts, delivery.sent_at) == ("sent", 1, utc_text(AT_FINAL))


def test_a_refusing_server_means_failed_with_backoff_then_sent_on_a_later_run(
    container: Container, inbox: Inbox
) -> None:
    final_decision_due(container)
    [message_id] = outbox_ids(container)
    sender = container.email_sender
    inbox.refusals = 2

    assert sender.send_due(AT_FINAL) == 0
    first = sender.delivery(message_id)
    assert first is not None
    assert (first.status, first.attempts) == ("failed", 1)
    assert first.next_attempt_at == utc_text(AT_FINAL + timedelta(minutes=1))
    assert first.last_error is not None
    assert "451" in first.last_error

    assert sender.send_due(AT_FINAL + timedelta(seconds=59)) == 0  # backing off: not tried
    assert inbox.refusals == 1

    assert sender.send_due(AT_FINAL + timedelta(minutes=1)) == 0  # tried, refused again
    second = sender.delivery(message_id)
    assert second is not None
    assert (second.status, second.attempts) == ("failed", 2)
    assert second.next_attempt_at == utc_text(AT_FINAL + timedelta(minutes=3))  # 1 + 2 min

    assert sender.send_due(AT_FINAL + timedelta(minutes=3)) == 1
    assert sender.send_due(AT_FINAL + timedelta(hours=5)) == 0
    assert [m["Message-ID"] for m in inbox.messages()] == [f"<{message_id}>"]
    done = sender.delivery(message_id)
    assert done is not None
    assert (done.status, done.attempts, done.last_error) == ("sent", 3, None)


def test_a_recipient_refused_for_good_is_rejected_and_never_retried(
    container: Container, inbox: Inbox
) -> None:
    final_decision_due(container)
    [message_id] = outbox_ids(container)
    sender = container.email_sender
    inbox.refused_recipients = {"ann@acme.test": "550 5.1.1 No such user"}

    assert sender.send_due(AT_FINAL) == 0
    rejected = sender.delivery(message_id)
    assert rejected is not None
    assert (rejected.status, rejected.attempts, rejected.next_attempt_at) == ("rejected", 1, None)
    assert rejected.last_error is not None
    assert "550" in rejected.last_error

    inbox.refused_recipients = {}  # even were the address to work again, a 5xx is final
    assert sender.send_due(AT_FINAL + timedelta(days=1)) == 0
    assert inbox.messages() == []
    again = sender.delivery(message_id)
    assert again is not None
    assert (again.status, again.attempts) == ("rejected", 1)


def test_a_recipient_refused_for_now_is_retried(container: Container, inbox: Inbox) -> None:
    final_decision_due(container)
    [message_id] = outbox_ids(container)
    sender = container.email_sender
    inbox.refused_recipients = {"ann@acme.test": "450 4.2.1 Mailbox busy"}

    assert sender.send_due(AT_FINAL) == 0
    failed = sender.delivery(message_id)
    assert failed is not None
    assert (failed.status, failed.next_attempt_at) == (
        "failed",
        utc_text(AT_FINAL + timedelta(minutes=1)),
    )

    inbox.refused_recipients = {}
    assert sender.send_due(AT_FINAL + timedelta(minutes=1)) == 1
    assert [m["Message-ID"] for m in inbox.messages()] == [f"<{message_id}>"]


def test_backoff_doubles_and_is_capped_at_an_hour(container: Container) -> None:
    backoff = container.email_sender.backoff
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert backoff(7) == timedelta(hours=1)
    assert backoff(500) == timedelta(hours=1)


def test_an_unreachable_server_is_a_failure_to_retry(container: Container, inbox: Inbox) -> None:
    final_decision_due(container)
    [message_id] = outbox_ids(container)
    nobody = EmailSender(
        container.db, SmtpTransport("127.0.0.1", free_port(), timeout_s=5), sender=SENDER
    )

    assert nobody.send_due(AT_FINAL) == 0
    failed = nobody.delivery(message_id)
    assert failed is not None
    assert (failed.status, failed.attempts) == ("failed", 1)

    assert container.email_sender.send_due(AT_FINAL + timedelta(minutes=1)) == 1
    assert len(inbox.messages()) == 1


class CrashAfterHandingOver:
    """The process dies after the server accepted the message, before `sent` is committed."""

    def __init__(self, inner: SmtpTransport) -> None:
        self.inner = inner

    def send(self, message: EmailMessage) -> None:
        self.inner.send(message)
        raise SystemExit("killed")


def test_a_crash_mid_send_is_retried_after_the_lease_with_the_same_message_id(
    container: Container, inbox: Inbox, settings: Settings
) -> None:
    final_decision_due(container)
    [message_id] = outbox_ids(container)
    smtp = SmtpTransport("127.0.0.1", inbox.port)
    crashing = EmailSender(container.db, CrashAfterHandingOver(smtp), sender=SENDER)

    with pytest.raises(SystemExit):
        crashing.send_due(AT_FINAL)
    stuck = container.email_sender.delivery(message_id)
    assert stuck is not None
    assert stuck.status == "sending"

    restarted = container.email_sender
    assert restarted.send_due(AT_FINAL + timedelta(minutes=4)) == 0  # the lease still runs
    assert restarted.send_due(AT_FINAL + timedelta(minutes=5)) == 1
    assert restarted.send_due(AT_FINAL + timedelta(minutes=10)) == 0

    # The documented duplicate window: the second copy is recognisable by its Message-ID.
    assert [m["Message-ID"] for m in inbox.messages()] == [f"<{message_id}>"] * 2


def test_a_rebuild_of_the_outbox_sends_nothing_again(container: Container, inbox: Inbox) -> None:
    final_decision_due(container)
    assert container.email_sender.send_due(AT_FINAL) == 1

    container.projector.rebuild("outbox")

    assert container.projector.verify("outbox") == []
    assert container.email_sender.send_due(AT_FINAL + timedelta(minutes=1)) == 0
    assert len(inbox.messages()) == 1


def test_the_whole_end_of_lease_journey_emails_each_person_once(
    container: Container, inbox: Inbox
) -> None:
    app = container.app
    sender = container.email_sender

    def step_sends(now: datetime) -> int:
        container.projector.catch_up("outbox")
        return sender.send_due(now)

    a = final_decision_due(container)
    assert step_sends(AT_FINAL) == 1
    # Ann buys: a checkout, then the provider's payment event.
    paid_at = AT_FINAL + timedelta(days=2)
    app.end_of_lease.start_buyout(
        at(a.ann, paid_at - timedelta(minutes=10)),
        a.device_id,
        success_url="https://lessor.example/ok",
        cancel_url="https://lessor.example/cancel",
    )
    payment = PaymentEvent(
        provider_event_id="evt_paid_1",
        kind="paid",
        session_id="cs_test_1",
        device_id=a.device_id,
        payment_id="pi_test_1",
        amount=PRICE,
        occurred_at=paid_at,
    )
    assert app.end_of_lease.record_payment_event(payment) == "applied"
    assert (
        app.end_of_lease.record_payment_event(payment) == "duplicate"
    )  # a redelivered webhook: no 2nd
    assert step_sends(paid_at) == 1
    # The replacement arrives with its serial: ready to release, so Monday's digest lists it.
    arrived = datetime(2029, 3, 1, 12, 0, tzinfo=UTC)
    replacement = app.replacements.register(
        at(a.admin, arrived),
        a.device_id,
        serial="PF-ANN-0002",
        model="ThinkPad X1 Gen 12",
        category="laptop",
        company_cost=Money.of("16000.00", "SEK"),
        contract_type=ContractType.LEASED,
        lease_start=date(2029, 2, 20),
        renewal_date=date(2032, 2, 20),
    ).subject_id
    app.replacements.mark_received(at(a.admin, arrived), replacement)
    monday = datetime(2029, 3, 5, 8, 0, tzinfo=UTC)  # 09:00 in Stockholm
    assert app.replacements.send_release_digest(a.company_id, [a.device_id], monday)
    assert not app.replacements.send_release_digest(
        a.company_id, [a.device_id], monday
    )  # once a week
    assert step_sends(monday) == 2
    released = monday + timedelta(hours=1)
    app.replacements.release(at(a.admin, released), a.device_id)
    assert step_sends(released) == 1
    assert step_sends(released + timedelta(hours=2)) == 0

    got = sorted((m["To"], m["Subject"]) for m in inbox.messages())
    assert got == [
        ("adam@acme.test", "1 device ready to release (2029-W10)"),
        ("alice@acme.test", "1 device ready to release (2029-W10)"),
        ("ann@acme.test", "Decide about your ThinkPad X1 before 2029-03-01"),
        ("ann@acme.test", "Receipt: buyout of your ThinkPad X1"),
        ("ann@acme.test", "Your ThinkPad X1 is released to you"),
    ]
    by_subject = {m["Subject"]: m.get_content() for m in inbox.messages()}
    receipt = by_subject["Receipt: buyout of your ThinkPad X1"]
    assert "Amount paid: 4500.00 SEK" in receipt
    assert "Paid at: 2029-02-03 07:00 (Europe/Stockholm)" in receipt
    digest = by_subject["1 device ready to release (2029-W10)"]
    assert "- PF-ANN-0001: ThinkPad X1, bought by Ann" in digest
    confirmation = by_subject["Your ThinkPad X1 is released to you"]
    assert "Released: 2029-03-05 10:00 (Europe/Stockholm)" in confirmation
    assert len({m["Message-ID"] for m in inbox.messages()}) == 5


def test_two_senders_at_once_send_each_message_once(
    container: Container, inbox: Inbox, settings: Settings
) -> None:
    a = final_decision_due(container)
    more = acme_more_devices(container, a)
    container.projector.catch_up("outbox")
    expected = outbox_ids(container)
    assert len(expected) == 1 + more
    others = [build(settings, clock=FixedClock(AT_FINAL)) for _ in range(2)]
    errors: list[BaseException] = []
    totals: list[int] = []

    def run(c: Container) -> None:
        try:
            totals.append(c.email_sender.send_due(AT_FINAL))
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(c,)) for c in [container, *others]]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for c in others:
            c.close()

    assert errors == []
    assert sum(totals) == len(expected)
    assert sorted(m["Message-ID"] for m in inbox.messages()) == sorted(f"<{i}>" for i in expected)


def acme_more_devices(container: Container, a: Acme, count: int = 4) -> int:
    """More employees whose final decisions fall due at the same moment."""
    app = container.app
    company_id = a.company_id
    for n in range(count):
        member_id = world.member(app, company_id, f"emp{n}@acme.test")
        device_id = world.device(
            app, company_id, f"PF-{n:04d}", lease_start=date(2026, 3, 1), renewal_date=RENEWAL
        )
        app.devices.assign(world.ctx(a.admin), device_id, member_id)
        assert app.end_of_lease.advance(device_id, AT_FINAL) > 0
    return count


def test_old_history_is_expired_not_sent(container: Container, inbox: Inbox) -> None:
    final_decision_due(container)
    [message_id] = outbox_ids(container)

    assert container.email_sender.send_due(AT_FINAL + timedelta(days=8)) == 0

    expired = container.email_sender.delivery(message_id)
    assert expired is not None
    assert expired.status == "expired"
    assert inbox.messages() == []


# --- .eml files when no SMTP host is configured ----------------------------------------------


def test_without_an_smtp_host_each_message_is_one_eml_file(
    database_url: str, tmp_path: Path
) -> None:
    outbox_dir = tmp_path / "eml"
    settings = Settings(database_url=database_url, outbox_dir=str(outbox_dir))
    init_database(settings)
    c = build(settings, clock=FixedClock(AT_FINAL))
    try:
        acme_more_devices(c, final_decision_due(c), count=2)
        c.projector.catch_up("outbox")
        ids = outbox_ids(c)

        assert c.email_sender.send_due(AT_FINAL) == 3
        assert c.email_sender.send_due(AT_FINAL + timedelta(hours=1)) == 0
    finally:
        c.close()

    files = sorted(outbox_dir.glob("*.eml"))
    assert [f.name for f in files] == sorted(f"{i}.eml" for i in ids)
    assert not list(outbox_dir.glob(".*"))  # no temporary files left behind
    parsed = message_from_bytes(files[0].read_bytes(), policy=default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Message-ID"] == f"<{files[0].name.removesuffix('.eml')}>"
    assert parsed["From"] == "lessor@localhost"
    assert parsed["Subject"].startswith("Decide about your ThinkPad X1 before 2029-03-01")
    assert "Decide before: 2029-03-01" in parsed.get_content()


# --- the CLI --------------------------------------------------------------------------------


def _lessor_cli(database_url: str, inbox: Inbox, tmp_path: Path) -> Callable[..., Run]:
    smtp = {"LESSOR_SMTP_HOST": "127.0.0.1", "LESSOR_SMTP_PORT": str(inbox.port)}
    return cli_runner(database_url, tmp_path, smtp)


def test_lessor_email_send_due_folds_the_outbox_and_sends_what_is_due(
    database_url: str, inbox: Inbox, tmp_path: Path
) -> None:
    lessor = _lessor_cli(database_url, inbox, tmp_path)
    assert lessor("db", "init").code == 0
    settings = Settings(database_url=database_url)
    c = build(settings)
    try:
        a = acme(c)
        c.app.end_of_lease.advance(a.device_id, AT_FINAL)  # the outbox is not folded yet
    finally:
        c.close()

    first = lessor("email", "send-due", "--at", "2029-02-01T06:00:00Z")
    again = lessor("email", "send-due", "--at", "2029-02-01T07:00:00Z")

    assert first.code == 0, first.err
    assert "sent 1 email(s)" in first.out
    assert again.code == 0, again.err
    assert "sent 0 email(s)" in again.out
    assert [m["To"] for m in inbox.messages()] == ["ann@acme.test"]


def test_lessor_email_send_due_names_a_rejected_email(
    database_url: str, inbox: Inbox, tmp_path: Path
) -> None:
    lessor = _lessor_cli(database_url, inbox, tmp_path)
    assert lessor("db", "init").code == 0
    c = build(Settings(database_url=database_url))
    try:
        c.app.end_of_lease.advance(acme(c).device_id, AT_FINAL)
    finally:
        c.close()
    inbox.refused_recipients = {"ann@acme.test": "550 5.1.1 No such user"}

    result = lessor("email", "send-due", "--at", "2029-02-01T06:00:00Z")

    assert result.code == 0, result.err
    assert "sent 0 email(s)" in result.out
    assert "rejected, not retried:" in result.out
    assert "550" in result.out
