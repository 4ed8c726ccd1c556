"""Finding a browser: the named one, Playwright's own, then the system's; a clear error otherwise.
And what each kind of run asks of it (BrowserSource): lean when nobody watches, whole pages in a window."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser

from checker.core import loop
from checker.core.errors import BrowserNotFound
from checker.fixture_site import FixtureSite
from checker.linkedin.browser import (
    BROWSER_ENV,
    BrowserSource,
    find_browser,
    launched_browser,
    lean_args,
    running_playwright,
)
from checker.linkedin.locate import Site
from checker.linkedin.rules import load_rules
from tests.conftest import run_python
from tests.secret_service import session_bus


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


SITE = Site(origin="https://www.linkedin.com", rules=load_rules(), timeout_ms=5000)


def test_an_unattended_run_leaves_out_what_the_rules_say_a_check_never_loads() -> None:
    source = BrowserSource.unattended(SITE, path=None, endpoint=None)
    assert source.lean == SITE.rules.load
    assert "--blink-settings=imagesEnabled=false" in lean_args(source.lean)


def test_a_window_shows_the_pages_whole() -> None:
    assert BrowserSource.unattended(SITE, path=None, endpoint=None, headed=True).lean is None
    person = BrowserSource.for_person("/usr/bin/chromium")
    assert (person.headed, person.lean, person.endpoint, person.path) == (
        True,
        None,
        None,
        "/usr/bin/chromium",
    )


@pytest.mark.parametrize(
    ("endpoint", "local"),
    [
        (None, True),
        ("ws://127.0.0.1:3000/", True),
        ("http://localhost:9222", True),
        ("wss://pool.example", False),
    ],
)
def test_a_browser_on_this_machine_is_one_launched_here_or_a_pool_on_loopback(
    endpoint: str | None, local: bool
) -> None:
    assert BrowserSource.unattended(SITE, path=None, endpoint=endpoint).local is local


@pytest.mark.parametrize("module", ["checker.linkedin.browser", "checker.browser"])
def test_python_m_browser_names_the_browser_it_starts_at_its_new_address_and_its_old_one(module: str) -> None:
    # scripts/ensure-browser runs the new one; scripts written before the tool's folders, the old.
    done = run_python("-m", module)
    assert done.returncode == 0, done.stderr
    assert ", Chromium " in done.stdout


async def _opened(source: BrowserSource) -> Browser:
    async with source.opened(30_000) as browser:
        return browser


def test_runs_in_one_process_share_a_kept_browser_and_a_closed_one_is_started_again(tmp_path: Path) -> None:
    """The suite holds checker.core.loop.one_loop and keeping_browsers (tests/conftest.py)."""
    first = loop.run(_opened(BrowserSource()))
    assert loop.run(_opened(BrowserSource())) is first
    assert first.is_connected()

    loop.run(first.close())
    again = loop.run(_opened(BrowserSource()))
    assert again is not first
    assert again.is_connected()


def test_another_binary_or_other_flags_get_a_browser_of_their_own(tmp_path: Path) -> None:
    kept = loop.run(_opened(BrowserSource()))
    same_binary = tmp_path / "chromium"
    same_binary.symlink_to(loop.run(_chosen_path()))

    other = loop.run(_opened(BrowserSource(path=str(same_binary))))
    assert other is not kept
    assert loop.run(_opened(BrowserSource(path=str(same_binary)))) is other
    lean = loop.run(_opened(BrowserSource(lean=load_rules().load)))
    assert lean not in (kept, other)
    assert all(browser.is_connected() for browser in (kept, other, lean))


async def _chosen_path() -> str:
    async with running_playwright() as playwright:
        return find_browser(playwright.chromium, os.environ.get(BROWSER_ENV)).path


@pytest.fixture
def desktop_bus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[subprocess.Popen[bytes]]:
    """A session bus of the test's own, set in the environment as a desktop session sets it."""
    bus, address = session_bus(tmp_path)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    yield bus
    bus.terminate()
    bus.wait()


def _connected_to(address: str) -> list[str]:
    """The unique names on the bus at `address` besides the one asking."""
    listed = subprocess.run(
        [
            "dbus-send",
            f"--bus={address}",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/",
            "org.freedesktop.DBus.ListNames",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    names = re.findall(r'string "(:[\d.]+)"', listed.stdout)
    return names[:-1] if names else []  # the asker is the newest


async def test_a_browser_with_no_window_holds_no_desktop_bus_and_outlives_it(
    desktop_bus: subprocess.Popen[bytes], site: FixtureSite
) -> None:
    # Chromium ends when the session bus it holds ends (a desktop logging out during a scheduled run).
    address = os.environ["DBUS_SESSION_BUS_ADDRESS"]
    async with running_playwright() as playwright:
        choice = find_browser(playwright.chromium, os.environ.get(BROWSER_ENV))
        async with launched_browser(playwright, choice) as browser:
            page = await browser.new_page()
            await page.goto(f"{site.base_url}/login")
            assert _connected_to(address) == []
            desktop_bus.terminate()
            desktop_bus.wait()
            await page.goto(f"{site.base_url}/login?after=the-bus")
            assert browser.is_connected()
    assert [r.path for r in site.received if r.path.startswith("/login")] == [
        "/login",
        "/login?after=the-bus",
    ]
