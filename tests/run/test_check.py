"""`check` end to end: the real CLI, a real Chromium, the real keyring, the fixture site."""

from __future__ import annotations

import json
import os
from pathlib import Path

import psutil
import pytest

from checker.fixture_site import Account, FixtureSite, SettingChange
from checker.fixture_site.urls import BEACONS
from checker.linkedin.rules import rules_path
from tests.conftest import SHORT_TIMEOUT, Cli, add_account, check_args, run_cli


def run_check(cli: Cli, site: FixtureSite, *extra: str, timeout: float = 5) -> tuple[int, dict]:  # type: ignore[type-arg]
    return cli.json(*check_args(site, *extra, timeout=timeout))


def only(document: dict) -> dict:  # type: ignore[type-arg]
    [result] = document["results"]
    return result


def test_a_setting_found_on_is_reported_non_compliant_and_left_alone(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    code, document = run_check(cli, site)
    result = only(document)
    assert (code, document["exit_code"]) == (1, 1)
    assert result["outcome"] == "non_compliant"
    assert (result["state_before"], result["state_after"], result["action"]) == ("on", None, "none")
    assert result["verified"] is True
    assert site.setting_changes == []
    assert member.ai_training is True


def test_a_setting_found_off_is_compliant(cli: Cli, site: FixtureSite, member: Account) -> None:
    member.ai_training = False
    code, document = run_check(cli, site)
    assert code == 0
    assert only(document)["outcome"] == "compliant"
    assert only(document)["state_before"] == "off"


def test_apply_switches_the_setting_off_and_verifies_it_after_a_reload(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    code, document = run_check(cli, site, "--apply")
    result = only(document)
    assert code == 0
    assert result["outcome"] == "fixed"
    assert (result["state_before"], result["state_after"], result["action"]) == ("on", "off", "switched_off")
    assert result["verified"] is True
    assert result["detail"] == "switched off, and still off after a reload"
    assert member.ai_training is False
    assert [(c.enabled, c.accepted) for c in site.setting_changes] == [(False, True)]


def test_apply_waits_for_the_settings_own_save_not_the_beacons_the_page_sends_first(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    # LinkedIn's page sends a tracking beacon with the click, and takes a while to answer the save
    # (a PUT to its settings API); a reload before that answer aborts the save.
    member.save_delay_ms = 2500
    code, document = run_check(cli, site, "--apply")
    assert (code, only(document)["outcome"]) == (0, "fixed")
    assert site.setting_changes == [SettingChange(member.email, enabled=False, accepted=True)]
    assert [r.method for r in site.received if r.path == "/li/track"][:1] == ["POST"]  # the click's beacon


def test_a_save_the_tool_does_not_recognise_is_said_and_the_reload_decides(
    cli: Cli, site: FixtureSite, member: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    patched = tmp_path / "linkedin.toml"
    patched.write_text(rules_path().read_text())
    catalog = (rules_path().parent / "settings.toml").read_text()
    (tmp_path / "settings.toml").write_text(
        catalog.replace("settingsApiSettings/allow", "settingsApiSettings/x")
    )
    monkeypatch.setenv("LINKEDIN_AI_OPTOUT_SELECTORS", str(patched))
    code, document = cli.json(*check_args(site, "--apply", timeout=3))
    result = only(document)
    assert (code, result["outcome"]) == (0, "fixed")
    assert result["detail"].endswith("(no save request from the page was seen: the reload decided)")


def test_a_dry_run_reports_what_it_would_do_and_sends_no_change(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    code, document = run_check(cli, site, "--apply", "--dry-run")
    result = only(document)
    assert code == 1
    assert (result["outcome"], result["action"]) == ("would_fix", "would_switch_off")
    assert site.setting_changes == []
    assert not [r for r in site.received if r.method == "PUT"]
    assert member.ai_training is True


def test_a_toggle_that_snaps_back_is_a_failed_fix(cli: Cli, site: FixtureSite, member: Account) -> None:
    member.toggle_fails = True
    code, document = run_check(cli, site, "--apply")
    result = only(document)
    assert code == 1
    assert result["outcome"] == "fix_failed"
    assert (result["state_before"], result["state_after"], result["action"]) == ("on", "on", "failed")
    assert [(c.enabled, c.accepted) for c in site.setting_changes] == [(False, False)]
    assert member.ai_training is True
    assert result["detail"].endswith("LinkedIn did not keep the change (it answered the save with HTTP 500)")


def test_an_account_without_the_setting_is_not_applicable(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    member.has_setting = False
    code, document = run_check(cli, site, "--apply")
    result = only(document)
    assert code == 0
    assert (result["outcome"], result["state_before"]) == ("not_applicable", "unavailable")
    assert site.setting_changes == []


def test_changed_markup_is_reported_as_ui_changed_not_guessed(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    member.markup = "changed"
    code, document = run_check(cli, site, "--apply", timeout=SHORT_TIMEOUT)
    result = only(document)
    assert code == 4
    assert (result["outcome"], result["state_before"]) == ("ui_changed", "unknown")
    assert site.setting_changes == []


def test_drifted_attributes_are_found_by_role_and_the_fallback_is_logged(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    member.markup = "drifted"
    result = cli(*check_args(site, "--apply", "--json"))
    assert json.loads(result.stdout)["results"][0]["outcome"] == "fixed"
    assert member.ai_training is False
    fallbacks = [json.loads(line) for line in result.stderr.splitlines() if '"fallback": true' in line]
    assert {(event["target"], event["layer"].split("[")[0]) for event in fallbacks} >= {
        ("generative_ai_training.switch", "role"),
    }


def test_the_french_interface_works_end_to_end(cli: Cli, site: FixtureSite, member: Account) -> None:
    member.language = "fr"
    site.login_language = "fr"
    member.markup = "drifted"  # attributes gone: only the French texts can find the way
    code, document = run_check(cli, site, "--apply")
    assert (code, only(document)["outcome"]) == (0, "fixed")
    assert member.ai_training is False


@pytest.mark.parametrize("language", ["de", "es"])
def test_german_and_spanish_switches_are_found_by_their_words(
    cli: Cli, site: FixtureSite, member: Account, language: str
) -> None:
    member.language = language
    member.markup = "drifted"  # attributes gone: only the switch's words find it
    result = cli(*check_args(site, "--apply", "--json"))
    assert json.loads(result.stdout)["results"][0]["outcome"] == "fixed"
    assert member.ai_training is False
    assert '"target": "generative_ai_training.switch"' in result.stderr  # found by a fallback layer


def test_a_page_that_never_finishes_rendering_is_a_timeout_error(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    member.render_delay_ms = 60_000
    code, document = run_check(cli, site, timeout=SHORT_TIMEOUT)
    assert (code, only(document)["outcome"]) == (4, "error")
    assert "never finished rendering" in only(document)["detail"]


def test_slow_client_side_rendering_is_waited_for(cli: Cli, site: FixtureSite, member: Account) -> None:
    member.render_delay_ms = 1500
    code, document = run_check(cli, site)
    assert (code, only(document)["outcome"]) == (1, "non_compliant")


@pytest.mark.parametrize("variant", ["classic", "redesign"])
def test_both_login_pages_sign_in_with_one_password_submission(
    cli: Cli, site: FixtureSite, member: Account, variant: str
) -> None:
    site.login_variant = variant
    code, document = run_check(cli, site)
    assert (code, only(document)["outcome"]) == (1, "non_compliant")
    assert [(a.email, a.correct) for a in site.login_attempts] == [(member.email, True)]


def test_the_2026_login_page_gets_its_primary_button_clicked_never_sign_in_with_apple(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    site.login_variant = "redesign"
    with FixtureSite() as apple:  # "Sign in with Apple" leads to this other origin
        site.trap_origin = apple.base_url
        code, document = run_check(cli, site)
        assert apple.received == []
    assert (code, only(document)["outcome"]) == (1, "non_compliant")
    assert [(a.email, a.correct) for a in site.login_attempts] == [(member.email, True)]


def test_a_wrong_password_shown_inline_without_a_navigation_is_auth_failed(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    site.login_variant = "redesign"
    member.password = "changed on the site"
    code, document = run_check(cli, site)
    result = only(document)
    assert (code, result["outcome"]) == (3, "auth_failed")
    assert "That's not the right password. Try again or sign in with a one-time link." in result["detail"]
    assert [a.correct for a in site.login_attempts] == [False]


def test_a_new_global_navigation_does_not_matter_the_check_stays_in_the_settings_app(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    member.nav = "2026"  # the feed's navigation redesign real accounts show (joeyism #269)
    code, document = run_check(cli, site, "--apply")
    assert (code, only(document)["outcome"]) == (0, "fixed")
    # the setting's own page first (the login page in between), never the feed
    pages = [r.path for r in site.received if r.method == "GET" and not r.path.startswith("/static/")]
    assert "/feed/" not in pages
    assert pages[0] == "/mypreferences/d/settings/data-for-ai-improvement"


def test_an_expired_session_landing_on_the_authwall_signs_in_again(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    run_check(cli, site)
    site.expire_sessions(member.email)
    site.logged_out_wall = "authwall"
    code, document = run_check(cli, site)
    assert (code, only(document)["outcome"]) == (1, "non_compliant")
    assert site.password_submissions(member.email) == 2
    assert any(r.path.startswith("/authwall?") for r in site.received)


def test_a_saved_session_is_reused_without_a_password(cli: Cli, site: FixtureSite, member: Account) -> None:
    run_check(cli, site)
    run_check(cli, site)
    assert site.password_submissions(member.email) == 1


@pytest.mark.parametrize("chooser", ["classic", "2026"])
def test_an_expired_session_signs_in_again_through_the_remember_me_chooser(
    cli: Cli, site: FixtureSite, member: Account, chooser: str
) -> None:
    site.chooser_variant = chooser
    run_check(cli, site)
    site.expire_sessions(member.email)
    code, document = run_check(cli, site)
    assert (code, only(document)["outcome"]) == (1, "non_compliant")
    assert site.password_submissions(member.email) == 2
    assert any(r.path.startswith("/login?fromSignIn=true") for r in site.received)


def test_a_wrong_password_is_auth_failed_after_exactly_one_submission(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    member.password = "the password changed on the site"
    code, document = run_check(cli, site)
    result = only(document)
    assert code == 3
    assert result["outcome"] == "auth_failed"
    assert "not the right password" in result["detail"]
    assert [a.correct for a in site.login_attempts] == [False]


def test_an_account_with_no_password_in_the_keyring_is_auth_failed_without_a_submission(
    cli: Cli, site: FixtureSite, member: Account, real_keyring
) -> None:
    real_keyring.backend.delete_password("linkedin-ai-optout", member.email)
    code, document = run_check(cli, site)
    assert (code, only(document)["outcome"]) == (3, "auth_failed")
    assert "no password in the keyring" in only(document)["detail"]
    assert site.login_attempts == []


@pytest.mark.parametrize(
    ("challenge", "words"),
    [
        ("email_pin", "PIN it emailed"),
        ("authenticator", "authenticator app"),
        ("captcha", "CAPTCHA"),
        ("captcha_arkose", "CAPTCHA"),
        ("restricted", "restricted"),
        ("sms", "text message (SMS)"),
        ("app_approval", "approval in the LinkedIn app"),
        ("email_challenge", "PIN it emailed"),
        ("check_interstitial", "verification step the tool does not recognise"),
    ],
)
def test_a_challenge_needs_attention_and_is_never_answered(
    cli: Cli, site: FixtureSite, member: Account, challenge: str, words: str
) -> None:
    member.challenge = challenge
    member.totp_secret = "JBSWY3DPEHPK3PXP"  # the site has one; the tool does not
    # A step it does not recognise is waited out before it is called one.
    code, document = run_check(cli, site, "--apply", timeout=SHORT_TIMEOUT)
    result = only(document)
    assert code == 3
    assert result["outcome"] == "needs_attention"
    assert words in result["detail"]
    assert site.challenge_attempts == []
    assert site.setting_changes == []


def add_with_a_totp_secret(cli: Cli, member: Account, challenge: str) -> None:
    """`member` added again with a TOTP secret, which the site also knows; it asks for `challenge`."""
    import pyotp

    member.challenge = challenge
    member.totp_secret = pyotp.random_base32()
    given = f"{member.password}\n{member.totp_secret}\n"
    result = cli("accounts", "add", member.email, "--password-stdin", "--totp", input=given)
    assert result.exit_code == 0


def test_a_stored_totp_secret_is_never_typed_into_an_sms_challenge(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    add_with_a_totp_secret(cli, member, challenge="sms")
    code, document = run_check(cli, site)
    assert (code, only(document)["outcome"]) == (3, "needs_attention")
    assert "text message (SMS)" in only(document)["detail"]
    assert site.challenge_attempts == []


def test_an_authenticator_challenge_is_answered_once_with_a_stored_totp_secret(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    add_with_a_totp_secret(cli, member, challenge="authenticator")
    code, document = run_check(cli, site, "--apply")
    assert (code, only(document)["outcome"]) == (0, "fixed")
    assert [(kind, correct) for _, kind, correct in site.challenge_attempts] == [("authenticator", True)]


def test_a_login_page_on_another_origin_gets_no_password(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    site.login_origin = f"http://localhost:{site.port}"
    code, document = run_check(cli, site)
    result = only(document)
    assert (code, result["outcome"]) == (4, "error")
    assert result["detail"].startswith("stopped signing in: the login page is on http://localhost:")
    assert result["detail"].endswith("the password was not typed")
    assert site.login_attempts == []


@pytest.mark.parametrize("status", [999, 503])
def test_a_site_that_denies_requests_is_an_error_naming_the_status(
    cli: Cli, site: FixtureSite, member: Account, status: int
) -> None:
    site.fail_status = status
    code, document = run_check(cli, site)
    assert (code, only(document)["outcome"]) == (4, "error")
    assert f"HTTP {status}" in only(document)["detail"]


def test_an_unreachable_site_is_an_error(cli: Cli, member: Account) -> None:
    site = FixtureSite()
    with site:
        base_url = site.base_url
    code, document = cli.json("check", "--base-url", base_url, "--pace", "0", "--timeout", "5")
    assert (code, only(document)["outcome"]) == (4, "error")


def test_many_accounts_fold_into_the_highest_exit_code(cli: Cli, site: FixtureSite, member: Account) -> None:
    site.add_account(Account(email="off@example.com", password="pw-off", ai_training=False))
    site.add_account(Account(email="pin@example.com", password="pw-pin", challenge="email_pin"))
    add_account(cli, "off@example.com", "pw-off")
    add_account(cli, "pin@example.com", "pw-pin")
    code, document = run_check(cli, site)
    outcomes = {r["account"]: r["outcome"] for r in document["results"]}
    assert outcomes == {
        member.email: "non_compliant",
        "off@example.com": "compliant",
        "pin@example.com": "needs_attention",
    }
    assert code == document["exit_code"] == 3


def test_without_a_keyring_check_stops_before_the_browser_and_a_saved_session_is_kept_for_later(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    cli.json(*check_args(site, member.email))  # saves the member's session, its key in the keyring
    before = len(site.received)
    # The keyring backend is chosen once per process: run the CLI as a user would.
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    process = run_cli(*check_args(site, "--json"), env=env)
    assert process.returncode == 4
    message = json.loads(process.stdout)["error"]["message"]
    assert message.startswith(
        "no keyring backend is available: install and unlock one (e.g. gnome-keyring); "
        "passwords are never stored in plain text"
    )
    assert process.stderr.splitlines() == [f"error: {message}"]  # no false word of a password sign-in
    # The browser never started: the site saw nothing but, perhaps, a beacon the first run's last
    # page sent as it unloaded, which may arrive late (the tests' browser outlives each run).
    assert [r.path for r in site.received[before:] if r.path not in BEACONS] == []
    code, document = run_check(cli, site, member.email)  # the keyring is back: the kept session is used
    assert (code, only(document)["outcome"]) == (1, "non_compliant")
    assert site.password_submissions(member.email) == 1


# --- drift: LinkedIn switches the setting back on -------------------------------------------


def test_a_setting_switched_back_on_since_it_was_found_off_is_reported_as_drift(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    _, first = run_check(cli, site, "--apply")
    assert (only(first)["previous_state"], only(first)["drift"]) == (None, False)
    member.ai_training = True  # LinkedIn turns it back on between runs
    table = cli(*check_args(site))
    assert table.exit_code == 1
    assert "switched back on by LinkedIn" in " ".join(table.stdout.split())
    [drifted, fixed] = cli.json("history")[1]["entries"]
    assert (drifted["outcome"], drifted["previous_state"], drifted["drift"]) == ("non_compliant", "off", True)
    assert drifted["detail"].startswith("LinkedIn switched the setting back on since it was last found off")
    assert (fixed["outcome"], fixed["drift"]) == ("fixed", False)
    assert "(drift)" in cli("history").stdout
    _, again = run_check(cli, site)  # still on: that is no new drift
    assert (only(again)["previous_state"], only(again)["drift"]) == ("on", False)


def test_a_setting_found_on_again_without_having_been_off_is_no_drift(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    run_check(cli, site)
    _, document = run_check(cli, site)
    assert (only(document)["previous_state"], only(document)["drift"]) == ("on", False)


def test_an_unchanged_session_is_not_written_again(
    cli: Cli, site: FixtureSite, member: Account, isolated_home: Path
) -> None:
    run_check(cli, site)
    [saved] = list((isolated_home / "sessions").rglob("*.json*"))
    before = saved.stat()
    run_check(cli, site)
    after = saved.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    site.expire_sessions(member.email)  # signing in again makes a new session: that one is saved
    run_check(cli, site)
    assert saved.stat().st_mtime_ns != before.st_mtime_ns
    assert site.password_submissions(member.email) == 2


def test_a_store_not_ready_is_the_error_while_the_browser_started_meanwhile_is_let_go(
    site: FixtureSite, member: Account, isolated_home: Path
) -> None:
    # The stores are prepared while the driver and the browser start: the history that is not a
    # database stops the run before the site, and what started meanwhile is closed, not orphaned.
    database = isolated_home / "history.sqlite3"
    database.write_bytes(b"this is not a database" * 200)
    mark = f"started-by-{os.getpid()}-{id(site)}"
    env = {**os.environ, "LINKEDIN_AI_OPTOUT_TEST_MARK": mark}
    result = run_cli("--log-level", "info", *check_args(site, "--apply"), env=env)
    assert result.returncode == 4, result.stderr
    *logs, error = result.stderr.splitlines()
    assert error.startswith(f"error: {database}: not a readable history database")
    assert any(json.loads(line)["event"] == "browser started" for line in logs)
    assert (site.received, site.setting_changes) == ([], [])
    left = [process for process in psutil.process_iter() if _carries(process, mark)]
    _, alive = psutil.wait_procs(left, timeout=10)
    assert alive == []


def _carries(process: psutil.Process, mark: str) -> bool:
    try:
        return process.environ().get("LINKEDIN_AI_OPTOUT_TEST_MARK") == mark
    except psutil.Error:
        return False
