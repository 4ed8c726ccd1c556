"""The objections members submitted through LinkedIn's Data Processing Objection form, as `object`
saw LinkedIn confirm them, kept in the history database (its `objections` table).

Only what the confirmation showed is kept: when, and the reference LinkedIn gave, if any. Never the
text sent, never the member's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from checker.store.emails import email_key
from checker.store.history import History, read_time, stored_time
from checker.store.history_file import transaction

RECORD = "objection_submitted"
"""What the record is called where it is shown (`object --json`, reports)."""

_SINCE = 6
"""The history schema that brought the table: an older file holds no objection."""


@dataclass(frozen=True)
class Objection:
    """One objection LinkedIn confirmed: whose (the account as configured), when (UTC), its reference."""

    account: str
    submitted_at: datetime
    reference: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "submitted_at": stored_time(self.submitted_at),
            "reference": self.reference,
        }


class Objections:
    """The confirmed objections, in `history`'s file (prepared, so at the newest layout)."""

    def __init__(self, history: History) -> None:
        self.file = history.file

    def record(self, objection: Objection) -> None:
        """Append one confirmed objection, committed durably before this returns."""
        with self.file.problems_reported("write"):
            self.file.refuse_unsafe()
            with self.file.connected("rw") as db, transaction(db):
                db.execute(
                    "INSERT INTO objections (account, submitted_at, reference) VALUES (?, ?, ?)",
                    (objection.account, stored_time(objection.submitted_at), objection.reference),
                )

    def latest(self) -> dict[str, Objection]:
        """Each account's latest objection, keyed by `email_key(account)` (any spelling of an email
        finds it). Reads only: a file from before this record (or none) has none."""
        rows = self.file.read_table(
            _SINCE, "SELECT account, submitted_at, reference FROM objections ORDER BY submitted_at, id"
        )
        latest: dict[str, Objection] = {}
        for account, submitted_at, reference in rows:  # oldest first: the newest stays
            latest[email_key(account)] = Objection(account, read_time(submitted_at), reference)
        return latest
