"""No secret reaches logs, output, history or saved files: checked with a canary password, and with the
cookies the site issued, which no file of the data directory holds in plain text (sessions included)."""

from __future__ import annotations

import stat
from pathlib import Path

from checker.core.redact import MASK, redact_event, register_secret, scrub
from checker.core.urls import normalize_base_url
from checker.fixture_site import Account, FixtureSite
from checker.store.credentials import CredentialStore
from checker.store.home import home_path
from checker.store.sessions import SessionStore
from tests.conftest import Cli, add_account, check_args

CANARY = "canary-Pa55word-7f3e9c"


def every_file_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def issued_cookie_values(site: FixtureSite, keyring: CredentialStore, email: str) -> list[str]:
    """The cookie values of the member's saved session, each as sent and as LinkedIn's script reads it,
    checked against the site's own records of what it issued."""
    state = SessionStore.in_home(home_path(), keyring).load(email, normalize_base_url(site.base_url))
    assert state is not None
    cookies = {cookie["name"]: cookie["value"] for cookie in state["cookies"]}
    assert site.signed_in_email(cookies["li_at"]) == email
    assert site.remembered_email(cookies["li_rm"]) == email
    jsessionid = cookies["JSESSIONID"].strip('"')
    return [*cookies.values(), jsessionid, jsessionid.removeprefix("ajax:")]


def test_the_canary_password_and_the_session_cookies_appear_nowhere_the_tool_writes(
    cli: Cli, site: FixtureSite, real_keyring: CredentialStore, isolated_home: Path
) -> None:
    site.add_account(Account(email="canary@example.com", password=CANARY))
    add_account(cli, "canary@example.com", CANARY)
    results = [
        cli("--log-level", "debug", *check_args(site, "--apply")),
        cli("--log-level", "debug", *check_args(site, "--json")),
        cli("history", "--json"),
    ]
    assert [a.correct for a in site.login_attempts] == [True]  # the password did reach the site
    for result in results:
        assert CANARY not in result.stdout
        assert CANARY not in result.stderr
    canaries = [CANARY, *issued_cookie_values(site, real_keyring, "canary@example.com")]
    files = every_file_under(isolated_home)
    assert any(path.parent.parent.name == "sessions" for path in files)  # sessions are searched too
    for path in files:
        for canary in canaries:
            assert canary.encode() not in path.read_bytes(), (path, canary)


def test_a_wrong_password_never_shows_up_in_the_detail_or_logs(
    cli: Cli, site: FixtureSite, real_keyring: object
) -> None:
    site.add_account(Account(email="canary@example.com", password="the-right-one"))
    add_account(cli, "canary@example.com", CANARY)
    result = cli("--log-level", "debug", *check_args(site, "--json"))
    assert '"auth_failed"' in result.stdout
    assert CANARY not in result.stdout + result.stderr


def test_saved_sessions_are_readable_by_the_owner_only(
    cli: Cli, site: FixtureSite, real_keyring: object, isolated_home: Path
) -> None:
    site.add_account(Account(email="s@example.com", password="pw-s"))
    add_account(cli, "s@example.com", "pw-s")
    cli(*check_args(site))
    [session] = [path for path in every_file_under(isolated_home / "sessions") if path.suffix == ".json"]
    assert stat.S_IMODE(session.stat().st_mode) == 0o600
    assert b"li_at" not in session.read_bytes()  # not even the cookies' names
    assert stat.S_IMODE(session.parent.stat().st_mode) == 0o700


def test_registered_secrets_are_masked_in_text_and_log_events() -> None:
    register_secret("hunter2-unique")
    assert scrub("typed hunter2-unique twice: hunter2-unique") == f"typed {MASK} twice: {MASK}"
    event = redact_event(
        None, "info", {"event": "x hunter2-unique", "password": "anything", "li_at": "tok", "n": 3}
    )
    assert event == {"event": f"x {MASK}", "password": MASK, "li_at": MASK, "n": 3}
