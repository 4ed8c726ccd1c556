"""The history's hash chain: each row of `checks` carries the SHA-256 of a canonical form of itself
and of the row before it, so that a row changed, removed or inserted with plain SQLite shows.

The canonical form is the row's values, the previous hash among them, as compact JSON with the
columns in a fixed order. The first row's previous hash is GENESIS. A database from before the
chain is chained when it is migrated: its rows are hashed then, in their order, and the `chain`
table says when, so a verification can say that those rows are vouched for since then only.

The chain proves that the file was not edited after the fact, without a key: whoever rewrites
every hash from a row on can forge it. The head hash, printed by `history verify` and written in
every report (signed ones too), is what pins it: a later head that does not extend it is a forgery.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
# Every column of `checks` but the hash itself, in the order they are hashed.
HASHED = (
    "id",
    "account",
    "setting",
    "state_before",
    "state_after",
    "action",
    "verified",
    "outcome",
    "detail",
    "started_at",
    "checked_at",
    "tool_version",
    "browser_version",
    "evidence",
    "previous_state",
    "drift",
    "prev_hash",
)
# Columns added later, hashed after the others only when one of them holds something: a row from
# before them keeps the hash it was given.
HASHED_WHEN_SET = ("proof", "proof_sha256")
_COLUMNS = (*HASHED, *HASHED_WHEN_SET, "row_hash")


def row_hash(values: dict[str, Any]) -> str:
    """The hash of one row, given its values (the previous hash among them)."""
    hashed = [values[column] for column in HASHED]
    later = [values[column] for column in HASHED_WHEN_SET]
    if any(value is not None for value in later):
        hashed += later
    canonical = json.dumps(hashed, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def head(db: sqlite3.Connection) -> str:
    """The hash of the last row, GENESIS for an empty history."""
    row = db.execute("SELECT row_hash FROM checks ORDER BY id DESC LIMIT 1").fetchone()
    return GENESIS if row is None or row[0] is None else str(row[0])


def seal(db: sqlite3.Connection, row_id: int) -> None:
    """Give the row `row_id`, just inserted as the last one, its place in the chain."""
    previous = db.execute(
        "SELECT row_hash FROM checks WHERE id < ? ORDER BY id DESC LIMIT 1", (row_id,)
    ).fetchone()
    prev_hash = GENESIS if previous is None else str(previous[0])
    db.execute("UPDATE checks SET prev_hash = ? WHERE id = ?", (prev_hash, row_id))
    values = _values(db, row_id)
    db.execute("UPDATE checks SET row_hash = ? WHERE id = ?", (row_hash(values), row_id))


def chain_existing(db: sqlite3.Connection, at: str) -> None:
    """Chain the rows a database held before it had a chain (a migration), and say when."""
    rows = [row_id for (row_id,) in db.execute("SELECT id FROM checks ORDER BY id")]
    for row_id in rows:
        seal(db, row_id)
    db.execute("INSERT INTO chain (started_at, rows_before) VALUES (?, ?)", (at, len(rows)))


@dataclass(frozen=True)
class Verification:
    """What `history verify` found: the rows, the head, and the first row that breaks the chain."""

    rows: int
    head: str
    broken_at: int | None = None
    problem: str | None = None
    started_at: str | None = None
    """When an older database was chained (its migration), if it was."""
    rows_before: int = 0

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify(db: sqlite3.Connection) -> Verification:
    """Walk the whole chain; stop at the first row that was changed, removed or inserted."""
    started = db.execute("SELECT started_at, rows_before FROM chain ORDER BY rowid LIMIT 1").fetchone()
    started_at, rows_before = (None, 0) if started is None else (str(started[0]), int(started[1]))
    previous_hash, previous_id, count = GENESIS, 0, 0
    for row in db.execute(f"SELECT {', '.join(_COLUMNS)} FROM checks ORDER BY id"):  # noqa: S608
        values = dict(zip(_COLUMNS, row, strict=True))
        row_id = values["id"]
        count += 1
        problem = None
        if values["row_hash"] is None or values["prev_hash"] is None:
            problem = f"row {row_id} was inserted: it has no place in the chain"
        elif values["prev_hash"] != previous_hash:
            problem = (
                f"the row before row {row_id} was removed (row {previous_id + 1} is missing)"
                if row_id != previous_id + 1
                else f"row {row_id} does not follow row {previous_id}: one of them was inserted or replaced"
            )
        elif row_hash(values) != values["row_hash"]:
            problem = f"row {row_id} was changed"
        if problem is not None:
            return Verification(count, previous_hash, row_id, problem, started_at, rows_before)
        previous_hash, previous_id = str(values["row_hash"]), row_id
    return Verification(count, previous_hash, None, None, started_at, rows_before)


def _values(db: sqlite3.Connection, row_id: int) -> dict[str, Any]:
    row = db.execute(f"SELECT {', '.join(_COLUMNS)} FROM checks WHERE id = ?", (row_id,)).fetchone()  # noqa: S608
    return dict(zip(_COLUMNS, row, strict=True))
