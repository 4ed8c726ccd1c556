"""The home directory, files inside it, emails, the accounts file and the --base-url rules."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from checker.core.errors import ConfigError, UsageError
from checker.core.urls import normalize_base_url
from checker.store.accounts import AccountList
from checker.store.emails import email_key, validate_email
from checker.store.home import clean_stale_temp_files, home_path, prepare_home, write_private_file
from tests.conftest import run_in_private_mounts

# --- --base-url -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://www.linkedin.com", "https://www.linkedin.com"),
        ("https://www.linkedin.com/", "https://www.linkedin.com"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://127.3.4.5", "http://127.3.4.5"),
        ("http://localhost:9000/", "http://localhost:9000"),
        ("http://[::1]:9000", "http://[::1]:9000"),
    ],
)
def test_accepted_base_urls_become_origins(url: str, origin: str) -> None:
    assert normalize_base_url(url) == origin


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://www.linkedin.com", "only for loopback"),
        ("http://10.0.0.1", "only for loopback"),
        ("http://localhost.evil.com", "only for loopback"),
        ("ftp://127.0.0.1", "expected https"),
        ("www.linkedin.com", "expected https"),
        ("https://www.linkedin.com/feed/", "only the scheme, host and port"),
        ("https://user:pw@www.linkedin.com", "only the scheme, host and port"),
        ("https://www.linkedin.com:99999", "malformed"),
    ],
)
def test_other_base_urls_are_refused_with_a_reason(url: str, reason: str) -> None:
    with pytest.raises(UsageError, match=reason):
        normalize_base_url(url)


# --- emails ---------------------------------------------------------------------------------


def test_emails_are_stripped_and_non_emails_refused() -> None:
    assert validate_email("  a@example.com ") == "a@example.com"
    for bad in ("", "a", "a@b", "a b@example.com", "@example.com"):
        with pytest.raises(UsageError):
            validate_email(bad)


@pytest.mark.parametrize(
    "hidden",
    ["\x1b", "\x7f", "\x85", "\u202e", "\u200b", "\u00a0", "\u2028"],
    ids=["escape", "delete", "c1-control", "bidi-override", "zero-width-space", "no-break-space", "line-sep"],
)
def test_emails_with_control_format_or_separator_characters_are_refused(hidden: str) -> None:
    with pytest.raises(UsageError, match=r"^not an email address: "):
        validate_email(f"a{hidden}@example.com")


def test_the_email_key_ignores_case_and_surrounding_blanks_but_keeps_the_rest() -> None:
    assert email_key(" Bob.Smith@Example.COM ") == "bob.smith@example.com"
    assert email_key("bob.smith@example.com") != email_key("bobsmith@example.com")


# --- the home directory ---------------------------------------------------------------------


def test_the_home_path_follows_the_environment_and_creates_nothing(isolated_home: Path) -> None:
    assert home_path() == isolated_home
    assert not isolated_home.exists()


def test_preparing_the_home_creates_it_private_with_its_parents(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    deep = tmp_path / "a" / "b" / "home"
    monkeypatch.setenv("LINKEDIN_AI_OPTOUT_HOME", str(deep))
    notices: list[str] = []
    assert prepare_home(notices.append) == deep
    assert stat.S_IMODE(deep.stat().st_mode) == 0o700
    assert notices == []


def test_preparing_a_home_open_to_others_tightens_it_to_0700_and_says_so(isolated_home: Path) -> None:
    isolated_home.mkdir()
    os.chmod(isolated_home, 0o755)  # noqa: S103 -- the mode under test
    notices: list[str] = []
    prepare_home(notices.append)
    assert stat.S_IMODE(isolated_home.stat().st_mode) == 0o700
    assert notices == [f"tightened {isolated_home} to mode 0700 (it was 0755)"]


def test_a_home_that_is_a_regular_file_is_a_config_error_naming_it(isolated_home: Path) -> None:
    isolated_home.write_text("not a directory")
    with pytest.raises(ConfigError) as caught:
        prepare_home(lambda _: None)
    assert str(caught.value) == (
        f"{isolated_home} exists and is not a directory: move it away, "
        "or set LINKEDIN_AI_OPTOUT_HOME to a directory"
    )
    assert isolated_home.read_text() == "not a directory"


PREPARE_HOME = """
from checker.store.home import prepare_home
from checker.core.errors import ConfigError
try:
    prepare_home(print)
except ConfigError as exc:
    print(f"ConfigError: {exc}")
"""


def test_a_read_only_home_is_a_config_error_naming_it(isolated_home: Path) -> None:
    isolated_home.mkdir(mode=0o700)
    output = run_where_read_only(isolated_home, PREPARE_HOME)
    assert output == (
        f"ConfigError: {isolated_home} is not writable (read-only file system): make it writable by you, "
        "or set LINKEDIN_AI_OPTOUT_HOME to another directory"
    )
    assert list(isolated_home.iterdir()) == []


def test_a_home_that_cannot_be_created_is_a_config_error_naming_it(isolated_home: Path) -> None:
    output = run_where_read_only(isolated_home.parent, PREPARE_HOME)
    assert output == (
        f"ConfigError: cannot create {isolated_home} (read-only file system): create it, "
        "or set LINKEDIN_AI_OPTOUT_HOME to a writable directory"
    )
    assert not isolated_home.exists()


def run_where_read_only(directory: Path, code: str) -> str:
    """Run a Python snippet where `directory` is a read-only mount, and return what it printed."""
    mount_then_run = 'mount --bind -o ro "$1" "$1" && shift && exec "$@"'
    return run_in_private_mounts(mount_then_run, str(directory), sys.executable, "-c", code)


# --- files inside the home ------------------------------------------------------------------


def test_a_private_file_replaces_a_link_at_its_path_instead_of_writing_through_it(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    (tmp_path / "home").mkdir()
    path = tmp_path / "home" / "file.json"
    path.symlink_to(outside)
    write_private_file(path, b"new")
    assert (path.is_symlink(), path.read_bytes(), outside.read_text()) == (False, b"new", "keep me")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_private_file_is_not_written_into_a_linked_directory(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "sessions").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ConfigError, match="sessions is a symbolic link: the tool does not follow links"):
        write_private_file(tmp_path / "home" / "sessions" / "x.json", b"data")
    assert list(outside.iterdir()) == []


def test_stale_temporary_files_of_a_file_are_cleaned_and_others_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    stale = [tmp_path / ".x.json.abc123.tmp", tmp_path / ".x.json.zz_9.tmp"]
    kept = [tmp_path / ".y.json.abc123.tmp", tmp_path / "x.json.tmp", tmp_path / ".x.json"]
    for leftover in stale + kept:
        leftover.write_bytes(b"")
    assert clean_stale_temp_files(path) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in kept)


# --- the accounts file ----------------------------------------------------------------------


def test_the_accounts_file_keeps_order_ignores_repeats_and_is_private(tmp_path: Path) -> None:
    accounts = AccountList(tmp_path / "accounts.json")
    assert accounts.add("b@example.com")
    assert accounts.add("a@example.com")
    assert not accounts.add("b@example.com")
    assert accounts.emails() == ["b@example.com", "a@example.com"]
    assert accounts.remove("b@example.com")
    assert not accounts.remove("b@example.com")
    assert stat.S_IMODE(accounts.path.stat().st_mode) == 0o600


def test_accounts_match_in_any_case_and_keep_the_spelling_they_were_added_with(tmp_path: Path) -> None:
    accounts = AccountList(tmp_path / "accounts.json")
    assert accounts.add("Demo.User@Example.com")
    assert not accounts.add("demo.user@example.COM")
    assert accounts.emails() == ["Demo.User@Example.com"]
    assert accounts.resolve("DEMO.USER@EXAMPLE.COM") == "Demo.User@Example.com"
    assert "demo.user@example.com" in accounts
    assert accounts.resolve("other@example.com") is None
    assert accounts.remove("demo.USER@example.com")
    assert accounts.emails() == []


def test_adding_a_non_email_is_refused_and_leaves_the_file_alone(tmp_path: Path) -> None:
    accounts = AccountList(tmp_path / "accounts.json")
    with pytest.raises(UsageError):
        accounts.add("a\x1b@example.com")
    assert not accounts.path.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[1, 2, 3]", 'expected {"accounts": [...]}, found a list'),
        (b"null", 'expected {"accounts": [...]}, found null'),
        (b'"a@example.com"', 'expected {"accounts": [...]}, found a string'),
        (b"{}", 'expected {"accounts": [...]}, found an object without "accounts"'),
        (b'{"accounts": [], "extra": 1}', 'extra: unknown key; expected {"accounts": [...]}'),
        (b'{"accounts": "oops"}', "accounts: expected a list of email addresses, found a string"),
        (b'{"accounts": {"a": 1}}', "accounts: expected a list of email addresses, found an object"),
        (b'{"accounts": ["a@example.com", 5]}', "accounts[1]: expected an email address, found a number"),
        (b'{"accounts": [null]}', "accounts[0]: expected an email address, found null"),
        (
            b'{"accounts": ["a@example.com", "x@example.com", "bob"]}',
            "accounts[2]: not an email address: 'bob'",
        ),
        (
            b'{"accounts": ["a\\u001b[2J@example.com"]}',
            "accounts[0]: not an email address: 'a\\x1b[2J@example.com'",
        ),
        (
            b'{"accounts": ["a@example.com", "b@example.com", "x@example.com", "A@example.com"]}',
            "accounts[3]: 'A@example.com' is listed twice",
        ),
        (b'{"accou', "not valid JSON (line 1, column 2)"),
        (b"", "not valid JSON (line 1, column 1)"),
        (b'{"accounts": ["\xff\xfe"]}', "not UTF-8 text"),
        (b"[" * 100_000, "not valid JSON (nested too deeply)"),
    ],
    ids=lambda value: value[:40].decode(errors="replace") if isinstance(value, bytes) else None,
)
def test_a_malformed_accounts_file_is_one_line_naming_the_file_and_the_entry(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "accounts.json"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        AccountList(path).emails()
    assert str(caught.value) == f"{path}: {message}"


def test_a_linked_accounts_file_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.json"
    target.write_text('{"accounts": ["a@example.com"]}')
    path = tmp_path / "home" / "accounts.json"
    path.parent.mkdir()
    path.symlink_to(target)
    accounts = AccountList(path)
    expected = (
        f"{path} is a symbolic link: the tool does not follow links inside its data directory; "
        "replace it with a regular file or directory"
    )
    for use in (accounts.emails, lambda: accounts.add("b@example.com")):
        with pytest.raises(ConfigError) as caught:
            use()
        assert str(caught.value) == expected
    assert target.read_text() == '{"accounts": ["a@example.com"]}'


def test_an_accounts_file_that_is_a_directory_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "accounts.json").mkdir()
    with pytest.raises(ConfigError, match=r"accounts\.json is not a regular file: move it away"):
        AccountList(tmp_path / "accounts.json").emails()


def test_adding_an_account_cleans_temporary_files_a_killed_write_left(tmp_path: Path) -> None:
    accounts = AccountList(tmp_path / "accounts.json")
    (tmp_path / ".accounts.json.k1ll3d.tmp").write_bytes(b"")
    accounts.add("a@example.com")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.json", "accounts.json.lock"]


@pytest.mark.usefixtures("no_umask")
def test_the_accounts_lock_file_is_private_even_under_umask_0(tmp_path: Path) -> None:
    AccountList(tmp_path / "accounts.json").add("a@example.com")
    assert stat.S_IMODE((tmp_path / "accounts.json.lock").stat().st_mode) == 0o600


def test_an_accounts_lock_file_left_open_to_others_is_tightened(tmp_path: Path) -> None:
    lock = tmp_path / "accounts.json.lock"
    lock.write_bytes(b"")
    os.chmod(lock, 0o666)  # noqa: S103 -- the mode under test
    AccountList(tmp_path / "accounts.json").add("a@example.com")
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600
