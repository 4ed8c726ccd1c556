"""`check --concurrency N`: several accounts at once in one browser, each in its own context, every
outcome recorded in the accounts' order. Through the real CLI against the fixture site."""

from __future__ import annotations

import json
import random
import re
import signal
from itertools import pairwise
from pathlib import Path

import pytest

from checker.fixture_site import Account, FixtureSite, SaveGate
from checker.fixture_site.model import Received
from checker.fixture_site.urls import BEACONS
from checker.run.runner import pause_before
from tests.cli.test_cli import run_with_stderr
from tests.conftest import Cli, add_account, check_args
from tests.run.test_interrupts import LIMIT, Run, history

EMAILS = [f"seat{number}@example.com" for number in range(6)]


@pytest.fixture
def fleet(cli: Cli, site: FixtureSite, real_keyring: object) -> list[Account]:
    """Six members, the setting on for every other one."""
    for number, email in enumerate(EMAILS):
        site.add_account(Account(email=email, password=f"password of {email}", ai_training=number % 2 == 0))
        add_account(cli, email, f"password of {email}")
    return [site.account(email) for email in EMAILS]


def spans(received: list[Received], emails: list[str]) -> list[tuple[float, float]]:
    """When the site first and last heard from each account's signed-in browser, beacons aside: a
    page sends one as it unloads, and it may arrive after the run has ended (the tests' browser
    outlives each run, see keeping_browsers), as a real tracker's does."""
    asked = [r for r in received if r.path not in BEACONS]
    return [
        (min(r.at for r in asked if r.email == email), max(r.at for r in asked if r.email == email))
        for email in emails
    ]


def overlapping(spans_: list[tuple[float, float]]) -> bool:
    ordered = sorted(spans_)
    return any(later[0] < earlier[1] for earlier, later in pairwise(ordered))


def test_accounts_are_checked_at_once_each_in_its_own_context_and_reported_in_order(
    cli: Cli, site: FixtureSite, fleet: list[Account]
) -> None:
    for account in fleet:
        account.save_delay_ms = 1000  # a signed-in browser long enough at work to see two at once
    code, document = cli.json(*check_args(site, "--concurrency", "3", "--apply"))
    results = document["results"]
    assert [result["account"] for result in results] == EMAILS
    # Each browser context read its own member's switch: a shared cookie would show another's.
    assert [result["state_before"] for result in results] == ["on", "off"] * 3
    assert [result["outcome"] for result in results] == ["fixed", "compliant"] * 3
    assert code == document["exit_code"] == 0
    assert [site.password_submissions(email) for email in EMAILS] == [1] * 6
    assert overlapping(spans(site.received, EMAILS))
    assert len(history(cli)) == 6
    # Accounts recorded at once still make one unbroken hash chain.
    assert cli("history", "verify").exit_code == 0


def test_one_at_a_time_is_the_default(cli: Cli, site: FixtureSite, fleet: list[Account]) -> None:
    code, _ = cli.json(*check_args(site))
    assert code == 1
    assert not overlapping(spans(site.received, EMAILS))


def test_config_toml_sets_the_concurrency_and_the_command_line_wins(
    cli: Cli, site: FixtureSite, fleet: list[Account], isolated_home: Path
) -> None:
    (isolated_home / "config.toml").write_text("concurrency = 3\n")
    for account in fleet:
        account.save_delay_ms = 1000  # as above: reads alone are too quick to be seen at once
    assert cli.json(*check_args(site, "--apply"))[0] == 0
    assert overlapping(spans(site.received, EMAILS))
    before = len(site.received)
    assert cli.json(*check_args(site, "--concurrency", "1"))[0] == 0
    assert not overlapping(spans(site.received[before:], EMAILS))
    result = cli(*check_args(site, "--interactive"))
    assert (result.exit_code, result.stderr.strip()) == (
        2,
        "error: --interactive hands one account at a time to you: drop --concurrency",
    )


def test_a_failing_account_stops_no_other_and_the_exit_code_is_the_worst(
    cli: Cli, site: FixtureSite, fleet: list[Account]
) -> None:
    add_account(cli, EMAILS[1], "a password LinkedIn refuses")
    fleet[4].has_setting = False  # a member whose account does not offer the setting
    code, document = cli.json(*check_args(site, "--concurrency", "2", "--apply"))
    outcomes = [result["outcome"] for result in document["results"]]
    assert outcomes == ["fixed", "auth_failed", "fixed", "compliant", "not_applicable", "compliant"]
    assert code == document["exit_code"] == 3  # auth_failed: a person must act
    assert [account.ai_training for account in fleet] == [False] * 4 + [True, False]


def test_a_signal_lets_a_save_in_progress_finish_and_stops_the_other_account_at_once(
    cli: Cli, site: FixtureSite, fleet: list[Account]
) -> None:
    saving, reading = fleet[0], fleet[1]
    for account in fleet[2:]:
        cli("accounts", "remove", account.email)
    reading.render_delay_ms = 8000  # still opening its page when the other one saves
    gate = site.save_gate = SaveGate()
    run = Run(*check_args(site)[:-2], "--timeout", "20", "--concurrency", "2", "--apply", "--json")
    try:
        assert gate.arrived.wait(LIMIT), "the run never reached the save"
        run.to_group(signal.SIGINT)
    finally:
        gate.released.set()
    assert run.finish() == 130
    first, second = json.loads(run.stdout)["results"]
    assert (first["account"], first["action"], first["state_after"], first["verified"]) == (
        saving.email,
        "switched_off",
        "unknown",
        False,
    )
    assert (second["account"], second["outcome"], second["action"]) == (reading.email, "error", "none")
    assert second["detail"] == "interrupted by SIGINT; nothing was changed"
    assert saving.ai_training is False  # the save the record calls unverified was let finish
    assert sorted(entry["account"] for entry in history(cli)) == [saving.email, reading.email]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--concurrency", "0"], "error: --concurrency: expected 1 to 8, not 0"),
        (["--concurrency", "9"], "error: --concurrency: expected 1 to 8, not 9"),
        (
            ["--concurrency", "2", "--interactive"],
            "error: --interactive hands one account at a time to you: drop --concurrency",
        ),
    ],
)
def test_a_bad_concurrency_is_one_line_and_exit_2_before_anything_runs(
    cli: Cli, site: FixtureSite, fleet: list[Account], args: list[str], message: str
) -> None:
    result = cli(*check_args(site, *args))
    assert (result.exit_code, result.stderr.strip()) == (2, message)
    assert site.received == []


def test_the_pause_before_each_account_is_random_around_the_pace_and_the_lanes_start_apart() -> None:
    random.seed(7)
    pauses = [pause_before(0, first=False, pace=4.0) for _ in range(200)]
    assert all(2.0 <= pause <= 6.0 for pause in pauses)
    assert len(set(pauses)) == 200  # no beat a site could see
    assert pause_before(0, first=True, pace=4.0) == 0.0  # the run starts at once
    starts = [pause_before(lane, first=True, pace=4.0) for lane in range(1, 50)]
    assert all(0.0 <= start <= 4.0 for start in starts)
    assert len(set(starts)) == 49
    assert pause_before(3, first=False, pace=0.0) == 0.0


def test_a_terminal_shows_accounts_done_time_left_and_each_accounts_step(
    cli: Cli, site: FixtureSite, fleet: list[Account]
) -> None:
    for account in fleet:
        account.render_delay_ms = 600  # each step lasts long enough for the display to draw it
    code, shown = run_with_stderr(site, terminal=True, extra=("--concurrency", "2"), columns=80)
    assert code == 1
    # At 80 columns each line the display draws stays one line: the times keep the run's line.
    lines = re.split(r"[\r\n]", re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown))
    assert max(map(len, lines)) <= 80
    run_lines = [line for line in lines if "accounts checked" in line]
    assert run_lines
    assert all("elapsed" in line for line in run_lines)
    assert "0/6 accounts checked" in shown
    assert "6/6 accounts checked" in shown
    assert "elapsed" in shown
    assert "left" in shown  # the estimate, once some accounts are done
    for email in EMAILS:
        assert f"{email}: signing in" in shown
        assert f"{email}: reading Generative-AI training" in shown
