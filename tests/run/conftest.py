"""The display the tests of a person at a window use: a virtual X server of the tests' own."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def x_server() -> Iterator[str]:
    """A virtual X display (Xvfb) for the windows these tests show; the user's screen is never used."""
    if shutil.which("Xvfb") is None:
        pytest.fail(
            "these tests need Xvfb: run them with `make test` (scripts/ensure-display-tools installs it)"
        )
    read, write = os.pipe()
    # -displayfd: Xvfb picks a free display itself and writes its number once it accepts clients.
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-nolisten", "tcp", "-screen", "0", "1280x1024x24"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as ready:
        number = ready.readline().strip()
    try:
        if not number:
            pytest.fail(f"Xvfb did not start (exit status {server.wait()})")
        yield f":{number}"
    finally:
        server.terminate()
        server.wait()


@pytest.fixture
def display(x_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DISPLAY", x_server)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    return x_server


@pytest.fixture
def no_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
