"""The history's hash chain (checker/store/history_chain.py) and `history verify`: rows changed,
removed or inserted with plain SQLite are caught, each named, through the real CLI."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from checker.core.outcome import Outcome
from checker.fixture_site import Account, FixtureSite
from checker.store.history import History
from checker.store.history_chain import GENESIS
from tests.conftest import Cli, check_args
from tests.store.test_history import previous_release_database, record, result


@pytest.fixture
def history(isolated_home: Path) -> History:
    """Four checks recorded, as check records them."""
    isolated_home.mkdir(mode=0o700)
    history = History.in_home(isolated_home)
    for minutes, account in enumerate(["a@example.com", "b@example.com", "a@example.com", "c@example.com"]):
        record(history, account, minutes)
    return history


def sql(history: History, *statements: str) -> None:
    with closing(sqlite3.connect(history.path)) as db:
        for statement in statements:
            db.execute(statement)
        db.commit()


def verify(cli: Cli) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    result = cli("history", "verify", "--json")
    return result.exit_code, json.loads(result.stdout), result.stderr


def test_an_untouched_history_verifies_with_its_rows_and_head(cli: Cli, history: History) -> None:
    code, document, _ = verify(cli)
    assert (code, document["intact"], document["rows"]) == (0, True, 4)
    assert len(document["head"]) == 64
    assert document["head"] != GENESIS
    assert document["chained_since"] is None
    text = cli("history", "verify")
    assert (text.exit_code, text.stdout) == (0, f"history intact: 4 rows, head {document['head']}\n")


def test_each_new_row_extends_the_chain_so_the_old_head_is_its_predecessor(
    cli: Cli, history: History
) -> None:
    _, before, _ = verify(cli)
    record(history, "d@example.com", 9)
    _, after, _ = verify(cli)
    assert after["rows"] == 5
    with closing(sqlite3.connect(history.path)) as db:
        assert db.execute("SELECT prev_hash FROM checks WHERE id = 5").fetchone() == (before["head"],)


def test_a_changed_row_is_named(cli: Cli, history: History) -> None:
    sql(history, "UPDATE checks SET outcome = 'compliant', detail = 'all fine' WHERE id = 2")
    code, document, stderr = verify(cli)
    assert (code, document["intact"], document["first_broken_row"]) == (1, False, 2)
    assert stderr == f"error: {history.path}: row 2 was changed; the rows before it are intact\n"


def test_a_removed_row_is_named(cli: Cli, history: History) -> None:
    sql(history, "DELETE FROM checks WHERE id = 2")
    code, document, stderr = verify(cli)
    assert (code, document["first_broken_row"]) == (1, 3)
    assert "the row before row 3 was removed (row 2 is missing)" in stderr


def test_an_inserted_row_is_named(cli: Cli, history: History) -> None:
    sql(
        history,
        "INSERT INTO checks (account, setting, state_before, action, verified, outcome, detail,"
        " started_at, checked_at, tool_version) VALUES ('x@example.com', 'generative_ai_training',"
        " 'off', 'none', 1, 'compliant', 'the setting is off', '2026-11-23T09:00:00.000Z',"
        " '2026-11-23T09:00:00.000Z', '0.1.0')",
    )
    code, document, stderr = verify(cli)
    assert (code, document["first_broken_row"]) == (1, 5)
    assert "row 5 was inserted: it has no place in the chain" in stderr


def test_a_row_replaced_with_its_hash_copied_is_still_caught(cli: Cli, history: History) -> None:
    # The hashes kept, the content changed: the row's own hash no longer matches it.
    sql(history, "UPDATE checks SET account = 'z@example.com' WHERE id = 4")
    code, document, _ = verify(cli)
    assert (code, document["first_broken_row"]) == (1, 4)


def test_an_older_history_is_chained_at_its_migration_and_says_so(cli: Cli, isolated_home: Path) -> None:
    isolated_home.mkdir(mode=0o700)
    path = isolated_home / "history.sqlite3"
    previous_release_database(path, "a@example.com", "b@example.com")
    code, document, _ = verify(cli)  # read only: chained in memory, as the next check would
    assert (code, document["intact"], document["rows_before_chain"]) == (0, True, 2)
    History(path).prepare()  # the next check migrates it
    History(path).record(result("c@example.com", Outcome.FIXED, 5), tool_version="t", browser_version="b")
    code, document, _ = verify(cli)
    assert (code, document["rows"], document["rows_before_chain"]) == (0, 3, 2)
    assert document["chained_since"].endswith("Z")
    text = cli("history", "verify").stdout
    assert f"chained since {document['chained_since']}, when the 2 rows before were chained" in text


def test_real_checks_are_chained_and_the_report_states_the_head_and_that_it_verified(
    cli: Cli, site: FixtureSite, member: Account, tmp_path: Path
) -> None:
    cli.json(*check_args(site))
    cli.json(*check_args(site, "--apply"))
    _, verified, _ = verify(cli)
    report = json.loads(cli("report", "--format", "json").stdout)
    assert report["history_chain"] == {"rows": 2, "head": verified["head"], "intact": True, "problem": None}
    page = tmp_path / "report.html"
    assert cli("report", "-o", str(page)).exit_code == 0
    assert (
        f'id="chain">The history&#x27;s hash chain verified: 2 rows, head {verified["head"]}.<'
        in page.read_text()
    )
    csv = cli("report")
    assert f"note: the history's hash chain verified: 2 rows, head {verified['head']}\n" in csv.stderr
