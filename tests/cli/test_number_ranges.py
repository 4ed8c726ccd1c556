"""Every number the tool takes has a finite, sensible range, checked before anything else: a numeric
option on the command line (exit 2), a numeric key of config.toml (exit 4, as every config file error)
or an environment variable (exit 2), refused in one line that names it, with nothing sent to the site.

Before, `timeout = inf` was accepted and every account then ended `error`, `--timeout 1000000000`
overflowed the browser's timers, `pace = nan` was accepted, and a config.toml that is a directory was
an internal error (issue 14, item 6).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.fixture_site import Account, FixtureSite
from checker.run.shards import INDEX_ENV
from checker.store.credentials import TIMEOUT_ENV, CredentialStore
from tests.conftest import Cli
from tests.store.test_config_file import write_config
from tests.store.test_failsafe_files import assert_site_untouched, one_error_line, password_of

HUGE = "9" * 5000  # more digits than Python converts to an int (4300)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("timeout = inf", "timeout: expected a number of seconds, 1 to 600, got inf"),
        ("timeout = nan", "timeout: expected a number of seconds, 1 to 600, got nan"),
        ("timeout = 1e9", "timeout: expected a number of seconds, 1 to 600, got 1e+09"),
        ("timeout = 601", "timeout: expected a number of seconds, 1 to 600, got 601"),
        ("pace = nan", "pace: expected a number of seconds, 0 to 3600, got nan"),
        ("pace = inf", "pace: expected a number of seconds, 0 to 3600, got inf"),
        ("pace = -inf", "pace: expected a number of seconds, 0 to 3600, got -inf"),
        ("pace = 3600.5", "pace: expected a number of seconds, 0 to 3600, got 3600.5"),
        ("concurrency = 9", "concurrency: expected a whole number of accounts at once, 1 to 8, got 9"),
        (
            f"concurrency = {10**30}",
            f"concurrency: expected a whole number of accounts at once, 1 to 8, got {10**30}",
        ),
    ],
)
def test_a_config_number_out_of_range_stops_check_apply_in_one_line_naming_the_key(
    cli: Cli, site: FixtureSite, member: Account, isolated_home: Path, text: str, message: str
) -> None:
    path = write_config(isolated_home, text + "\n")
    for args in (["check", "--apply", "--base-url", site.base_url], ["config", "show"]):
        result = cli(*args)
        assert result.exit_code == 4
        assert result.stdout == ""
        assert one_error_line(result.stderr) == f"error: {path}: {message}"
    assert_site_untouched(site)
    assert member.ai_training is True


def test_the_top_of_each_config_range_is_accepted(cli: Cli, isolated_home: Path) -> None:
    write_config(isolated_home, "timeout = 600\npace = 3600\nconcurrency = 8\n")
    code, document = cli.json("config", "show")
    assert code == 0
    shown = {key: document["values"][key]["value"] for key in ("timeout", "pace", "concurrency")}
    assert shown == {"timeout": 600, "pace": 3600, "concurrency": 8}


@pytest.mark.parametrize(
    ("option", "value", "index"),
    [
        ("--timeout", "inf", None),
        ("--timeout", "nan", None),
        ("--timeout", "1000000000", None),
        ("--timeout", "601", None),
        ("--timeout", "0.5", None),
        ("--pace", "nan", None),
        ("--pace", "inf", None),
        ("--pace", "-1", None),
        ("--pace", "3601", None),
        ("--concurrency", "9", None),
        ("--concurrency", str(10**30), None),
        ("--shards", str(10**30), "0"),
        ("--shards", "100001", "0"),
        ("--shards", "3", HUGE),
        ("--shard", f"0/{HUGE}", None),
        ("--shard", f"{HUGE}/3", None),
        ("--shard", "0/100001", None),
    ],
)
def test_a_command_line_number_out_of_range_stops_check_apply_in_one_line_naming_the_option(
    cli: Cli,
    site: FixtureSite,
    member: Account,
    monkeypatch: pytest.MonkeyPatch,
    option: str,
    value: str,
    index: str | None,
) -> None:
    if index is not None:
        monkeypatch.setenv(INDEX_ENV, index)
    result = cli("check", "--apply", "--base-url", site.base_url, option, value)
    assert result.exit_code == 2
    assert result.stdout == ""
    line = one_error_line(result.stderr)
    assert option in line or (index is not None and INDEX_ENV in line)
    assert HUGE not in line  # a few digits of it, never the whole
    assert_site_untouched(site)
    assert member.ai_training is True


@pytest.mark.parametrize(
    "args",
    [
        ["record", "member@example.com", "--output", "walk", "--timeout", "inf"],
        ["history", "--limit", str(10**20)],
    ],
    ids=" ".join,
)
def test_the_other_commands_numbers_have_ranges_too(cli: Cli, args: list[str]) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert args[-2] in one_error_line(result.stderr)


def test_a_config_file_that_is_a_directory_is_one_line_naming_it(
    cli: Cli, site: FixtureSite, member: Account, isolated_home: Path
) -> None:
    path = isolated_home / "config.toml"
    path.mkdir()
    for args in (["check", "--apply", "--base-url", site.base_url], ["config", "show"]):
        result = cli(*args)
        assert result.exit_code == 4
        assert one_error_line(result.stderr) == (
            f"error: {path} is not a regular file: replace it with a TOML file, or remove it"
        )
    assert_site_untouched(site)


def test_a_keyring_time_bound_beyond_an_hour_is_refused_before_the_keyring_is_used(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, real_keyring: CredentialStore
) -> None:
    monkeypatch.setenv(TIMEOUT_ENV, "1e300")  # overflowed the event loop's clock
    result = cli("accounts", "add", "new@example.com", "--password-stdin", input="pw\n")
    assert result.exit_code == 2
    assert one_error_line(result.stderr) == f"error: {TIMEOUT_ENV} must be at most 3600 seconds, not '1e300'"
    assert password_of(real_keyring, "new@example.com") is None


def test_check_at_the_top_of_the_timeout_and_pace_ranges_switches_the_setting_off(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    # 600 s is 600 000 ms for Playwright and the page's timers: far within what they hold.
    code, document = cli.json(
        "check", "--apply", "--base-url", site.base_url, "--timeout", "600", "--pace", "3600"
    )
    assert (code, [r["outcome"] for r in document["results"]]) == (0, ["fixed"])
    assert member.ai_training is False


@pytest.mark.parametrize(
    "args",
    [
        ["schedule", "install", "--print", "--timeout", "inf"],
        ["schedule", "install", "--print", "--pace", "1e9"],
        ["accounts", "login", "member@example.com", "--wait", "inf"],
        ["accounts", "login", "member@example.com", "--wait", "1e300"],
    ],
)
def test_numbers_that_would_go_into_a_job_or_a_wait_are_refused_naming_the_option(
    cli: Cli, args: list[str]
) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    option = next(arg for arg in args if arg.startswith("--") and arg != "--print")
    assert option in result.stderr


@pytest.mark.parametrize("command", [["accounts", "login"], ["object"]])
@pytest.mark.parametrize("minutes", ["0", "-5"])
def test_a_wait_of_no_time_is_refused_in_one_line_before_anything(
    cli: Cli, isolated_home: Path, command: list[str], minutes: str
) -> None:
    result = cli(*command, "member@example.com", "--wait", minutes)
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: --wait must be more than 0 minutes, not {float(minutes):g}\n",
    )
    assert not isolated_home.exists()
