"""Finding and launching a Chromium, and the one factory for browser contexts.

Order of preference: the path the user names; Playwright's own installed Chromium; an installed
Chrome or Chromium (a headless-shell build first when running headless: it is lighter).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, BrowserType, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError

from checker.errors import BrowserNotFound, CheckerError

BROWSER_ENV = "LINKEDIN_AI_OPTOUT_BROWSER"

# Without these Chromium keeps calling Google's services in the background.
LAUNCH_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

_HEADLESS_SHELLS = ["chromium-headless-shell", "chrome-headless-shell"]
_SYSTEM_BROWSERS = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"]
_SYSTEM_PATHS = {
    "darwin": [
        "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
        "/Applications/Chromium.app/Contents/MacOS/Chromium",
    ],
    "win32": [
        r"C:\Program Files\Google\Chrome\Application\chrome.exe",
        r"C:\Program Files (x86)\Google\Chrome\Application\chrome.exe",
    ],
}


@dataclass(frozen=True)
class BrowserChoice:
    """The browser binary the tool will drive, and how it was found."""

    path: str
    source: str


def find_browser(
    chromium: BrowserType, explicit: str | None = None, *, headed: bool = False
) -> BrowserChoice:
    """Choose a browser binary, or raise BrowserNotFound saying how to get one."""
    if explicit:
        path = Path(explicit).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise BrowserNotFound(f"browser not found or not executable: {explicit}")
        return BrowserChoice(str(path), "--browser-path")
    bundled = chromium.executable_path
    if bundled and Path(bundled).is_file():
        return BrowserChoice(bundled, "playwright")
    names = _SYSTEM_BROWSERS if headed else _HEADLESS_SHELLS + _SYSTEM_BROWSERS
    for name in names:
        found = shutil.which(name)
        if found:
            return BrowserChoice(found, "system")
    for candidate in _SYSTEM_PATHS.get(sys.platform, []):
        if Path(candidate).is_file():
            return BrowserChoice(candidate, "system")
    raise BrowserNotFound(
        "no Chromium or Chrome found: run `playwright install chromium`, install your system's "
        "chromium package, or name one with --browser-path"
    )


@asynccontextmanager
async def running_playwright() -> AsyncIterator[Playwright]:
    async with async_playwright() as playwright:
        yield playwright


@asynccontextmanager
async def launched_browser(
    playwright: Playwright, choice: BrowserChoice, *, headed: bool = False
) -> AsyncIterator[Browser]:
    try:
        browser = await playwright.chromium.launch(
            executable_path=choice.path, headless=not headed, args=LAUNCH_ARGS
        )
    except PlaywrightError as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise CheckerError(f"could not start the browser {choice.path}: {reason}") from None
    try:
        yield browser
    finally:
        await browser.close()


@asynccontextmanager
async def new_context(
    browser: Browser, *, storage_state: dict[str, Any] | None, timeout_ms: float
) -> AsyncIterator[BrowserContext]:
    """A fresh, isolated browser context, optionally carrying a saved session; always closed."""
    context = await browser.new_context(
        storage_state=storage_state,  # type: ignore[arg-type]
        viewport={"width": 1280, "height": 900},
        # A service worker's requests would bypass the routing that guards the password.
        service_workers="block",
    )
    context.set_default_timeout(timeout_ms)
    context.set_default_navigation_timeout(timeout_ms * 3)
    try:
        yield context
    finally:
        await context.close()


async def describe_browser(explicit: str | None = None) -> str:
    """Start the browser the tool would use and say which it is; raise CheckerError when none starts."""
    async with running_playwright() as playwright:
        choice = find_browser(playwright.chromium, explicit)
        async with launched_browser(playwright, choice) as browser:
            return f"{choice.path} ({choice.source}), Chromium {browser.version}"


if __name__ == "__main__":
    # `python -m checker.browser`: the browser the tool would use; exit 0 only when it starts.
    import asyncio

    try:
        print(asyncio.run(describe_browser(os.environ.get(BROWSER_ENV))))
    except CheckerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(int(exc.exit_code))
