"""Notifications through Apprise: the real CLI and a real Chromium against the fixture site, with
Apprise's `json://` target pointed at a loopback HTTP server that records every message it receives.
"""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from checker.core.outcome import CheckResult, Outcome, SwitchState
from checker.core.redact import MASK, register_secret
from checker.core.urls import mask_url
from checker.fixture_site import Account, FixtureSite
from checker.outputs.notify import message_for, notify_run
from checker.store.quarantine import Quarantine
from tests.conftest import SHORT_TIMEOUT, Cli, Receiver, account_held, add_account, check_args, check_result

SETTING_WORDS = "Use my data for training content creation AI models"
CANARY = "canary-Pa55word-n0tify-41c2"


def run(
    cli: Cli, site: FixtureSite, receiver: Receiver, *extra: str, timeout: float = 5
) -> tuple[int, dict[str, Any]]:
    return cli.json(*check_args(site, "--notify", receiver.url, *extra, timeout=timeout))


def a_closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- what is sent, and when ------------------------------------------------------------------


def test_a_run_where_all_is_well_sends_nothing(
    cli: Cli, site: FixtureSite, member: Account, receiver: Receiver
) -> None:
    assert run(cli, site, receiver, "--apply")[0] == 0  # fixed
    assert run(cli, site, receiver)[0] == 0  # compliant
    member.has_setting = False
    assert run(cli, site, receiver)[0] == 0  # not_applicable
    assert receiver.messages == []


def test_a_setting_found_on_without_drift_sends_nothing(
    cli: Cli, site: FixtureSite, member: Account, receiver: Receiver
) -> None:
    assert run(cli, site, receiver)[0] == 1  # non_compliant: the table says so; no news for a person
    assert receiver.messages == []


def test_drift_sends_one_message_naming_the_account_the_setting_and_what_to_do(
    cli: Cli, site: FixtureSite, member: Account, receiver: Receiver
) -> None:
    run(cli, site, receiver, "--apply")
    member.ai_training = True  # LinkedIn switches it back on
    code, document = run(cli, site, receiver)
    assert (code, document["results"][0]["drift"]) == (1, True)
    [message] = receiver.messages
    assert message["path"] == "/hook"
    assert message["title"] == f"LinkedIn AI opt-out: {member.email} needs you"
    body = message["message"]
    assert f"Account: {member.email}" in body
    assert SETTING_WORDS in body
    assert "LinkedIn switched the setting back on since it was last found off" in body
    assert f"linkedin-ai-optout check --apply {member.email}" in body
    run(cli, site, receiver)  # still on: the same cause, already told
    assert len(receiver.messages) == 1


def test_drift_that_apply_fixes_still_tells_the_person_once(
    cli: Cli, site: FixtureSite, member: Account, receiver: Receiver
) -> None:
    run(cli, site, receiver, "--apply")
    member.ai_training = True
    assert run(cli, site, receiver, "--apply", "--quiet")[0] == 0
    [message] = receiver.messages
    assert message["type"] == "info"
    assert "switched off again" in message["message"]


@pytest.mark.parametrize(
    ("cause", "happened", "to_do"),
    [
        ("fix_failed", "LinkedIn did not keep the change", "switch it off yourself at Settings & Privacy"),
        ("ui_changed", "page was not recognised", "update linkedin-ai-optout"),
        ("auth_failed", "LinkedIn refused the password", "linkedin-ai-optout accounts unlock"),
        ("needs_attention", "only a person can give", "linkedin-ai-optout accounts unlock"),
    ],
)
def test_each_cause_that_needs_a_person_sends_one_message_once(
    cli: Cli, site: FixtureSite, member: Account, receiver: Receiver, cause: str, happened: str, to_do: str
) -> None:
    if cause == "fix_failed":
        member.toggle_fails = True
    elif cause == "ui_changed":
        member.markup = "changed"
    elif cause == "auth_failed":
        member.password = "changed on the site"
    else:
        member.challenge = "email_pin"
    timeout = SHORT_TIMEOUT if cause == "ui_changed" else 5  # a page not recognised is waited out
    code, document = run(cli, site, receiver, "--apply", timeout=timeout)
    [result] = document["results"]
    assert result["outcome"] == cause
    [message] = receiver.messages
    body = message["message"]
    assert message["title"] == f"LinkedIn AI opt-out: {member.email} needs you"
    assert f"Account: {member.email}" in body
    assert SETTING_WORDS in body
    assert happened in body
    assert to_do in body
    assert result["detail"] in body
    if result["evidence"]:
        assert f"Evidence: {result['evidence']}" in body
    assert run(cli, site, receiver, "--apply", timeout=timeout)[0] == code  # the same cause: nothing new
    assert len(receiver.messages) == 1


def test_the_same_cause_notifies_again_after_a_healthy_run_in_between(
    cli: Cli, site: FixtureSite, member: Account, receiver: Receiver
) -> None:
    member.markup = "changed"
    run(cli, site, receiver, timeout=SHORT_TIMEOUT)
    run(cli, site, receiver, timeout=SHORT_TIMEOUT)
    assert len(receiver.messages) == 1
    member.markup = "standard"
    assert run(cli, site, receiver, "--apply")[0] == 0  # healthy
    assert len(receiver.messages) == 1
    member.markup = "changed"
    run(cli, site, receiver, timeout=SHORT_TIMEOUT)
    assert len(receiver.messages) == 2


def test_a_quarantine_is_one_notification_not_one_per_scheduled_run(
    cli: Cli, site: FixtureSite, member: Account, receiver: Receiver
) -> None:
    member.password = "changed on the site"
    for _ in range(3):
        assert run(cli, site, receiver, "--quiet")[0] == 3
    [message] = receiver.messages
    assert "Its password is held back" in message["message"]
    assert f"linkedin-ai-optout accounts add {member.email}" in message["message"]


def test_each_account_gets_its_own_message(
    cli: Cli, site: FixtureSite, member: Account, receiver: Receiver
) -> None:
    site.add_account(Account(email="pin@example.com", password="pw-pin-1", challenge="email_pin"))
    site.add_account(Account(email="off@example.com", password="pw-off-1", ai_training=False))
    add_account(cli, "pin@example.com", "pw-pin-1")
    add_account(cli, "off@example.com", "pw-off-1")
    member.markup = "changed"
    run(cli, site, receiver, timeout=SHORT_TIMEOUT)
    assert sorted(message["title"] for message in receiver.messages) == [
        f"LinkedIn AI opt-out: {member.email} needs you",
        "LinkedIn AI opt-out: pin@example.com needs you",
    ]


def test_a_busy_account_is_recorded_quietly_and_notifies_nobody(
    cli: Cli, site: FixtureSite, member: Account, receiver: Receiver, isolated_home: Path
) -> None:
    cli(*check_args(site, member.email))  # makes the home
    # Held back, and never notified of it: only the busy run could notify it.
    Quarantine.in_home(isolated_home).hold(member.email, Outcome.AUTH_FAILED, "refused earlier")
    with account_held(isolated_home, member.email):
        result = cli(*check_args(site, "--notify", receiver.url, "--quiet", timeout=1))
    assert result.exit_code == 4
    assert result.stdout == ""
    [latest, _] = cli.json("history")[1]["entries"]
    assert (latest["outcome"], latest["detail"]) == (
        "error",
        "another run is checking this account; try again after it",
    )
    assert receiver.messages == []


# --- no secret, and failures that change nothing -------------------------------------------


def test_a_canary_password_never_appears_in_a_notification(
    cli: Cli, site: FixtureSite, real_keyring: object, receiver: Receiver
) -> None:
    site.add_account(Account(email="canary@example.com", password="the-right-one"))
    add_account(cli, "canary@example.com", CANARY)  # LinkedIn refuses it: auth_failed
    code, _ = run(cli, site, receiver)
    assert code == 3
    assert [a.correct for a in site.login_attempts] == [False]  # the canary did reach the site
    assert len(receiver.raw) == 1
    assert CANARY.encode() not in b"".join(receiver.raw)


def a_result(outcome: Outcome, detail: str) -> CheckResult:
    now = datetime.now(UTC)
    return check_result(
        outcome, detail, state_before=SwitchState.UNKNOWN, verified=False, started_at=now, checked_at=now
    )


def test_a_secret_in_a_detail_is_masked_in_the_message() -> None:
    register_secret(CANARY)
    message = message_for(a_result(Outcome.UI_CHANGED, f"the page said: you typed {CANARY}"))
    assert message is not None
    assert CANARY not in message.title + message.body
    assert f"you typed {MASK}" in message.body


def test_notify_urls_from_the_config_file_are_used(
    cli: Cli, site: FixtureSite, member: Account, receiver: Receiver, isolated_home: Path
) -> None:
    cli(*check_args(site))  # makes the home
    (isolated_home / "config.toml").write_text(f'notify = ["{receiver.url}"]\n')
    member.markup = "changed"
    assert cli(*check_args(site, timeout=SHORT_TIMEOUT)).exit_code == 4
    assert len(receiver.messages) == 1


def test_an_unreachable_target_warns_in_one_line_without_its_secret_and_keeps_the_exit_code(
    cli: Cli, site: FixtureSite, member: Account, receiver: Receiver
) -> None:
    member.markup = "changed"
    dead = f"json://someone:t0ken-s3cret-9a8b@127.0.0.1:{a_closed_port()}/hook"
    result = cli("--log-level", "debug", *check_args(site, "--notify", dead, "--json", timeout=SHORT_TIMEOUT))
    assert result.exit_code == 4
    assert json.loads(result.stdout)["results"][0]["outcome"] == "ui_changed"
    assert "t0ken-s3cret-9a8b" not in result.stderr
    [warning] = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert warning.startswith(
        f"warning: could not send the notification about {member.email} to json://127.0.0"
    )
    assert cli.json("history")[1]["entries"][0]["outcome"] == "ui_changed"  # recorded all the same
    # Not delivered, so not remembered: the next run with a working target sends it.
    run(cli, site, receiver, timeout=SHORT_TIMEOUT)
    assert len(receiver.messages) == 1


def test_an_unreachable_target_does_not_keep_the_message_from_the_others(
    cli: Cli, site: FixtureSite, member: Account, receiver: Receiver
) -> None:
    member.markup = "changed"
    dead = f"json://127.0.0.1:{a_closed_port()}/hook"
    result = cli(*check_args(site, "--notify", dead, "--notify", receiver.url, timeout=SHORT_TIMEOUT))
    assert result.exit_code == 4
    assert len(receiver.messages) == 1
    assert "warning: could not send the notification" in result.stderr
    run(cli, site, receiver, timeout=SHORT_TIMEOUT)  # one target took it: the cause counts as notified
    assert len(receiver.messages) == 1


def test_a_damaged_notification_record_is_replaced_with_a_warning_and_costs_one_message_at_most(
    home: Path, receiver: Receiver
) -> None:
    (home / "notified.json").write_text("{not json")
    warnings: list[str] = []
    result = a_result(Outcome.UI_CHANGED, "the page was not recognised")
    notify_run([result], [receiver.url], home, warnings.append)
    assert warnings == [
        f"{home / 'notified.json'} is not a notification record this version reads: it will be replaced"
    ]
    assert len(receiver.messages) == 1
    notify_run([result], [receiver.url], home, warnings.append)
    assert (len(receiver.messages), len(warnings)) == (1, 1)
    assert (
        json.loads((home / "notified.json").read_text())["notified"]["a@example.com"]["cause"] == "ui_changed"
    )


def test_a_notify_url_apprise_does_not_know_is_a_usage_error_that_shows_no_secret(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    result = cli(*check_args(site, "--notify", "nosuchservice://user:hunter-s3cret@example.com/x"))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --notify: not a notification URL Apprise knows (nosuchservice://")
    assert "hunter-s3cret" not in result.stderr
    assert site.received == []


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("json://127.0.0.1:8080/hook?token=abc", "json://127.0.0.1:8080/…"),
        ("mailto://me:app-password@gmail.com", "mailto://gmail.com/…"),
        ("ntfys://ntfy.sh/my-secret-topic", "ntfys://ntfy.sh/…"),
        ("tgram://123456789:AAHsecretbottoken/987654", "tgram://…"),
        ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general", "slack://…"),
        ("jsons://user:pw@[::1]:8443/x", "jsons://[::1]:8443/…"),
        ("not a url", "…"),
    ],
)
def test_a_url_is_shown_with_only_its_scheme_and_a_host_that_looks_like_one(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_a_failed_sign_in_for_many_settings_is_one_message_and_drift_is_per_setting(
    cli: Cli, site: FixtureSite, member: Account, receiver: Receiver
) -> None:
    settings = ("--setting", "ads_age", "--setting", "ads_gender", "--setting", "generative_ai_training")
    member.password = "changed on the site"
    code, _ = run(cli, site, receiver, *settings)
    assert code == 3
    assert len(receiver.messages) == 1  # one sign-in failed, not three settings
    cli("accounts", "unlock", member.email)
    member.password = "correct horse battery staple"
    site.account(member.email).settings["allowAdsByGender"] = False
    run(cli, site, receiver, *settings)
    site.account(member.email).settings["allowAdsByGender"] = True  # LinkedIn switches one back on
    code, document = run(cli, site, receiver, *settings)
    drifted = [
        message for message in receiver.messages[1:] if "switched the setting back on" in message["message"]
    ]
    assert len(drifted) == 1
    assert '"Use my inferred gender for ads"' in drifted[0]["message"]
    assert "Settings & Privacy → Advertising data → Gender" in drifted[0]["message"]
    assert [r["drift"] for r in document["results"]] == [False, False, True]
