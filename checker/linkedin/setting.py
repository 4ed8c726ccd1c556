"""The switch itself: reading it, and switching it off with a verification after a reload.

A click is never taken as success; only what the page shows after a reload is.
"""

from __future__ import annotations

import structlog
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, Response
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from checker.linkedin.locate import Found, Site, find
from checker.outcome import CheckFailed, Outcome, SwitchState

log = structlog.get_logger()


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


async def switch_off(page: Page, site: Site, switch: Found) -> None:
    """Click the switch and wait for the site's answer to the save it sends (or the timeout)."""
    try:
        async with page.expect_response(_is_a_save, timeout=site.timeout_ms) as saved:
            await switch.locator.click()
        response = await saved.value
        log.info(
            "setting saved by the site" if response.ok else "site refused the change", status=response.status
        )
    except PlaywrightTimeoutError:
        # No save request seen: the reload below tells what the site kept.
        log.warning("no save request seen after the click")


async def reread_after_reload(page: Page, site: Site) -> SwitchState:
    """Reload the setting's page and return what the switch shows now."""
    await page.reload()
    reread = await find(page, site, "ai_switch")
    if reread is None:
        raise CheckFailed(Outcome.UI_CHANGED, "after the reload the switch is gone")
    return await read_switch_state(reread)


def _is_a_save(response: Response) -> bool:
    return response.request.method not in ("GET", "HEAD", "OPTIONS")
