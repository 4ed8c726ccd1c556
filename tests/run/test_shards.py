"""`--shard K/N` and `--shards N` with JOB_COMPLETION_INDEX: N runs on N machines, no coordinator,
every account checked exactly once. Through the real CLI against the fixture site."""

from __future__ import annotations

import hashlib

import pytest

from checker.fixture_site import Account, FixtureSite
from checker.run.shards import shard_of
from tests.conftest import Cli, add_account, check_args

EMAILS = [f"staff{number}@example.com" for number in range(6)]


@pytest.fixture
def fleet(cli: Cli, site: FixtureSite, real_keyring: object) -> list[str]:
    for email in EMAILS:
        site.add_account(Account(email=email, password=f"password of {email}"))
        add_account(cli, email, f"password of {email}")
    return EMAILS


def test_the_shard_of_an_account_is_stable_and_ignores_letter_case() -> None:
    # SHA-256 of the email, not Python's hash(): the same on every machine and every run.
    assert [shard_of(email, 3) for email in EMAILS] == [shard_of(email.upper(), 3) for email in EMAILS]
    digest = hashlib.sha256(b"staff0@example.com").digest()
    assert shard_of("Staff0@Example.com", 3) == int.from_bytes(digest[:8], "big") % 3 + 1
    assert {shard_of(email, 1) for email in EMAILS} == {1}


def test_three_indexed_job_pods_check_every_account_exactly_once(
    cli: Cli, site: FixtureSite, fleet: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    for index in range(3):
        monkeypatch.setenv("JOB_COMPLETION_INDEX", str(index))
        code, document = cli.json(*check_args(site, "--shards", "3"))
        assert code == 1  # every setting is on
        accounts = [result["account"] for result in document["results"]]
        assert all(shard_of(email, 3) == index + 1 for email in accounts)  # pod 0 checks shard 1
        checked += accounts
    assert sorted(checked) == sorted(fleet)
    # The site saw each account sign in once: no pod checked another's accounts.
    assert [site.password_submissions(email) for email in fleet] == [1] * len(fleet)


def test_shards_1_to_n_check_every_account_exactly_once(
    cli: Cli, site: FixtureSite, fleet: list[str]
) -> None:
    checked: list[str] = []
    for k in (1, 2, 3):  # as Playwright's --shard=1/3 counts
        _, document = cli.json(*check_args(site, "--shard", f"{k}/3"))
        checked += [result["account"] for result in document["results"]]
    assert sorted(checked) == sorted(fleet)


def test_shard_k_of_n_checks_only_its_accounts(cli: Cli, site: FixtureSite, fleet: list[str]) -> None:
    mine = [email for email in fleet if shard_of(email, 2) == 1]  # the first of two
    _, document = cli.json(*check_args(site, "--shard", "1/2"))
    assert [result["account"] for result in document["results"]] == mine
    assert all(site.password_submissions(email) == 0 for email in fleet if email not in mine)


def test_a_shard_with_no_account_starts_no_browser_and_says_so(
    cli: Cli, site: FixtureSite, fleet: list[str]
) -> None:
    count = 50  # more shards than accounts: some are empty
    empty = next(k for k in range(1, count + 1) if all(shard_of(email, count) != k for email in fleet))
    result = cli(*check_args(site, "--shard", f"{empty}/{count}"))
    assert (result.exit_code, result.stdout) == (0, f"No account falls in shard {empty}/{count}.\n")
    code, document = cli.json(*check_args(site, "--shard", f"{empty}/{count}"))
    assert (code, document) == (0, {"results": [], "site_changes": [], "exit_code": 0})
    assert site.received == []


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--shard", "0/3"], None, "--shard: shard 0 does not exist in 3 shards: they count from 1 to 3"),
        (["--shard", "4/3"], None, "--shard: shard 4 does not exist in 3 shards: they count from 1 to 3"),
        (["--shard", "1-3"], None, "--shard: expected K/N with K from 1 to N, such as 1/3, not '1-3'"),
        (["--shard", "0/0"], None, "--shard: the number of shards must be 1 or more, not 0"),
        (["--shards", "3"], None, "--shards needs $JOB_COMPLETION_INDEX"),
        (
            ["--shards", "3"],
            "3",
            "$JOB_COMPLETION_INDEX with --shards: shard 4 does not exist in 3 shards: they count from 1 to 3 "
            "($JOB_COMPLETION_INDEX 3 is shard 4)",
        ),
        (["--shards", "3"], "x", "$JOB_COMPLETION_INDEX: expected a number from 0, not 'x'"),
        (["--shards", "3", "--shard", "1/3"], "0", "--shard and --shards: give one, not both"),
    ],
)
def test_a_bad_shard_is_one_line_and_exit_2_before_anything_runs(
    cli: Cli,
    site: FixtureSite,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: str | None,
    message: str,
) -> None:
    monkeypatch.delenv("JOB_COMPLETION_INDEX", raising=False)
    if env is not None:
        monkeypatch.setenv("JOB_COMPLETION_INDEX", env)
    result = cli(*check_args(site, *args))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {message}")
    assert len(result.stderr.splitlines()) == 1
    assert site.received == []
