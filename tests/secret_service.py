"""A private Secret Service for one test process: its own D-Bus session and its own gnome-keyring,
unlocked, in a scratch directory.

`scripts/with-test-keyring` gives a whole pytest run one such service. Tests run in parallel
(pytest-xdist) each get another, started here for each worker: tests clear the keyring after
themselves and lock it on purpose, which on a shared one would reach into the other workers' tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PASSWORD = b"test-keyring-password"
_NAME = "org.freedesktop.secrets"
_START_SECONDS = 10.0
LOG = "gnome-keyring.log"


@dataclass
class SecretService:
    """The running service; `environment` is what a process needs to reach it."""

    scratch: Path
    bus: subprocess.Popen[bytes]
    keyring: subprocess.Popen[bytes]
    environment: dict[str, str]

    def last_words(self) -> str:
        """The last lines gnome-keyring wrote on stderr."""
        lines = (self.scratch / LOG).read_text(errors="replace").splitlines()
        return " | ".join(lines[-3:]) or "nothing"

    def stop(self) -> None:
        for process in (self.keyring, self.bus):
            process.terminate()
        for process in (self.keyring, self.bus):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.scratch, ignore_errors=True)


def available() -> bool:
    return bool(shutil.which("dbus-daemon") and shutil.which("gnome-keyring-daemon"))


def session_bus(
    directory: Path, environment: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """A D-Bus session daemon listening in `directory`, and its address."""
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1", f"--address=unix:dir={directory}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(environment or {})},
        start_new_session=True,  # out of reach of a signal a test sends to its own process group
    )
    assert bus.stdout is not None
    address = bus.stdout.readline().decode().strip()
    if not address:
        bus.wait()
        raise RuntimeError(f"dbus-daemon exited ({bus.returncode}) without giving its address")
    return bus, address


def start() -> SecretService:
    """Start a session bus and an unlocked gnome-keyring on it; return once the keyring answers."""
    scratch = Path(tempfile.mkdtemp(prefix="test-keyring-"))
    data, runtime = scratch / "data", scratch / "runtime"
    data.mkdir(mode=0o700)
    runtime.mkdir(mode=0o700)
    # A fresh data dir: a keyring left locked with another password would answer KeyringLocked.
    environment = {"XDG_DATA_HOME": str(data), "XDG_RUNTIME_DIR": str(runtime)}
    bus, environment["DBUS_SESSION_BUS_ADDRESS"] = session_bus(runtime, environment)
    with (scratch / LOG).open("wb") as log:  # what it says as it ends, for the test that saw it end
        keyring = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=log,
            env={**os.environ, **environment},
            start_new_session=True,
        )
    assert keyring.stdin is not None
    keyring.stdin.write(PASSWORD)
    keyring.stdin.close()
    service = SecretService(scratch, bus, keyring, environment)
    try:
        _wait_for_the_name(environment)
    except BaseException:
        service.stop()
        raise
    return service


def _wait_for_the_name(environment: dict[str, str]) -> None:
    """The daemon claims its bus name a moment after it starts: a test must never meet a Secret
    Service that is not there yet. Polling is all D-Bus offers short of a signal subscription."""
    deadline = time.monotonic() + _START_SECONDS
    while True:
        asked = subprocess.run(
            [
                "dbus-send",
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                f"string:{_NAME}",
            ],
            capture_output=True,
            text=True,
            env={**os.environ, **environment},
            check=False,
        )
        if "boolean true" in asked.stdout:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"gnome-keyring did not claim {_NAME} within {_START_SECONDS:g} s")
        time.sleep(0.05)
