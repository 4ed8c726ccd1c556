"""The keyring store: all-or-nothing writes read back, undo, time bounds, and no stand-in keyring
ever chosen by keyring's own discovery."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Collection
from pathlib import Path
from typing import Any

import keyring.errors
import pytest

from checker.core.errors import KeyringUnavailable, UsageError
from checker.store.credentials import SERVICE, TIMEOUT_ENV, TOTP_SERVICE, CredentialStore, MemoryKeyring
from tests.conftest import ROOT, run_python

EMAIL = "a@example.com"


# --- the demo's keyring stays out of discovery ------------------------------------------------

DISCOVER = """
import json, keyring, keyring.backend
import checker.store.credentials, checker.run.demo
from checker.store.credentials import CredentialStore
from checker.core.errors import KeyringUnavailable

def name(backend):
    return f"{type(backend).__module__}.{type(backend).__name__}"

try:
    CredentialStore().probe()
    probe = "answered"
except KeyringUnavailable as exc:
    probe = str(exc)
print(json.dumps({
    "viable": [name(backend) for backend in keyring.backend.get_all_keyring()],
    "chosen": name(keyring.get_keyring()),
    "probe": probe,
}))
"""


def test_without_a_session_bus_keyring_discovery_finds_no_backend_of_ours_and_probe_fails(
    tmp_path: Path,
) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DBUS_SESSION_BUS_ADDRESS", "PYTHON_KEYRING_BACKEND", TIMEOUT_ENV}
    }
    # No keyringrc.cfg of the user's may name a backend either.
    env |= {"XDG_CONFIG_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path), "HOME": str(tmp_path)}
    result = run_python("-c", DISCOVER, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert [name for name in found["viable"] if name.startswith("checker.")] == []
    assert found["chosen"] == "keyring.backends.fail.Keyring"
    assert found["probe"].startswith("no keyring backend is available")


def test_the_demo_keyring_keeps_what_is_stored_in_it() -> None:
    store = CredentialStore(MemoryKeyring())
    store.store(EMAIL, "demo-password", "JBSWY3DPEHPK3PXP")
    assert (store.get_password(EMAIL), store.get_totp_secret(EMAIL)) == ("demo-password", "JBSWY3DPEHPK3PXP")


# --- store and remove against the real Secret Service -----------------------------------------


def test_store_writes_the_password_and_totp_secret_and_undo_forgets_them(
    real_keyring: CredentialStore,
) -> None:
    undo = real_keyring.store(EMAIL, "s3cret pass", "JBSWY3DPEHPK3PXP")
    assert real_keyring.backend.get_password(SERVICE, EMAIL) == "s3cret pass"
    assert real_keyring.backend.get_password(TOTP_SERVICE, EMAIL) == "JBSWY3DPEHPK3PXP"
    undo()
    assert real_keyring.backend.get_password(SERVICE, EMAIL) is None
    assert real_keyring.backend.get_password(TOTP_SERVICE, EMAIL) is None


def test_undo_of_store_puts_back_the_previous_password_and_totp_secret(real_keyring: CredentialStore) -> None:
    real_keyring.store(EMAIL, "old password", "JBSWY3DPEHPK3PXP")
    undo = real_keyring.store(EMAIL, "new password", "GEZDGNBVGY3TQOJQ")
    assert real_keyring.get_password(EMAIL) == "new password"
    undo()
    assert real_keyring.backend.get_password(SERVICE, EMAIL) == "old password"
    assert real_keyring.backend.get_password(TOTP_SERVICE, EMAIL) == "JBSWY3DPEHPK3PXP"


def test_store_without_a_totp_secret_leaves_the_stored_one_alone(real_keyring: CredentialStore) -> None:
    real_keyring.store(EMAIL, "old password", "JBSWY3DPEHPK3PXP")
    real_keyring.store(EMAIL, "new password")
    assert real_keyring.backend.get_password(SERVICE, EMAIL) == "new password"
    assert real_keyring.backend.get_password(TOTP_SERVICE, EMAIL) == "JBSWY3DPEHPK3PXP"


def test_remove_deletes_the_password_and_totp_secret_and_undo_puts_them_back(
    real_keyring: CredentialStore,
) -> None:
    real_keyring.store(EMAIL, "s3cret pass", "JBSWY3DPEHPK3PXP")
    undo = real_keyring.remove(EMAIL)
    assert real_keyring.backend.get_password(SERVICE, EMAIL) is None
    assert real_keyring.backend.get_password(TOTP_SERVICE, EMAIL) is None
    undo()
    assert real_keyring.backend.get_password(SERVICE, EMAIL) == "s3cret pass"
    assert real_keyring.backend.get_password(TOTP_SERVICE, EMAIL) == "JBSWY3DPEHPK3PXP"


def test_removing_an_account_with_nothing_stored_is_not_an_error(real_keyring: CredentialStore) -> None:
    real_keyring.remove(EMAIL)()
    assert real_keyring.backend.get_password(SERVICE, EMAIL) is None


# --- keyrings that misbehave in ways the real one cannot be made to ---------------------------


class UnreliableKeyring:
    """Accepts every write; hands back something else, or fails, for the services it is told to."""

    def __init__(
        self, *, garble: Collection[str] = (), drop: Collection[str] = (), fail: Collection[str] = ()
    ) -> None:
        self.items: dict[tuple[str, str], str] = {}
        self._garble, self._drop, self._fail = garble, drop, fail
        self._written: set[tuple[str, str]] = set()

    def get_password(self, service: str, username: str) -> str | None:
        value = self.items.get((service, username))
        if (service, username) in self._written and value is not None:
            if service in self._drop:
                return None
            if service in self._garble:
                return value[::-1]
        return value

    def set_password(self, service: str, username: str, password: str) -> None:
        if service in self._fail:
            raise keyring.errors.KeyringError("the collection is read-only")
        self.items[(service, username)] = password
        self._written.add((service, username))

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")
        self._written.discard((service, username))

    def seed(self, **values: str) -> None:
        """Entries that were there before the test, and read back faithfully."""
        for key, value in values.items():
            self.items[({"password": SERVICE, "totp": TOTP_SERVICE}[key], EMAIL)] = value


@pytest.mark.parametrize("misbehaviour", ["drop", "garble"])
def test_a_password_that_reads_back_differently_is_refused_and_nothing_is_stored(misbehaviour: str) -> None:
    backend = UnreliableKeyring(**{misbehaviour: {SERVICE}})
    with pytest.raises(KeyringUnavailable) as raised:
        CredentialStore(backend).store(EMAIL, "s3cret pass", "JBSWY3DPEHPK3PXP")
    assert str(raised.value) == (
        "the keyring did not keep the password (it read back differently): nothing was stored"
    )
    assert backend.items == {}


def test_a_totp_secret_that_reads_back_differently_puts_back_the_previous_password() -> None:
    backend = UnreliableKeyring(garble={TOTP_SERVICE})
    backend.seed(password="old password")
    with pytest.raises(KeyringUnavailable) as raised:
        CredentialStore(backend).store(EMAIL, "new password", "JBSWY3DPEHPK3PXP")
    assert str(raised.value) == (
        "the keyring did not keep the TOTP secret (it read back differently): nothing was stored"
    )
    assert backend.items == {(SERVICE, EMAIL): "old password"}


def test_a_failed_write_puts_back_what_was_there_and_reports_the_keyrings_error() -> None:
    backend = UnreliableKeyring(fail={TOTP_SERVICE})
    backend.seed(password="old password")
    with pytest.raises(KeyringUnavailable) as raised:
        CredentialStore(backend).store(EMAIL, "new password", "JBSWY3DPEHPK3PXP")
    assert str(raised.value) == "the keyring failed: KeyringError: the collection is read-only"
    assert backend.items == {(SERVICE, EMAIL): "old password"}


def test_when_putting_back_fails_too_the_error_says_so_without_the_secrets() -> None:
    backend = UnreliableKeyring(fail={TOTP_SERVICE})
    backend.seed(totp="JBSWY3DPEHPK3PXP")
    with pytest.raises(KeyringUnavailable) as raised:
        CredentialStore(backend).store(EMAIL, "new password", "GEZDGNBVGY3TQOJQ")
    message = str(raised.value)
    assert message.startswith(
        "the keyring failed: KeyringError: the collection is read-only, and putting back"
    )
    assert f"check the keyring's entries for {EMAIL}" in message
    for secret in ("new password", "GEZDGNBVGY3TQOJQ", "JBSWY3DPEHPK3PXP"):
        assert secret not in message


class InterruptedKeyring(UnreliableKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        if service == TOTP_SERVICE:
            raise KeyboardInterrupt  # Ctrl-C arriving while the keyring works
        super().set_password(service, username, password)


def test_an_interrupted_store_puts_back_what_was_there_and_stays_an_interrupt() -> None:
    backend = InterruptedKeyring()
    backend.seed(password="old password")
    with pytest.raises(KeyboardInterrupt):
        CredentialStore(backend).store(EMAIL, "new password", "JBSWY3DPEHPK3PXP")
    assert backend.items == {(SERVICE, EMAIL): "old password"}


class LockedKeyring(UnreliableKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")


def test_a_locked_keyring_is_reported_as_locked() -> None:
    with pytest.raises(KeyringUnavailable, match=r"^the keyring is locked: unlock it and try again$"):
        CredentialStore(LockedKeyring()).get_password(EMAIL)


# --- the time bound ---------------------------------------------------------------------------


def test_the_time_bound_is_30_seconds_unless_the_environment_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(TIMEOUT_ENV, raising=False)
    assert CredentialStore(MemoryKeyring()).timeout == 30
    monkeypatch.setenv(TIMEOUT_ENV, "2.5")
    assert CredentialStore(MemoryKeyring()).timeout == 2.5
    assert CredentialStore(MemoryKeyring(), timeout=7).timeout == 7


@pytest.mark.parametrize("value", ["soon", "0", "-5", "nan", "inf"])
def test_a_time_bound_that_is_not_a_positive_number_is_a_usage_error(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TIMEOUT_ENV, value)
    with pytest.raises(UsageError) as raised:
        CredentialStore()
    assert str(raised.value) == f"{TIMEOUT_ENV} must be a positive number of seconds, not {value!r}"


# Runs inside its own scripts/with-test-keyring. It asks the session bus which process owns
# `name`, lets the child freeze it with SIGSTOP, and thaws it once the child is gone, whatever
# happened, so that the private session can end.
FREEZE_AND_RUN = """
import json, os, signal, subprocess, sys
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import Proxy, open_dbus_connection

name, child_code = sys.argv[1], sys.argv[2]
with open_dbus_connection(bus="SESSION") as connection:
    (pid,) = Proxy(message_bus, connection, timeout=10).GetConnectionUnixProcessID(name)
try:
    child = subprocess.run(
        [sys.executable, "-c", child_code, str(pid)], capture_output=True, text=True, timeout=60
    )
    report = {"exit": child.returncode, "stdout": child.stdout, "stderr": child.stderr}
except subprocess.TimeoutExpired:
    report = {"exit": "did not end within 60 s"}
finally:
    os.kill(pid, signal.SIGCONT)
print(json.dumps(report))
"""

# Each call's outcome, one JSON object on stdout; then the process ends normally, with the
# abandoned calls still stuck on their threads.
CALLS_COMMON = """
import json, os, signal, sys
from checker.store.credentials import CredentialStore
from checker.core.errors import KeyringUnavailable

def outcome(call):
    try:
        call()
    except KeyringUnavailable as exc:
        return str(exc)
    return "answered"
"""

CALLS_ON_A_FROZEN_SECRET_SERVICE = (
    CALLS_COMMON
    + """
store = CredentialStore(timeout=2)
store.describe()  # the backend is found while the keyring still answers
os.kill(int(sys.argv[1]), signal.SIGSTOP)
print(json.dumps({
    "get_password": outcome(lambda: store.get_password("a@example.com")),
    "store": outcome(lambda: store.store("a@example.com", "pw")),
    "remove": outcome(lambda: store.remove("a@example.com")),
    "probe": outcome(store.probe),
}))
"""
)


def run_with_frozen(name: str, calls: str) -> dict[str, Any]:
    """Run `calls` in a fresh process against a private keyring whose `name` owner is frozen."""
    result = subprocess.run(
        [str(ROOT / "scripts" / "with-test-keyring"), sys.executable, "-c", FREEZE_AND_RUN, name, calls],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    # The child ended by itself, promptly, although its abandoned calls were still stuck.
    assert report["exit"] == 0, report
    outcomes: dict[str, Any] = json.loads(report["stdout"])
    return outcomes


UNANSWERED = "the keyring did not answer in 2 s: unlock it (or start it) and try again"


def test_a_frozen_secret_service_fails_each_call_in_time_and_the_process_still_exits() -> None:
    outcomes = run_with_frozen("org.freedesktop.secrets", CALLS_ON_A_FROZEN_SECRET_SERVICE)
    assert outcomes == {
        "get_password": UNANSWERED,
        "store": UNANSWERED,
        "remove": UNANSWERED,
        "probe": UNANSWERED,
    }


# A frozen session bus does not make discovery hang (jeepney gives up authenticating after 1 s
# and keyring falls back to no backend), but a backend whose viability check never returns does;
# the child names its own such backend in PYTHON_KEYRING_BACKEND.
DISCOVERY_THAT_NEVER_RETURNS = (
    CALLS_COMMON
    + """
import threading
from keyring.backend import KeyringBackend
from keyring.compat import properties

class NeverAnswers(KeyringBackend):
    @properties.classproperty
    def priority(cls) -> float:
        threading.Event().wait()
        return 1

    def get_password(self, service, username):
        return None

    def set_password(self, service, username, password):
        pass

store = CredentialStore(timeout=2)
print(json.dumps({"describe": outcome(store.describe), "probe": outcome(store.probe)}))
"""
)


def test_finding_a_keyring_that_never_answers_fails_in_time_and_the_process_still_exits() -> None:
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "__main__.NeverAnswers"}
    result = run_python("-c", DISCOVERY_THAT_NEVER_RETURNS, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"describe": UNANSWERED, "probe": UNANSWERED}


FIND_BACKEND = """
import subprocess, sys
started = []
popen = subprocess.Popen.__init__
def counted(self, *args, **kwargs):
    started.append(args[0] if args else kwargs.get("args"))
    return popen(self, *args, **kwargs)
subprocess.Popen.__init__ = counted
from checker.store.credentials import CredentialStore
print(type(CredentialStore().backend).__name__, started)
"""


def test_finding_the_backend_outside_macos_starts_no_process() -> None:
    # keyring's macOS backend would run ldconfig, gcc and ld three times each looking for Apple's
    # frameworks outside macOS: tens of milliseconds on every command, for a backend that cannot run.
    result = run_python("-c", FIND_BACKEND, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split(" ", 1)[1].strip() == "[]"
