"""Due: per aggregate and rule, the next instant a time rule is due (docs/adr/0010).

One generic row — (aggregate_id, rule, company_id, due_at, until) — serves every rule, so
a new capability (the daily rental charge, the monthly invoice run) adds rows, not tables.
Side tables hold what the rules need from the log: each device's lease facts, each
subscription's term dates, members' last employment days and companies' time zones (and
last digest week). The instants come from the pure rules in `domain.model.due`.

The release digest cannot be computed exactly here (readiness depends on other devices'
state), so its row is a bounded chance: any fact that may make a bought device ready opens
the next Monday 09:00 until that day's end; a sent digest re-arms it weekly (something was
ready, and nothing has changed since). 05:00 on D is exact, so it has a row of its own.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from domain.model.company import Company
from domain.model.device import Device
from domain.model.due import (
    DEVICE_RULES,
    INVOICE_RULES,
    RENTAL_RULES,
    SUBSCRIPTION_RULES,
    Due,
    Rule,
    end_of_local_day,
    first_invoice_month,
    invoice_run_due,
    local_day_due,
    next_digest_at,
    next_due,
    next_invoice_month,
    offboarding_digest_at,
    rental_next_charge_day,
    subscription_next_due,
)
from domain.model.invoice import InvoiceBook, parse_month
from domain.model.member import Member
from domain.model.rental_account import RentalAccount
from domain.model.subscription import Subscription
from domain.model.time import local_date
from domain.model.usage_ledger import UsageLedger
from projections.base import Projection, ViewSession
from projections.charges.projection import CHARGE_EVENTS, charge_lines
from projections.due.device_facts import (
    DEVICE_COLUMNS,
    DeviceFacts,
    device_facts,
    folded,
    registered_facts,
    values,
)
from projections.due.rows import (
    company_row,
    company_time_zone,
    device_ids,
    member_last_day,
    put_due,
)
from projections.jsonable import utc_text

# The facts that move a subscription's next charge or term end.
SUBSCRIPTION_EVENTS = (
    Subscription.Created,
    Subscription.TermCharged,
    Subscription.PastTermsCharged,
    Subscription.Renewed,
    Subscription.ConvertedToMonthly,
    Subscription.Ended,
)
# The facts that move a rental account's next daily charge.
RENTAL_EVENTS = (
    RentalAccount.Opened,
    RentalAccount.RentalActivated,
    RentalAccount.DayCharged,
    RentalAccount.Suspended,
    RentalAccount.Resumed,
    RentalAccount.RentalDeactivated,
)


class DueProjection(Projection):
    name = "due"
    version = 4  # v4: the monthly invoice run; v3: rental accounts' daily charge
    # (RENTAL_CHARGE rows, due_rental_accounts); v2: device rows carry lifecycle fields
    tables = {  # noqa: RUF012 (declarative table spec)
        "due": """
            aggregate_id TEXT NOT NULL,
            rule TEXT NOT NULL,
            company_id TEXT NOT NULL,
            due_at TEXT NOT NULL,
            until TEXT,
            PRIMARY KEY (aggregate_id, rule)
        """,
        "due_devices": """
            device_id TEXT PRIMARY KEY,
            company_id TEXT NOT NULL,
            registered_position BIGINT NOT NULL,
            contract_type TEXT NOT NULL,
            renewal_date TEXT,
            assignee_id TEXT,
            status TEXT NOT NULL,
            received BOOLEAN NOT NULL,
            phase TEXT NOT NULL,
            final_decision TEXT,
            overdue BOOLEAN NOT NULL,
            checkout_expires_at TEXT,
            buyer_id TEXT,
            replacement_for TEXT,
            bought BOOLEAN NOT NULL
        """,
        "due_subscriptions": """
            subscription_id TEXT PRIMARY KEY,
            company_id TEXT NOT NULL,
            term_start TEXT NOT NULL,
            term_end TEXT NOT NULL,
            charged_through TEXT NOT NULL
        """,
        "due_members": """
            member_id TEXT PRIMARY KEY,
            last_employment_day TEXT NOT NULL
        """,
        "due_rental_accounts": """
            account_id TEXT PRIMARY KEY,
            company_id TEXT NOT NULL,
            rentals INTEGER NOT NULL,
            suspended BOOLEAN NOT NULL,
            charged_through TEXT
        """,
        "due_companies": """
            company_id TEXT PRIMARY KEY,
            time_zone TEXT NOT NULL,
            last_digest_week TEXT
        """,
        "due_invoice_runs": """
            company_id TEXT PRIMARY KEY,
            next_month TEXT NOT NULL
        """,
    }
    indexes = (
        "CREATE INDEX IF NOT EXISTS {due}_by_time ON {due} (due_at)",
        "CREATE INDEX IF NOT EXISTS {due}_by_company ON {due} (company_id, rule)",
        "CREATE INDEX IF NOT EXISTS {due_devices}_by_company"
        " ON {due_devices} (company_id, bought, registered_position)",
        "CREATE INDEX IF NOT EXISTS {due_devices}_by_buyer ON {due_devices} (buyer_id)",
        "CREATE INDEX IF NOT EXISTS {due_devices}_by_original ON {due_devices} (replacement_for)",
        "CREATE INDEX IF NOT EXISTS {due_subscriptions}_by_company"
        " ON {due_subscriptions} (company_id)",
    )
    handles = (
        Company.Registered,
        Company.TimeZoneChanged,
        Company.ReleaseDigestSent,
        Member.Registered,
        Member.LastEmploymentDaySet,
        Device.Event,
        *SUBSCRIPTION_EVENTS,
        *RENTAL_EVENTS,
        *CHARGE_EVENTS,
        UsageLedger.ChangesRecorded,
        InvoiceBook.RunRecorded,
    )

    def apply(self, event: Any, position: int, view: ViewSession) -> None:
        if isinstance(event, Device.Event):
            self._device(event, position, view)
        elif isinstance(event, (*SUBSCRIPTION_EVENTS, *CHARGE_EVENTS)):
            if isinstance(event, SUBSCRIPTION_EVENTS):
                self._subscription(event, view)
            if isinstance(event, CHARGE_EVENTS) and charge_lines(event):
                self._first_charge(view, str(event.company_id), event.at)
        elif isinstance(event, RENTAL_EVENTS):
            self._rental_account(event, view)
        elif isinstance(event, UsageLedger.ChangesRecorded) and event.changes:
            self._first_charge(view, str(event.company_id), event.at)  # usage is billed too
        elif isinstance(event, Member.Registered | Member.LastEmploymentDaySet):
            self._member(event, view)
        elif isinstance(event, Company.Registered):
            view.execute(
                "INSERT INTO {due_companies} (company_id, time_zone, last_digest_week)"
                " VALUES (?, ?, NULL)",
                (str(event.originator_id), event.time_zone),
            )
        elif isinstance(event, InvoiceBook.RunRecorded):
            self._invoice_run(view, str(event.company_id), parse_month(event.month))
        elif isinstance(event, Company.TimeZoneChanged):
            self._time_zone_changed(event, view)
        elif isinstance(event, Company.ReleaseDigestSent):
            self._digest_sent(event, view)

    # ------------------------------------------------------------------ devices

    def _device(self, event: Any, position: int, view: ViewSession) -> None:
        device = str(event.originator_id)
        if isinstance(event, Device.Registered):
            facts = registered_facts(event, position)
            row = (device, *values(facts))
            view.execute(
                f"INSERT INTO {{due_devices}} (device_id, {DEVICE_COLUMNS})"  # noqa: S608
                f" VALUES ({', '.join('?' for _ in row)})",
                row,
            )
            if facts.replacement_for:  # a replacement may make its original ready
                self._hint_for_original(view, facts.replacement_for, event.at)
            return
        before = device_facts(view, device)
        if before is None:
            return
        after = folded(before, event)
        if after != before:
            view.execute(
                "UPDATE {due_devices} SET "  # noqa: S608 (our column names)
                + ", ".join(f"{c.strip()} = ?" for c in DEVICE_COLUMNS.split(","))
                + " WHERE device_id = ?",
                (*values(after), device),
            )
        tz = company_time_zone(view, after.company_id)
        due = next_due(after, tz)
        if due != next_due(before, tz):
            put_due(view, device, DEVICE_RULES, after.company_id, due)
        if isinstance(event, Device.BuyoutPaid | Device.Released):
            self._offboarding(view, device, after, event.at)
        if after.bought or before.bought:  # anything on a bought device may change readiness
            self._digest_chance(view, after.company_id, event.at)
        elif after.replacement_for:
            self._hint_for_original(view, after.replacement_for, event.at)

    def _hint_for_original(self, view: ViewSession, original: str, at: datetime) -> None:
        row = view.fetchone(
            "SELECT company_id FROM {due_devices} WHERE device_id = ? AND bought", (original,)
        )
        if row is not None:
            self._digest_chance(view, row[0], at)

    # ------------------------------------------------------------ the digest

    def _digest_chance(self, view: ViewSession, company: str, at: datetime) -> None:
        """Something may have made a device ready: try the next Monday 09:00 (that day)."""
        bought = view.fetchone(
            "SELECT 1 FROM {due_devices} WHERE company_id = ? AND bought LIMIT 1", (company,)
        )
        if bought is None:
            put_due(view, company, (Rule.RELEASE_DIGEST,), company, None)
            return
        tz, sent_week = company_row(view, company)
        when = next_digest_at(at, tz, sent_week=sent_week)
        until = end_of_local_day(when, tz)
        put_due(
            view, company, (Rule.RELEASE_DIGEST,), company, Due(Rule.RELEASE_DIGEST, when), until
        )

    def _offboarding(
        self, view: ViewSession, device: str, facts: DeviceFacts, at: datetime
    ) -> None:
        """05:00 on the buyer's last employment day makes a bought device ready, exactly."""
        day = member_last_day(view, facts.buyer_id) if facts.bought else None
        due = None
        if day is not None:
            tz, sent_week = company_row(view, facts.company_id)
            when = offboarding_digest_at(day, tz, known_at=at, sent_week=sent_week)
            due = Due(Rule.OFFBOARDING_RELEASE, when)
        put_due(view, device, (Rule.OFFBOARDING_RELEASE,), facts.company_id, due)

    def _digest_sent(self, event: Company.ReleaseDigestSent, view: ViewSession) -> None:
        company = str(event.originator_id)
        view.execute(
            "UPDATE {due_companies} SET last_digest_week = ? WHERE company_id = ?",
            (event.week, company),
        )
        tz, _ = company_row(view, company)
        next_week = utc_text(next_digest_at(event.at, tz, sent_week=event.week))
        # Something was ready and nothing has changed since: every Monday until it has.
        view.execute(
            "UPDATE {due} SET due_at = ?, until = NULL WHERE aggregate_id = ? AND rule = ?",
            (next_week, company, Rule.RELEASE_DIGEST.value),
        )
        view.execute(
            "UPDATE {due} SET due_at = ? WHERE company_id = ? AND rule = ? AND due_at < ?",
            (next_week, company, Rule.OFFBOARDING_RELEASE.value, next_week),
        )

    # --------------------------------------------------------------- members

    def _member(
        self, event: Member.Registered | Member.LastEmploymentDaySet, view: ViewSession
    ) -> None:
        member = str(event.originator_id)
        view.execute("DELETE FROM {due_members} WHERE member_id = ?", (member,))
        if event.last_employment_day is not None:
            view.execute(
                "INSERT INTO {due_members} (member_id, last_employment_day) VALUES (?, ?)",
                (member, event.last_employment_day.isoformat()),
            )
        if isinstance(event, Member.Registered):
            return
        for device in device_ids(view, "buyer_id = ? AND bought", (member,)):
            facts = device_facts(view, device)
            assert facts is not None
            self._offboarding(view, device, facts, event.at)
            self._digest_chance(view, facts.company_id, event.at)

    # --------------------------------------------------------- subscriptions

    def _subscription(self, event: Any, view: ViewSession) -> None:
        sub = str(event.originator_id)
        if isinstance(event, Subscription.Created):
            view.execute(
                "INSERT INTO {due_subscriptions} (subscription_id, company_id, term_start,"
                " term_end, charged_through) VALUES (?, ?, ?, ?, ?)",
                (
                    sub,
                    str(event.company_id),
                    event.start_date.isoformat(),
                    event.term_end.isoformat(),
                    event.start_date.isoformat(),
                ),
            )
        elif isinstance(event, Subscription.TermCharged):
            view.execute(
                "UPDATE {due_subscriptions} SET charged_through = ? WHERE subscription_id = ?",
                (event.period_end.isoformat(), sub),
            )
        elif isinstance(event, Subscription.Renewed | Subscription.ConvertedToMonthly):
            view.execute(
                "UPDATE {due_subscriptions} SET term_start = ?, term_end = ?"
                " WHERE subscription_id = ?",
                (event.term_start.isoformat(), event.term_end.isoformat(), sub),
            )
        elif isinstance(event, Subscription.PastTermsCharged):
            end = event.period_end.isoformat()
            view.execute(
                "UPDATE {due_subscriptions} SET term_start = ?, term_end = ?, charged_through = ?"
                " WHERE subscription_id = ?",
                (event.term_start.isoformat(), end, end, sub),
            )
        elif isinstance(event, Subscription.Ended):
            view.execute("DELETE FROM {due_subscriptions} WHERE subscription_id = ?", (sub,))
        self._subscription_due(view, sub, str(event.company_id))

    def _subscription_due(self, view: ViewSession, sub: str, company: str) -> None:
        row = view.fetchone(
            "SELECT term_start, term_end, charged_through FROM {due_subscriptions}"
            " WHERE subscription_id = ?",
            (sub,),
        )
        due = None
        if row is not None:
            rule, day = subscription_next_due(
                term_start=date.fromisoformat(row[0]),
                term_end=date.fromisoformat(row[1]),
                charged_through=date.fromisoformat(row[2]),
            )
            due = Due(rule, local_day_due(day, company_time_zone(view, company)))
        put_due(view, sub, SUBSCRIPTION_RULES, company, due)

    # ------------------------------------------------------- rental accounts

    def _rental_account(self, event: Any, view: ViewSession) -> None:
        account, company = str(event.originator_id), str(event.company_id)
        if isinstance(event, RentalAccount.Opened):
            view.execute(
                "INSERT INTO {due_rental_accounts} (account_id, company_id, rentals, suspended,"
                " charged_through) VALUES (?, ?, 0, FALSE, NULL)",
                (account, company),
            )
            return
        if isinstance(event, RentalAccount.RentalActivated):
            view.execute(
                "UPDATE {due_rental_accounts} SET rentals = rentals + 1,"
                " charged_through = COALESCE(charged_through, ?) WHERE account_id = ?",
                (event.day.isoformat(), account),
            )
        elif isinstance(event, RentalAccount.DayCharged):
            view.execute(
                "UPDATE {due_rental_accounts} SET charged_through = ? WHERE account_id = ?",
                (event.day.isoformat(), account),
            )
        elif isinstance(event, RentalAccount.Suspended | RentalAccount.Resumed):
            view.execute(
                "UPDATE {due_rental_accounts} SET suspended = ? WHERE account_id = ?",
                (isinstance(event, RentalAccount.Suspended), account),
            )
        elif isinstance(event, RentalAccount.RentalDeactivated):
            view.execute(
                "UPDATE {due_rental_accounts} SET rentals = rentals - 1 WHERE account_id = ?",
                (account,),
            )
            view.execute(  # the last rental's end clears the account (RentalAccount too)
                "UPDATE {due_rental_accounts} SET suspended = FALSE, charged_through = NULL"
                " WHERE account_id = ? AND rentals = 0",
                (account,),
            )
        self._rental_due(view, account, company)

    def _rental_due(self, view: ViewSession, account: str, company: str) -> None:
        row = view.fetchone(
            "SELECT rentals, suspended, charged_through FROM {due_rental_accounts}"
            " WHERE account_id = ?",
            (account,),
        )
        assert row is not None, account  # opened before anything else happens to it
        day = rental_next_charge_day(
            rentals=int(row[0]),
            suspended=bool(row[1]),
            charged_through=date.fromisoformat(row[2]) if row[2] else None,
        )
        due = (
            None
            if day is None
            else Due(Rule.RENTAL_CHARGE, local_day_due(day, company_time_zone(view, company)))
        )
        put_due(view, account, RENTAL_RULES, company, due)

    # ------------------------------------------------------------- invoice runs

    def _first_charge(self, view: ViewSession, company: str, at: datetime) -> None:
        """A company with nothing to invoice has no monthly run; its first charge arms it."""
        row = view.fetchone("SELECT 1 FROM {due_invoice_runs} WHERE company_id = ?", (company,))
        if row is None:
            month = first_invoice_month(local_date(at, company_time_zone(view, company)))
            view.execute(
                "INSERT INTO {due_invoice_runs} (company_id, next_month) VALUES (?, ?)",
                (company, month.isoformat()),
            )
            self._invoice_due(view, company, month)

    def _invoice_run(self, view: ViewSession, company: str, ran: date) -> None:
        row = view.fetchone(
            "SELECT next_month FROM {due_invoice_runs} WHERE company_id = ?", (company,)
        )
        current = date.fromisoformat(row[0]) if row else None
        month = next_invoice_month(current, ran)
        view.execute("DELETE FROM {due_invoice_runs} WHERE company_id = ?", (company,))
        view.execute(
            "INSERT INTO {due_invoice_runs} (company_id, next_month) VALUES (?, ?)",
            (company, month.isoformat()),
        )
        self._invoice_due(view, company, month)

    def _invoice_due(self, view: ViewSession, company: str, month: date) -> None:
        due = Due(Rule.INVOICE_RUN, invoice_run_due(month, company_time_zone(view, company)))
        put_due(view, company, INVOICE_RULES, company, due)

    # ------------------------------------------------------------- time zones

    def _time_zone_changed(self, event: Company.TimeZoneChanged, view: ViewSession) -> None:
        """Local wall times move with the zone: every instant of the company again."""
        company = str(event.originator_id)
        view.execute(
            "UPDATE {due_companies} SET time_zone = ? WHERE company_id = ?",
            (event.time_zone, company),
        )
        for device in device_ids(view, "company_id = ? AND renewal_date IS NOT NULL", (company,)):
            facts = device_facts(view, device)
            assert facts is not None
            put_due(
                view,
                device,
                DEVICE_RULES,
                company,
                next_due(facts, event.time_zone),
            )
            if facts.bought:
                self._offboarding(view, device, facts, event.at)
        for (sub,) in view.fetchall(
            "SELECT subscription_id FROM {due_subscriptions} WHERE company_id = ?", (company,)
        ):
            self._subscription_due(view, sub, company)
        for (account,) in view.fetchall(
            "SELECT account_id FROM {due_rental_accounts} WHERE company_id = ?", (company,)
        ):
            self._rental_due(view, account, company)
        self._digest_chance(view, company, event.at)
        row = view.fetchone(
            "SELECT next_month FROM {due_invoice_runs} WHERE company_id = ?", (company,)
        )
        if row is not None:
            self._invoice_due(view, company, date.fromisoformat(row[0]))
