"""The switch itself: reading it, and switching it off with a verification after a reload.

A click is never taken as success; only what the page shows after a reload is.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, Response
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from checker.core.logs import get_logger
from checker.core.outcome import CheckFailed, Outcome, SwitchState
from checker.linkedin.locate import Found, Site, find, reload_page

log = get_logger()


async def read_switch_state(switch: Found) -> SwitchState:
    """ON or OFF as the page shows it; raise ui_changed when the element is not a switch."""
    try:
        checked = await switch.locator.is_checked()
    except PlaywrightError:
        raise CheckFailed(
            Outcome.UI_CHANGED, "the element found for the setting does not behave as a switch"
        ) from None
    log.info("switch read", state="on" if checked else "off", layer=switch.layer)
    return SwitchState.ON if checked else SwitchState.OFF


async def switch_off(page: Page, site: Site, name: str, switch: Found) -> int | None:
    """Click the switch of the setting `name` and wait for the site's answer to this setting's own
    save; return its HTTP status, or None when no such save was seen in time. A reload before the
    answer would abort the save, and the page's tracking beacons are no answer at all."""
    save = site.rules.catalog[name].save

    def is_the_save(response: Response) -> bool:
        request = response.request
        if not site.owns(response.url):
            return False
        if save is None:  # no source names it: the page's first write, its beacons ("ping") aside
            return request.method in _WRITES and request.resource_type in ("fetch", "xhr")
        return request.method == save.method and _path(response.url) == save.path

    try:
        async with page.expect_response(is_the_save, timeout=site.timeout_ms) as saved:
            await switch.locator.click()
        response = await saved.value
    except PlaywrightTimeoutError:
        expected = f"{save.method} {save.path}" if save else "any request the page sends"
        log.warning("no save request seen after the click", expected=expected)
        return None
    log.info(
        "setting saved by the site" if response.ok else "site refused the change", status=response.status
    )
    return response.status


async def reread_after_reload(page: Page, site: Site, name: str) -> tuple[SwitchState, Found]:
    """Reload the page of the setting `name` (a passing 5xx or 429 is tried again) and return what
    its switch shows now, with the switch."""
    await reload_page(page, site)
    reread = await find(page, site, f"{name}.switch")
    if reread is None:
        raise CheckFailed(Outcome.UI_CHANGED, "after the reload the switch is gone")
    return await read_switch_state(reread), reread


_WRITES = frozenset({"PUT", "POST", "PATCH"})


def _path(url: str) -> str:
    return urlsplit(url).path
