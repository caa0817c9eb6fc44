"""Rental accounts (SPEC §4): per company its balance, daily total, runway and suspension,
per rental its rate and paid days; per key batch its keys and how many were redeemed. Folded
from the account's own facts, which carry the balance and runway each change left."""

from __future__ import annotations

from typing import Any

from domain.model.activation_key import ActivationKey, KeyBatch
from domain.model.rental_account import RentalAccount
from projections.base import Projection, ViewSession
from projections.jsonable import utc_text


class RentalAccounts(Projection):
    name = "rental_accounts"
    version = 1
    tables = {  # noqa: RUF012 (declarative table spec)
        "rental_accounts": """
            account_id TEXT PRIMARY KEY,
            company_id TEXT NOT NULL,
            opened_position BIGINT NOT NULL,
            balance BIGINT NOT NULL,
            daily_total BIGINT NOT NULL,
            runway TEXT,
            suspended_since TEXT,
            version INTEGER NOT NULL
        """,
        "rental_account_rentals": """
            account_id TEXT NOT NULL,
            device_id TEXT NOT NULL,
            rate BIGINT NOT NULL,
            since TEXT NOT NULL,
            paid_through TEXT NOT NULL,
            PRIMARY KEY (account_id, device_id)
        """,
        "key_batches": """
            batch_id TEXT PRIMARY KEY,
            issued_position BIGINT NOT NULL,
            company_id TEXT,
            credits BIGINT NOT NULL,
            key_count INTEGER NOT NULL,
            redeemed INTEGER NOT NULL,
            price_minor BIGINT,
            currency TEXT,
            label TEXT NOT NULL,
            issued_at TEXT NOT NULL,
            voided_at TEXT
        """,
        "key_batch_of": """
            key_id TEXT PRIMARY KEY,
            batch_id TEXT NOT NULL
        """,
    }
    handles = (
        RentalAccount.Event,
        KeyBatch.Issued,
        KeyBatch.Voided,
        ActivationKey.Issued,
        ActivationKey.Redeemed,
    )
    indexes = (
        "CREATE INDEX IF NOT EXISTS {rental_accounts}_by_company ON {rental_accounts} (company_id)",
        "CREATE INDEX IF NOT EXISTS {key_batches}_by_position ON {key_batches} (issued_position)",
        # The operator-wide list and its `suspended` filter, in list order (ADR 0051).
        "CREATE INDEX IF NOT EXISTS {rental_accounts}_in_order"
        " ON {rental_accounts} (opened_position)",
        "CREATE INDEX IF NOT EXISTS {rental_accounts}_suspended"
        " ON {rental_accounts} (opened_position) WHERE suspended_since IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS {rental_accounts}_running"
        " ON {rental_accounts} (opened_position) WHERE suspended_since IS NULL",
    )

    def apply(self, event: Any, position: int, view: ViewSession) -> None:
        if isinstance(event, RentalAccount.Event):
            self._account(event, position, view)
        elif isinstance(event, KeyBatch.Issued):
            price = event.price
            view.execute(
                "INSERT INTO {key_batches} (batch_id, issued_position, company_id, credits,"
                " key_count, redeemed, price_minor, currency, label, issued_at, voided_at)"
                " VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, NULL)",
                (
                    str(event.originator_id),
                    position,
                    str(event.company_id) if event.company_id else None,
                    event.credits,
                    event.count,
                    price.minor if price else None,
                    price.currency if price else None,
                    event.label,
                    utc_text(event.at),
                ),
            )
        elif isinstance(event, KeyBatch.Voided):
            view.execute(
                "UPDATE {key_batches} SET voided_at = ? WHERE batch_id = ?",
                (utc_text(event.at), str(event.originator_id)),
            )
        elif isinstance(event, ActivationKey.Issued):
            view.execute(
                "INSERT INTO {key_batch_of} (key_id, batch_id) VALUES (?, ?)",
                (str(event.originator_id), str(event.batch_id)),
            )
        elif isinstance(event, ActivationKey.Redeemed):
            view.execute(
                "UPDATE {key_batches} SET redeemed = redeemed + 1 WHERE batch_id ="
                " (SELECT batch_id FROM {key_batch_of} WHERE key_id = ?)",
                (str(event.originator_id),),
            )

    def _account(self, event: Any, position: int, view: ViewSession) -> None:
        account = str(event.originator_id)
        if isinstance(event, RentalAccount.Opened):
            view.execute(
                "INSERT INTO {rental_accounts} (account_id, company_id, opened_position, balance,"
                " daily_total, runway, suspended_since, version) VALUES (?, ?, ?, 0, 0, NULL,"
                " NULL, ?)",
                (account, str(event.company_id), position, event.originator_version),
            )
            return
        if isinstance(event, RentalAccount.RentalActivated):
            day = event.day.isoformat()
            view.execute(
                "INSERT INTO {rental_account_rentals} (account_id, device_id, rate, since,"
                " paid_through) VALUES (?, ?, ?, ?, ?)",
                (account, str(event.device_id), event.rate, day, day),
            )
        elif isinstance(event, RentalAccount.DayCharged):
            for device in event.lines:
                view.execute(
                    "UPDATE {rental_account_rentals} SET paid_through = ?"
                    " WHERE account_id = ? AND device_id = ?",
                    (event.day.isoformat(), account, device),
                )
        elif isinstance(event, RentalAccount.RentalDeactivated):
            view.execute(
                "DELETE FROM {rental_account_rentals} WHERE account_id = ? AND device_id = ?",
                (account, str(event.device_id)),
            )
        elif isinstance(event, RentalAccount.RentalSwapped):
            view.execute(
                "UPDATE {rental_account_rentals} SET device_id = ?"
                " WHERE account_id = ? AND device_id = ?",
                (str(event.replacement_id), account, str(event.device_id)),
            )
        self._summary(event, account, view)

    @staticmethod
    def _summary(event: Any, account: str, view: ViewSession) -> None:
        """Balance and runway as the event states them; the daily total from the rentals."""
        total = view.fetchone(
            "SELECT COALESCE(SUM(rate), 0), COUNT(*), MIN(paid_through)"
            " FROM {rental_account_rentals} WHERE account_id = ?",
            (account,),
        )
        assert total is not None
        daily_total, rentals, paid = int(total[0]), int(total[1]), total[2]
        sets = ["daily_total = ?", "version = ?"]
        values: list[Any] = [daily_total, event.originator_version]
        if hasattr(event, "balance"):
            sets.append("balance = ?")
            values.append(event.balance)
        if hasattr(event, "runway"):
            sets.append("runway = ?")
            values.append(event.runway.isoformat() if event.runway else None)
        if isinstance(event, RentalAccount.Suspended):
            sets += ["suspended_since = ?", "runway = ?"]  # nothing more is paid for
            values += [event.day.isoformat(), paid]
        elif isinstance(event, RentalAccount.Resumed) or rentals == 0:
            sets.append("suspended_since = NULL")
        view.execute(
            "UPDATE {rental_accounts} SET " + ", ".join(sets) + " WHERE account_id = ?",  # noqa: S608
            (*values, account),
        )
