"""The SQLite outcome log, and `history` through the CLI."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
import stat
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from checker.core.errors import ConfigError
from checker.core.outcome import SETTING, CheckResult, Outcome
from checker.fixture_site import Account, FixtureSite
from checker.store.history import History
from checker.store.history_schema import MIGRATIONS, SCHEMA_VERSION
from tests.conftest import Cli, check_args, check_result
from tests.store.test_config import run_where_read_only

# The DDL the previous release ran on every connection; its files have user_version 0.
PREVIOUS_RELEASE_SCHEMA = """
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


def result(account: str, outcome: Outcome, minutes: int) -> CheckResult:
    moment = datetime(2026, 11, 23, 8, 0, tzinfo=UTC) + timedelta(minutes=minutes)
    return check_result(outcome, "d", account=account, started_at=moment, checked_at=moment)


def record(history: History, account: str, minutes: int = 0) -> None:
    history.record(result(account, Outcome.COMPLIANT, minutes), tool_version="t", browser_version="b")


def previous_release_database(path: Path, *accounts: str) -> None:
    """A history file as the previous release left it: WAL, the same table, user_version 0."""
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(PREVIOUS_RELEASE_SCHEMA)
        for minutes, account in enumerate(accounts):
            moment = f"2026-11-23T08:{minutes:02d}:00.000Z"
            db.execute(
                "INSERT INTO checks (account, setting, state_before, state_after, action, verified,"
                " outcome, detail, started_at, checked_at, tool_version, browser_version)"
                " VALUES (?, ?, 'on', NULL, 'none', 1, 'non_compliant', 'd', ?, ?, '0.1', NULL)",
                (account, SETTING, moment, moment),
            )
        db.commit()


def schema_1_database(path: Path, *accounts: str) -> None:
    """A history file as the release before evidence left it: the same table, user_version 1."""
    previous_release_database(path, *accounts)
    sqlite_file(path, "PRAGMA user_version = 1")


def sqlite_file(path: Path, *statements: str) -> None:
    with closing(sqlite3.connect(path)) as db:
        for statement in statements:
            db.execute(statement)
        db.commit()


def user_version(path: Path) -> int:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


def layout(path: Path) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        objects = db.execute("SELECT type, name, tbl_name FROM sqlite_master ORDER BY name").fetchall()
        columns = db.execute("PRAGMA table_info(checks)").fetchall()
        indexed = db.execute("PRAGMA index_info(checks_by_account)").fetchall()
    return [*objects, *columns, *indexed]


def the_three_uses(path: Path) -> list[Callable[[], object]]:
    """prepare, record (preparing lazily) and entries, each on a History of its own."""
    return [
        History(path).prepare,
        lambda: record(History(path), "a@example.com"),
        History(path).entries,
    ]


def refusals(path: Path) -> list[str]:
    messages = []
    for use in the_three_uses(path):
        with pytest.raises(ConfigError) as refused:
            use()
        messages.append(str(refused.value))
    return messages


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
    assert cli.json("history", "--account", "member@example.com")[1]["entries"] == entries
    assert cli.json("history", "--account", "nobody@example.com")[0] == 2  # never configured


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


def test_the_migrations_lead_one_step_at_a_time_to_the_newest_version() -> None:
    assert sorted(MIGRATIONS) == list(range(1, SCHEMA_VERSION + 1))


def test_a_new_database_is_private_at_the_newest_schema_version_and_in_wal_mode(tmp_path: Path) -> None:
    history = History(tmp_path / "history.sqlite3")
    history.prepare()
    assert stat.S_IMODE(history.path.stat().st_mode) == 0o600
    assert user_version(history.path) == SCHEMA_VERSION
    with closing(sqlite3.connect(history.path)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert history.entries() == []


def test_an_empty_file_left_by_an_interrupted_prepare_is_completed_by_the_next(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.touch(mode=0o600)
    assert History(path).entries() == []
    assert path.read_bytes() == b""
    record(History(path), "a@example.com")
    assert [e.result.account for e in History(path).entries()] == ["a@example.com"]


def test_prepare_migrates_a_previous_release_database_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    previous_release_database(path, "a@example.com", "b@example.com", "c@example.com")
    History(path).prepare()
    assert user_version(path) == SCHEMA_VERSION
    record(History(path), "d@example.com", minutes=10)
    assert [e.result.account for e in History(path).entries()] == [
        "d@example.com",
        "c@example.com",
        "b@example.com",
        "a@example.com",
    ]


def test_prepare_migrates_a_schema_1_database_to_keep_evidence_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    schema_1_database(path, "a@example.com", "b@example.com")
    History(path).prepare()
    assert user_version(path) == SCHEMA_VERSION == 6
    History(path).record(
        dataclasses.replace(result("c@example.com", Outcome.UI_CHANGED, 10), evidence="/evidence/x"),
        tool_version="t",
        browser_version="b",
    )
    assert [(e.result.account, e.result.evidence) for e in History(path).entries()] == [
        ("c@example.com", "/evidence/x"),
        ("b@example.com", None),
        ("a@example.com", None),
    ]


def test_entries_read_a_schema_1_database_without_evidence_and_without_changing_it(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    schema_1_database(path, "a@example.com")
    before = path.read_bytes()
    [entry] = History(path).entries()
    assert (entry.result.account, entry.to_json()["evidence"]) == ("a@example.com", None)
    assert (path.read_bytes(), user_version(path)) == (before, 1)


def test_a_migrated_database_has_the_same_layout_as_a_new_one(tmp_path: Path) -> None:
    migrated, new = tmp_path / "migrated.sqlite3", tmp_path / "new.sqlite3"
    previous_release_database(migrated, "a@example.com")
    History(migrated).prepare()
    History(new).prepare()
    assert layout(migrated) == layout(new)


def test_entries_read_a_previous_release_database_without_changing_it(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    previous_release_database(path, "a@example.com", "b@example.com")
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    entries = History(path).entries()
    assert [(e.result.account, e.result.outcome) for e in entries] == [
        ("b@example.com", Outcome.NON_COMPLIANT),
        ("a@example.com", Outcome.NON_COMPLIANT),
    ]
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert user_version(path) == 0


def test_a_database_from_a_newer_version_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    record(History(path), "a@example.com")
    sqlite_file(path, "PRAGMA user_version = 99")
    before = path.read_bytes()
    for message in refusals(path):
        assert message.startswith(f"{path}: written by a newer version")
        assert f"history schema 99; this version reads up to {SCHEMA_VERSION}" in message
        assert "upgrade the tool, or move the file aside" in message
        assert "\n" not in message
    assert path.read_bytes() == before


def truncated_header(path: Path) -> None:
    record(History(path), "a@example.com")
    path.write_bytes(path.read_bytes()[:60])


DAMAGE: dict[str, Callable[[Path], object]] = {
    "garbage bytes": lambda path: path.write_bytes(b"not a database, just bytes\n" * 200),
    "a truncated header": truncated_header,
    "no checks table": lambda path: sqlite_file(path, "CREATE TABLE notes (text TEXT)"),
    "no tables at all": lambda path: sqlite_file(path, "CREATE TABLE notes (text TEXT)", "DROP TABLE notes"),
    "another checks table, unnumbered": lambda path: sqlite_file(path, "CREATE TABLE checks (x)"),
    "another checks table, numbered": lambda path: sqlite_file(
        path, "CREATE TABLE checks (x)", f"PRAGMA user_version = {SCHEMA_VERSION}"
    ),
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_file_is_refused_with_its_path_and_left_as_it_was(
    tmp_path: Path, damage: Callable[[Path], object]
) -> None:
    path = tmp_path / "history.sqlite3"
    damage(path)
    before = path.read_bytes()
    for message in refusals(path):
        assert message.startswith(f"{path}: not a")
        assert message.endswith("move it aside and run again")
        assert "\n" not in message
    assert path.read_bytes() == before


def test_a_row_this_version_cannot_read_is_refused_with_the_path(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    record(History(path), "a@example.com")
    sqlite_file(path, "UPDATE checks SET state_before = 'sideways'")
    with pytest.raises(ConfigError, match=f"^{re.escape(str(path))}: holds a check this version cannot read"):
        History(path).entries()


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
def test_a_symbolic_link_in_place_of_the_database_is_refused_and_its_target_left_alone(
    tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / "home" / "history.sqlite3"
    path.parent.mkdir()
    target = tmp_path / "elsewhere.sqlite3"
    previous_release_database(target, "a@example.com")
    if suffix:
        record(History(path), "a@example.com")
    link = path.with_name(path.name + suffix)
    link.symlink_to(target)
    before = target.read_bytes()
    for message in refusals(path):
        assert message == (
            f"{link}: is a symbolic link: the tool does not follow links inside its data directory;"
            " replace it with a regular file"
        )
    assert target.read_bytes() == before
    assert sorted(tmp_path.iterdir()) == [target, path.parent]


def test_no_database_is_created_through_a_dangling_link(tmp_path: Path) -> None:
    path, target = tmp_path / "history.sqlite3", tmp_path / "nowhere.sqlite3"
    path.symlink_to(target)
    assert all("is a symbolic link" in message for message in refusals(path))
    assert not target.exists()


def test_entries_on_a_missing_file_in_a_missing_directory_create_nothing(tmp_path: Path) -> None:
    assert History(tmp_path / "absent" / "history.sqlite3").entries() == []
    assert History(tmp_path / "history.sqlite3").entries() == []
    assert list(tmp_path.iterdir()) == []


def test_prepare_names_a_missing_data_directory_and_creates_nothing(tmp_path: Path) -> None:
    directory = tmp_path / "absent"
    with pytest.raises(ConfigError, match=f"^{re.escape(str(directory))}: the data directory does not exist"):
        History(directory / "history.sqlite3").prepare()
    assert list(tmp_path.iterdir()) == []


def test_the_account_filter_ignores_letter_case(tmp_path: Path) -> None:
    history = History(tmp_path / "history.sqlite3")
    record(history, "Demo@Example.com", 1)
    record(history, "other@example.com", 2)
    record(history, "Ölaf@example.com", 3)
    assert [e.result.account for e in history.entries(account="demo@EXAMPLE.COM")] == ["Demo@Example.com"]
    assert [e.result.account for e in history.entries(account="ölaf@example.com")] == ["Ölaf@example.com"]


def test_entries_see_rows_a_writer_has_committed_but_not_yet_checkpointed(tmp_path: Path) -> None:
    history = History(tmp_path / "history.sqlite3")
    record(history, "a@example.com", 1)
    wal = history.path.with_name("history.sqlite3-wal")
    # An open connection keeps the next record's close from copying it into the main file.
    with closing(sqlite3.connect(history.path)) as writer:
        writer.execute("SELECT count(*) FROM checks").fetchone()  # holds the WAL open
        record(history, "b@example.com", 2)
        assert wal.stat().st_size > 0
        entries = History(history.path).entries()
        assert [e.result.account for e in entries] == ["b@example.com", "a@example.com"]


READ_ENTRIES = """
from pathlib import Path
from checker.store.history import History
print([entry.result.account for entry in History(Path({path!r})).entries()])
"""


def test_entries_read_a_database_in_a_directory_the_user_cannot_write(tmp_path: Path) -> None:
    directory = tmp_path / "home"
    directory.mkdir()
    record(History(directory / "history.sqlite3"), "a@example.com")
    before = sorted(directory.iterdir())
    output = run_where_read_only(directory, READ_ENTRIES.format(path=str(directory / "history.sqlite3")))
    assert output == "['a@example.com']"
    assert sorted(directory.iterdir()) == before


PREPARE = """
from pathlib import Path
from checker.core.errors import ConfigError
from checker.store.history import History
try:
    History(Path({path!r})).prepare()
except ConfigError as exc:
    print(exc)
"""


def test_prepare_refuses_a_database_the_user_cannot_write(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    record(History(path), "a@example.com")
    before = path.read_bytes()
    # The file alone is a read-only mount: its directory stays writable.
    output = run_where_read_only(path, PREPARE.format(path=str(path)))
    assert output.startswith(f"{path}: cannot write the history database (")
    assert output.endswith("on a writable file system with free space, and run again")
    assert path.read_bytes() == before
