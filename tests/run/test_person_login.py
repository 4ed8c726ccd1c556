"""A person in the loop: `accounts login` and `check --interactive` show a browser window (on a
virtual X display of the tests' own), the person signs in themselves, and the tool only waits, then
saves the session.

The person is the fixture site's (checker/fixture_site/person.py): their hands type on the login
page, and their phone approves the sign-in in the LinkedIn app while the app-approval page waits for
it, as LinkedIn's does. Nothing reaches into the tool's browser.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.async_api import Page

from checker.core.outcome import Outcome
from checker.fixture_site import Account, FixtureSite
from checker.linkedin.locate import Site
from checker.linkedin.rules import load_rules
from checker.run import person
from checker.run.person import PersonSignIn, wait_for_person
from checker.store.credentials import CredentialStore
from checker.store.history import History
from checker.store.quarantine import Quarantine
from checker.store.sessions import HEADER, SessionStore
from tests.conftest import Cli, account_held, check_args

# Long enough for a browser to start and a page to poll on a busy machine; a phone that gets no
# notification by then fails its test.
_PHONE_WAITS_SECONDS = 60


@contextmanager
def phone_approving(site: FixtureSite, email: str) -> Iterator[Future[bool]]:
    """The member's phone, on another thread: it taps Yes on the first app notification for `email`.
    The future says whether one came."""
    with ThreadPoolExecutor(max_workers=1) as phone:
        yield phone.submit(site.person.approve_in_app, email, _PHONE_WAITS_SECONDS)


def login_args(site: FixtureSite, email: str, *extra: str) -> list[str]:
    return ["accounts", "login", email, "--base-url", site.base_url, *extra]


def session_file(home: Path, member: Account, site: FixtureSite) -> Path:
    return SessionStore.in_home(home, CredentialStore()).path(member.email, site.base_url)


def files_under(home: Path) -> list[str]:
    return sorted(str(path.relative_to(home)) for path in home.rglob("*"))


def held(home: Path, member: Account) -> bool:
    return Quarantine.in_home(home).get(member.email) is not None


# -- accounts login ------------------------------------------------------------------------------


def test_a_person_who_signs_in_with_an_app_approval_gets_the_session_saved_and_the_hold_lifted(
    cli: Cli, site: FixtureSite, member: Account, display: str, isolated_home: Path
) -> None:
    # The password changed on LinkedIn: the check is refused and the account held back.
    member.password = "changed on the site"
    code, document = cli.json(*check_args(site))
    assert (code, document["results"][0]["outcome"]) == (3, "auth_failed")
    assert held(isolated_home, member)
    member.challenge = "app_approval"
    site.person.will_type(member.email, member.password)
    with phone_approving(site, member.email) as phone:
        result = cli(*login_args(site, member.email, "--wait", "1"))
        assert phone.result() is True
    assert result.exit_code == 0, result.stderr
    assert f"Signed in as {member.email}: the session is saved" in result.stderr
    assert "no longer held back" in result.stderr
    assert not held(isolated_home, member)
    # The one correct password LinkedIn received is the person's; the tool typed nothing.
    assert [attempt.correct for attempt in site.login_attempts] == [False, True]
    saved = session_file(isolated_home, member, site).read_bytes()
    assert saved.startswith(HEADER)
    assert b"li_at" not in saved
    code, document = cli.json(*check_args(site))
    assert (code, document["results"][0]["outcome"]) == (1, "non_compliant")
    assert document["results"][0]["quarantined"] is False
    assert site.password_submissions(member.email) == 2  # the saved session did it


def test_the_wait_for_a_person_is_bounded_and_then_nothing_is_saved(
    cli: Cli, site: FixtureSite, member: Account, display: str, isolated_home: Path
) -> None:
    Quarantine.in_home(isolated_home).hold(member.email, Outcome.NEEDS_ATTENTION, "a PIN, earlier")
    result = cli(*login_args(site, member.email, "--wait", "0.05"))
    assert result.exit_code == 4
    assert result.stderr.splitlines()[-1] == "error: not signed in within 0.05 minutes: nothing was saved"
    assert any(received.path == "/login" for received in site.received)  # the window showed the page
    assert site.login_attempts == []
    assert not session_file(isolated_home, member, site).exists()
    assert held(isolated_home, member)


def test_accounts_login_without_a_display_says_so_in_one_line_and_writes_nothing(
    cli: Cli, site: FixtureSite, member: Account, no_display: None, isolated_home: Path
) -> None:
    before = files_under(isolated_home)
    result = cli(*login_args(site, member.email))
    assert result.exit_code == 4
    [line] = result.stderr.splitlines()
    assert line.startswith(
        "error: accounts login shows a browser window for you to sign in, and there is no display"
    )
    assert files_under(isolated_home) == before
    assert site.received == []


def test_accounts_login_is_only_for_a_configured_account(
    cli: Cli, site: FixtureSite, member: Account, display: str
) -> None:
    result = cli(*login_args(site, "stranger@example.com"))
    assert result.exit_code == 2
    assert "unknown account: stranger@example.com" in result.stderr
    assert site.received == []


def test_accounts_login_while_another_run_holds_the_account_says_so_and_opens_no_page(
    cli: Cli,
    site: FixtureSite,
    member: Account,
    display: str,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(person, "WINDOW_TIMEOUT_MS", 300)  # the lock is waited for three times that
    with account_held(isolated_home, member.email):
        result = cli(*login_args(site, member.email))
    assert result.exit_code == 4
    assert result.stderr.splitlines()[-1] == (
        f"error: {member.email}: another run is checking this account; try again after it"
    )
    assert site.received == []
    assert not session_file(isolated_home, member, site).exists()


# -- check ---------------------------------------------------------------------------------------


def test_an_unattended_check_never_waits_for_a_person_and_names_the_command_to_run(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    member.challenge = "app_approval"
    code, document = cli.json(*check_args(site, "--apply"))
    [result] = document["results"]
    assert (code, result["outcome"]) == (3, "needs_attention")
    assert f"`linkedin-ai-optout accounts login {member.email}`" in result["detail"]
    assert site.person.approvals == []
    assert member.ai_training is True


def test_check_interactive_hands_a_challenge_to_the_person_and_finishes_the_check(
    cli: Cli, site: FixtureSite, member: Account, display: str, isolated_home: Path
) -> None:
    member.challenge = "app_approval"
    with phone_approving(site, member.email) as phone:
        # A window under Xvfb on a busy machine is slow: the usual test timeout of 5 s is no test here.
        code, document = cli.json(*check_args(site, "--interactive", "--apply", "--timeout", "20"))
        assert phone.result() is True, document
    [result] = document["results"]
    assert (code, result["outcome"], result["quarantined"]) == (0, "fixed", False)
    assert member.ai_training is False
    assert site.person.approvals == [member.email]
    assert not held(isolated_home, member)
    # The session the person completed was saved: the next, unattended, check needs no password.
    code, document = cli.json(*check_args(site))
    assert (code, document["results"][0]["outcome"]) == (0, "compliant")
    assert site.password_submissions(member.email) == 1


def test_check_interactive_does_not_hand_over_a_password_held_back_which_is_no_challenge(
    cli: Cli, site: FixtureSite, member: Account, display: str, isolated_home: Path
) -> None:
    Quarantine.in_home(isolated_home).hold(member.email, Outcome.AUTH_FAILED, "refused earlier")
    code, document = cli.json(*check_args(site, "--interactive"))
    [result] = document["results"]
    assert (code, result["outcome"], result["quarantined"]) == (3, "needs_attention", True)
    assert "held back since" in result["detail"]
    assert site.login_attempts == []


def test_check_interactive_without_a_display_fails_before_touching_the_site(
    cli: Cli, site: FixtureSite, member: Account, no_display: None, isolated_home: Path
) -> None:
    result = cli(*check_args(site, "--interactive"))
    assert result.exit_code == 4
    [line] = result.stderr.splitlines()
    assert line.startswith("error: check --interactive shows a browser window for you to sign in")
    assert site.received == []
    assert History.in_home(isolated_home).entries(account=None, limit=10) == []


# -- the wait itself, in a page the test drives as the person ------------------------------------


@pytest.fixture
def window(page: Page) -> Page:
    """The page the person signs in on: as patient as the person's phone."""
    page.set_default_timeout(10_000)
    return page


def tool_site(site: FixtureSite) -> Site:
    return Site(origin=site.base_url, rules=load_rules(), timeout_ms=10_000)


async def test_the_wait_ends_only_once_the_site_accepts_the_session(site: FixtureSite, window: Page) -> None:
    site.add_account(Account(email="person@example.com", password="their own"))
    # A page of the site that is no sign-in step, with cookies that look like a session: not enough.
    await window.context.add_cookies(
        [
            {"name": "li_at", "value": "stale", "url": site.base_url},
            {"name": "JSESSIONID", "value": '"ajax:1"', "url": site.base_url},
        ]
    )
    await window.goto(f"{site.base_url}/nowhere")
    assert await wait_for_person(window, tool_site(site), seconds=0.5) is PersonSignIn.WAIT_ENDED
    waiting = asyncio.create_task(wait_for_person(window, tool_site(site), seconds=30))
    await window.goto(f"{site.base_url}/login")
    await window.get_by_label("Email or phone").fill("person@example.com")
    await window.get_by_label("Password").fill("their own")
    await window.get_by_role("button", name="Sign in").click()
    assert await asyncio.wait_for(waiting, 30) is PersonSignIn.SIGNED_IN
    assert window.url == f"{site.base_url}/feed/"


async def test_closing_the_window_ends_the_wait_at_once(site: FixtureSite, window: Page) -> None:
    await window.goto(f"{site.base_url}/login")
    waiting = asyncio.create_task(wait_for_person(window, tool_site(site), seconds=60))
    await window.close()
    assert await asyncio.wait_for(waiting, 10) is PersonSignIn.WINDOW_CLOSED
