"""A session is proven by the page the check came for (checker/linkedin/session.py): the private
`/voyager/api/me` is one more signal, asked only when the page shows nothing the rules recognise,
and a retired or broken endpoint is named, never taken for a changed page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.fixture_site import Account, FixtureSite
from checker.linkedin.rules import rules_path
from tests.conftest import SHORT_TIMEOUT, Cli, check_args

ME = "/voyager/api/me"


def check(cli: Cli, site: FixtureSite, *extra: str, timeout: float = 5) -> tuple[int, dict, list[dict]]:  # type: ignore[type-arg]
    """The exit code, the result of the one setting, and the log events of a `check --json`."""
    result = cli(*check_args(site, *extra, "--json", timeout=timeout))
    [only] = json.loads(result.stdout)["results"]
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    return result.exit_code, only, events


def asked_me(site: FixtureSite) -> int:
    return sum(r.path == ME for r in site.received)


def unknown_navigation(member: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """LinkedIn redesigns its navigation again (the 2026 navigation, with no selector of it left)."""
    member.nav = "2026"
    patched = tmp_path / "linkedin.toml"
    text = rules_path().read_text().replace("#meMenuV2WideComponentRef button", "#gone-me")
    text = text.replace("nav a[href*='/mypreferences/d/categories/']", "nav a.gone-too")
    patched.write_text(text.replace("nav a[href*='/feed']", "nav a.gone"))
    monkeypatch.setenv("LINKEDIN_AI_OPTOUT_SELECTORS", str(patched))


def test_a_saved_session_is_proven_by_the_settings_page_with_no_request_of_its_own(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    check(cli, site)
    before = asked_me(site)
    code, result, _ = check(cli, site)
    assert (code, result["outcome"]) == (1, "non_compliant")
    assert site.password_submissions(member.email) == 1
    assert asked_me(site) == before == 0


@pytest.mark.parametrize("status", [404, 410, 500])
def test_with_the_session_endpoint_retired_or_broken_a_fresh_login_and_a_saved_session_both_fix(
    cli: Cli, site: FixtureSite, member: Account, status: int
) -> None:
    site.me_api_status = status
    code, result, _ = check(cli, site, "--apply")  # a fresh login
    assert (code, result["outcome"]) == (0, "fixed"), result["detail"]
    member.ai_training = True  # LinkedIn switches it back on
    code, result, _ = check(cli, site, "--apply")  # the saved session
    assert (code, result["outcome"], result["drift"]) == (0, "fixed", True), result["detail"]
    assert site.password_submissions(member.email) == 1
    assert member.ai_training is False


def test_an_unknown_navigation_the_settings_switch_still_proves_the_session(
    cli: Cli, site: FixtureSite, member: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check(cli, site)
    unknown_navigation(member, tmp_path, monkeypatch)
    code, result, _ = check(cli, site)
    assert (code, result["outcome"]) == (1, "non_compliant")
    assert site.password_submissions(member.email) == 1
    assert asked_me(site) == 0


def test_a_page_with_no_sign_the_rules_know_asks_the_endpoint_which_confirms_the_session(
    cli: Cli, site: FixtureSite, member: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check(cli, site)
    unknown_navigation(member, tmp_path, monkeypatch)
    member.markup = "changed"  # and the switch is one no rule knows
    code, result, _ = check(cli, site, timeout=SHORT_TIMEOUT)
    # Signed in (the site said so), so the page is what changed, and the detail says where.
    assert (code, result["outcome"]) == (4, "ui_changed")
    assert "shows no switch the rules recognise" in result["detail"]
    assert site.password_submissions(member.email) == 1
    assert asked_me(site) == 1


@pytest.mark.parametrize("status", [404, 500])
def test_a_page_with_no_sign_and_a_retired_endpoint_says_what_was_seen_and_warns_once(
    cli: Cli, site: FixtureSite, member: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    check(cli, site)
    unknown_navigation(member, tmp_path, monkeypatch)
    member.markup = "changed"
    site.me_api_status = status
    code, result, events = check(cli, site, timeout=SHORT_TIMEOUT)
    assert (code, result["outcome"]) == (4, "ui_changed")
    assert result["detail"].endswith(f"and the session check {ME} answered {status}")
    assert "not recognised" not in result["detail"]
    warnings = [e["event"] for e in events if e.get("level") == "warning" and ME in e["event"]]
    assert warnings == [
        f"the session check {ME} answered {status}: it may be retired; the tool relies on the pages instead"
    ]
    assert site.setting_changes == []


def test_a_signed_out_visitor_is_never_taken_for_a_session_whatever_the_endpoint_answers(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    check(cli, site)
    site.expire_sessions(member.email)  # the cookie is still in the browser, the site forgot it
    site.me_api_status = 200  # an endpoint that says yes to everyone proves nothing either
    code, result, _ = check(cli, site, "--apply")
    assert (code, result["outcome"]) == (0, "fixed")
    assert site.password_submissions(member.email) == 2  # sent to the login page, signed in again
