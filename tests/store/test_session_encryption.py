"""Saved sessions are encrypted at rest: the file format, the key in the keyring, what happens to a
session that does not decrypt, and the atomic write. End to end through the real CLI, the real keyring
and the fixture site, and on the store itself with the demo's in-memory keyring."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import stat
import threading
from pathlib import Path
from typing import Any

import keyring.errors
import pytest

from checker.core.errors import KeyringUnavailable
from checker.core.urls import normalize_base_url
from checker.fixture_site import Account, FixtureSite
from checker.store.credentials import SESSION_KEY_SERVICE, CredentialStore, MemoryKeyring
from checker.store.home import home_path
from checker.store.sessions import HEADER, SessionStore, key_name
from tests.conftest import Cli, add_account, check_args
from tests.store.conftest import li_at_cookie

EMAIL = "a@example.com"
ORIGIN = "http://127.0.0.1:8765"
STATE: dict[str, Any] = {"cookies": [li_at_cookie("cookie-value-7c1e55")], "origins": []}


@pytest.fixture
def store(home: Path) -> SessionStore:
    return SessionStore.in_home(home, CredentialStore(MemoryKeyring()))


def load_warnings(store: SessionStore, email: str = EMAIL) -> tuple[dict[str, Any] | None, list[str]]:
    warnings: list[str] = []
    return store.load(email, ORIGIN, on_discard=warnings.append), warnings


# --- the file and the key ---------------------------------------------------------------------


def test_a_session_file_is_the_header_a_nonce_and_ciphertext_with_no_cookie_in_it(
    store: SessionStore,
) -> None:
    store.save(EMAIL, ORIGIN, STATE)
    path = store.path(EMAIL, ORIGIN)
    sealed = path.read_bytes()
    assert sealed.startswith(HEADER)
    assert b"cookie-value-7c1e55" not in sealed
    assert b"li_at" not in sealed
    assert len(sealed) == len(HEADER) + 12 + len(json.dumps(STATE)) + 16  # nonce, ciphertext, tag
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    store.save(EMAIL, ORIGIN, STATE)
    assert path.read_bytes()[len(HEADER) :] != sealed[len(HEADER) :]  # a fresh nonce for every write
    assert store.load(EMAIL, ORIGIN) == STATE


def test_the_first_save_makes_one_random_32_byte_key_per_data_directory(home: Path, tmp_path: Path) -> None:
    keyring = CredentialStore(MemoryKeyring())
    other_home = tmp_path / "other"
    other_home.mkdir()
    assert keyring.get_session_key(key_name(home)) is None
    SessionStore.in_home(home, keyring).save(EMAIL, ORIGIN, STATE)
    SessionStore.in_home(home, keyring).save("b@example.com", ORIGIN, STATE)
    SessionStore.in_home(other_home, keyring).save(EMAIL, ORIGIN, STATE)
    key, other_key = keyring.get_session_key(key_name(home)), keyring.get_session_key(key_name(other_home))
    assert other_key is not None
    assert key is not None
    assert len(base64.urlsafe_b64decode(key)) == 32
    assert key != other_key
    assert key_name(home) != key_name(other_home)
    assert str(home) not in key_name(home)


def test_a_key_another_run_made_meanwhile_is_used_and_never_replaced(store: SessionStore, home: Path) -> None:
    path = store.path(EMAIL, ORIGIN)
    path.parent.mkdir(parents=True)
    path.write_bytes(HEADER + bytes(40))
    assert store.load(EMAIL, ORIGIN) is None  # the keyring was asked: no key yet
    SessionStore.in_home(home, store.keyring).save("b@example.com", ORIGIN, STATE)  # the other run
    made = store.keyring.get_session_key(key_name(home))
    store.save(EMAIL, ORIGIN, STATE)
    assert store.keyring.get_session_key(key_name(home)) == made
    fresh = SessionStore.in_home(home, store.keyring)
    assert (fresh.load(EMAIL, ORIGIN), fresh.load("b@example.com", ORIGIN)) == (STATE, STATE)


# --- sessions that cannot be used -------------------------------------------------------------

NOT_DECRYPTING = (
    "it does not decrypt: changed, moved from another account's place, or encrypted under another key"
)


@pytest.mark.parametrize("where", ["header", "nonce", "ciphertext", "tag"])
def test_a_session_with_one_byte_changed_is_discarded_with_a_warning(store: SessionStore, where: str) -> None:
    store.save(EMAIL, ORIGIN, STATE)
    path = store.path(EMAIL, ORIGIN)
    sealed = bytearray(path.read_bytes())
    offset = {"header": len(HEADER) - 3, "nonce": len(HEADER) + 3, "ciphertext": -20, "tag": -1}[where]
    sealed[offset] ^= 0x01
    path.write_bytes(bytes(sealed))
    state, warnings = load_warnings(store)
    assert state is None
    assert not path.exists()
    reason = "not an encrypted session file" if where == "header" else NOT_DECRYPTING
    assert warnings == [
        f"the saved session {path} was unusable ({reason}) and was discarded; signing in again"
    ]


def test_a_session_moved_to_another_accounts_or_sites_place_does_not_decrypt(store: SessionStore) -> None:
    store.save(EMAIL, ORIGIN, STATE)
    sealed = store.path(EMAIL, ORIGIN).read_bytes()
    for email, origin in [("b@example.com", ORIGIN), (EMAIL, "http://127.0.0.1:9999")]:
        moved = store.path(email, origin)
        moved.parent.mkdir(parents=True, exist_ok=True)
        moved.write_bytes(sealed)
        warnings: list[str] = []
        assert store.load(email, origin, on_discard=warnings.append) is None
        assert [NOT_DECRYPTING in warning for warning in warnings] == [True]
        assert not moved.exists()
        assert not store.has_any("b@example.com")
    assert store.load(EMAIL, ORIGIN) == STATE  # the original, in its place, is fine


def test_a_session_encrypted_under_another_key_is_discarded(home: Path) -> None:
    SessionStore.in_home(home, CredentialStore(MemoryKeyring())).save(EMAIL, ORIGIN, STATE)
    elsewhere = SessionStore.in_home(home, CredentialStore(MemoryKeyring()))
    elsewhere.keyring.set_session_key(key_name(home), base64.urlsafe_b64encode(bytes(range(32))).decode())
    assert not elsewhere.has_any(EMAIL)
    state, warnings = load_warnings(elsewhere)
    assert state is None
    assert [NOT_DECRYPTING in warning for warning in warnings] == [True]


@pytest.mark.parametrize("stored", [None, "not a key", base64.urlsafe_b64encode(bytes(16)).decode()])
def test_without_a_usable_key_in_the_keyring_a_session_is_discarded_and_the_next_save_makes_one(
    home: Path, stored: str | None
) -> None:
    SessionStore.in_home(home, CredentialStore(MemoryKeyring())).save(EMAIL, ORIGIN, STATE)
    keyring = CredentialStore(MemoryKeyring())  # the keyring was reset
    if stored is not None:
        keyring.set_session_key(key_name(home), stored)
    store = SessionStore.in_home(home, keyring)
    assert not store.has_any(EMAIL)
    assert keyring.get_session_key(key_name(home)) == stored  # listing makes no key
    state, warnings = load_warnings(store)
    assert state is None
    assert warnings == [
        f"the saved session {store.path(EMAIL, ORIGIN)} was unusable (the keyring holds no session key "
        "for this data directory: was it reset?) and was discarded; signing in again"
    ]
    store.save(EMAIL, ORIGIN, STATE)
    made = keyring.get_session_key(key_name(home))
    assert made not in (None, stored)
    assert SessionStore.in_home(home, keyring).load(EMAIL, ORIGIN) == STATE


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (json.dumps(STATE).encode(), "not encrypted: a plaintext session, as earlier versions saved them"),
        (b"\x00\x01binary", "not an encrypted session file"),
        (HEADER + bytes(27), "cut short"),
        (HEADER[:-1] + b"\x07" + bytes(40), "saved in format 7, which this version does not read"),
    ],
    ids=["plaintext-of-an-earlier-version", "other-bytes", "cut-short", "newer-format"],
)
def test_a_file_not_in_this_versions_format_is_discarded_without_asking_the_keyring(
    home: Path, content: bytes, reason: str
) -> None:
    backend = MemoryKeyring()
    store = SessionStore.in_home(home, CredentialStore(backend))
    path = store.path(EMAIL, ORIGIN)
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    state, warnings = load_warnings(store)
    assert state is None
    assert warnings == [
        f"the saved session {path} was unusable ({reason}) and was discarded; signing in again"
    ]
    assert not path.exists()
    assert backend.get_password(SESSION_KEY_SERVICE, key_name(home)) is None


# --- a keyring that cannot give the key --------------------------------------------------------


class LockedKeyring(MemoryKeyring):
    """A keyring whose collection is locked, counting how often it is asked."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.asked += 1
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")


def test_a_locked_keyring_keeps_the_session_loads_and_saves_nothing_and_is_asked_once(home: Path) -> None:
    SessionStore.in_home(home, CredentialStore(MemoryKeyring())).save(EMAIL, ORIGIN, STATE)
    path = SessionStore.in_home(home, CredentialStore(MemoryKeyring())).path(EMAIL, ORIGIN)
    sealed = path.read_bytes()
    backend = LockedKeyring()
    store = SessionStore.in_home(home, CredentialStore(backend))
    state, warnings = load_warnings(store)
    assert state is None
    assert warnings == [
        f"the saved session {path} was not used: its key could not be read (the keyring is locked: unlock "
        "it and try again); it is kept for a later run, and this one signs in with the password"
    ]
    with pytest.raises(KeyringUnavailable, match=r"^the keyring is locked: unlock it and try again$"):
        store.save(EMAIL, ORIGIN, {**STATE, "cookies": []})
    assert not store.has_any(EMAIL)
    assert path.read_bytes() == sealed
    assert backend.asked == 1  # a keyring that does not answer costs its time bound once per run


class AnsweringLate(MemoryKeyring):
    """A keyring that answers only when the test lets it."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = threading.Event()
        self.answer = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.asked.set()
        self.answer.wait(20)
        return super().get_password(service, username)


async def test_load_async_waits_for_the_keyring_off_the_event_loop_so_it_can_be_cancelled(home: Path) -> None:
    backend = AnsweringLate()
    backend.answer.set()
    SessionStore.in_home(home, CredentialStore(backend)).save(EMAIL, ORIGIN, STATE)
    assert await SessionStore.in_home(home, CredentialStore(backend)).load_async(EMAIL, ORIGIN) == STATE
    backend.answer.clear()
    backend.asked.clear()
    loading = asyncio.create_task(
        SessionStore.in_home(home, CredentialStore(backend)).load_async(EMAIL, ORIGIN)
    )
    try:
        # Were the keyring asked on the loop, the loop would stand still here until the keyring answered.
        assert await asyncio.to_thread(backend.asked.wait, 20)
        loading.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loading
    finally:
        backend.answer.set()


# --- end to end -----------------------------------------------------------------------------------


def sessions(keyring: CredentialStore) -> SessionStore:
    """The sessions of the data directory the CLI uses, read with the keyring the CLI uses."""
    return SessionStore.in_home(home_path(), keyring)


def session_path(site: FixtureSite, email: str) -> Path:
    return SessionStore.in_home(home_path(), CredentialStore(MemoryKeyring())).path(
        email, normalize_base_url(site.base_url)
    )


def unusable_warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "was unusable" in line]


def test_the_saved_session_holds_none_of_the_cookies_the_site_issued(
    cli: Cli, site: FixtureSite, member: Account, real_keyring: CredentialStore
) -> None:
    assert cli(*check_args(site)).exit_code == 1
    path = session_path(site, member.email)
    state = sessions(real_keyring).load(member.email, normalize_base_url(site.base_url))
    assert state is not None
    cookies = {cookie["name"]: cookie["value"] for cookie in state["cookies"]}
    # The site's own records: the live session and the remember-me it issued to this member.
    assert site.signed_in_email(cookies["li_at"]) == member.email
    assert site.remembered_email(cookies["li_rm"]) == member.email
    sealed = path.read_bytes()
    for value in [*cookies.values(), cookies["JSESSIONID"].strip('"').removeprefix("ajax:")]:
        assert value.encode() not in sealed
    assert (stat.S_IMODE(path.stat().st_mode), sealed[: len(HEADER)]) == (0o600, HEADER)
    assert real_keyring.get_session_key(key_name(home_path())) is not None


def test_a_tampered_session_is_discarded_with_a_warning_signs_in_once_and_then_works(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    cli(*check_args(site))
    path = session_path(site, member.email)
    sealed = bytearray(path.read_bytes())
    sealed[-20] ^= 0x01
    path.write_bytes(bytes(sealed))
    assert cli.json("accounts", "list")[1]["accounts"][0]["session_saved"] is False
    result = cli(*check_args(site))
    assert result.exit_code == 1
    [warning] = unusable_warnings(result.stderr)
    assert f"{path} was unusable ({NOT_DECRYPTING}) and was discarded; signing in again" in warning
    assert site.password_submissions(member.email) == 2
    assert cli.json("accounts", "list")[1]["accounts"][0]["session_saved"] is True
    result = cli(*check_args(site))
    assert (result.exit_code, unusable_warnings(result.stderr)) == (1, [])
    assert site.password_submissions(member.email) == 2


def test_a_session_copied_over_another_accounts_is_discarded_and_never_signs_in_as_the_first(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    other = Account(email="other@example.com", password="other-password")
    site.add_account(other)
    add_account(cli, other.email, other.password)
    cli(*check_args(site))
    shutil.copyfile(session_path(site, member.email), session_path(site, other.email))
    requests_as_member = sum(received.email == member.email for received in site.received)
    result = cli(*check_args(site, other.email))
    assert result.exit_code == 1
    [warning] = unusable_warnings(result.stderr)
    assert NOT_DECRYPTING in warning
    assert site.password_submissions(other.email) == 2  # signed in again, as itself
    assert sum(received.email == member.email for received in site.received) == requests_as_member


def test_a_session_from_another_data_directory_does_not_decrypt_under_this_ones_key(
    cli: Cli, site: FixtureSite, member: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli(*check_args(site))
    first = session_path(site, member.email)
    monkeypatch.setenv("LINKEDIN_AI_OPTOUT_HOME", str(tmp_path / "second"))
    add_account(cli, member.email, member.password)
    cli(*check_args(site))
    shutil.copyfile(first, session_path(site, member.email))
    result = cli(*check_args(site))
    assert result.exit_code == 1
    assert [NOT_DECRYPTING in warning for warning in unusable_warnings(result.stderr)] == [True]
    assert site.password_submissions(member.email) == 3


def test_a_keyring_that_lost_the_key_discards_the_session_signs_in_once_and_makes_a_new_key(
    cli: Cli, site: FixtureSite, member: Account, real_keyring: CredentialStore
) -> None:
    cli(*check_args(site))
    name = key_name(home_path())
    lost = real_keyring.get_session_key(name)
    real_keyring.backend.delete_password(SESSION_KEY_SERVICE, name)
    assert cli.json("accounts", "list")[1]["accounts"][0]["session_saved"] is False
    assert real_keyring.get_session_key(name) is None  # `accounts list` made no key
    result = cli(*check_args(site))
    assert result.exit_code == 1
    [warning] = unusable_warnings(result.stderr)
    assert "the keyring holds no session key for this data directory: was it reset?" in warning
    assert site.password_submissions(member.email) == 2
    assert real_keyring.get_session_key(name) not in (None, lost)
    cli(*check_args(site))
    assert site.password_submissions(member.email) == 2


def test_a_plaintext_session_of_an_earlier_version_is_discarded_unused_and_signed_in_again_once(
    cli: Cli, site: FixtureSite, member: Account, real_keyring: CredentialStore
) -> None:
    cli(*check_args(site))
    path = session_path(site, member.email)
    # A session the previous release saved: plain JSON, and still valid on the site.
    path.write_text(json.dumps(sessions(real_keyring).load(member.email, normalize_base_url(site.base_url))))
    result = cli(*check_args(site))
    assert result.exit_code == 1
    [warning] = unusable_warnings(result.stderr)
    assert "not encrypted: a plaintext session, as earlier versions saved them" in warning
    assert site.password_submissions(member.email) == 2
    assert path.read_bytes().startswith(HEADER)
