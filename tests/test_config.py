"""Paths, accounts file and --base-url rules."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from checker.config import AccountList, home_dir, normalize_base_url, validate_email
from checker.errors import ConfigError, UsageError


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


def test_emails_are_stripped_and_non_emails_refused() -> None:
    assert validate_email("  a@example.com ") == "a@example.com"
    for bad in ("", "a", "a@b", "a b@example.com", "@example.com"):
        with pytest.raises(UsageError):
            validate_email(bad)


def test_the_home_directory_follows_the_environment_and_is_private(isolated_home: Path) -> None:
    assert home_dir() == isolated_home
    assert stat.S_IMODE(isolated_home.stat().st_mode) == 0o700


def test_the_accounts_file_keeps_order_ignores_repeats_and_is_private(tmp_path: Path) -> None:
    accounts = AccountList(tmp_path / "accounts.json")
    assert accounts.add("b@example.com")
    assert accounts.add("a@example.com")
    assert not accounts.add("b@example.com")
    assert accounts.emails() == ["b@example.com", "a@example.com"]
    assert accounts.remove("b@example.com")
    assert not accounts.remove("b@example.com")
    assert stat.S_IMODE(accounts.path.stat().st_mode) == 0o600


def test_a_damaged_accounts_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "accounts.json"
    path.write_text('{"accounts": "oops"}')
    with pytest.raises(ConfigError, match=f"{path}: malformed accounts file"):
        AccountList(path).emails()
