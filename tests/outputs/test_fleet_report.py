"""`report --format csv|json`: per account and setting, from the history the real CLI recorded."""

from __future__ import annotations

import csv
import io
import json
import re
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from checker.fixture_site import Account, FixtureSite
from checker.outputs.fleet import Row, as_csv
from checker.store.history import History
from checker.store.home import prepare_home
from checker.store.objections import Objection, Objections
from tests.conftest import MOMENT, SHORT_TIMEOUT, Cli, check_args, check_result

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_report_says_the_latest_state_when_it_changed_and_the_last_error_with_its_evidence(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    cli.json(*check_args(site))  # on
    _, fixed = cli.json(*check_args(site, "--apply"))  # on -> off
    member.markup = "changed"  # LinkedIn changes the page: ui_changed, with evidence
    _, changed = cli.json(*check_args(site, timeout=SHORT_TIMEOUT))
    result = cli("report", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    [row] = csv_rows(result.stdout)
    assert (row["account"], row["setting"], row["state"], row["outcome"]) == (
        member.email,
        "generative_ai_training",
        "off",
        "ui_changed",
    )
    assert row["state_since"] == fixed["results"][0]["checked_at"]
    assert (row["checks"], row["drift_events"]) == ("3", "0")
    assert row["last_error"].startswith("ui_changed: ")
    assert row["evidence"] == changed["results"][0]["evidence"]
    assert all(ISO.match(row[key]) for key in ("checked_at", "state_since", "last_error_at"))


def test_a_json_report_written_to_a_file_is_private_and_since_filters(
    cli: Cli, site: FixtureSite, member: Account, tmp_path: Path
) -> None:
    cli.json(*check_args(site, "--setting", "ads_age", "--setting", "ads_gender"))
    out = tmp_path / "fleet.json"
    result = cli("report", "--format", "json", "-o", str(out))
    assert result.exit_code == 0
    assert result.stderr == f"wrote 2 rows to {out}\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    rows = json.loads(out.read_text())["rows"]
    assert [(r["setting"], r["state"], r["outcome"]) for r in rows] == [
        ("ads_age", "on", "non_compliant"),
        ("ads_gender", "on", "non_compliant"),
    ]
    later = json.loads(cli("report", "--format", "json", "--since", "2999-01-01").stdout)
    assert later["rows"] == []


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_escaped() -> None:
    row = Row(
        account='=HYPERLINK("http://evil")',
        setting="+1",
        state="-1",
        outcome="@SUM(A1)",
        checked_at="2026-11-23T10:00:00Z",
        state_since=None,
        drift_events=0,
        checks=1,
        last_error="\tcmd",
        last_error_at=None,
        evidence=None,
    )
    [parsed] = csv_rows(as_csv([row]))
    assert [parsed[key] for key in ("account", "setting", "state", "outcome", "last_error")] == [
        '\'=HYPERLINK("http://evil")',
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "' cmd",  # the tab shown as a space, as every control character is made visible
    ]
    assert parsed["checked_at"] == "2026-11-23T10:00:00Z"


def test_a_bad_since_is_one_line_and_exit_2(cli: Cli) -> None:
    result = cli("report", "--since", "last tuesday")
    assert result.exit_code == 2
    assert (
        result.stderr == "error: --since: expected a date (YYYY-MM-DD) or an ISO time, not 'last tuesday'\n"
    )


@pytest.mark.parametrize(
    ("name", "starts"), [("guess.html", "<!doctype html>"), ("r.HTM", "<!doctype html>"), ("r.json", "{")]
)
def test_without_format_the_output_files_extension_names_it(
    cli: Cli, tmp_path: Path, name: str, starts: str
) -> None:
    result = cli("report", "-o", str(tmp_path / name))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / name).read_text().lower().startswith(starts)


def test_a_format_the_output_files_extension_contradicts_is_refused_and_nothing_is_written(
    cli: Cli, tmp_path: Path
) -> None:
    target = tmp_path / "report.html"
    result = cli("report", "--format", "csv", "-o", str(target))
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: --format csv does not match {target}: give --format html, or a file ending in .csv\n",
    )
    assert not target.exists()


def test_jsonl_holds_one_row_a_line_the_same_as_json(cli: Cli, tmp_path: Path) -> None:
    history = History.in_home(prepare_home(lambda _: None))
    for minutes, account in enumerate(["a@example.com", "b@example.com", "a@example.com"]):
        history.record(
            check_result(account=account, checked_at=MOMENT + timedelta(minutes=minutes)),
            tool_version="t",
            browser_version="b",
        )
    target = tmp_path / "fleet.jsonl"
    result = cli("report", "-o", str(target))  # the extension names the format
    assert result.exit_code == 0, result.stderr
    lines = target.read_text().splitlines()
    document = json.loads(cli("report", "--format", "json").stdout)
    assert [json.loads(line) for line in lines] == document["rows"]
    assert len(lines) == 2


def test_each_accounts_latest_confirmed_objection_is_on_its_rows(cli: Cli, isolated_home: Path) -> None:
    prepare_home(lambda _: None)
    history = History.in_home(isolated_home)
    for account in ("a@example.com", "b@example.com"):
        history.record(check_result(account=account), tool_version="t", browser_version="b")
    objections = Objections(history)
    objections.record(Objection("A@example.com", MOMENT, "CASE-1"))
    objections.record(Objection("a@example.com", MOMENT + timedelta(days=1), None))
    rows = {row["account"]: row for row in json.loads(cli("report", "--format", "json").stdout)["rows"]}
    assert (rows["a@example.com"]["objection_submitted"], rows["a@example.com"]["objection_reference"]) == (
        "2026-11-24T09:30:05Z",
        None,
    )
    assert (rows["b@example.com"]["objection_submitted"], rows["b@example.com"]["objection_reference"]) == (
        None,
        None,
    )
    page = cli("report", "--format", "html").stdout
    assert 'objection to AI training submitted <time datetime="2026-11-24T09:30:05Z">' in page
    assert page.count('class="objection"') == 1
