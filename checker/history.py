"""The outcome log: every check, in a SQLite database under the tool's home directory.

It records what the tool read and did -- never the account's other data, never a secret.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from checker.outcome import Action, CheckResult, Outcome, SwitchState

_SCHEMA = """
CREATE TABLE IF NOT EXISTS checks (
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
    browser_version TEXT
);
CREATE INDEX IF NOT EXISTS checks_by_account ON checks (account, checked_at);
"""


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded check, as `history` shows it."""

    result: CheckResult
    tool_version: str
    browser_version: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            **self.result.to_json(),
            "started_at": _iso(self.result.started_at),
            "tool_version": self.tool_version,
            "browser_version": self.browser_version,
        }


class History:
    """The SQLite outcome log. Each `record` is its own durable transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def in_home(cls, home: Path) -> History:
        return cls(home / "history.sqlite3")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        fresh = not self.path.exists()
        with closing(sqlite3.connect(self.path, timeout=30)) as db:
            if fresh:
                self.path.chmod(0o600)
            db.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit survives power loss, not just a crash of this process.
            db.execute("PRAGMA synchronous=FULL")
            db.executescript(_SCHEMA)
            yield db

    def record(self, result: CheckResult, *, tool_version: str, browser_version: str | None) -> None:
        with self._connect() as db, db:
            db.execute(
                "INSERT INTO checks (account, setting, state_before, state_after, action, verified,"
                " outcome, detail, started_at, checked_at, tool_version, browser_version)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    result.account,
                    result.setting,
                    result.state_before.value,
                    None if result.state_after is None else result.state_after.value,
                    result.action.value,
                    int(result.verified),
                    result.outcome.value,
                    result.detail,
                    _iso(result.started_at),
                    _iso(result.checked_at),
                    tool_version,
                    browser_version,
                ),
            )

    def entries(self, *, account: str | None = None, limit: int = 20) -> list[HistoryEntry]:
        """The recorded checks, newest first."""
        if not self.path.exists():
            return []
        with self._connect() as db:
            rows = db.execute(
                "SELECT account, setting, state_before, state_after, action, verified, outcome,"
                " detail, started_at, checked_at, tool_version, browser_version FROM checks"
                " WHERE ?1 IS NULL OR account = ?1 ORDER BY checked_at DESC, id DESC LIMIT ?2",
                (account, limit),
            ).fetchall()
        return [_entry(row) for row in rows]


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _entry(row: tuple[Any, ...]) -> HistoryEntry:
    (
        account,
        setting,
        before,
        after,
        action,
        verified,
        outcome,
        detail,
        started,
        checked,
        tool_version,
        browser_version,
    ) = row
    result = CheckResult(
        account=account,
        setting=setting,
        state_before=SwitchState(before),
        state_after=None if after is None else SwitchState(after),
        action=Action(action),
        verified=bool(verified),
        outcome=Outcome(outcome),
        detail=detail,
        started_at=_parse(started),
        checked_at=_parse(checked),
    )
    return HistoryEntry(result=result, tool_version=tool_version, browser_version=browser_version)
