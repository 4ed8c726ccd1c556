"""Quarantine: after LinkedIn refuses an account's password or asks for a person, no run sends the
password again until a person has acted. This is what keeps LinkedIn from locking an account whose
password changed, one scheduled run after another."""

from __future__ import annotations

from pathlib import Path

from checker.core.outcome import Outcome
from checker.fixture_site import Account, FixtureSite
from checker.store.quarantine import Quarantine
from tests.conftest import Cli, add_account, check_args


def run(cli: Cli, site: FixtureSite, *extra: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code, document = cli.json(*check_args(site, *extra))
    [result] = document["results"]
    return code, result


def test_a_refused_password_is_never_sent_again_until_the_account_is_unlocked(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    member.password = "changed on the site"
    code, first = run(cli, site)
    assert (code, first["outcome"], first["quarantined"]) == (3, "auth_failed", True)
    # The fix for a refused password first: the new one, which lifts the hold.
    assert first["detail"].endswith(
        f"if you changed it, store the new one with `linkedin-ai-optout accounts add {member.email}`, "
        "which lifts the hold"
    )
    assert ".;" not in first["detail"]
    for _ in range(2):
        code, later = run(cli, site, "--apply")
        assert (code, later["outcome"], later["quarantined"]) == (3, "needs_attention", True)
        assert "held back since" in later["detail"]
        assert "after auth_failed" in later["detail"]
        assert f"store the new one with `linkedin-ai-optout accounts add {member.email}`" in later["detail"]
    assert site.password_submissions(member.email) == 1
    unlocked = cli("accounts", "unlock", member.email)
    assert unlocked.exit_code == 0
    assert "may sign in again" in unlocked.stderr
    run(cli, site)
    assert site.password_submissions(member.email) == 2


def test_a_new_password_lifts_the_quarantine(cli: Cli, site: FixtureSite, member: Account) -> None:
    member.password = "the new one"
    run(cli, site)
    add_account(cli, member.email, "the new one")
    code, result = run(cli, site)
    assert (code, result["outcome"], result["quarantined"]) == (1, "non_compliant", False)
    assert [a.correct for a in site.login_attempts] == [False, True]


def test_a_challenge_quarantines_the_account_too(cli: Cli, site: FixtureSite, member: Account) -> None:
    member.challenge = "email_pin"
    run(cli, site)
    code, result = run(cli, site)
    assert (code, result["outcome"]) == (3, "needs_attention")
    assert "after needs_attention" in result["detail"]
    assert site.password_submissions(member.email) == 1


def test_a_saved_session_that_still_works_is_used_in_quarantine(
    cli: Cli, site: FixtureSite, member: Account, isolated_home: Path
) -> None:
    run(cli, site)
    Quarantine.in_home(isolated_home).hold(member.email, Outcome.AUTH_FAILED, "refused earlier")
    code, result = run(cli, site)
    assert (code, result["outcome"], result["quarantined"]) == (1, "non_compliant", True)
    assert site.password_submissions(member.email) == 1


def test_unlocking_an_account_that_is_not_held_says_so(cli: Cli, member: Account) -> None:
    result = cli("accounts", "unlock", member.email.upper())
    assert (result.exit_code, result.stderr.strip()) == (
        0,
        f"{member.email} was not held back; nothing to do.",
    )


def test_a_damaged_quarantine_file_stops_check_before_the_site_is_touched(
    cli: Cli, site: FixtureSite, member: Account, isolated_home: Path
) -> None:
    (isolated_home / "quarantine.json").write_text("[1, 2]")
    result = cli(*check_args(site))
    assert result.exit_code == 4
    assert result.stderr.startswith(f"error: {isolated_home / 'quarantine.json'}: not a quarantine file")
    assert site.received == []
