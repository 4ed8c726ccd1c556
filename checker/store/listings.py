"""What each account's settings category pages listed when last read, and the changes runs saw in
them, kept in the history database (its `listings` and `site_changes` tables).

An account's first reading only learns. After it, an item a page lists that it did not list
before is `added`, and a setting of the catalog it no longer lists is `removed`. Accounts in
different regions see different lists, so each account's list is its own; a change is reported
once for all of them, by the run that first sees it, and again only when the item changes back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from datetime import datetime

from checker.core.outcome import Change, Listed, SiteChange
from checker.store.emails import email_key
from checker.store.history import History, read_time, stored_time
from checker.store.history_file import transaction

_SINCE = 4
"""The history schema that brought the tables: an older file holds no listing."""


class Listings:
    """The category pages' lists, in `history`'s file (prepared, so at the newest layout)."""

    def __init__(self, history: History) -> None:
        self.file = history.file

    def remember(
        self,
        account: str,
        category: str,
        items: Sequence[Listed],
        catalog_paths: Collection[str],
        *,
        seen_at: datetime,
    ) -> list[SiteChange]:
        """Keep `items` as what `category`'s page lists for `account`, and return the changes since
        the account's last reading that no run reported before. `catalog_paths`: the pages of the
        catalog's settings, the only ones whose absence is a change."""
        key = email_key(account)
        with self.file.problems_reported("write"):
            self.file.refuse_unsafe()
            with self.file.connected("rw") as db, transaction(db):
                before = dict(
                    db.execute(
                        "SELECT path, label FROM listings WHERE account = ? AND category = ?",
                        (key, category),
                    ).fetchall()
                )
                now = {item.path: item.label for item in items}
                seen: list[tuple[Change, str, str]] = []
                if before:  # else the first reading: it only learns
                    seen += [(Change.ADDED, now[path], path) for path in now if path not in before]
                    seen += [
                        (Change.REMOVED, label, path)
                        for path, label in before.items()
                        if path in catalog_paths and path not in now
                    ]
                changes = [
                    SiteChange(category, change, label, path, account, seen_at)
                    for change, label, path in seen
                    if _last_change(db, category, path) != change
                ]
                db.executemany(
                    "INSERT INTO site_changes (category, change, label, path, account, seen_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (c.category, c.change.value, c.label, c.path, c.account, stored_time(seen_at))
                        for c in changes
                    ],
                )
                db.execute("DELETE FROM listings WHERE account = ? AND category = ?", (key, category))
                db.executemany(
                    "INSERT INTO listings (account, category, path, label) VALUES (?, ?, ?, ?)",
                    [(key, category, path, label) for path, label in now.items()],
                )
        return changes

    def changes(self, since: datetime | None = None) -> list[SiteChange]:
        """The changes on record, oldest first; those seen at `since` or later when given. Reads
        only: a file from before this record (or none) has none."""
        rows = self.file.read_table(
            _SINCE, "SELECT category, change, label, path, account, seen_at FROM site_changes ORDER BY id"
        )
        found = [
            SiteChange(category, Change(change), label, path, account, read_time(seen_at))
            for category, change, label, path, account, seen_at in rows
        ]
        return [change for change in found if since is None or change.seen_at >= since]


def _last_change(db: sqlite3.Connection, category: str, path: str) -> Change | None:
    row = db.execute(
        "SELECT change FROM site_changes WHERE category = ? AND path = ? ORDER BY id DESC LIMIT 1",
        (category, path),
    ).fetchone()
    return None if row is None else Change(row[0])
