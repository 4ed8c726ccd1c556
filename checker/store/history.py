"""The outcome log: every check, in a SQLite database under the tool's home directory.

It records what the tool read and did -- never the account's other data, never a secret. The file
is never followed through a link, never repaired and never read past what it can prove about
itself: a link, a damaged file or one from a newer release is a `ConfigError` naming the file,
raised by `History.prepare()` before a check acts on the site. Damaged means anywhere in the file:
every page is looked at (SQLite's `PRAGMA quick_check`) before a run acts, since a run that acted on
LinkedIn and then could not record it is what this log must never allow.
"""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from checker.core.errors import ConfigError
from checker.core.outcome import Action, CheckResult, Outcome, Proof, SwitchState, utc_now
from checker.core.safe_text import printable
from checker.store import history_chain
from checker.store.history_file import HistoryFile, transaction
from checker.store.history_schema import (
    CHAINED,
    CREATE,
    MIGRATIONS,
    SCHEMA_VERSION,
    columns,
    newest_columns,
    user_version,
)
from checker.store.home import not_a_directory_above

FILE_NAME = "history.sqlite3"

# How far back `last_state` looks for a check that read the setting: a run of failures longer
# than this leaves no previous state, which is said as such (null), never guessed.
_RECENT = 50


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded check, as `history` shows it."""

    result: CheckResult
    tool_version: str
    browser_version: str | None

    def to_json(self) -> dict[str, Any]:
        """The entry as `history --json` prints it."""
        return {
            **self.result.to_json(),
            "started_at": stored_time(self.result.started_at),
            "tool_version": self.tool_version,
            "browser_version": self.browser_version,
        }


class History:
    """The SQLite outcome log. `prepare` checks it before a run; each `record` is its own durable
    transaction; `entries` only reads. Every problem with the file is a `ConfigError` naming it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = HistoryFile(path)
        self._prepared = False

    @classmethod
    def in_home(cls, home: Path) -> History:
        """The history kept in the tool's home directory."""
        return cls(home / FILE_NAME)

    def prepare(self) -> None:
        """Make the file ready for `record`, or refuse it, before a check touches the site.

        Creates it (mode 0600, the newest layout, WAL) when absent, migrates an older layout in one
        transaction, and raises `ConfigError` for a link, a damaged file, a newer layout, or a file
        or directory this user cannot write.
        """
        with self.file.problems_reported("write"):
            self.file.refuse_unsafe()
            self.file.create_if_absent()
            with self.file.connected("rw") as db:
                self.file.refuse_damaged(db)  # before a migration writes into it
                self._bring_up_to_date(db)
                db.execute("PRAGMA journal_mode=WAL")
        self._prepared = True

    def record(self, result: CheckResult, *, tool_version: str, browser_version: str | None) -> None:
        """Append one check, committed durably before this returns."""
        if not self._prepared:
            self.prepare()
        with self.file.problems_reported("write"):
            self.file.refuse_unsafe()
            with self.file.connected("rw") as db, transaction(db):
                self._refuse_newer(user_version(db))
                cursor = db.execute(
                    "INSERT INTO checks (account, setting, state_before, state_after, action, verified,"
                    " outcome, detail, started_at, checked_at, tool_version, browser_version, evidence,"
                    " previous_state, drift, proof, proof_sha256)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        result.account,
                        result.setting,
                        result.state_before.value,
                        None if result.state_after is None else result.state_after.value,
                        result.action.value,
                        int(result.verified),
                        result.outcome.value,
                        result.detail,
                        stored_time(result.started_at),
                        stored_time(result.checked_at),
                        tool_version,
                        browser_version,
                        result.evidence,
                        None if result.previous_state is None else result.previous_state.value,
                        int(result.drift),
                        *_proof_columns(result.proof),
                    ),
                )
                assert cursor.lastrowid is not None
                history_chain.seal(db, cursor.lastrowid)

    def last_state(self, account: str, setting: str) -> SwitchState | None:
        """The state last read for `account` (any letter case) and `setting`, on or off: from the
        newest check that read one (after a click, what the reload showed). Reads only."""
        for entry in self.entries(account=account, limit=_RECENT):
            if entry.result.setting == setting and entry.result.read_state is not None:
                return entry.result.read_state
        return None

    def entries(self, *, account: str | None = None, limit: int = 20) -> list[HistoryEntry]:
        """The recorded checks, newest first; only `account`'s (in any letter case) when given.

        Never creates or changes the file: an absent one has no entries, and an older layout is
        read as it is (migrated in memory), left for the next `check` to migrate.
        """
        with self.file.problems_reported("read"):
            try:
                os.lstat(self.path)
            except FileNotFoundError:
                return []
            except NotADirectoryError:
                raise not_a_directory_above(self.path) from None
            self.file.refuse_unsafe()
            with self.file.connected_read_only() as db:
                self.file.refuse_damaged(db)  # what `check` would refuse, `history` and `doctor` say too
                version = user_version(db)
                self._refuse_newer(version)
                if self._is_empty(db, version):
                    return []
                if version == SCHEMA_VERSION:
                    self._check_layout(db)
                    rows = _select(db, account, limit)
                else:
                    # Reading must not write, so an older file is migrated in a copy in memory;
                    # the file itself is migrated by the next `check`.
                    with closing(sqlite3.connect(":memory:", isolation_level=None)) as copy:
                        db.backup(copy)
                        self._migrate(copy, version)
                        self._check_layout(copy)
                        rows = _select(copy, account, limit)
        try:
            return [_entry(row) for row in rows]
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                f"{self.file.shown()}: holds a check this version cannot read ({printable(str(exc))}):"
                " move it aside and run again"
            ) from None

    def proofs_since(self, since: datetime) -> set[str]:
        """The folders of reading evidence that the checks recorded since `since` name (see
        checker/capture/readings.py): those pruning must keep. Reads only."""
        with self.file.problems_reported("read"):
            self.file.refuse_unsafe()
            with self.file.connected_read_only() as db:
                rows = db.execute(
                    "SELECT DISTINCT proof FROM checks WHERE proof IS NOT NULL AND checked_at >= ?",
                    (stored_time(since),),
                ).fetchall()
        return {str(path) for (path,) in rows}

    def verify(self) -> history_chain.Verification:
        """Walk the hash chain of the whole file (see history_chain.py). Reads only: a file of an
        older layout is chained in a copy in memory, as the next `check` would chain it."""
        with self.file.problems_reported("read"):
            if not self.path.exists():
                return history_chain.Verification(rows=0, head=history_chain.GENESIS)
            self.file.refuse_unsafe()
            with self.file.connected_read_only() as db:
                self.file.refuse_damaged(db)
                version = user_version(db)
                self._refuse_newer(version)
                if self._is_empty(db, version):
                    return history_chain.Verification(rows=0, head=history_chain.GENESIS)
                if version == SCHEMA_VERSION:
                    self._check_layout(db)
                    return history_chain.verify(db)
                with closing(sqlite3.connect(":memory:", isolation_level=None)) as copy:
                    db.backup(copy)
                    self._migrate(copy, version)
                    self._check_layout(copy)
                    return history_chain.verify(copy)

    # --- versions and layout -------------------------------------------------------------------

    def _bring_up_to_date(self, db: sqlite3.Connection) -> None:
        self._refuse_newer(user_version(db))  # before anything that could write
        with transaction(db):
            # Again under the write lock: another run may have migrated the file meanwhile.
            version = user_version(db)
            self._refuse_newer(version)
            if self._is_empty(db, version):
                for statement in CREATE:
                    db.execute(statement)
            else:
                self._migrate(db, version)
            self._check_layout(db)
            # Written even when unchanged, so a file this user may read but not write is refused
            # here, before a check acts, rather than by `record` after it.
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            if version == SCHEMA_VERSION:
                db.rollback()  # nothing changed: leave the file as it was

    def _migrate(self, db: sqlite3.Connection, version: int) -> None:
        if not columns(db):
            self._check_layout(db)  # a clearer refusal than the first migration failing
        for target in range(version + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[target]:
                db.execute(statement)
        if version < CHAINED:  # once every column is there, since each is hashed
            history_chain.chain_existing(db, at=stored_time(utc_now()))

    def _is_empty(self, db: sqlite3.Connection, version: int) -> bool:
        # Only a zero-length file is new (`prepare` stopped before its first commit); a database
        # with no tables but some pages was made by something else and is not the tool's to adopt.
        no_tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
        return version == 0 and no_tables and self.path.stat().st_size == 0

    def _check_layout(self, db: sqlite3.Connection) -> None:
        found = columns(db)
        if found != newest_columns():
            problem = "it has no checks table" if not found else "its checks table has other columns"
            raise ConfigError(
                f"{self.file.shown()}: not a history database of linkedin-ai-optout ({problem}):"
                " move it aside and run again"
            )

    def _refuse_newer(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise ConfigError(
                f"{self.file.shown()}: written by a newer version of linkedin-ai-optout (history schema"
                f" {version}; this version reads up to {SCHEMA_VERSION}): upgrade the tool, or move"
                " the file aside"
            )
        if version < 0:
            raise ConfigError(
                f"{self.file.shown()}: not a history database of linkedin-ai-optout (history schema"
                f" {version}): move it aside and run again"
            )


def _select(db: sqlite3.Connection, account: str | None, limit: int) -> list[tuple[Any, ...]]:
    # LinkedIn treats an email's letter case as insignificant; casefold, unlike SQLite's lower()
    # and NOCASE, also folds letters beyond ASCII.
    db.create_function("casefold", 1, _casefold, deterministic=True)
    rows: list[tuple[Any, ...]] = db.execute(
        "SELECT account, setting, state_before, state_after, action, verified, outcome, detail,"
        " started_at, checked_at, tool_version, browser_version, evidence, previous_state, drift,"
        " proof, proof_sha256 FROM checks"
        " WHERE ?1 IS NULL OR casefold(account) = casefold(?1)"
        " ORDER BY checked_at DESC, id DESC LIMIT ?2",
        (account, limit),
    ).fetchall()
    return rows


def _casefold(text: object) -> str | None:
    return text.casefold() if isinstance(text, str) else None


def stored_time(moment: datetime) -> str:
    """A moment as the history database keeps it: ISO 8601 to the millisecond, UTC as `Z`."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def read_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _entry(row: tuple[Any, ...]) -> HistoryEntry:
    account, setting, before, after, action, verified, outcome, detail, started, checked = row[:10]
    result = CheckResult(
        account=account,
        setting=setting,
        state_before=SwitchState(before),
        state_after=None if after is None else SwitchState(after),
        action=Action(action),
        verified=bool(verified),
        outcome=Outcome(outcome),
        detail=detail,
        started_at=read_time(started),
        checked_at=read_time(checked),
        evidence=_optional_text(row[12]),
        previous_state=None if row[13] is None else SwitchState(row[13]),
        drift=bool(row[14]),
        proof=None if row[15] is None else Proof.from_json({"path": row[15], "sha256": json.loads(row[16])}),
    )
    return HistoryEntry(result=result, tool_version=row[10], browser_version=row[11])


def _proof_columns(proof: Proof | None) -> tuple[str | None, str | None]:
    """The `proof` and `proof_sha256` columns: the folder, and its files' hashes as sorted JSON."""
    if proof is None:
        return None, None
    return proof.path, json.dumps(dict(proof.sha256), sort_keys=True, separators=(",", ":"))


def _optional_text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"{type(value).__name__} where a path or NULL belongs")
