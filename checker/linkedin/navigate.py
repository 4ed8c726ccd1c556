"""Reaching the setting the way a person does: Me -> Settings & Privacy -> Data privacy ->
Data for Generative AI Improvement; the setting's own URL when a step of that path is missing.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import structlog
from playwright.async_api import Page

from checker.linkedin.locate import Found, Site, find, find_any, open_page, present
from checker.outcome import CheckFailed, Outcome

log = structlog.get_logger()

_MENU_PATH = ["me_menu", "settings_link", "data_privacy_link", "privacy_page"]


async def open_setting(page: Page, site: Site) -> Found:
    """Bring the page to the setting and return its switch.

    Raise CheckFailed: not_applicable when the Data privacy page lists no such item and the
    setting's URL leads back to Data privacy; ui_changed when the pages are not recognised.
    """
    if not await _follow_menu(page, site):
        log.warning("menu path incomplete; opening the setting's URL", path=site.rules.paths.setting)
        await open_page(page, site, site.rules.paths.setting)
    if _path(page) != site.rules.paths.setting:
        if await find(page, site, "privacy_page") and not await _lists_setting(page, site):
            raise CheckFailed(
                Outcome.NOT_APPLICABLE,
                "LinkedIn does not offer this account the setting: Data privacy lists no "
                "'Data for Generative AI Improvement' and its page leads back to Data privacy",
            )
        raise CheckFailed(
            Outcome.UI_CHANGED, f"the setting's page led to {_path(page)}, which is not recognised"
        )
    switch = await find(page, site, "ai_switch")
    if switch is not None:
        return switch
    # Nothing marks a LinkedIn settings page as rendered: content the page shows is the sign.
    if not await present(page, site, "setting_page_content"):
        raise CheckFailed(Outcome.ERROR, f"timed out: the page at {_path(page)} never finished rendering")
    raise CheckFailed(
        Outcome.UI_CHANGED, f"the setting's page at {_path(page)} shows no switch the rules recognise"
    )


async def _follow_menu(page: Page, site: Site) -> bool:
    """Follow the menu to the setting's page; False at the first step that is missing."""
    for step in _MENU_PATH:
        found = await find(page, site, step)
        if found is None:
            log.warning("menu step missing", step=step, at=_path(page))
            return False
        if step != "privacy_page":
            await found.locator.click()
    if not await _lists_setting(page, site):
        log.info("Data privacy lists no generative-AI item")
        return False
    item = await find(page, site, "ai_setting_link")
    assert item is not None
    async with page.expect_navigation():
        await item.locator.click()
    return True


async def _lists_setting(page: Page, site: Site) -> bool:
    """Whether the Data privacy page lists the setting, decided only once the page has shown
    its items: LinkedIn renders them in the browser and marks nothing as done."""
    shown = await find_any(page, site, ["ai_setting_link", "privacy_item"])
    if shown is None:
        raise CheckFailed(Outcome.ERROR, f"timed out: the page at {_path(page)} never finished rendering")
    return shown.target == "ai_setting_link" or await present(page, site, "ai_setting_link")


def _path(page: Page) -> str:
    return urlsplit(page.url).path
