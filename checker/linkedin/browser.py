"""How a run gets its browser, and the contexts it hands out: the one place that decides both.

`BrowserSource` is what `check`, `record`, `accounts login` and `doctor` ask for a browser: one
launched here (the lean flags of the rules when nobody watches, a window when a person is there),
or one of an existing pool (`--browser-endpoint`). It hands out one context per account, which
reaches only the site's own hosts (egress.py).

Which binary is launched, in order of preference: the path the user names; Playwright's own
installed Chromium; an installed Chrome or Chromium (a headless-shell build first when running
headless: it is lighter).
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Browser, BrowserContext, BrowserType, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError

from checker.core.errors import BrowserNotFound, CheckerError
from checker.core.logs import get_logger
from checker.core.redact import first_line
from checker.core.urls import is_loopback, mask_endpoint
from checker.linkedin import kept_browsers
from checker.linkedin.egress import EgressGate, egress_gate
from checker.linkedin.locate import Site
from checker.linkedin.rules import Load

log = get_logger()

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
        f"no Chromium or Chrome found: run `{install_command()}`, install your system's chromium "
        "package (Debian/Ubuntu: chromium), or name one with --browser-path"
    )


def install_command() -> str:
    """The command that installs Playwright's Chromium for this very installation of the tool: a
    venv or pipx install puts no `playwright` on PATH, but its interpreter always has the module."""
    return f"{shlex.quote(sys.executable)} -m playwright install chromium"


@asynccontextmanager
async def running_playwright() -> AsyncIterator[Playwright]:
    async with async_playwright() as playwright:
        yield playwright


@asynccontextmanager
async def connected_browser(
    playwright: Playwright, endpoint: str, timeout_ms: float
) -> AsyncIterator[Browser]:
    """A browser of an existing pool, always let go of: `ws://` or `wss://` speaks Playwright's own
    protocol (`playwright run-server`, Browserless' Playwright endpoint); `http://` or `https://` is
    a Chrome DevTools endpoint (Browserless, a Chrome started with --remote-debugging-port).
    CheckerError (exit 4) naming the endpoint when it does not answer."""
    shown = mask_endpoint(endpoint)
    try:
        if endpoint.startswith(("ws://", "wss://")):
            browser = await playwright.chromium.connect(endpoint, timeout=timeout_ms)
        else:
            browser = await playwright.chromium.connect_over_cdp(endpoint, timeout=timeout_ms)
    except PlaywrightError as exc:
        raise CheckerError(f"could not connect to the browser at {shown}: {first_line(exc)}") from None
    try:
        yield browser
    finally:
        await browser.close()


def is_local_endpoint(endpoint: str | None) -> bool:
    """Whether the browser runs on this machine: launched here, or a pool on a loopback address."""
    return endpoint is None or is_loopback(urlsplit(endpoint).hostname or "")


@asynccontextmanager
async def launched_browser(
    playwright: Playwright, choice: BrowserChoice, *, headed: bool = False, lean: Load | None = None
) -> AsyncIterator[Browser]:
    """The browser, always closed. `lean`: what an unattended check never loads (see [load] in
    selectors/linkedin.toml), left out by the browser itself: images not fetched, the trackers'
    hosts not resolved. Launch flags, not request routing: Playwright turns a context's HTTP cache
    off while it routes requests, and every settings page would fetch the settings app again."""
    browser = await _launch(playwright, choice, headed=headed, args=lean_args(lean))
    try:
        yield browser
    finally:
        await browser.close()


def _environment(*, headed: bool) -> dict[str, str | float | bool]:
    """This process's environment as it is now ($DISPLAY for one), not as it was when the driver
    started: a kept driver (kept_browsers.py) started before. A browser with no window gets no
    desktop bus: it needs none, and Chromium ends when the bus it holds ends (a desktop session
    logging out during a scheduled run), taking the account in progress with it."""
    environment: dict[str, str | float | bool] = dict(os.environ)
    if not headed:
        environment["DBUS_SESSION_BUS_ADDRESS"] = "disabled:"
    return environment


async def _launch(playwright: Playwright, choice: BrowserChoice, *, headed: bool, args: list[str]) -> Browser:
    """The browser started, or CheckerError saying in one line why not."""
    if headed and not display_available():
        raise CheckerError(
            "--headed needs a display, and none is set ($DISPLAY and $WAYLAND_DISPLAY are empty): "
            "run without --headed, or under xvfb-run"
        )
    try:
        return await playwright.chromium.launch(
            executable_path=choice.path,
            headless=not headed,
            args=[*LAUNCH_ARGS, *args],
            env=_environment(headed=headed),
            # Ctrl-C and SIGTERM are the tool's to handle (checker/run/interrupts.py): the browser
            # must stay up until the account in progress is recorded.
            handle_sigint=False,
            handle_sigterm=False,
            handle_sighup=False,
        )
    except PlaywrightError as exc:
        raise CheckerError(_launch_failure(choice.path, str(exc))) from None


def lean_args(lean: Load | None) -> list[str]:
    """The launch flags that keep the browser from loading what `lean` says a check never needs."""
    if lean is None:
        return []
    args = [] if lean.images else ["--blink-settings=imagesEnabled=false"]
    if lean.unresolved_hosts:
        rules = ", ".join(f"MAP {host} ~NOTFOUND" for host in lean.unresolved_hosts)
        args.append(f"--host-resolver-rules={rules}")
    return args


def display_available() -> bool:
    """Whether a window can be shown: on Linux, only with an X or Wayland display."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


# "[pid=123][err] " before each line the browser wrote on stderr, and Chromium's own log prefix.
_BROWSER_STDERR = re.compile(r"\[pid=\d+\]\[err\] (?:\[[\d:/.]+:\w+:[^\]]*\] )?(.*)")


def _launch_failure(path: str, error: str) -> str:
    """One line saying why the browser did not start, from Playwright's launch error."""
    lines = error.strip().splitlines()
    if "has been closed" not in (lines[0] if lines else ""):
        return f"could not start the browser {path}: {lines[0] if lines else 'no reason given'}"
    said = [match.group(1).strip() for line in lines if (match := _BROWSER_STDERR.search(line))]
    said = [line for line in said if line]
    if not said:
        return f"the browser {path} exited as soon as it started, saying nothing: is it Chromium or Chrome?"
    return f"the browser {path} exited as soon as it started; it said: {said[0]}"


@asynccontextmanager
async def new_context(
    browser: Browser,
    *,
    storage_state: dict[str, Any] | None,
    timeout_ms: float,
    record_har_path: Path | None = None,
    egress: EgressGate | None = None,
) -> AsyncIterator[BrowserContext]:
    """A fresh, isolated browser context, optionally carrying a saved session; always closed.
    With `record_har_path`, every request and response, bodies included, is written there as a
    HAR when the context closes (for `record`: the file holds secrets until it is scrubbed).
    With `egress`, the context reaches only the hosts the gate allows (see egress.py)."""
    context = await browser.new_context(
        proxy=egress.proxy if egress is not None else None,
        storage_state=storage_state,  # type: ignore[arg-type]
        viewport={"width": 1280, "height": 900},
        # A service worker's requests would bypass the routing that guards the password.
        service_workers="block",
        record_har_path=record_har_path,
        record_har_content="embed" if record_har_path else None,
    )
    context.set_default_timeout(timeout_ms)
    context.set_default_navigation_timeout(timeout_ms * 3)
    try:
        if egress is not None:
            await egress.attach(context)
        yield context
    finally:
        await context.close()


@dataclass(frozen=True)
class BrowserSource:
    """How a run gets its browser: launched here from `path` (else found, see find_browser), with
    a window when `headed` and without what `lean` leaves out; or the pool's at `endpoint`."""

    path: str | None = None
    endpoint: str | None = None
    headed: bool = False
    lean: Load | None = None

    @classmethod
    def unattended(
        cls, site: Site, *, path: str | None, endpoint: str | None, headed: bool = False
    ) -> BrowserSource:
        """For `check` and `record`: lean, unless a window is shown (a person may sign in in it, and
        sees the pages whole). A pool's browser shows no window here: the command refuses both."""
        return cls(path=path, endpoint=endpoint, headed=headed, lean=None if headed else site.rules.load)

    @classmethod
    def for_person(cls, path: str | None) -> BrowserSource:
        """For `accounts login`: a window on this machine, the pages whole, for a person to sign in."""
        return cls(path=path, headed=True)

    @property
    def local(self) -> bool:
        """Whether the browser runs on this machine, so that it can reach this machine's loopback."""
        return is_local_endpoint(self.endpoint)

    @asynccontextmanager
    async def opened(self, timeout_ms: float) -> AsyncIterator[Browser]:
        """The browser, with Playwright's driver, both always let go of; `timeout_ms` bounds the wait
        for a pool's answer. CheckerError when it cannot be had."""
        async with self._opened(timeout_ms) as (browser, choice):
            if choice is None:
                log.info("browser connected", endpoint=self._shown_endpoint, version=browser.version)
            else:
                log.info("browser started", path=choice.path, source=choice.source, version=browser.version)
            yield browser

    @asynccontextmanager
    async def opening(self, timeout_ms: float) -> AsyncIterator[asyncio.Future[Browser]]:
        """`opened`, begun at once and awaited when wanted: Playwright's driver and the browser
        start while the caller does other work (a check prepares its stores meanwhile). Always let
        go of, however far it got; a failure to open is raised where the future is awaited."""
        stack = AsyncExitStack()
        before = asyncio.all_tasks()
        task = asyncio.ensure_future(stack.enter_async_context(self.opened(timeout_ms)))
        try:
            yield task
        finally:
            # Let an opening the caller did not wait for end by itself (it fails at once when a
            # Ctrl-C ended the driver): one cut short leaves Playwright's own futures unawaited.
            await asyncio.wait([task], timeout=timeout_ms / 1000)
            if not task.done():
                task.cancel()
                await asyncio.wait([task])
            if not task.cancelled() and task.exception() is None:
                await stack.aclose()
            else:
                # The tasks the opening started (the driver's) see its end: a loop that closes
                # first leaves the driver's process unwaited for, and Python warns as it exits.
                started = asyncio.all_tasks() - before - {asyncio.current_task()}
                if started:
                    await asyncio.wait(started, timeout=5)

    async def describe(self, timeout_ms: float = 30_000) -> str:
        """Get the browser and say which it is, "PATH (SOURCE), Chromium VERSION"; CheckerError when
        it cannot be had."""
        async with self._opened(timeout_ms) as (browser, choice):
            if choice is None:
                return f"{self._shown_endpoint} (--browser-endpoint), Chromium {browser.version}"
            return f"{choice.path} ({choice.source}), Chromium {browser.version}"

    @asynccontextmanager
    async def _opened(self, timeout_ms: float) -> AsyncIterator[tuple[Browser, BrowserChoice | None]]:
        """The browser, and the binary launched (None for a pool's browser)."""
        kept = kept_browsers.held()
        async with running_playwright() if kept is None else kept.driver() as playwright:
            if self.endpoint is not None:
                async with connected_browser(playwright, self.endpoint, timeout_ms) as browser:
                    yield browser, None
                return
            choice = find_browser(playwright.chromium, self.path, headed=self.headed)
            if kept is not None and not self.headed:
                args = lean_args(self.lean)
                yield (
                    await kept.browser(
                        choice.path, args, lambda: _launch(playwright, choice, headed=False, args=args)
                    ),
                    choice,
                )
                return
            async with launched_browser(playwright, choice, headed=self.headed, lean=self.lean) as browser:
                yield browser, choice

    @property
    def _shown_endpoint(self) -> str:
        return mask_endpoint(self.endpoint or "")

    @asynccontextmanager
    async def account_context(
        self,
        browser: Browser,
        site: Site,
        *,
        saved: dict[str, Any] | None,
        discard: Callable[[str], None],
        record_har_path: Path | None = None,
    ) -> AsyncIterator[tuple[BrowserContext, EgressGate]]:
        """One account's context, always closed, and the gate that keeps it to the site's own hosts
        (egress.py; it listens only for a browser on this machine, which alone can reach it). It
        carries the `saved` session, or none when the browser refuses it: `discard` is told why.
        `record_har_path`: see new_context."""
        async with (
            egress_gate(site.origin, site.rules.load.reachable_hosts, listen=self.local) as egress,
            AsyncExitStack() as closing,  # closing the context writes its HAR
        ):

            def fresh(state: dict[str, Any] | None) -> AbstractAsyncContextManager[BrowserContext]:
                return new_context(
                    browser,
                    storage_state=state,
                    timeout_ms=site.timeout_ms,
                    record_har_path=record_har_path,
                    egress=egress,
                )

            try:
                context = await closing.enter_async_context(fresh(saved))
            except PlaywrightError as exc:
                if saved is None:
                    raise
                discard(f"the browser refused it: {first_line(exc)}")
                context = await closing.enter_async_context(fresh(None))
            yield context, egress


if __name__ == "__main__":
    # `python -m checker.linkedin.browser`: the browser the tool would use; exit 0 only when it starts.
    try:
        print(asyncio.run(BrowserSource(path=os.environ.get(BROWSER_ENV)).describe()))
    except CheckerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(int(exc.exit_code))
