"""Reconciliation: checks that recompute what the facts say and name every disagreement.

Each check reads the event log (a prefix of it, with `--at`: the same cut as `replay`) in
one pass and recomputes from the facts with the domain's own code; where the live read
models are at the same point (no `--at`) their rows are compared too, and every live
projection is verified against a rebuild. A check reports how many subjects it checked and
each discrepancy with the ids and amounts involved (docs/adr/0040-replay-and-reconcile.md,
docs/adr/0045-reconciliation-checks.md).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any
from uuid import UUID

from eventsourcing.utils import resolve_topic

from adapters.event_pages import EventPages, LoggedEvent
from adapters.projector import LiveViewCannotFold, Projector
from adapters.reconcile_invoices import IssuedInvoices
from adapters.reconcile_payments import PaidBuyouts, PaymentsAtStripe
from adapters.reconcile_report import CheckReport, Discrepancy, Reconciliation
from adapters.reconcile_seats import SeatsAndLicences
from adapters.replay import Cut, decode, within
from adapters.sql import Database
from domain.application import LessorApplication
from domain.model.company import Company
from domain.model.rental_account import RentalAccount

__all__ = ["CHECKS", "PROJECTIONS", "CheckReport", "Discrepancy", "Reconciliation", "reconcile"]

PAGE = 2000
PROJECTIONS = "projections equal a rebuild"


def reconcile(
    app: LessorApplication,
    db: Database,
    *,
    cut: Cut | None = None,
    company_id: UUID | None = None,
    stripe: PaymentsAtStripe | None = None,
    projector: Projector | None = None,
    only: Collection[str] | None = None,
) -> Reconciliation:
    """Run the checks named in `only` (default every one, `CHECKS`) over the log (up to
    `cut`), for one company or all of them. Stripe is asked only for the head (without
    `cut`); the projections are verified only for the head and all companies, and only given
    the live `projector`. With no check that reads the log, the log is not read."""
    wanted = set(CHECKS if only is None else only)
    if unknown := sorted(wanted - set(CHECKS)):
        raise ValueError(f"not a reconciliation check: {', '.join(unknown)}")
    accounts = _Accounts(company_id) if _Accounts.name in wanted else None
    invoices = IssuedInvoices(app, company_id) if IssuedInvoices.name in wanted else None
    seats = SeatsAndLicences(app, company_id) if SeatsAndLicences.name in wanted else None
    head_stripe = cut is None and PaidBuyouts.name in wanted
    buyouts = PaidBuyouts(stripe, company_id) if head_stripe else None
    checks: list[Any] = [c for c in (accounts, invoices, seats, buyouts) if c is not None]
    # Company.Registered too: it tells whether the company exists by `cut`, whichever checks run
    reads = (Company.Registered, *(cls for check in checks for cls in check.reads))
    versions: dict[UUID, int] = {}  # each aggregate's version at the current log position
    seen = False
    for logged, event in _facts(app, db, cut, reads) if checks else ():
        if event is not None:
            seen = seen or company_id is None or event.company_id == company_id
            for check in checks:
                if isinstance(event, check.reads):
                    check.fold(event, logged.position, versions)
        versions[_uuid(logged.originator_id)] = logged.originator_version
    if cut is None:  # the live views are at the head, like the facts read here
        with db.transaction() as tx:
            if accounts is not None:
                accounts.compare(tx.fetchall("SELECT account_id, balance FROM rental_accounts"))
            if invoices is not None:
                invoices.compare(
                    tx.fetchall(
                        "SELECT invoice_id, number, net_minor, vat_minor, gross_minor"
                        " FROM invoices WHERE status = 'issued'"
                    )
                )
    reports = [
        c.report(versions) if isinstance(c, SeatsAndLicences) else c.report() for c in checks
    ]
    if PROJECTIONS in wanted and cut is None and company_id is None and projector is not None:
        reports.append(verify_projections(projector))
    return Reconciliation(reports, company_seen=seen)


def verify_projections(projector: Projector) -> CheckReport:
    """Every live projection against a rebuild from the log (`Projector.verify_many`)."""
    found: list[Discrepancy] = []
    statuses = projector.status()
    # One pass over the log for all of them, not one per projection.
    outcomes = projector.verify_many([status.name for status in statuses])
    for name, diffs in outcomes.items():
        if isinstance(diffs, LiveViewCannotFold):
            found.append(Discrepancy(f"projection {name}", str(diffs)))
            continue
        for diff in diffs:
            found.append(
                Discrepancy(
                    f"projection {name}, table {diff.table}",
                    f"{len(diff.only_live)} rows only in the live view,"
                    f" {len(diff.only_rebuilt)} only in a rebuild",
                    {
                        "only_live": [list(r) for r in diff.only_live[:5]],
                        "only_rebuilt": [list(r) for r in diff.only_rebuilt[:5]],
                    },
                )
            )
    return CheckReport(PROJECTIONS, len(statuses), found)


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _facts(
    app: LessorApplication, db: Database, cut: Cut | None, reads: tuple[type, ...]
) -> Iterator[tuple[LoggedEvent, Any]]:
    """Every stored row up to `cut`, in log order, with its domain event decoded when a
    check reads that class (else None: the row still moves its aggregate's version)."""
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
                wanted[logged.topic] = issubclass(resolve_topic(logged.topic), reads)
            yield logged, (decode(app, logged) if wanted[logged.topic] else None)
        if ended:
            return
        position = events[-1].position


class _Accounts:
    """Balance = credits redeemed − credits charged, never negative, each rental day
    (device, day) charged at most once."""

    name = "rental credit balances"
    reads = (
        RentalAccount.Opened,
        RentalAccount.CreditsRedeemed,
        RentalAccount.RentalActivated,
        RentalAccount.DayCharged,
        RentalAccount.Suspended,
    )

    def __init__(self, company_id: UUID | None) -> None:
        self.company_id = company_id
        self.balance: dict[str, int] = {}
        self.charged: dict[str, set[tuple[str, str]]] = {}
        self.found: list[Discrepancy] = []

    def fold(self, event: Any, position: int, versions: object) -> None:
        del position, versions
        if self.company_id is not None and event.company_id != self.company_id:
            return
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
        return CheckReport(self.name, len(self.balance), self.found)


# Every check's name, in report order: what `only` (and `lessor reconcile --check`) selects.
CHECKS = (
    _Accounts.name,
    IssuedInvoices.name,
    SeatsAndLicences.name,
    PaidBuyouts.name,
    PROJECTIONS,
)
