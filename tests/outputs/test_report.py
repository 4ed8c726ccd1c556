"""What people see: the check table, the history, doctor's findings, and the JSON documents."""

from __future__ import annotations

import dataclasses
import io
import re

import pytest
from rich.console import Console

from checker.core.errors import ExitCode
from checker.core.outcome import Action, CheckResult, Outcome, SwitchState
from checker.outputs.results import (
    error_document,
    print_findings,
    print_history,
    print_results,
    results_document,
)
from checker.run.doctor import Finding
from checker.store.history import HistoryEntry
from tests.conftest import check_result  # checked at conftest.MOMENT, 2026-11-23 09:30:05 UTC

EMAIL = "someone.long@example.com"
# The kind of sentence the runner writes for a challenge: longer than any column at 80.
CHALLENGE = (
    "LinkedIn asks for the verification code it emailed to this account; sign in once by hand "
    "in a browser, answer the challenge there, then run check again"
)


def result(
    outcome: Outcome,
    detail: str = "the runner's full sentence about what happened",
    *,
    account: str = EMAIL,
    before: SwitchState = SwitchState.ON,
    after: SwitchState | None = None,
    action: Action = Action.NONE,
) -> CheckResult:
    return check_result(
        outcome, detail, account=account, state_before=before, state_after=after, action=action
    )


def entry(check: CheckResult) -> HistoryEntry:
    return HistoryEntry(result=check, tool_version="0.0.0", browser_version="131.0.0.0")


def console(*, colour: bool = False) -> Console:
    if colour:
        return Console(width=80, file=io.StringIO(), force_terminal=True, color_system="standard")
    return Console(width=80, file=io.StringIO(), force_terminal=False, color_system=None)


def output(screen: Console) -> str:
    assert isinstance(screen.file, io.StringIO)
    return screen.file.getvalue()


def results_table(*results: CheckResult, colour: bool = False) -> str:
    screen = console(colour=colour)
    print_results(screen, list(results))
    return output(screen)


def history(*results: CheckResult) -> str:
    screen = console()
    print_history(screen, [entry(check) for check in results])
    return output(screen)


def assert_fits_80_columns(text: str) -> None:
    assert all(len(line) <= 80 for line in text.splitlines()), text


def assert_words_whole(sentence: str, text: str) -> None:
    shown = set(text.split())
    assert [word for word in sentence.split() if word not in shown] == [], text


def line_with(needle: str, text: str) -> str:
    [line] = [line for line in text.splitlines() if needle in line]
    return line


# --- site text stays text ----------------------------------------------------------------------


MARKUP = "LinkedIn said [/x] and [bold]careful[/bold]"


def test_markup_in_a_detail_is_shown_literally_in_the_check_table() -> None:
    shown = results_table(result(Outcome.ERROR, MARKUP))
    assert_words_whole(MARKUP, shown)


def test_markup_in_a_detail_is_shown_literally_in_the_history() -> None:
    shown = history(result(Outcome.ERROR, MARKUP))
    assert "LinkedIn said [/x] and [bold]careful[/bold]" in shown


def test_markup_in_a_detail_is_not_turned_into_a_style() -> None:
    shown = results_table(result(Outcome.ERROR, MARKUP), colour=True)
    assert "\x1b[1mcareful" not in shown
    assert "[bold]careful[/bold]" in shown


def test_an_escape_sequence_from_the_site_arrives_escaped() -> None:
    shown = results_table(result(Outcome.ERROR, "the page said \x1b[31mred"))
    assert "\x1b" not in shown
    assert "\\x1b[31mred" in shown


def test_with_colour_on_the_only_escape_sequences_are_riches_own() -> None:
    shown = results_table(result(Outcome.ERROR, "the page said \x1b[31mred \x1b]0;title\x07"), colour=True)
    assert "\x1b[31mred" not in shown
    assert "\x1b]0;" not in shown
    assert "\\x1b[31mred" in shown


def test_an_escape_sequence_in_the_history_arrives_escaped() -> None:
    shown = history(result(Outcome.ERROR, "the page said \x1b[2J\u202egnp.exe"))
    assert "\x1b" not in shown
    assert "\u202e" not in shown
    assert "\\x1b[2J\\u202egnp.exe" in shown


def test_the_outcome_keeps_its_colour() -> None:
    shown = results_table(result(Outcome.ERROR, "boom"), result(Outcome.FIXED), colour=True)
    assert "\x1b[31merror" in shown
    assert "\x1b[32mfixed" in shown


def test_a_title_with_markup_is_shown_literally() -> None:
    screen = console()
    print_results(screen, [result(Outcome.COMPLIANT)], title="$ check [/x] (fixture site)")
    assert "$ check [/x] (fixture site)" in output(screen)


# --- the check table at 80 columns -------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "phrase"),
    [
        (Outcome.COMPLIANT, "already off"),
        (Outcome.FIXED, "switched off; still off after a reload"),
        (Outcome.NON_COMPLIANT, "on: run with --apply to switch it off"),
        (Outcome.WOULD_FIX, "dry run: --apply would switch it off"),
        (Outcome.FIX_FAILED, "clicked, but LinkedIn did not keep the change"),
        (Outcome.NOT_APPLICABLE, "not offered to this account"),
    ],
)
def test_a_settled_outcome_gets_a_short_phrase_with_every_word_whole(outcome: Outcome, phrase: str) -> None:
    shown = results_table(result(outcome, "the runner's full sentence, kept for --json and history"))
    assert_fits_80_columns(shown)
    assert_words_whole(phrase, shown)
    assert "runner's" not in shown


@pytest.mark.parametrize(
    "outcome", [Outcome.NEEDS_ATTENTION, Outcome.AUTH_FAILED, Outcome.UI_CHANGED, Outcome.ERROR]
)
def test_an_outcome_that_needs_explaining_shows_its_detail_wrapped_by_words(outcome: Outcome) -> None:
    shown = results_table(result(outcome, CHALLENGE))
    assert_fits_80_columns(shown)
    assert_words_whole(CHALLENGE, shown)
    assert len(shown.splitlines()) > 3  # it did have to wrap


def test_emails_and_outcomes_are_never_wrapped() -> None:
    shown = results_table(
        result(Outcome.NEEDS_ATTENTION, CHALLENGE, account="firstname.lastname@subsidiary.example"),
        result(Outcome.NOT_APPLICABLE, account=EMAIL, before=SwitchState.UNAVAILABLE),
    )
    assert_fits_80_columns(shown)
    assert "needs_attention" in line_with("firstname.lastname@subsidiary.example", shown)
    assert "not_applicable" in line_with(EMAIL, shown)


def test_a_word_too_long_for_the_detail_column_is_cut_with_an_ellipsis_not_split() -> None:
    path = "/settings/" + "a" * 60
    shown = results_table(result(Outcome.UI_CHANGED, f"the page at {path} is not recognised"))
    assert_fits_80_columns(shown)
    assert "/settings/aaaa" in shown
    assert "…" in shown
    # A split word would continue on the next line; a cut one does not.
    assert not any(line.strip().startswith("aaa") for line in shown.splitlines())


@pytest.mark.parametrize(
    ("before", "after", "action", "state"),
    [
        (SwitchState.OFF, None, Action.NONE, "off"),
        (SwitchState.ON, None, Action.NONE, "on"),
        (SwitchState.ON, None, Action.WOULD_SWITCH_OFF, "on"),
        (SwitchState.ON, SwitchState.OFF, Action.SWITCHED_OFF, "on → off"),
        (SwitchState.ON, SwitchState.ON, Action.FAILED, "on → on"),
        (SwitchState.ON, None, Action.FAILED, "on → unknown"),
        (SwitchState.UNAVAILABLE, None, Action.NONE, "unavailable"),
    ],
)
def test_the_state_cell_shows_a_change_only_when_the_switch_was_clicked(
    before: SwitchState, after: SwitchState | None, action: Action, state: str
) -> None:
    shown = results_table(result(Outcome.ERROR, "x", before=before, after=after, action=action))
    cells = re.split(r"\s{2,}", line_with(EMAIL, shown).strip())
    assert cells[:3] == [EMAIL, state, "error"]


def test_a_terminal_without_unicode_gets_an_ascii_arrow() -> None:
    written = io.BytesIO()
    stream = io.TextIOWrapper(written, encoding="ascii")
    screen = Console(width=80, file=stream, color_system=None)
    print_results(screen, [result(Outcome.FIXED, after=SwitchState.OFF, action=Action.SWITCHED_OFF)])
    stream.flush()
    assert "on -> off" in written.getvalue().decode("ascii")


def test_the_check_table_names_where_the_evidence_of_a_failure_is_beneath_it() -> None:
    bundle = "/home/someone/.local/share/linkedin-ai-optout/evidence/20261123T093005000Z-0123456789ab"
    failed = dataclasses.replace(result(Outcome.UI_CHANGED), evidence=bundle)
    shown = results_table(result(Outcome.COMPLIANT, account="a@example.com"), failed)
    assert [line for line in shown.splitlines() if "evidence" in line] == [f"evidence for {EMAIL}: {bundle}"]


def test_the_check_table_says_nothing_of_evidence_when_there_is_none() -> None:
    assert "evidence" not in results_table(result(Outcome.ERROR, "the site answered HTTP 503"))


# --- history -----------------------------------------------------------------------------------


def test_the_history_shows_time_account_setting_state_and_outcome_on_one_line() -> None:
    shown = history(
        result(Outcome.NON_COMPLIANT), check_result(Outcome.FIXED, setting="ads_age", account=EMAIL)
    )
    header, *_ = shown.splitlines()
    assert re.split(r"\s{2,}", header) == ["checked at (UTC)", "account", "setting", "state", "outcome"]
    rows = [line.split() for line in shown.splitlines() if EMAIL in line]
    assert rows == [
        ["2026-11-23", "09:30:05", EMAIL, "generative_ai_training", "on", "non_compliant"],
        ["2026-11-23", "09:30:05", EMAIL, "ads_age", "on", "fixed"],
    ]


def test_the_history_shows_the_full_detail_with_every_word_whole() -> None:
    shown = history(result(Outcome.NEEDS_ATTENTION, CHALLENGE), result(Outcome.FIXED, CHALLENGE))
    # The detail beneath each line fits; the line itself is the terminal's to wrap when it must.
    assert_fits_80_columns("\n".join(line for line in shown.splitlines() if line.startswith("    ")))
    assert shown.count("verification") == 2
    assert_words_whole(CHALLENGE, shown)


def test_the_history_lines_up_the_outcomes_of_accounts_of_different_lengths() -> None:
    shown = history(result(Outcome.FIXED, account="a@example.com"), result(Outcome.ERROR))
    columns = {
        line.index(outcome)
        for line, outcome in [
            (line_with("a@example.com", shown), "fixed"),
            (line_with(EMAIL, shown), "error"),
        ]
    }
    assert len(columns) == 1


def test_an_empty_history_says_so() -> None:
    screen = console()
    print_history(screen, [])
    assert output(screen).strip() == "No checks recorded yet."


def test_an_empty_history_of_one_account_names_the_account() -> None:
    screen = console()
    print_history(screen, [], account="nobody@example.com")
    assert output(screen).strip() == "No checks recorded for nobody@example.com."


# --- doctor ------------------------------------------------------------------------------------


LONG_PATH = "/opt/" + "/".join(["a-rather-long-directory-name"] * 4) + "/chromium-browser-binary"


def findings_output(*findings: Finding, colour: bool = False) -> str:
    screen = console(colour=colour)
    print_findings(screen, list(findings))
    return output(screen)


def test_findings_are_marked_ok_or_fail_with_the_fix_after_a_failure() -> None:
    shown = findings_output(
        Finding("version", True, "0.3.0"),
        Finding("keyring", False, "no backend answers", "start gnome-keyring or set a keyring backend"),
    )
    assert shown.splitlines() == [
        "ok   version: 0.3.0",
        "FAIL keyring: no backend answers",
        "     fix: start gnome-keyring or set a keyring backend",
    ]


def test_a_failure_without_a_fix_has_no_fix_line() -> None:
    assert findings_output(Finding("selectors", False, "bad")).splitlines() == ["FAIL selectors: bad"]


def test_ok_is_green_and_fail_is_red() -> None:
    shown = findings_output(Finding("version", True, "1"), Finding("browser", False, "none"), colour=True)
    assert "\x1b[32mok" in shown
    assert "\x1b[31mFAIL" in shown


def test_a_long_path_in_a_finding_stays_on_one_line() -> None:
    assert len(LONG_PATH) >= 120
    shown = findings_output(
        Finding("browser", False, f"not executable: {LONG_PATH}", f"chmod +x {LONG_PATH}")
    )
    assert line_with("FAIL", shown) == f"FAIL browser: not executable: {LONG_PATH}"
    assert line_with("fix:", shown) == f"     fix: chmod +x {LONG_PATH}"


def test_a_finding_with_markup_and_escapes_is_shown_literally() -> None:
    shown = findings_output(Finding("rules [/x]", False, "file says \x1b[2J[bold]"), colour=True)
    assert "rules [/x]: file says \\x1b[2J[bold]" in shown


# --- JSON documents ----------------------------------------------------------------------------


def test_the_results_document_holds_the_results_and_the_exit_code() -> None:
    check = result(Outcome.NON_COMPLIANT)
    assert results_document([check], ExitCode.ACTION_NEEDED) == {
        "results": [check.to_json()],
        "site_changes": [],
        "exit_code": 1,
    }


def test_a_results_document_with_an_error_says_what_went_wrong() -> None:
    check = result(Outcome.FIXED, after=SwitchState.OFF, action=Action.SWITCHED_OFF)
    document = results_document([check], ExitCode.FAILURE, error="cannot record:\x1b[2J disk full")
    assert document == {
        "results": [check.to_json()],
        "site_changes": [],
        "error": {"message": "cannot record:\\x1b[2J disk full", "exit_code": 4},
        "exit_code": 4,
    }


def test_the_error_document_of_a_run_that_could_not_start() -> None:
    assert error_document("no browser found\nat all", ExitCode.FAILURE) == {
        "error": {"message": "no browser found at all", "exit_code": 4},
        "exit_code": 4,
    }


def test_a_hint_every_setting_of_an_account_shares_is_said_once_then_same() -> None:
    on = [check_result(setting=name) for name in ("generative_ai_training", "ads_age", "ads_gender")]
    other = check_result(setting="ads_age", account="b@example.com")
    table = results_table(*on, other)
    assert_fits_80_columns(table)
    assert table.count("(same)") == 2  # below a@example.com's first; b@example.com's is said again
    assert line_with("ads_gender", table).rstrip().endswith("(same)")
    assert not line_with("b@example.com", table).rstrip().endswith("(same)")
