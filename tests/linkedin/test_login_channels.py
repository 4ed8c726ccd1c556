"""Every channel a login page's own script could send the password by, tried and refused.

Each trap (see checker/fixture_site/traps.py) is first shown to hand the password to a second
fixture site when a naive driver signs in (fill, click), so the test proves the channel is real;
then the tool signs in on the same page: the check ends `error` saying which channel tried, and
the other origin receives nothing at all: no request, no message, not even a connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import pytest
from playwright.async_api import Browser
from playwright.async_api import Error as PlaywrightError

from checker.fixture_site import Account, FixtureSite, urls
from tests.conftest import Cli, check_args

PASSWORD = "correct horse battery staple"  # the member fixture's

# trap -> how the check's detail names the channel, and whether the password was typed by then
CHANNELS = {
    "script_sends_password": ("a request", True),
    "websocket_sends_password": ("a WebSocket", False),  # refused as the page opened it
    "websocket_url_carries_password": ("a WebSocket", True),
    "beacon_on_change": ("a beacon", True),
    "beacon_on_pagehide": ("as the login page unloaded", True),
    "keepalive_on_pagehide": ("as the login page unloaded", True),
    "prefetch_carries_password": ("a prefetch", True),
    "window_open_with_password": ("a new window", True),
    "location_with_password": ("navigate", True),
    # An unattended check loads no images at all ([load] images = false in selectors/linkedin.toml):
    # the page's image is never even requested, so there is nothing to refuse.
    "image_carries_password": (None, True),
}


@pytest.fixture
def elsewhere() -> Iterator[FixtureSite]:
    """The other origin: a second fixture site whose collector keeps what it is sent."""
    with FixtureSite() as other:
        yield other


def leaked(elsewhere: FixtureSite) -> bool:
    return any(PASSWORD in text for text in elsewhere.collected)


async def sign_in_naively(browser: Browser, site: FixtureSite, elsewhere: FixtureSite, trap: str) -> None:
    """What a script without a guard does: open the login page, fill, click; then wait (5 s at
    most) for what the trap sends, which may leave after the click, as the page unloads."""
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.goto(site.base_url + urls.LOGIN)
        await page.fill("#username", "member@example.com")
        await page.fill("#password", PASSWORD)
        with contextlib.suppress(PlaywrightError):  # a trap may have taken the page away already
            await page.click("button[type=submit]", timeout=2000)
        for _ in range(50):
            if leaked(elsewhere):
                return
            await asyncio.sleep(0.1)
    finally:
        await context.close()


@pytest.mark.parametrize("trap", sorted(CHANNELS))
async def test_each_channel_leaks_the_password_from_a_naive_driver(
    browser: Browser, site: FixtureSite, member: Account, elsewhere: FixtureSite, trap: str
) -> None:
    site.login_trap = trap
    site.trap_origin = elsewhere.base_url
    await sign_in_naively(browser, site, elsewhere, trap)
    assert leaked(elsewhere), (elsewhere.received, elsewhere.collected, elsewhere.connections)


@pytest.mark.parametrize(("trap", "expected"), sorted(CHANNELS.items()))
def test_the_tool_refuses_each_channel_and_the_other_origin_receives_nothing(
    cli: Cli,
    site: FixtureSite,
    member: Account,
    elsewhere: FixtureSite,
    trap: str,
    expected: tuple[str | None, bool],
) -> None:
    site.login_trap = trap
    site.trap_origin = elsewhere.base_url
    code, document = cli.json(*check_args(site, "--apply"))
    [result] = document["results"]
    assert (elsewhere.received, elsewhere.collected, elsewhere.connections) == ([], [], 0)
    channel, typed = expected
    if channel is None:
        assert (code, result["outcome"]) == (0, "fixed"), result
        return
    assert (code, result["outcome"]) == (4, "error"), result
    assert result["detail"].startswith("stopped signing in: "), result["detail"]
    assert channel in result["detail"]
    assert elsewhere.base_url.removeprefix("http://") in result["detail"]
    ending = "nothing could reach another host from then on" if typed else "the password was not typed"
    assert result["detail"].endswith(ending)
    assert site.setting_changes == []
