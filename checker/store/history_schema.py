"""The history database's layout: the tables a new file gets, and the steps that bring an older
file up to date. A new layout adds one migration, changes `CREATE` to match, and raises
SCHEMA_VERSION; history.py applies them.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from functools import cache

SCHEMA_VERSION = 6
"""The layout this version writes, kept in the file's `PRAGMA user_version`."""

# What each account's category pages listed when last read, and every change to them a run saw
# (see checker/store/listings.py). A new file and a migrated one get the same.
_LISTINGS = (
    """CREATE TABLE listings (
    account         TEXT NOT NULL,
    category        TEXT NOT NULL,
    path            TEXT NOT NULL,
    label           TEXT NOT NULL,
    PRIMARY KEY (account, category, path)
)""",
    """CREATE TABLE site_changes (
    id              INTEGER PRIMARY KEY,
    category        TEXT NOT NULL,
    change          TEXT NOT NULL,
    label           TEXT NOT NULL,
    path            TEXT NOT NULL,
    account         TEXT NOT NULL,
    seen_at         TEXT NOT NULL
)""",
)

# The objections a member submitted through LinkedIn's form, as `object` saw them confirmed
# (checker/store/objections.py).
_OBJECTIONS = """CREATE TABLE objections (
    id              INTEGER PRIMARY KEY,
    account         TEXT NOT NULL,
    submitted_at    TEXT NOT NULL,
    reference       TEXT
)"""

# When a database from before the hash chain was chained (checker/store/history_chain.py).
_CHAIN = "CREATE TABLE chain (started_at TEXT NOT NULL, rows_before INTEGER NOT NULL)"

# A new file gets the newest layout in one go.
CREATE = (
    """CREATE TABLE checks (
    id              INTEGER PRIMARY KEY,
    account         TEXT NOT NULL,
    setting         TEXT NOT NULL,
    state_before    TEXT NOT NULL,
    state_after     TEXT,
    action          TEXT NOT NULL,
    verified        INTEGER NOT NULL,
    outcome         TEXT NOT NULL,
    detail          TEXT NOT NULL,
    started_at      TEXT NOT NULL,
    checked_at      TEXT NOT NULL,
    tool_version    TEXT NOT NULL,
    browser_version TEXT,
    evidence        TEXT,
    previous_state  TEXT,
    drift           INTEGER NOT NULL DEFAULT 0,
    prev_hash       TEXT,
    row_hash        TEXT,
    proof           TEXT,
    proof_sha256    TEXT
)""",
    "CREATE INDEX checks_by_account ON checks (account, checked_at)",
    *_LISTINGS,
    _CHAIN,
    _OBJECTIONS,
)

# The statements that take a file from version n - 1 to version n, keyed by n. A new layout adds
# one entry here, changes `CREATE` to match, and raises SCHEMA_VERSION.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    # The previous release created the version 1 layout without numbering it (user_version 0).
    1: ("CREATE INDEX IF NOT EXISTS checks_by_account ON checks (account, checked_at)",),
    # Where a failure's evidence bundle was saved (issue 6); NULL for the checks before it.
    2: ("ALTER TABLE checks ADD COLUMN evidence TEXT",),
    # The state last recorded before the check, and whether LinkedIn had switched it back on.
    3: (
        "ALTER TABLE checks ADD COLUMN previous_state TEXT",
        "ALTER TABLE checks ADD COLUMN drift INTEGER NOT NULL DEFAULT 0",
    ),
    # The settings LinkedIn's category pages list, to notice one it adds or drops (issue 17).
    4: _LISTINGS,
    # Each row's place in the hash chain (issue 18); history.py chains the rows already there.
    5: (
        "ALTER TABLE checks ADD COLUMN prev_hash TEXT",
        "ALTER TABLE checks ADD COLUMN row_hash TEXT",
        _CHAIN,
    ),
    # The evidence of a reading kept by `check --evidence always`, and the SHA-256 of each of its
    # files, so that the chain covers them; and the objections a member submitted.
    6: (
        "ALTER TABLE checks ADD COLUMN proof TEXT",
        "ALTER TABLE checks ADD COLUMN proof_sha256 TEXT",
        _OBJECTIONS,
    ),
}
CHAINED = 5
"""The version from which rows are chained: a migration to it chains the rows already there."""


def user_version(db: sqlite3.Connection) -> int:
    (version,) = db.execute("PRAGMA user_version").fetchone()
    return int(version)


def columns(db: sqlite3.Connection) -> set[str]:
    return {str(row[1]) for row in db.execute("PRAGMA table_info(checks)")}


@cache
def newest_columns() -> set[str]:
    """The columns of the checks table `CREATE` makes, so the expectation cannot drift from it."""
    with closing(sqlite3.connect(":memory:")) as db:
        for statement in CREATE:
            db.execute(statement)
        return columns(db)
