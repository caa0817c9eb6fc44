"""Reconciliation: checks that recompute what the facts say and name every disagreement.

Each check reads the event log (a prefix of it, with `--at`: the same cut as `replay`) and
recomputes from the facts; where the live read models are at the same point (no `--at`)
their rows are compared too. A check reports how many subjects it checked and each
discrepancy with the ids and amounts involved (docs/adr/0040-replay.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.utils import resolve_topic

from adapters.event_pages import EventPages
from adapters.replay import Cut, decode, within
from adapters.sql import Database
from domain.application import LessorApplication
from domain.model.invoice import Invoice, invoice_totals
from domain.model.rental_account import RentalAccount

PAGE = 2000


@dataclass(frozen=True, slots=True)
class Discrepancy:
    subject: str  # e.g. "account <id>", "invoice <id> (2026-000001)"
    problem: str
    amounts: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class CheckReport:
    name: str
    checked: int = 0
    discrepancies: list[Discrepancy] = field(default_factory=list)


@dataclass(slots=True)
class Reconciliation:
    checks: list[CheckReport]
    company_seen: bool

    @property
    def agrees(self) -> bool:
        return not any(c.discrepancies for c in self.checks)


def reconcile(
    app: LessorApplication, db: Database, *, cut: Cut | None = None, company_id: UUID | None = None
) -> Reconciliation:
    """Run every check over the log (up to `cut`), for one company or all of them."""
    accounts = _Accounts()
    invoices = _Invoices()
    seen = False
    for event in _facts(app, db, cut):
        if company_id is not None and getattr(event, "company_id", None) != company_id:
            continue
        seen = True
        if isinstance(event, _ACCOUNT_EVENTS):
            accounts.fold(event)
        elif isinstance(event, Invoice.Issued):
            invoices.fold(event)
    if cut is None:  # the live views are at the head, like the facts read here
        with db.transaction() as tx:
            accounts.compare(tx.fetchall("SELECT account_id, balance FROM rental_accounts"))
            invoices.compare(
                tx.fetchall(
                    "SELECT invoice_id, number, net_minor, vat_minor, gross_minor FROM invoices"
                    " WHERE status = 'issued'"
                )
            )
    return Reconciliation([accounts.report(), invoices.report()], company_seen=seen)


_ACCOUNT_EVENTS = (
    RentalAccount.Opened,
    RentalAccount.CreditsRedeemed,
    RentalAccount.RentalActivated,
    RentalAccount.DayCharged,
    RentalAccount.Suspended,
)
_CHECKED = (*_ACCOUNT_EVENTS, Invoice.Issued)


def _facts(app: LessorApplication, db: Database, cut: Cut | None) -> Iterator[Any]:
    """The decoded events the checks read, in log order, up to `cut`."""
    pages, position, wanted = EventPages(app.recorder, db.dialect), 0, {}
    stop = cut.position if cut is not None else None
    while True:
        with db.transaction() as tx:
            events = pages.after(tx, position, PAGE, stop=stop)
        if not events:
            return
        kept, ended = within(app, events, cut) if cut is not None else (events, False)
        for logged in kept:
            if logged.topic not in wanted:
                wanted[logged.topic] = issubclass(resolve_topic(logged.topic), _CHECKED)
            if wanted[logged.topic]:
                yield decode(app, logged)
        if ended:
            return
        position = events[-1].position


class _Accounts:
    """Balance = credits redeemed − credits charged, never negative, each rental day
    (device, day) charged at most once."""

    def __init__(self) -> None:
        self.balance: dict[str, int] = {}
        self.charged: dict[str, set[tuple[str, str]]] = {}
        self.found: list[Discrepancy] = []

    def fold(self, event: Any) -> None:
        account = str(event.originator_id)
        balance = self.balance.setdefault(account, 0)
        charged = self.charged.setdefault(account, set())
        if isinstance(event, RentalAccount.CreditsRedeemed):
            balance += event.credits
        elif isinstance(event, RentalAccount.RentalActivated):
            balance -= event.rate
            self._charge(account, charged, str(event.device_id), event.day, event.rate)
        elif isinstance(event, RentalAccount.DayCharged):
            if sum(event.lines.values()) != event.total:
                self.found.append(
                    Discrepancy(
                        f"account {account}",
                        f"the charge of {event.day} totals {event.total}, its lines"
                        f" {sum(event.lines.values())}",
                        {"total": event.total, "lines": sum(event.lines.values())},
                    )
                )
            balance -= sum(event.lines.values())
            for device, credits in event.lines.items():
                self._charge(account, charged, device, event.day, credits)
        self.balance[account] = balance
        if balance < 0:
            self.found.append(
                Discrepancy(
                    f"account {account}",
                    f"the balance went negative at version {event.originator_version}",
                    {"balance": balance},
                )
            )
        recorded = getattr(event, "balance", None)
        if recorded is not None and recorded != balance:
            self.found.append(
                Discrepancy(
                    f"account {account}",
                    f"version {event.originator_version} records a balance of {recorded};"
                    f" redeemed − charged is {balance}",
                    {"recorded": recorded, "computed": balance},
                )
            )

    def _charge(
        self, account: str, charged: set[tuple[str, str]], device: str, day: Any, credits: int
    ) -> None:
        key = (device, str(day))
        if key in charged:
            self.found.append(
                Discrepancy(
                    f"account {account}, device {device}",
                    f"the rental day {day} is charged a second time",
                    {"credits": credits},
                )
            )
        charged.add(key)

    def compare(self, rows: list[tuple[Any, ...]]) -> None:
        viewed = {str(account_id): int(balance) for account_id, balance in rows}
        for account, balance in self.balance.items():
            if account in viewed and viewed[account] != balance:
                self.found.append(
                    Discrepancy(
                        f"account {account}",
                        f"the read model shows a balance of {viewed[account]}; the facts {balance}",
                        {"view": viewed[account], "facts": balance},
                    )
                )

    def report(self) -> CheckReport:
        return CheckReport("rental credit balances", len(self.balance), self.found)


class _Invoices:
    """Each issued invoice's totals are its lines' sum with VAT rounded once; its number is
    unique; the read model shows the same number and totals."""

    def __init__(self) -> None:
        self.issued: dict[str, tuple[str, int, int, int]] = {}  # id → number, net, vat, gross
        self.numbers: Counter[str] = Counter()
        self.found: list[Discrepancy] = []

    def fold(self, event: Any) -> None:
        invoice = str(event.originator_id)
        totals = invoice_totals(
            [line.amount for line in event.lines], event.currency, event.vat_rate
        )
        stated = (event.net.minor, event.vat.minor, event.gross.minor)
        computed = (totals.net.minor, totals.vat.minor, totals.gross.minor)
        if stated != computed:
            self.found.append(
                Discrepancy(
                    f"invoice {invoice} ({event.number})",
                    f"net/VAT/gross {stated} do not match its lines: {computed}",
                    {"stated": stated, "computed": computed, "currency": event.currency},
                )
            )
        self.numbers[event.number] += 1
        if self.numbers[event.number] == 2:
            self.found.append(
                Discrepancy(f"number {event.number}", "two issued invoices carry this number")
            )
        self.issued[invoice] = (event.number, *stated)

    def compare(self, rows: list[tuple[Any, ...]]) -> None:
        viewed = {str(r[0]): (str(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows}
        for invoice, facts in self.issued.items():
            view = viewed.get(invoice)
            if view is not None and view != facts:
                self.found.append(
                    Discrepancy(
                        f"invoice {invoice} ({facts[0]})",
                        f"the read model shows number/net/VAT/gross {view}; the facts {facts}",
                        {"view": view, "facts": facts},
                    )
                )

    def report(self) -> CheckReport:
        return CheckReport("issued invoices", len(self.issued), self.found)
