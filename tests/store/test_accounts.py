"""`accounts add/list/remove` through the CLI, against the real Secret Service."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from checker.core.outcome import Outcome
from checker.fixture_site import FixtureSite
from checker.store.credentials import SERVICE, CredentialStore
from checker.store.quarantine import Quarantine
from tests.conftest import ROOT, Cli, add_account, check_args, run_cli, run_cli_in_a_terminal, run_python


def test_add_reads_the_password_from_stdin_into_the_keyring(cli: Cli, real_keyring: CredentialStore) -> None:
    result = cli("accounts", "add", "a@example.com", "--password-stdin", input="s3cret pass\nignored\n")
    assert result.exit_code == 0
    assert real_keyring.backend.get_password(SERVICE, "a@example.com") == "s3cret pass"
    assert "s3cret" not in result.stdout + result.stderr


def test_add_prompts_for_the_password_on_the_terminal_without_echoing_it(
    real_keyring: CredentialStore,
) -> None:
    answers = [(b"Password", b"typed-secret\n")]
    code, shown = run_cli_in_a_terminal("accounts", "add", "a@example.com", answers=answers)
    assert code == 0, shown
    assert real_keyring.backend.get_password(SERVICE, "a@example.com") == "typed-secret"
    assert "typed-secret" not in shown


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["accounts", "add", "a@example.com"], "--password-stdin"),
        (["accounts", "import", "fleet.csv"], "--passwords-stdin (EMAIL<TAB>PASSWORD lines)"),
    ],
)
def test_a_password_piped_in_without_the_option_for_it_is_refused_and_nothing_is_stored(
    real_keyring: CredentialStore, isolated_home: Path, tmp_path: Path, args: list[str], option: str
) -> None:
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("a@example.com,,\n")
    args = [str(fleet) if arg == "fleet.csv" else arg for arg in args]
    process = run_python("-W", "default", "-m", "checker", *args, stdin="pw\n")
    assert (process.returncode, process.stdout) == (2, "")
    what = "password" if "add" in args else "passwords"
    assert (
        process.stderr
        == f"error: no terminal to ask for the {what}: give it on standard input with {option}\n"
    )
    assert real_keyring.backend.get_password(SERVICE, "a@example.com") is None
    assert not (isolated_home / "accounts.json").exists()


def test_an_empty_password_is_refused_and_nothing_is_written(
    cli: Cli, real_keyring: CredentialStore, isolated_home: Path
) -> None:
    result = cli("accounts", "add", "a@example.com", "--password-stdin", input="\n")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: empty password: nothing was stored"
    assert real_keyring.backend.get_password(SERVICE, "a@example.com") is None
    assert not (isolated_home / "accounts.json").exists()


def test_an_invalid_totp_secret_is_refused_and_nothing_is_written(
    cli: Cli, real_keyring: CredentialStore
) -> None:
    result = cli("accounts", "add", "a@example.com", "--password-stdin", "--totp", input="pw\nnot base32!\n")
    assert result.exit_code == 2
    assert "TOTP secret is not valid base32" in result.stderr
    assert real_keyring.backend.get_password(SERVICE, "a@example.com") is None


def test_a_bad_email_is_a_one_line_usage_error(cli: Cli) -> None:
    result = cli("accounts", "add", "not-an-email", "--password-stdin", input="pw\n")
    assert result.exit_code == 2
    assert result.stderr == "error: not an email address: 'not-an-email'\n"


OPTION_SHAPED = [
    "--browser-path=./evil@x.org",
    "--browser-endpoint=ws://127.0.0.1:9/x@x.org",
    "-x@example.org",
]


@pytest.mark.parametrize("value", OPTION_SHAPED)
def test_an_email_that_reads_like_an_option_is_refused_and_nothing_is_stored(
    cli: Cli, real_keyring: CredentialStore, isolated_home: Path, value: str
) -> None:
    result = cli("accounts", "add", "--password-stdin", "--", value, input="pw\n")
    assert result.exit_code == 2
    assert result.stderr == f"error: not an email address: '{value}' (it starts with '-', like an option)\n"
    assert real_keyring.backend.get_password(SERVICE, value) is None
    assert not (isolated_home / "accounts.json").exists()


@pytest.mark.parametrize(
    "email",
    ["member@example.com", "Bob.O'Neil+seat-3@example.org", "100%sure@example.org", "a@bücher.example"],
)
def test_addresses_of_every_usual_shape_are_accepted(
    cli: Cli, real_keyring: CredentialStore, email: str
) -> None:
    add_account(cli, email, "pw")
    assert cli.json("accounts", "list")[1] == {"accounts": [{"email": email, "session_saved": False}]}


@pytest.mark.parametrize("value", ["a@b", "member@example.test", "member@localhost", "a..b@example.com"])
def test_what_is_no_address_for_mail_is_refused(cli: Cli, value: str) -> None:
    result = cli("accounts", "add", "--password-stdin", value, input="pw\n")
    assert (result.exit_code, result.stderr) == (2, f"error: not an email address: '{value}'\n")


def test_an_accounts_file_with_an_option_shaped_entry_stops_every_command_that_reads_it(
    cli: Cli, site: FixtureSite, real_keyring: CredentialStore, isolated_home: Path
) -> None:
    add_account(cli, "member@example.com", "pw")
    path = isolated_home / "accounts.json"
    # Written by another tool, or by hand: the file is checked on every read all the same.
    path.write_text(json.dumps({"accounts": ["member@example.com", "--browser-path=./evil@x.org"]}))
    expected = (
        f"error: {path}: accounts[1]: not an email address: '--browser-path=./evil@x.org' "
        "(it starts with '-', like an option)"
    )
    for args in (
        check_args(site),
        ["accounts", "list"],
        ["schedule", "install", "--every", "weekly", "--print", "member@example.com"],
    ):
        result = cli(*args)
        assert (result.exit_code, result.stdout, result.stderr.splitlines()) == (4, "", [expected]), args
    assert site.received == []


def test_list_shows_accounts_in_json(cli: Cli, real_keyring: CredentialStore) -> None:
    for email in ("b@example.com", "a@example.com"):
        cli("accounts", "add", email, "--password-stdin", input="pw\n")
    code, document = cli.json("accounts", "list")
    assert code == 0
    assert document == {
        "accounts": [
            {"email": "b@example.com", "session_saved": False},
            {"email": "a@example.com", "session_saved": False},
        ]
    }


def test_remove_deletes_the_keyring_entry_and_saved_sessions(
    cli: Cli, real_keyring: CredentialStore, isolated_home: Path
) -> None:
    cli("accounts", "add", "a@example.com", "--password-stdin", input="pw\n")
    from checker.store.sessions import SessionStore

    sessions = SessionStore.in_home(isolated_home, real_keyring)
    sessions.save("a@example.com", "http://127.0.0.1:1", {"cookies": [], "origins": []})
    result = cli("accounts", "remove", "a@example.com")
    assert result.exit_code == 0
    assert real_keyring.backend.get_password(SERVICE, "a@example.com") is None
    assert not sessions.has_any("a@example.com")
    assert cli.json("accounts", "list")[1] == {"accounts": []}


def test_removing_an_unknown_account_is_a_usage_error(cli: Cli) -> None:
    result = cli("accounts", "remove", "nobody@example.com")
    assert (result.exit_code, result.stderr) == (2, "error: unknown account: nobody@example.com\n")


def test_without_a_keyring_backend_add_fails_with_exit_4_and_no_plaintext_fallback(
    isolated_home: Path,
) -> None:
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    result = run_cli("accounts", "add", "a@example.com", "--password-stdin", env=env, stdin="pw\n")
    assert result.returncode == 4
    assert result.stderr.startswith("error: no keyring backend is available")
    assert len(result.stderr.splitlines()) == 1
    assert not (isolated_home / "accounts.json").exists()


LOCK_THEN_ADD = """
import subprocess, sys, secretstorage
with secretstorage.dbus_init() as connection:
    secretstorage.get_default_collection(connection).lock()
result = subprocess.run(
    [sys.executable, "-m", "checker", "accounts", "add", "a@example.com", "--password-stdin"],
    input="pw\\n", capture_output=True, text=True,
)
sys.stderr.write(result.stderr)
sys.exit(result.returncode)
"""


def test_a_locked_keyring_is_exit_4_with_no_plaintext_fallback(isolated_home: Path) -> None:
    # Its own keyring on its own D-Bus session, so locking it leaves the other tests' alone.
    result = subprocess.run(
        [str(ROOT / "scripts" / "with-test-keyring"), sys.executable, "-c", LOCK_THEN_ADD],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 4
    assert "error: the keyring is locked: unlock it and try again" in result.stderr.splitlines()
    assert not (isolated_home / "accounts.json").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["check", "me@exmaple.com"],
        ["history", "--account", "me@exmaple.com"],
        ["accounts", "remove", "me@exmaple.com"],
        ["accounts", "unlock", "me@exmaple.com"],
        ["schedule", "install", "--print", "--every", "weekly", "me@exmaple.com"],
    ],
)
def test_a_mistyped_account_is_named_with_the_one_it_is_close_to_and_never_recommended_for_adding(
    cli: Cli, real_keyring: object, args: list[str]
) -> None:
    add_account(cli, "me@example.com", "a password")
    result = cli(*args)
    assert (result.exit_code, result.stderr) == (
        2,
        "error: unknown account: me@exmaple.com (did you mean me@example.com?)\n",
    )


def test_history_of_an_account_never_configured_is_a_usage_error_and_of_a_configured_one_is_empty(
    cli: Cli, real_keyring: object
) -> None:
    add_account(cli, "me@example.com", "a password")
    result = cli("history", "--account", "stranger@example.com")
    assert (result.exit_code, result.stderr) == (2, "error: unknown account: stranger@example.com\n")
    result = cli("history", "--account", "ME@example.com")
    assert (result.exit_code, result.stderr) == (0, "")
    assert "No checks recorded" in result.stdout


def test_accounts_list_lines_up_its_columns_and_shows_a_held_back_password(
    cli: Cli, real_keyring: CredentialStore, isolated_home: Path
) -> None:
    add_account(cli, "a@example.com", "a password")
    result = cli(
        "accounts", "add", "longer.name@example.com", "--password-stdin", "--label", "[b]Seat 2", input="pw\n"
    )
    assert result.exit_code == 0
    Quarantine.in_home(isolated_home).hold("a@example.com", Outcome.AUTH_FAILED, "refused")
    lines = cli("accounts", "list").stdout.splitlines()
    header = lines[0]
    assert header.split() == ["account", "label", "groups", "session", "password"]
    [held] = [line for line in lines if line.startswith("a@example.com")]
    [seat] = [line for line in lines if line.startswith("longer.name@example.com")]
    assert "[b]Seat 2" in seat  # the user's text, never markup
    assert held.index("held back (auth_failed)") == header.index("password")  # the columns line up
    document = cli.json("accounts", "list")[1]
    by_email = {row["email"]: row for row in document["accounts"]}
    assert by_email["a@example.com"]["held_back"]["cause"] == "auth_failed"
    assert by_email["a@example.com"]["held_back"]["since"].endswith("Z")
    assert "held_back" not in by_email["longer.name@example.com"]
