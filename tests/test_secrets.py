"""No secret reaches logs, output, history or saved files: checked with a canary password."""

from __future__ import annotations

import stat
from pathlib import Path

from checker.fixture_site import Account, FixtureSite
from checker.redact import MASK, redact_event, register_secret, scrub
from tests.conftest import Cli, add_account, check_args

CANARY = "canary-Pa55word-7f3e9c"


def every_file_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def test_the_canary_password_appears_nowhere_the_tool_writes(
    cli: Cli, site: FixtureSite, real_keyring: object, isolated_home: Path
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
    for path in every_file_under(isolated_home):
        assert CANARY.encode() not in path.read_bytes(), path


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
    [session] = every_file_under(isolated_home / "sessions")
    assert stat.S_IMODE(session.stat().st_mode) == 0o600
    assert b"li_at" in session.read_bytes()
    assert stat.S_IMODE(session.parent.stat().st_mode) == 0o700


def test_registered_secrets_are_masked_in_text_and_log_events() -> None:
    register_secret("hunter2-unique")
    assert scrub("typed hunter2-unique twice: hunter2-unique") == f"typed {MASK} twice: {MASK}"
    event = redact_event(
        None, "info", {"event": "x hunter2-unique", "password": "anything", "li_at": "tok", "n": 3}
    )
    assert event == {"event": f"x {MASK}", "password": MASK, "li_at": MASK, "n": 3}
