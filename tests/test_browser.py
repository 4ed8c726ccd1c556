"""Finding a browser: the named one, Playwright's own, then the system's; a clear error otherwise."""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

import pytest

from checker.core.errors import BrowserNotFound
from checker.linkedin.browser import find_browser


@dataclass
class FakeChromium:
    """Stands in for Playwright's BrowserType: only the path of its own Chromium is asked."""

    executable_path: str


def executable(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def system_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    return folder


NO_PLAYWRIGHT = FakeChromium("/nonexistent/ms-playwright/chrome")


def test_a_named_browser_wins(system_bin: Path) -> None:
    named = executable(system_bin, "my-chrome")
    executable(system_bin, "chromium")
    choice = find_browser(NO_PLAYWRIGHT, str(named))  # type: ignore[arg-type]
    assert (choice.path, choice.source) == (str(named), "--browser-path")


def test_a_named_browser_that_does_not_exist_is_an_error(system_bin: Path) -> None:
    with pytest.raises(BrowserNotFound, match="not found or not executable: /nope/chrome"):
        find_browser(NO_PLAYWRIGHT, "/nope/chrome")  # type: ignore[arg-type]


def test_playwrights_own_chromium_comes_before_the_systems(system_bin: Path, tmp_path: Path) -> None:
    bundled = executable(tmp_path, "chrome")
    executable(system_bin, "chromium")
    choice = find_browser(FakeChromium(str(bundled)))  # type: ignore[arg-type]
    assert (choice.path, choice.source) == (str(bundled), "playwright")


def test_a_headless_shell_is_preferred_when_headless_but_not_when_headed(system_bin: Path) -> None:
    shell = executable(system_bin, "chromium-headless-shell")
    full = executable(system_bin, "chromium")
    assert find_browser(NO_PLAYWRIGHT).path == str(shell)  # type: ignore[arg-type]
    assert find_browser(NO_PLAYWRIGHT, headed=True).path == str(full)  # type: ignore[arg-type]


def test_no_browser_at_all_says_how_to_install_one(system_bin: Path) -> None:
    with pytest.raises(BrowserNotFound, match="playwright install chromium"):
        find_browser(NO_PLAYWRIGHT)  # type: ignore[arg-type]
