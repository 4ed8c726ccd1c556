"""Saved sessions: real files written atomically, the shape Playwright gives and takes, and no links
followed.

The encryption itself is tested in test_session_encryption.py; here the key is in a MemoryKeyring.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from playwright.async_api import Browser

from checker.core.errors import ConfigError
from checker.store.credentials import CredentialStore, MemoryKeyring
from checker.store.sessions import HEADER, SessionStore, key_name
from tests.conftest import run_in_private_mounts
from tests.store.conftest import li_at_cookie
from tests.store.test_config import run_where_read_only

ORIGIN = "http://127.0.0.1:8765"
COOKIE = li_at_cookie("token")
STATE: dict[str, Any] = {
    "cookies": [COOKIE],
    "origins": [{"origin": ORIGIN, "localStorage": [{"name": "k", "value": "v"}]}],
}


@pytest.fixture
def store(home: Path) -> SessionStore:
    return SessionStore.in_home(home, CredentialStore(MemoryKeyring()))


def seal(store: SessionStore, email: str, plain: bytes) -> Path:
    """Write `plain` as the session of `email` on ORIGIN, encrypted as the store encrypts (the file
    format, written out independently): a file whose content, not its encryption, is at fault."""
    path = store.path(email, ORIGIN)
    if store.keyring.get_session_key(key_name(store.root.parent)) is None:
        store.save("someone@example.com", ORIGIN, STATE)  # makes the home's key
    key = base64.urlsafe_b64decode(store.keyring.get_session_key(key_name(store.root.parent)) or "")
    nonce = os.urandom(12)
    place = HEADER + f"{path.parent.name}/{path.stem}".encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(HEADER + nonce + AESGCM(key).encrypt(nonce, plain, place))
    return path


def link_message(path: Path) -> str:
    return (
        f"{path} is a symbolic link: the tool does not follow links inside its data directory; "
        "replace it with a regular file or directory"
    )


def test_a_saved_session_loads_back_and_is_private(store: SessionStore) -> None:
    store.save("a@example.com", ORIGIN, STATE)
    assert store.load("a@example.com", ORIGIN) == STATE
    path = store.path("a@example.com", ORIGIN)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert store.has_any("a@example.com")


def test_session_files_are_named_by_hashes_not_by_the_email_or_the_site(store: SessionStore) -> None:
    store.save("a@example.com", ORIGIN, STATE)
    names = [p.name for p in store.root.rglob("*")]
    assert not any("example" in name or "127.0.0.1" in name for name in names)


def test_every_spelling_of_an_email_shares_its_sessions(store: SessionStore) -> None:
    store.save("Demo@Example.com", ORIGIN, STATE)
    assert store.load("demo@example.com", ORIGIN) == STATE
    assert store.has_any("DEMO@EXAMPLE.COM")
    assert store.forget_account("demo@EXAMPLE.com")
    assert not store.has_any("Demo@Example.com")


def test_forgetting_an_account_also_removes_sessions_saved_under_its_exact_spelling(
    store: SessionStore,
) -> None:
    # Before sessions were keyed by the case-insensitive email, they were keyed by its exact spelling.
    legacy = store.root / hashlib.sha256(b"Demo@Example.com").hexdigest()[:24]
    legacy.mkdir(parents=True)
    (legacy / "site.json").write_text(json.dumps(STATE))
    assert store.forget_account("Demo@Example.com")
    assert not legacy.exists()


async def test_the_storage_state_of_a_real_browser_is_accepted(browser: Browser, store: SessionStore) -> None:
    context = await browser.new_context()
    try:
        await context.add_cookies([{"name": "li_at", "value": "t", "url": ORIGIN, "sameSite": "None"}])
        state = dict(await context.storage_state())
    finally:
        await context.close()
    store.save("a@example.com", ORIGIN, state)
    discarded: list[str] = []
    assert store.load("a@example.com", ORIGIN, on_discard=discarded.append) == state
    assert discarded == []


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"cookies": 5}', "not a browser storage state: cookies: input should be a valid list"),
        (b'{"cookies": [], "origins": 1}', "not a browser storage state: origins: input should be"),
        (b"[]", "not a browser storage state: top level: input should be"),
        (
            b'{"cookies": [{"name": "a"}], "origins": []}',
            "not a browser storage state: cookies[0].value: field",
        ),
        (b"{not json", "not valid JSON: line 1, column 2"),
        (b"\xff\xfe{}", "not UTF-8 text"),
    ],
    ids=[
        "cookies-not-a-list",
        "origins-not-a-list",
        "a-list",
        "cookie-without-value",
        "bad-json",
        "binary",
    ],
)
def test_a_session_that_decrypts_to_no_storage_state_is_discarded_with_the_reason(
    store: SessionStore, content: bytes, reason: str
) -> None:
    path = seal(store, "a@example.com", content)
    discarded: list[str] = []
    assert store.load("a@example.com", ORIGIN, on_discard=discarded.append) is None
    assert not path.exists()
    assert len(discarded) == 1
    assert discarded[0].startswith(f"the saved session {path} was unusable ({reason}")
    assert discarded[0].endswith(") and was discarded; signing in again")


@pytest.mark.parametrize(
    ("key", "value"),
    [("sameSite", "Sometimes"), ("httpOnly", "yes"), ("expires", "-1"), ("secure", 1), ("name", None)],
)
def test_a_cookie_with_a_known_key_of_the_wrong_type_is_unusable(
    store: SessionStore, key: str, value: object
) -> None:
    store.save("a@example.com", ORIGIN, {**STATE, "cookies": [{**COOKIE, key: value}]})
    assert not store.has_any("a@example.com")
    assert store.load("a@example.com", ORIGIN) is None


def test_keys_a_newer_playwright_adds_inside_cookies_and_origins_are_kept(store: SessionStore) -> None:
    state = {
        "cookies": [{**COOKIE, "partitionKey": "https://example.com"}],
        "origins": [{"origin": ORIGIN, "localStorage": [], "indexedDB": []}],
    }
    store.save("a@example.com", ORIGIN, state)
    assert store.load("a@example.com", ORIGIN) == state


def test_has_any_is_false_for_an_unusable_session_and_deletes_nothing(store: SessionStore) -> None:
    path = seal(store, "a@example.com", b'{"cookies": 5}')
    sealed = path.read_bytes()
    assert not store.has_any("a@example.com")
    assert path.read_bytes() == sealed


def test_has_any_is_false_when_nothing_was_saved_and_creates_nothing(store: SessionStore) -> None:
    assert not store.has_any("a@example.com")
    assert not store.root.exists()


def test_discarding_a_session_the_browser_refused_deletes_it_and_words_the_warning(
    store: SessionStore,
) -> None:
    store.save("a@example.com", ORIGIN, STATE)
    path = store.path("a@example.com", ORIGIN)
    warning = store.discard("a@example.com", ORIGIN, "cookies[0]: bad\x1b[2Jcookie")
    assert warning == (
        f"the saved session {path} was unusable (cookies[0]: bad\\x1b[2Jcookie) and was discarded; "
        "signing in again"
    )
    assert not path.exists()


def test_saving_cleans_temporary_files_a_killed_save_left(store: SessionStore) -> None:
    path = store.path("a@example.com", ORIGIN)
    path.parent.mkdir(parents=True)
    leftover = path.with_name(f".{path.name}.k1ll3d.tmp")
    leftover.write_bytes(b"")
    store.save("a@example.com", ORIGIN, STATE)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_prepare_creates_a_private_sessions_directory(store: SessionStore) -> None:
    store.prepare()
    assert stat.S_IMODE(store.root.stat().st_mode) == 0o700


def test_prepare_refuses_a_sessions_file_that_is_not_a_directory(store: SessionStore) -> None:
    store.root.write_text("")
    with pytest.raises(ConfigError) as caught:
        store.prepare()
    assert str(caught.value) == (
        f"{store.root} is not a directory: move it away; the tool keeps its own files there"
    )


FORGET = """
from pathlib import Path
from checker.store.credentials import CredentialStore, MemoryKeyring
from checker.core.errors import ConfigError
from checker.store.sessions import SessionStore

store = SessionStore(Path({root!r}), CredentialStore(MemoryKeyring()))
for forget in (store.check_can_forget, store.forget_account):
    try:
        forget("a@example.com")
        print("forgotten")
    except ConfigError as exc:
        print(exc)
"""


@pytest.mark.parametrize("read_only", ["sessions", "account"])
def test_sessions_on_a_read_only_file_system_cannot_be_forgotten_and_are_kept(
    store: SessionStore, read_only: str
) -> None:
    store.save("a@example.com", ORIGIN, STATE)
    directory = store.root if read_only == "sessions" else store.path("a@example.com", ORIGIN).parent
    output = run_where_read_only(directory, FORGET.format(root=str(store.root)))
    refusal = (
        f"{directory} is not writable (read-only file system): make it writable by you, "
        "or set LINKEDIN_AI_OPTOUT_HOME to another directory"
    )
    assert output.splitlines() == [refusal, refusal]
    assert store.load("a@example.com", ORIGIN) == STATE


# --- the atomic write ---------------------------------------------------------------------------

FILL_UP = """
import json, sys
from pathlib import Path
from checker.store.credentials import CredentialStore, MemoryKeyring
from checker.core.errors import ConfigError
from checker.store.sessions import SessionStore

store = SessionStore.in_home(Path(sys.argv[1]), CredentialStore(MemoryKeyring()))
def state(value):
    return {"cookies": [], "origins": [{"origin": "o", "localStorage": [{"name": "k", "value": value}]}]}
store.save("a@example.com", "http://x", state("old"))
try:
    store.save("a@example.com", "http://x", state("n" * 400_000))
    outcome = "saved"
except ConfigError as exc:
    outcome = str(exc)
path = store.path("a@example.com", "http://x")
print(json.dumps({
    "outcome": outcome,
    "kept": store.load("a@example.com", "http://x") == state("old"),
    "files": sorted(p.name for p in path.parent.iterdir()),
    "path": str(path),
}))
"""


def test_a_save_that_fills_the_disk_midway_leaves_the_previous_session_whole(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    # A 256 KiB tmpfs as the home: the first session fits, the second runs out of space while written.
    mount_then_run = 'mount -t tmpfs -o size=256k,mode=0700 tmpfs "$1" && exec "$2" -c "$3" "$1"'
    report = json.loads(run_in_private_mounts(mount_then_run, str(home), sys.executable, FILL_UP))
    assert report["outcome"] == f"cannot write {report['path']} (no space left on device): check free space"
    assert report["kept"] is True
    assert report["files"] == [Path(report["path"]).name]  # and no temporary file left behind


# --- links ----------------------------------------------------------------------------------


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory outside the home, holding a file that must survive whatever the store does."""
    path = tmp_path / "outside"
    path.mkdir()
    (path / "precious.json").write_text(json.dumps(STATE))
    return path


def test_a_linked_sessions_directory_is_refused_by_every_use_and_its_target_untouched(
    store: SessionStore, outside: Path
) -> None:
    store.root.symlink_to(outside, target_is_directory=True)
    uses: list[Callable[[], object]] = [
        store.prepare,
        lambda: store.save("a@example.com", ORIGIN, STATE),
        lambda: store.load("a@example.com", ORIGIN),
        lambda: store.has_any("a@example.com"),
        lambda: store.forget("a@example.com", ORIGIN),
        lambda: store.check_can_forget("a@example.com"),
        lambda: store.forget_account("a@example.com"),
    ]
    for use in uses:
        with pytest.raises(ConfigError) as caught:
            use()
        assert str(caught.value) == link_message(store.root)
    assert sorted(p.name for p in outside.iterdir()) == ["precious.json"]


def test_a_linked_account_directory_is_refused_before_anything_is_deleted(
    store: SessionStore, outside: Path
) -> None:
    folder = store.path("a@example.com", ORIGIN).parent
    store.root.mkdir()
    folder.symlink_to(outside, target_is_directory=True)
    # The site file name inside the target, so that following the link would find (and delete) it.
    (outside / "precious.json").rename(outside / store.path("a@example.com", ORIGIN).name)
    kept = sorted(p.name for p in outside.iterdir())
    for use in (
        lambda: store.check_can_forget("a@example.com"),
        lambda: store.forget_account("a@example.com"),
        lambda: store.forget("a@example.com", ORIGIN),
        lambda: store.load("a@example.com", ORIGIN),
        lambda: store.save("a@example.com", ORIGIN, STATE),
    ):
        with pytest.raises(ConfigError) as caught:
            use()
        assert str(caught.value) == link_message(folder)
    assert sorted(p.name for p in outside.iterdir()) == kept
    assert folder.is_symlink()


def test_a_linked_session_file_is_refused_and_its_target_untouched(
    store: SessionStore, outside: Path
) -> None:
    path = store.path("a@example.com", ORIGIN)
    path.parent.mkdir(parents=True)
    path.symlink_to(outside / "precious.json")
    for use in (lambda: store.load("a@example.com", ORIGIN), lambda: store.has_any("a@example.com")):
        with pytest.raises(ConfigError) as caught:
            use()
        assert str(caught.value) == link_message(path)
    assert json.loads((outside / "precious.json").read_text()) == STATE


def test_an_account_directory_that_is_a_file_cannot_be_forgotten_and_is_kept(store: SessionStore) -> None:
    folder = store.path("a@example.com", ORIGIN).parent
    store.root.mkdir()
    folder.write_text("")
    with pytest.raises(ConfigError, match="is not a directory: move it away"):
        store.check_can_forget("a@example.com")
    assert folder.is_file()


def test_a_session_with_a_top_level_key_from_a_newer_playwright_is_kept(store: SessionStore) -> None:
    state = {"cookies": [], "origins": [], "addedLater": []}
    store.save("a@example.com", ORIGIN, state)
    assert store.load("a@example.com", ORIGIN) == state
