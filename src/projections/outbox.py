"""Outbox: the emails the end-of-lease flow sends (SPEC §2.2), as rows to be delivered.

One row per message, derived from the log alone: the final-decision request to the
assignee at R − 1 month, the buyout receipt (when the company has receipts on as of the
payment), the release confirmation to the buyer and the Monday digest to each admin.
Names, addresses, device details and company settings come from side tables fed by the
same events, so a rebuild from position zero writes the same rows with the same ids.

Whether a message was sent is *not* kept here (a rebuild would forget it): the sender
records deliveries in its own table, keyed by `message_id` (adapters/email.py). So a
message id must never change for a given fact — it is the event's aggregate id, version
and the message's index among those the event produced, which also makes the SMTP
Message-ID globally unique and the same on every retry.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from domain.model.company import DEFAULT_SETTINGS, Company
from domain.model.device import Device
from domain.model.invoice import Invoice
from domain.model.member import Member
from domain.model.money import Money
from domain.model.time import zone
from projections.base import Projection, ViewSession, update_row
from projections.jsonable import utc_text

MESSAGES_TABLE = "outbox_messages"
SIGNATURE = "Lessor"


class Kind:
    FINAL_DECISION = "final_decision"
    RECEIPT = "buyout_receipt"
    RELEASED = "release_confirmation"
    DIGEST = "release_digest"
    INVOICE = "invoice"


def message_id(event: Any, n: int) -> str:
    """Deterministic and globally unique: the same fact always yields the same id."""
    return f"{event.originator_id}.{event.originator_version}.{n}@lessor"


def one_line(text: str) -> str:
    """Header-safe: user-entered names never carry line breaks into a Subject."""
    return " ".join(text.split())


class Outbox(Projection):
    name = "outbox"
    version = 2  # v2: invoice emails to the company's admins, with the invoice's PDF
    tables = {  # noqa: RUF012 (declarative table spec)
        MESSAGES_TABLE: """
            message_id TEXT PRIMARY KEY,
            position BIGINT NOT NULL,
            company_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            device_id TEXT,
            recipient TEXT NOT NULL,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at TEXT NOT NULL,
            attachment TEXT
        """,
        "outbox_members": """
            member_id TEXT PRIMARY KEY,
            company_id TEXT NOT NULL,
            email TEXT NOT NULL,
            name TEXT NOT NULL,
            role TEXT NOT NULL
        """,
        "outbox_devices": """
            device_id TEXT PRIMARY KEY,
            company_id TEXT NOT NULL,
            model TEXT NOT NULL,
            serial TEXT NOT NULL,
            category TEXT NOT NULL,
            assignee_id TEXT
        """,
        "outbox_companies": """
            company_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            time_zone TEXT NOT NULL,
            currency TEXT NOT NULL,
            buyout_receipts INTEGER NOT NULL
        """,
    }
    handles = (
        Company.Registered,
        Company.Renamed,
        Company.TimeZoneChanged,
        Company.SettingsChanged,
        Company.ReleaseDigestSent,
        Member.Registered,
        Device.Registered,
        Device.SerialRecorded,
        Device.Assigned,
        Device.Unassigned,
        Device.FinalDecisionRequested,
        Device.ReturnChosen,
        Device.BuyoutCheckoutStarted,
        Device.BuyoutPaid,
        Device.Released,
        Invoice.Issued,
    )
    indexes = (
        "CREATE INDEX IF NOT EXISTS {outbox_messages}_by_position ON {outbox_messages} (position)",
    )

    def apply(self, event: Any, position: int, view: ViewSession) -> None:
        # --- side tables: who, what, which company (and its settings as of each event)
        if isinstance(event, Company.Registered):
            receipts = event.settings.get("buyout_receipts", DEFAULT_SETTINGS["buyout_receipts"])
            view.execute(
                "INSERT INTO {outbox_companies} (company_id, name, time_zone, currency,"
                " buyout_receipts) VALUES (?, ?, ?, ?, ?)",
                (
                    str(event.originator_id),
                    event.name,
                    event.time_zone,
                    event.currency,
                    int(bool(receipts)),
                ),
            )
        elif isinstance(event, Company.Renamed):
            update_row(view, "outbox_companies", "company_id", event, name=event.name)
        elif isinstance(event, Company.TimeZoneChanged):
            update_row(view, "outbox_companies", "company_id", event, time_zone=event.time_zone)
        elif isinstance(event, Company.SettingsChanged):
            if "buyout_receipts" in event.changes:
                receipts_on = int(bool(event.changes["buyout_receipts"]))
                update_row(
                    view, "outbox_companies", "company_id", event, buyout_receipts=receipts_on
                )
        elif isinstance(event, Member.Registered):
            view.execute(
                "INSERT INTO {outbox_members} (member_id, company_id, email, name, role)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    str(event.originator_id),
                    str(event.company_id),
                    event.email,
                    event.name,
                    str(event.role),
                ),
            )
        elif isinstance(event, Device.Registered):
            view.execute(
                "INSERT INTO {outbox_devices} (device_id, company_id, model, serial, category,"
                " assignee_id) VALUES (?, ?, ?, ?, ?, NULL)",
                (
                    str(event.originator_id),
                    str(event.company_id),
                    event.model,
                    event.serial,
                    event.category,
                ),
            )
        elif isinstance(event, Device.SerialRecorded):
            update_row(view, "outbox_devices", "device_id", event, serial=event.serial)
        elif isinstance(event, Device.Assigned):
            update_row(view, "outbox_devices", "device_id", event, assignee_id=str(event.member_id))
        elif isinstance(event, Device.Unassigned):
            update_row(view, "outbox_devices", "device_id", event, assignee_id=None)
        # --- the messages
        elif isinstance(event, Device.FinalDecisionRequested):
            self._final_decision(event, position, view)
        elif isinstance(event, Device.ReturnChosen | Device.BuyoutCheckoutStarted):
            self._decided_at_once(event, view)
        elif isinstance(event, Device.BuyoutPaid):
            self._receipt(event, position, view)
        elif isinstance(event, Device.Released):
            self._released(event, position, view)
        elif isinstance(event, Company.ReleaseDigestSent):
            self._digest(event, position, view)
        elif isinstance(event, Invoice.Issued):
            self._invoice(event, position, view)

    # ---------------------------------------------------------------- messages

    def _final_decision(
        self, event: Device.FinalDecisionRequested, position: int, view: ViewSession
    ) -> None:
        device = _device(view, event.originator_id)
        company = _company(view, event.company_id)
        member = _member(view, event.member_id)
        if device is None or company is None or member is None:
            return
        deadline = _day(event.deadline)
        if event.price is not None:
            price_line = f"Buyout price: {_money(event.price)}"
            options = (
                "- To buy it: open Lessor, choose the device and select “Buy out”. You pay"
                f" {_money(event.price)} by card; your decision is final once the payment"
                " succeeds.\n"
                "- To return it: open Lessor, choose the device and select “Return”. This is"
                " final at once; your IT team will tell you how to hand it in once your"
                " replacement has arrived."
            )
        else:
            price_line = (
                "Buyout price: not offered (this device cannot be bought out, only returned)"
            )
            options = (
                "- Open Lessor, choose the device and select “Return”. This is final at once;"
                " your IT team will tell you how to hand it in once your replacement has"
                " arrived."
            )
        body = (
            f"Hello {member['name']},\n\n"
            f"The lease of your {device['model']} ends on {deadline}. It is time to make"
            " your final decision about the device.\n\n"
            f"Device: {device['model']}, serial {device['serial'] or '(not recorded)'}\n"
            f"{price_line}\n"
            f"Decide before: {deadline} 00:00 ({company['time_zone']})\n\n"
            f"What to do:\n{options}\n\n"
            f"Without a decision before {deadline} the device stays with you, and your IT"
            " team sees it as overdue.\n"
        )
        subject = f"Decide about your {device['model']} before {deadline}"
        self._to_holder(view, event, position, Kind.FINAL_DECISION, member, company, subject, body)

    def _decided_at_once(self, event: Any, view: ViewSession) -> None:
        """A command that finds the request due records it and the employee's decision in one
        go (same instant): they are deciding in front of the screen, so no "please decide"
        email. A request from an earlier instant keeps its email."""
        view.execute(
            "DELETE FROM {outbox_messages} WHERE device_id = ? AND kind = ? AND created_at = ?",
            (str(event.originator_id), Kind.FINAL_DECISION, utc_text(event.at)),
        )

    def _receipt(self, event: Device.BuyoutPaid, position: int, view: ViewSession) -> None:
        device = _device(view, event.originator_id)
        company = _company(view, event.company_id)
        if device is None or company is None or not company["buyout_receipts"]:
            return
        buyer = _member(view, device["assignee_id"]) if device["assignee_id"] else None
        if buyer is None:
            return
        body = (
            f"Hello {buyer['name']},\n\n"
            f"Thank you: we have received your payment for the buyout of your"
            f" {device['model']}.\n\n"
            f"Device: {device['model']}, serial {device['serial'] or '(not recorded)'}\n"
            f"Amount paid: {_money(event.amount)}\n"
            f"Paid at: {_local(event.paid_at, company['time_zone'])}\n"
            f"Payment reference: {event.payment_id or event.session_id}\n"
            f"Sold by: {company['name']}\n\n"
            "The device is bought. Keep using it for work until your replacement arrives;"
            " your IT team then releases it to you and you get a confirmation.\n"
        )
        subject = f"Receipt: buyout of your {device['model']}"
        self._to_holder(view, event, position, Kind.RECEIPT, buyer, company, subject, body)

    def _released(self, event: Device.Released, position: int, view: ViewSession) -> None:
        device = _device(view, event.originator_id)
        company = _company(view, event.company_id)
        buyer_id = event.member_id or (device["assignee_id"] if device else None)
        buyer = _member(view, buyer_id) if buyer_id else None
        if device is None or company is None or buyer is None:
            return
        why = (
            "your employment ends (offboarding)"
            if event.reason == "offboarding"
            else "your replacement device has been received"
        )
        body = (
            f"Hello {buyer['name']},\n\n"
            f"Your {device['model']} has been released: it is no longer part of"
            f" {company['name']}'s hardware and is yours to keep.\n\n"
            f"Device: {device['model']}, serial {device['serial'] or '(not recorded)'}\n"
            f"Released: {_local(event.at, company['time_zone'])}\n"
            f"Why now: {why}\n"
        )
        subject = f"Your {device['model']} is released to you"
        self._to_holder(view, event, position, Kind.RELEASED, buyer, company, subject, body)

    def _digest(self, event: Company.ReleaseDigestSent, position: int, view: ViewSession) -> None:
        company = _company(view, event.originator_id)
        if company is None or not event.devices:
            return
        lines = []
        for d in event.devices:
            serial = d.get("serial") or "(no serial)"
            buyer = d.get("buyer") or "(unknown)"
            lines.append(f"- {serial}: {d.get('model', '')}, bought by {buyer}")
        count = len(event.devices)
        noun = "device is" if count == 1 else "devices are"
        listing = "\n".join(lines)
        for n, recipient in enumerate(event.recipients):
            if not recipient.strip():
                continue
            admin = view.fetchone(
                "SELECT name FROM {outbox_members} WHERE company_id = ? AND email = ?",
                (str(event.originator_id), recipient),
            )
            greeting = f"Hello {admin[0]}," if admin else "Hello,"
            body = (
                f"{greeting}\n\n"
                f"{count} {noun} ready to release at {company['name']} (week {event.week}):"
                " bought out, with every release criterion met.\n\n"
                f"{listing}\n\n"
                "To release one, open the device in Lessor and choose “Release”; its buyer then"
                " gets a confirmation email.\n"
            )
            self._insert(
                view,
                event,
                position,
                n,
                kind=Kind.DIGEST,
                device_id=None,
                recipient=recipient,
                subject=f"{count} {noun.split()[0]} ready to release ({event.week})",
                body=body + _signature(company),
            )

    def _invoice(self, event: Invoice.Issued, position: int, view: ViewSession) -> None:
        """An issued invoice (or credit note) to each of the company's admins, its PDF
        attached by the sender (rendered from the same fact, so the same bytes)."""
        company = _company(view, event.company_id)
        if company is None:
            return
        admins = view.fetchall(
            "SELECT email, name FROM {outbox_members} WHERE company_id = ? AND role = ?"
            " ORDER BY email",
            (str(event.company_id), "admin"),
        )
        title = "Credit note" if event.kind == "credit_note" else "Invoice"
        seller = event.seller.get("name") or SIGNATURE
        for n, (email, name) in enumerate(admins):
            body = (
                f"Hello {name},\n\n"
                f"{title} {event.number} of {_day(event.issue_date)} for {company['name']}"
                f" (billing month {event.month}): net {_money(event.net)}, VAT {event.vat_rate} %"
                f" {_money(event.vat)}, total {_money(event.gross)}.\n\n"
                "The document is attached as a PDF.\n"
            )
            self._insert(
                view,
                event,
                position,
                n,
                kind=Kind.INVOICE,
                device_id=None,
                recipient=email,
                subject=f"{title} {event.number} from {seller}",
                body=body + _signature(company),
                attachment=f"invoice:{event.originator_id}",
            )

    # ----------------------------------------------------------------- helpers

    def _to_holder(
        self,
        view: ViewSession,
        event: Any,
        position: int,
        kind: str,
        holder: dict[str, Any],
        company: dict[str, Any],
        subject: str,
        body: str,
    ) -> None:
        """The event's one message about its device, to the member who holds (or bought) it."""
        self._insert(
            view,
            event,
            position,
            0,
            kind=kind,
            device_id=str(event.originator_id),
            recipient=holder["email"],
            subject=subject,
            body=body + _signature(company),
        )

    def _insert(
        self,
        view: ViewSession,
        event: Any,
        position: int,
        n: int,
        *,
        kind: str,
        device_id: str | None,
        recipient: str,
        subject: str,
        body: str,
        attachment: str | None = None,
    ) -> None:
        view.execute(
            "INSERT INTO {outbox_messages} (message_id, position, company_id, kind, device_id,"
            " recipient, subject, body, created_at, attachment)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                message_id(event, n),
                position,
                str(event.company_id),
                kind,
                device_id,
                recipient,
                one_line(subject),
                body,
                utc_text(event.at),
                attachment,
            ),
        )


def _device(view: ViewSession, device_id: object) -> dict[str, Any] | None:
    columns = ("model", "serial", "category", "assignee_id")
    return _side_row(view, "outbox_devices", "device_id", device_id, columns)


def _company(view: ViewSession, company_id: object) -> dict[str, Any] | None:
    if company_id is None:
        return None
    columns = ("name", "time_zone", "currency", "buyout_receipts")
    return _side_row(view, "outbox_companies", "company_id", company_id, columns)


def _member(view: ViewSession, member_id: object) -> dict[str, Any] | None:
    return _side_row(view, "outbox_members", "member_id", member_id, ("email", "name"))


def _side_row(
    view: ViewSession, table: str, key: str, value: object, columns: tuple[str, ...]
) -> dict[str, Any] | None:
    """What a message needs of one device, company or member, from the side tables."""
    sql = f"SELECT {', '.join(columns)} FROM {{{table}}} WHERE {key} = ?"  # noqa: S608 (ours)
    row = view.fetchone(sql, (str(value),))
    return dict(zip(columns, row, strict=True)) if row is not None else None


def _money(amount: Money) -> str:
    return str(amount)


def _day(d: date) -> str:
    return d.isoformat()


def _local(instant: datetime, time_zone: str) -> str:
    return f"{instant.astimezone(zone(time_zone)):%Y-%m-%d %H:%M} ({time_zone})"


def _signature(company: dict[str, Any]) -> str:
    return f"\n{SIGNATURE}, for {company['name']}\n"
