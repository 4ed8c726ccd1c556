"""Browsers kept open from one run to the next, for a process that runs the tool many times (the
test suite), which would otherwise start Node and Chromium for each: see `keeping_browsers`.
checker/linkedin/browser.py asks `held()` for them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field

from playwright.async_api import Browser, Playwright, async_playwright


@dataclass
class KeptBrowsers:
    """The Playwright driver, and a headless browser for each binary and set of flags asked for, kept
    open from one run to the next on `loop`: see keeping_browsers."""

    loop: asyncio.AbstractEventLoop
    playwright: Playwright | None = None
    browsers: dict[tuple[str, ...], Browser] = field(default_factory=dict)

    @asynccontextmanager
    async def driver(self) -> AsyncIterator[Playwright]:
        if self.playwright is None:
            self.playwright = await async_playwright().start()
        yield self.playwright

    async def browser(self, path: str, args: list[str], launch: Callable[[], Awaitable[Browser]]) -> Browser:
        """The browser kept for `path` and `args`, launched with `launch` when there is none yet or it
        was closed."""
        key = (path, *args)
        browser = self.browsers.get(key)
        if browser is None or not browser.is_connected():
            browser = self.browsers[key] = await launch()
        return browser

    async def close(self) -> None:
        for browser in self.browsers.values():
            await browser.close()
        if self.playwright is not None:
            await self.playwright.stop()


_kept: KeptBrowsers | None = None


def held() -> KeptBrowsers | None:
    """The browsers kept for the running loop, if `keeping_browsers` is in effect for it."""
    return _kept if _kept is not None and _kept.loop is asyncio.get_running_loop() else None


@contextmanager
def keeping_browsers(runner: asyncio.Runner) -> Iterator[None]:
    """Inside, every run on `runner`'s loop (checker.core.loop.one_loop) shares one Playwright driver,
    and a headless browser it launches stays open for the next run that asks for the same binary and
    flags; each account still gets a fresh context of its own. All closed at the end. A browser with
    a window, or a pool's, is never kept."""
    global _kept
    if _kept is not None:
        raise RuntimeError("keeping_browsers is already in effect")
    kept = _kept = KeptBrowsers(runner.get_loop())
    try:
        yield
    finally:
        _kept = None
        runner.run(kept.close())
