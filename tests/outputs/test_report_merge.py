"""`report --merge`: the fleet's report from the documents a collector stored, one file for each
POST of `check --report-to` (a loopback collector here that writes each body to a file, as an
organisation's would), instead of the local history."""

from __future__ import annotations

import csv
import io
import json
import socket
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from checker.core.outcome import Action, CheckResult, Outcome, SwitchState
from checker.fixture_site import Account, FixtureSite
from tests.conftest import Cli, add_account, check_args, check_result
from tests.outputs.test_report_to import Collector, serving


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[Collector]:
    """A loopback collector that stores each POST's body as the next numbered .json file."""
    with serving(Collector(tmp_path / "collected")) as running:
        yield running


def result_json(
    account: str = "ann@example.com", at: str = "2026-11-20T09:00:00Z", **changes: Any
) -> dict[str, Any]:
    """A result as `check --json` writes it, with `changes` made to its fields."""
    moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    result = check_result(account=account, verified=False, started_at=moment, checked_at=moment)
    return {**result.to_json(), **changes}


def write_document(path: Path, results: list[dict[str, Any]], host: str | None = "laptop-1") -> Path:
    path.write_text(json.dumps({"results": results, "exit_code": 1, "host": host, "tool_version": "0.1.0"}))
    return path


def json_rows(cli: Cli, *args: str) -> list[dict[str, Any]]:
    result = cli("report", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    rows: list[dict[str, Any]] = json.loads(result.stdout)["rows"]
    return rows


def test_the_documents_of_several_runs_make_one_report_with_each_accounts_host_and_not_the_history(
    cli: Cli, site: FixtureSite, member: Account, collector: Collector
) -> None:
    colleague = Account(email="colleague@example.com", password="another long passphrase")
    site.add_account(colleague)
    add_account(cli, colleague.email, colleague.password)
    for email in (member.email, colleague.email):  # each person's own scheduled run
        assert cli(*check_args(site, email, "--report-to", collector.url)).exit_code == 1
    assert len(list(collector.directory.glob("*.json"))) == 2
    cli(*check_args(site, member.email, "--apply"))  # in this machine's history only
    rows = json_rows(cli, "--merge", str(collector.directory))
    assert [(row["account"], row["outcome"], row["host"], row["checks"]) for row in rows] == [
        (colleague.email, "non_compliant", socket.gethostname(), 1),
        (member.email, "non_compliant", socket.gethostname(), 1),
    ]
    local = json_rows(cli)
    assert [(row["outcome"], row["host"]) for row in local] == [("non_compliant", None), ("fixed", None)]


def test_the_same_result_posted_twice_counts_once(cli: Cli, tmp_path: Path) -> None:
    first = write_document(tmp_path / "a.json", [result_json()])
    again = write_document(tmp_path / "b.json", [result_json(), result_json(at="2026-11-21T09:00:00Z")])
    [row] = json_rows(cli, "--merge", str(first), "--merge", str(again))
    assert (row["checks"], row["checked_at"]) == (2, "2026-11-21T09:00:00Z")


def test_a_directory_gives_its_json_files_but_not_its_subdirectories_or_hidden_files(
    cli: Cli, tmp_path: Path
) -> None:
    collected = tmp_path / "collected"
    (collected / "2026-11").mkdir(parents=True)
    write_document(collected / "one.json", [result_json("ann@example.com")])
    write_document(collected / "2026-11" / "nested.json", [result_json("nested@example.com")])
    write_document(collected / ".partial.json", [result_json("hidden@example.com")])
    (collected / "notes.txt").write_text("not a document")
    rows = json_rows(cli, "--merge", str(collected))
    assert [row["account"] for row in rows] == ["ann@example.com"]


def test_since_applies_to_merged_results(cli: Cli, tmp_path: Path) -> None:
    write_document(
        tmp_path / "a.json",
        [result_json(at="2026-11-01T09:00:00Z"), result_json(at="2026-11-20T09:00:00Z")],
    )
    [row] = json_rows(cli, "--merge", str(tmp_path / "a.json"), "--since", "2026-11-10")
    assert (row["checks"], row["checked_at"]) == (1, "2026-11-20T09:00:00Z")


def test_a_document_of_a_run_that_could_not_start_is_skipped_with_a_warning(cli: Cli, tmp_path: Path) -> None:
    write_document(tmp_path / "a.json", [result_json()])
    failed = tmp_path / "b.json"
    failed.write_text(json.dumps({"error": {"message": "no usable keyring", "exit_code": 4}, "exit_code": 4}))
    result = cli("report", "--format", "json", "--merge", str(tmp_path))
    assert result.exit_code == 0
    assert result.stderr == f"warning: {failed}: skipped, a run that could not start (no usable keyring)\n"
    assert len(json.loads(result.stdout)["rows"]) == 1


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not JSON (Expecting property name enclosed in double quotes at line 1)"),
        ("[1, 2]", "not a JSON object"),
        ('{"exit_code": 0}', "no results"),
        ('{"results": {}}', "results: expected a list"),
        (
            json.dumps({"results": [result_json(outcome="maybe")]}),
            "results[0].outcome: 'maybe' is not one of",
        ),
        (
            json.dumps({"results": [result_json(checked_at="yesterday")]}),
            "results[0].checked_at: expected an",
        ),
        (
            json.dumps({"results": [result_json(verified="yes")]}),
            "results[0].verified: expected true or false",
        ),
        (json.dumps({"results": [], "host": 7}), "host: expected a text, not int"),
    ],
)
def test_a_malformed_file_stops_the_report_naming_the_file_and_nothing_is_written(
    cli: Cli, tmp_path: Path, content: str, problem: str
) -> None:
    write_document(tmp_path / "a-good.json", [result_json()])
    bad = tmp_path / "b-bad.json"
    bad.write_text(content)
    out = tmp_path / "fleet.csv"
    result = cli("report", "--merge", str(tmp_path), "-o", str(out))
    assert result.exit_code == 4
    assert result.stderr.startswith(f"error: {bad}: not a result document of `check --report-to`: {problem}")
    assert len(result.stderr.splitlines()) == 1
    assert not out.exists()


def test_a_merge_path_that_does_not_exist_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    result = cli("report", "--merge", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert str(tmp_path / "nowhere") in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_an_empty_directory_is_an_empty_report_with_a_warning(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "collected").mkdir()
    result = cli("report", "--format", "json", "--merge", str(tmp_path / "collected"))
    assert result.exit_code == 0
    assert result.stderr == f"warning: {tmp_path / 'collected'}: no .json files in it\n"
    assert json.loads(result.stdout)["rows"] == []


def test_merged_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_escaped_host_included(
    cli: Cli, tmp_path: Path
) -> None:
    write_document(
        tmp_path / "a.json",
        [result_json("@evil@example.com", outcome="error", detail="timeout", evidence="=SUM(A1:A9)")],
        host="=cmd|' /C calc'!A0",
    )
    result = cli("report", "--format", "csv", "--merge", str(tmp_path))
    [row] = list(csv.DictReader(io.StringIO(result.stdout)))
    assert row["account"] == "'@evil@example.com"
    assert row["host"] == "'=cmd|' /C calc'!A0"
    assert row["evidence"] == "'=SUM(A1:A9)"


def test_a_result_read_back_from_its_json_form_is_the_same_result() -> None:
    moment = datetime(2026, 11, 20, 9, tzinfo=UTC)
    result = check_result(
        Outcome.FIXED,
        "switched off",
        account="Ann@Example.com",
        setting="ads_age",
        state_after=SwitchState.OFF,
        action=Action.SWITCHED_OFF,
        started_at=moment,
        checked_at=moment,
        evidence="/tmp/evidence",
        previous_state=SwitchState.OFF,
        drift=True,
        quarantined=False,
    )
    assert CheckResult.from_json(result.to_json()) == result


HOSTILE = "\x1b]0;owned\x07\x1b[2J\x9b31m\u202etxt.exe\x00"  # title, clear screen, C1 CSI, bidi, NUL
SHOWN = "\\x1b]0;owned\\x07\\x1b[2J\\x9b31m\\u202etxt.exe\\x00"


def controls(text: str) -> set[str]:
    """The control and format characters in `text`, but the line ends a CSV or a page has."""
    return {char for char in text if unicodedata.category(char) in ("Cc", "Cf") and char not in "\r\n"}


@pytest.mark.parametrize("report_format", ["csv", "json", "html"])
def test_text_from_a_collector_document_is_shown_escaped_like_text_from_the_site(
    cli: Cli, tmp_path: Path, report_format: str
) -> None:
    write_document(
        tmp_path / "a.json",
        [
            result_json(
                f"ann{HOSTILE}@example.com",
                setting=f"ads{HOSTILE}",
                outcome="error",
                detail=f"LinkedIn said {HOSTILE}\nsecond line",
                evidence=f"/evidence/{HOSTILE}",
            )
        ],
        host=f"laptop{HOSTILE}",
    )
    printed = cli("report", "--format", report_format, "--merge", str(tmp_path))
    assert printed.exit_code == 0, printed.stderr
    out = tmp_path / f"fleet.{report_format}"
    written = cli("report", "--format", report_format, "--merge", str(tmp_path), "-o", str(out))
    assert written.exit_code == 0, written.stderr
    for text in (printed.stdout, out.read_bytes().decode()):
        assert controls(text) == set()
        assert "\x1b" not in text
        assert "\x9b" not in text
    if report_format == "csv":
        [row] = list(csv.DictReader(io.StringIO(printed.stdout)))
        assert row["account"] == f"ann{SHOWN}@example.com"
        assert row["host"] == f"laptop{SHOWN}"
        assert row["last_error"] == f"error: LinkedIn said {SHOWN} second line"
        assert row["evidence"] == f"/evidence/{SHOWN}"
    elif report_format == "json":
        [row] = json.loads(printed.stdout)["rows"]
        assert (row["account"], row["setting"], row["host"]) == (
            f"ann{SHOWN}@example.com",
            f"ads{SHOWN}",
            f"laptop{SHOWN}",
        )
