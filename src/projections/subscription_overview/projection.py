"""Subscription overview: per subscription its term, renewal, PO; per product line the seats
bought, assigned and free; per company the management right in force (SPEC §3)."""

from __future__ import annotations

from typing import Any

from domain.model.company import Company
from domain.model.subscription import SeatLine, Subscription
from projections.base import Projection, ViewSession

ENDED_STATUSES = ("expired", "cancelled")


class SubscriptionOverview(Projection):
    name = "subscription_overview"
    version = 2  # 2: the company's management right
    tables = {  # noqa: RUF012 (declarative table spec)
        "subscriptions": """
            subscription_id TEXT PRIMARY KEY,
            company_id TEXT NOT NULL,
            created_position BIGINT NOT NULL,
            status TEXT NOT NULL,
            term TEXT NOT NULL,
            start_date TEXT NOT NULL,
            term_start TEXT NOT NULL,
            term_end TEXT NOT NULL,
            charged_through TEXT NOT NULL,
            renewal_option TEXT NOT NULL,
            cancel_at_term_end BOOLEAN NOT NULL,
            po_reference TEXT,
            separate_invoice BOOLEAN NOT NULL,
            version INTEGER NOT NULL
        """,
        "subscription_lines": """
            subscription_id TEXT NOT NULL,
            product_id TEXT NOT NULL,
            product_name TEXT NOT NULL,
            kind TEXT NOT NULL,
            seats INTEGER NOT NULL,
            assigned INTEGER NOT NULL,
            pending_removal INTEGER NOT NULL,
            unit_price_minor BIGINT NOT NULL,
            currency TEXT NOT NULL,
            PRIMARY KEY (subscription_id, product_id)
        """,
        # Only companies whose right was ever set; the others have the default (full).
        "company_rights": """
            company_id TEXT PRIMARY KEY,
            management_right TEXT NOT NULL
        """,
    }
    handles = (Subscription.Event, Company.ManagementRightGranted)
    indexes = (
        "CREATE INDEX IF NOT EXISTS {subscriptions}_by_company"
        " ON {subscriptions} (company_id, created_position)",
        "CREATE INDEX IF NOT EXISTS {subscriptions}_by_status"
        " ON {subscriptions} (status, created_position)",
    )

    def apply(self, event: Any, position: int, view: ViewSession) -> None:
        if isinstance(event, Company.ManagementRightGranted):
            company = str(event.originator_id)
            view.execute("DELETE FROM {company_rights} WHERE company_id = ?", (company,))
            view.execute(
                "INSERT INTO {company_rights} (company_id, management_right) VALUES (?, ?)",
                (company, event.right),
            )
            return
        if not isinstance(event, Subscription.Event):
            return
        sub = str(event.originator_id)
        if isinstance(event, Subscription.Created):
            view.execute(
                "INSERT INTO {subscriptions} (subscription_id, company_id, created_position,"
                " status, term, start_date, term_start, term_end, charged_through,"
                " renewal_option, cancel_at_term_end, po_reference, separate_invoice, version)"
                " VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    sub,
                    str(event.company_id),
                    position,
                    str(event.term),
                    event.start_date.isoformat(),
                    event.start_date.isoformat(),
                    event.term_end.isoformat(),
                    event.start_date.isoformat(),
                    str(event.renewal_option),
                    False,
                    event.po_reference,
                    event.separate_invoice,
                    event.originator_version,
                ),
            )
            for line in event.lines:
                self._insert_line(view, sub, line)
            return
        self._update(view, sub, "version = ?", event.originator_version)
        if isinstance(event, Subscription.TermCharged):
            self._update(
                view, sub, "status = 'active', charged_through = ?", event.period_end.isoformat()
            )
        elif isinstance(event, Subscription.PastTermsCharged):  # at the last past term
            view.execute(
                "UPDATE {subscriptions} SET status = 'active', term = ?, term_start = ?,"
                " term_end = ?, charged_through = ?, renewal_option = ? WHERE subscription_id = ?",
                (
                    str(event.term),
                    event.term_start.isoformat(),
                    event.period_end.isoformat(),
                    event.period_end.isoformat(),
                    str(event.renewal_option),
                    sub,
                ),
            )
        elif isinstance(event, Subscription.SeatsAdded):
            self._line(view, sub, event.product_id, "seats = seats + ?", event.seats)
        elif isinstance(event, Subscription.SeatRemovalScheduled):
            self._line(
                view, sub, event.product_id, "pending_removal = pending_removal + ?", event.seats
            )
        elif isinstance(event, Subscription.SeatsRemoved):
            self._line(
                view, sub, event.product_id, "seats = seats - ?, pending_removal = 0", event.seats
            )
        elif isinstance(event, Subscription.PoReferenceChanged):
            self._update(view, sub, "po_reference = ?", event.po_reference)
        elif isinstance(event, Subscription.RenewalOptionChanged):
            self._update(view, sub, "renewal_option = ?", str(event.renewal_option))
        elif isinstance(event, Subscription.CancellationScheduled):
            self._update(view, sub, "cancel_at_term_end = ?", True)
        elif isinstance(event, Subscription.Renewed | Subscription.ConvertedToMonthly):
            term = str(event.term) if isinstance(event, Subscription.Renewed) else "monthly"
            view.execute(
                "UPDATE {subscriptions} SET term = ?, term_start = ?, term_end = ?"
                " WHERE subscription_id = ?",
                (term, event.term_start.isoformat(), event.term_end.isoformat(), sub),
            )
            if isinstance(event, Subscription.Renewed):
                self._update(view, sub, "renewal_option = ?", str(event.renewal_option))
            for line in event.lines:
                self._line(
                    view, sub, line.product_id, "unit_price_minor = ?", line.unit_price.minor
                )
        elif isinstance(event, Subscription.Ended):
            self._update(view, sub, "status = ?", str(event.status))
            view.execute(
                "UPDATE {subscription_lines} SET assigned = 0 WHERE subscription_id = ?", (sub,)
            )
        elif isinstance(event, Subscription.LicenceAssigned):
            self._line(view, sub, event.product_id, "assigned = assigned + ?", 1)
        elif isinstance(event, Subscription.LicenceUnassigned):
            self._line(view, sub, event.product_id, "assigned = assigned - ?", 1)

    @staticmethod
    def _insert_line(view: ViewSession, sub: str, line: SeatLine) -> None:
        view.execute(
            "INSERT INTO {subscription_lines} (subscription_id, product_id, product_name, kind,"
            " seats, assigned, pending_removal, unit_price_minor, currency)"
            " VALUES (?, ?, ?, ?, ?, 0, 0, ?, ?)",
            (
                sub,
                str(line.product_id),
                line.product_name,
                str(line.kind),
                line.seats,
                line.unit_price.minor,
                line.unit_price.currency,
            ),
        )

    @staticmethod
    def _update(view: ViewSession, sub: str, assignment: str, value: object) -> None:
        sql = f"UPDATE {{subscriptions}} SET {assignment} WHERE subscription_id = ?"  # noqa: S608
        view.execute(sql, (value, sub))

    @staticmethod
    def _line(view: ViewSession, sub: str, product: object, assignment: str, value: object) -> None:
        sql = (
            f"UPDATE {{subscription_lines}} SET {assignment}"  # noqa: S608 (constant assignments)
            " WHERE subscription_id = ? AND product_id = ?"
        )
        view.execute(sql, (value, sub, str(product)))
