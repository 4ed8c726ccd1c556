"""A history damaged past its header stops every run before LinkedIn, through the real CLI.

SQLite reads a page only when a statement needs it, so a file whose header and first page are sound
opens, migrates and answers `PRAGMA user_version` whatever its other pages hold: without a look at
every page, `check --apply` switched the setting off and then could not record it (issue 14, item 3).
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from checker.fixture_site import Account, FixtureSite
from checker.store.history import History
from tests.conftest import Cli, check_args
from tests.store.test_failsafe_files import assert_site_untouched, one_error_line
from tests.store.test_history import record

HEADER = 100  # the database header, at the start of page 1: left intact
GARBAGE = 200  # bytes written into each page, as in the issue


@pytest.fixture
def sound_history(tmp_path: Path, member: Account) -> Path:
    """A history of several pages (a table with an interior page, an index), written through the
    history API: the member's own checks among other accounts', as months of runs leave it."""
    path = tmp_path / "sound.sqlite3"
    history = History(path)
    for minutes in range(240):
        account = member.email if minutes % 4 == 0 else f"colleague{minutes % 9}@example.org"
        record(history, account, minutes)
    assert len(pages(path)) >= 10
    return path


def pages(path: Path) -> range:
    """The file's page numbers, from 1, using the page size its header states."""
    data = path.read_bytes()
    size = int.from_bytes(data[16:18], "big")
    return range(1, len(data) // size + 1)


def damaged_copy(sound: Path, target: Path, page: int) -> bytes:
    """`target` as a copy of `sound` with 200 garbage bytes at the start of `page` (after the header
    on page 1), written with plain file I/O; returns its bytes."""
    size = int.from_bytes(sound.read_bytes()[16:18], "big")
    shutil.copyfile(sound, target)
    with target.open("r+b") as handle:
        handle.seek(max((page - 1) * size, HEADER))
        handle.write(random.Random(page).randbytes(GARBAGE))
    return target.read_bytes()


def test_damage_on_any_page_stops_check_before_the_site_with_one_line_naming_the_file(
    cli: Cli, site: FixtureSite, member: Account, isolated_home: Path, sound_history: Path
) -> None:
    database = isolated_home / "history.sqlite3"
    for page in pages(sound_history):
        damaged = damaged_copy(sound_history, database, page)
        for mode in (["--apply"], []):
            result = cli(*check_args(site, *mode))
            assert result.exit_code == 4, (page, mode, result.stderr)
            assert result.stdout == ""
            line = one_error_line(result.stderr)
            assert line.startswith(f"error: {database}: not a readable history database"), (page, line)
            assert line.endswith("move it aside and run again")
            assert database.read_bytes() == damaged, page  # never repaired, never written
        assert_site_untouched(site)
        assert member.ai_training is True


def test_history_and_doctor_refuse_the_damaged_file_that_check_refuses(
    cli: Cli, member: Account, isolated_home: Path, sound_history: Path
) -> None:
    database = isolated_home / "history.sqlite3"
    # The index's page: no row `history` shows is read from it, yet a check's append writes to it.
    with closing(sqlite3.connect(sound_history)) as db:
        [(index_page,)] = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'checks_by_account'")
    damaged = damaged_copy(sound_history, database, index_page)
    result = cli("history")
    assert result.exit_code == 4
    assert one_error_line(result.stderr).startswith(f"error: {database}: not a readable history database")
    code, document = cli.json("doctor")
    assert code == 4
    [finding] = [f for f in document["findings"] if f["name"] == "history database"]
    assert finding["ok"] is False
    assert "not a readable history database" in finding["detail"]
    assert database.read_bytes() == damaged


def test_the_same_history_undamaged_lets_check_act_and_record(
    cli: Cli, site: FixtureSite, member: Account, isolated_home: Path, sound_history: Path
) -> None:
    database = isolated_home / "history.sqlite3"
    shutil.copyfile(sound_history, database)
    code, document = cli.json(*check_args(site, "--apply"))
    assert (code, [r["outcome"] for r in document["results"]]) == (0, ["fixed"])
    assert member.ai_training is False
    assert len(History(database).entries(limit=1000)) == 241
