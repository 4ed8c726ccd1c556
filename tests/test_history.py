"""The SQLite outcome log, and `history` through the CLI."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from checker.fixture_site import Account, FixtureSite
from checker.history import History
from checker.outcome import Action, CheckResult, Outcome, SwitchState
from tests.conftest import Cli, check_args


def result(account: str, outcome: Outcome, minutes: int) -> CheckResult:
    moment = datetime(2026, 11, 23, 8, 0, tzinfo=UTC) + timedelta(minutes=minutes)
    return CheckResult(
        account=account,
        state_before=SwitchState.ON,
        state_after=None,
        action=Action.NONE,
        verified=True,
        outcome=outcome,
        detail="d",
        started_at=moment,
        checked_at=moment,
    )


def test_entries_come_back_newest_first_filtered_and_limited(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite3")
    history.record(result("a@example.com", Outcome.NON_COMPLIANT, 1), tool_version="t", browser_version="b")
    history.record(result("b@example.com", Outcome.COMPLIANT, 2), tool_version="t", browser_version="b")
    history.record(result("a@example.com", Outcome.FIXED, 3), tool_version="t", browser_version=None)
    assert [e.result.outcome for e in history.entries()] == [
        Outcome.FIXED,
        Outcome.COMPLIANT,
        Outcome.NON_COMPLIANT,
    ]
    assert [e.result.outcome for e in history.entries(account="a@example.com", limit=1)] == [Outcome.FIXED]


def test_the_database_is_in_wal_mode_and_private(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite3")
    history.record(result("a@example.com", Outcome.FIXED, 0), tool_version="t", browser_version="b")
    with sqlite3.connect(history.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert history.path.stat().st_mode & 0o077 == 0


def test_every_check_is_recorded_with_tool_and_browser_versions(
    cli: Cli, site: FixtureSite, member: object
) -> None:
    cli(*check_args(site))
    cli(*check_args(site, "--apply"))
    code, document = cli.json("history")
    assert code == 0
    entries = document["entries"]
    assert [e["outcome"] for e in entries] == ["fixed", "non_compliant"]
    assert entries[0]["tool_version"]
    assert entries[0]["browser_version"].split(".")[0].isdigit()
    assert cli.json("history", "--account", "nobody@example.com")[1] == {"entries": []}


def test_history_shows_a_friendly_line_when_empty(cli: Cli) -> None:
    result = cli("history")
    assert (result.exit_code, result.stdout.strip()) == (0, "No checks recorded yet.")


def test_history_prints_a_table_with_time_account_and_outcome(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    cli(*check_args(site))
    result = cli("history")
    assert result.exit_code == 0
    [row] = [line for line in result.stdout.splitlines() if member.email in line]
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", row)
    assert "non_compliant" in row
