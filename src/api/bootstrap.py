"""The composition root: Settings → eventsourcing env → application, views and projector."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from adapters.audit_checkpoints import AuditCheckpoints, create_checkpoints_table
from adapters.clock import Clock, SystemClock
from adapters.console_sessions import ConsoleSessions
from adapters.email import EmailSender, EmlFileTransport, SmtpTransport, Transport
from adapters.ids import RandomIds
from adapters.invoice_documents import invoice_attachment
from adapters.invoice_drafts import ViewDrafts
from adapters.licences import LicenceSigner
from adapters.projector import Projector
from adapters.reconcile import Reconciliation, reconcile
from adapters.reconcile_payments import payments_at_stripe
from adapters.reconciliations import Reconciliations
from adapters.sandbox_clock import SandboxClock, SandboxGateway
from adapters.scheduler import Scheduler
from adapters.settings_url import DatabaseUrl
from adapters.signing import SigningKey
from adapters.sql import Database, open_database
from adapters.stripe_gateway import StripeGateway
from adapters.stripe_standin import StandInGateway, StripeStandIn
from adapters.token_watch import WATCH_INTERVAL_S, watch_tokens
from api.settings import DEV_WEBHOOK_SECRET, Settings
from domain.application import LessorApplication
from domain.ports import IdSource, PaymentGateway
from projections.registry import all_projections


@dataclass
class Container:
    settings: Settings
    app: LessorApplication
    db: Database
    projector: Projector
    clock: Clock
    scheduler: Scheduler
    email_sender: EmailSender
    payment_gateway: PaymentGateway
    licence_signer: LicenceSigner
    audit: AuditCheckpoints
    console_sessions: ConsoleSessions
    reconciliations: Reconciliations
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start_projector(self) -> None:
        """Run the projector in a background thread (the default inside `lessor serve`)."""
        self.app.committed_listeners.append(self.projector.wake)
        self._start(
            "lessor-projector",
            self.projector.run_forever,
            self._stop,
            poll_interval_s=self.settings.projector_poll_s,
        )

    def start_token_watch(self, interval_s: float = WATCH_INTERVAL_S) -> None:
        """Authenticate from memory, kept in step with the log (the default inside `lessor
        serve`): the first catch-up notes the log's head, then the watcher runs on."""
        self.app.tokens.catch_up()
        self._start("lessor-token-watch", watch_tokens, self.app.tokens, self._stop, interval_s)

    def start_scheduler(self) -> None:
        """Run the time rules every `scheduler_interval_s` (the default inside `lessor serve`)."""
        self._every(
            "lessor-scheduler", self.scheduler.run_forever, self.settings.scheduler_interval_s
        )

    def start_email_sender(self) -> None:
        """Send due outbox email every `email_interval_s` (the default inside `lessor serve`)."""
        self._every("lessor-email", self.email_sender.run_forever, self.settings.email_interval_s)

    def _every(self, name: str, run_forever: Callable[..., None], interval_s: float) -> None:
        """A worker that runs on business time (`adapters.loop.run_every`), until closed."""
        self._start(name, run_forever, self.clock.now, self._stop, interval_s=interval_s)

    def _start(self, name: str, target: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        thread = threading.Thread(target=target, args=args, kwargs=kwargs, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def close(self) -> None:
        self._stop.set()
        self.projector.wake()
        for thread in self._threads:
            thread.join(timeout=10)
        self.reconciliations.wait()
        if isinstance(self.clock, SandboxClock):
            self.clock.close()
        if isinstance(self.payment_gateway, StandInGateway | SandboxGateway):
            self.payment_gateway.close()  # the local Stripe stand-in, if it was started
        self.app.close()
        self.db.close()


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    create_schema: bool = False,
    gateway: PaymentGateway | None = None,
    ids: IdSource | None = None,
) -> Container:
    """Wire everything. Only `lessor db init` passes create_schema=True (no DDL races).

    `clock` is the wall clock (tests pass a FixedClock); in sandbox mode business time is
    that clock plus the database's sandbox offset. Tests may also pass a payment gateway or
    an id source; the rest comes from `settings`."""
    url = DatabaseUrl(settings.database_url)
    db = open_database(url)  # first: it also creates the SQLite file's directory
    wall = clock or SystemClock()
    business_clock = SandboxClock(db, wall) if settings.mode == "sandbox" else wall
    gateway = gateway or payment_gateway(settings)
    if isinstance(business_clock, SandboxClock):
        gateway = SandboxGateway(gateway, business_clock)
    drafts = ViewDrafts(db)
    app = LessorApplication(
        env=url.eventsourcing_env(create_table=create_schema),
        ids=ids or RandomIds(),
        payment_gateway=gateway,
        invoice_drafts=drafts,
        issued_months=drafts,
        invoice_seller={
            "name": settings.invoice_seller_name,
            "address": settings.invoice_seller_address,
            "vat_id": settings.invoice_seller_vat_id,
            "iban": settings.invoice_seller_iban,
            "country": settings.invoice_seller_country,
        },
        require_en16931=settings.invoice_require_en16931,
    )
    projector = Projector(app, db, all_projections())
    drafts.attach(projector)
    email_sender = EmailSender(
        db,
        email_transport(settings),
        sender=settings.smtp_sender,
        max_age=timedelta(days=settings.email_max_age_days),
        attachments=partial(invoice_attachment, app.invoicing),
    )

    def reconcile_at_head() -> Reconciliation:
        projector.catch_up()  # the live views at the head, like the facts the checks read
        return reconcile(app, db, stripe=payments_at_stripe(gateway), projector=projector)

    reconciliations = Reconciliations(db, reconcile_at_head, wall.now)
    if create_schema:
        projector.create_schema()
        email_sender.create_schema()
        reconciliations.create_schema()
        SandboxClock.create_schema(db)  # in every mode: the database may serve a sandbox later
        ConsoleSessions.create_schema(db)
        create_checkpoints_table(db)
    audit = AuditCheckpoints(db, projector, _seed(settings.audit_signing_key, "audit"))
    return Container(
        settings=settings,
        app=app,
        db=db,
        projector=projector,
        clock=business_clock,
        scheduler=Scheduler(
            app, db, projector, auto_issue_invoices=settings.invoice_auto_issue, audit=audit
        ),
        email_sender=email_sender,
        payment_gateway=gateway,
        licence_signer=LicenceSigner(
            bytes.fromhex(settings.licence_signing_key.get_secret_value())
        ),
        audit=audit,
        # Sign-in sessions expire by the wall clock, whatever a sandbox says (ADR 0041).
        console_sessions=ConsoleSessions(
            db, wall, idle=timedelta(minutes=settings.console_idle_minutes)
        ),
        reconciliations=reconciliations,
    )


def _seed(secret: SecretStr, purpose: str) -> SigningKey:
    try:
        seed = bytes.fromhex(secret.get_secret_value())
    except ValueError:
        raise ValueError(f"The {purpose} signing key is 64 hex digits (a 32-byte seed).") from None
    return SigningKey(seed, purpose)


def email_transport(settings: Settings) -> Transport:
    """SMTP when a host is configured; otherwise one .eml file per message (development)."""
    if settings.smtp_host:
        return SmtpTransport(
            settings.smtp_host,
            settings.smtp_port,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=(
                settings.smtp_password.get_secret_value() if settings.smtp_password else None
            ),
        )
    return EmlFileTransport(Path(settings.outbox_dir))


def payment_gateway(settings: Settings) -> PaymentGateway:
    """Stripe with the configured key (and base, for emulators); without a key, the local
    Stripe stand-in (adapters/stripe_standin/), started on first use on 127.0.0.1."""
    secret = settings.stripe_webhook_secret.get_secret_value()
    api_key = settings.stripe_api_key.get_secret_value() if settings.stripe_api_key else ""
    if api_key:
        if secret == DEV_WEBHOOK_SECRET:
            raise ValueError(
                "LESSOR_STRIPE_API_KEY is set but LESSOR_STRIPE_WEBHOOK_SECRET is the public "
                "development value: set it to the webhook endpoint's signing secret (whsec_…)."
            )
        return StripeGateway(api_key, settings.stripe_api_base)
    standin = StripeStandIn(
        webhook_url=settings.public_url.rstrip("/") + "/webhooks/stripe", webhook_secret=secret
    )
    return StandInGateway(standin)


def init_database(settings: Settings) -> None:
    """Create the event store tables and the view tables once."""
    build(settings, create_schema=True).close()
