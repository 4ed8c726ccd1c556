"""The fixture site's client-side parts in a real Chromium: delayed rendering, switch, login scripts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.async_api import Page, expect

from checker.fixture_site import Account, FixtureSite, LoginAttempt, SettingChange

EMAIL = "alice.example@example.com"
PASSWORD = "correct horse"
SETTING = "/mypreferences/d/settings/data-for-ai-improvement"
SAVE = "/mysettings-api/settingsApiSettings/allowDataForGenerativeAI"
SWITCH_LABEL = "Use my data for training content creation AI models"


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    with FixtureSite() as running:
        running.add_account(Account(email=EMAIL, password=PASSWORD))
        yield running


async def fill_login(page: Page) -> None:
    await page.get_by_label("Email or phone").fill(EMAIL)
    await page.get_by_label("Password").fill(PASSWORD)


async def sign_in(page: Page, site: FixtureSite) -> None:
    await page.goto(f"{site.base_url}/login")
    await fill_login(page)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/feed/")


async def test_settings_render_after_the_delay_and_then_show_the_switch(
    site: FixtureSite, page: Page
) -> None:
    site.account(EMAIL).render_delay_ms = 800
    await sign_in(page, site)
    await page.goto(site.base_url + SETTING)
    main = page.locator("main#main")
    assert await page.get_by_role("switch").count() == 0
    assert await main.get_attribute("aria-busy") is None  # LinkedIn marks nothing as rendered
    await expect(page.get_by_role("switch", name=SWITCH_LABEL)).to_be_checked()
    assert await page.locator("#main ._switchCheckbox_12ycew[role=switch]").count() == 1


async def test_clicking_the_switch_saves_the_new_state(site: FixtureSite, page: Page) -> None:
    await sign_in(page, site)
    await page.goto(site.base_url + SETTING)
    switch = page.get_by_role("switch", name=SWITCH_LABEL)
    async with page.expect_response(f"**{SAVE}") as saved:
        await switch.click()
    assert (await saved.value).ok
    await expect(switch).not_to_be_checked()
    assert site.account(EMAIL).ai_training is False
    assert site.setting_changes == [SettingChange(EMAIL, enabled=False, accepted=True)]
    await page.reload()
    await expect(switch).not_to_be_checked()


async def test_the_switch_saves_with_a_put_after_a_click_beacon_and_a_reload_aborts_it(
    site: FixtureSite, page: Page
) -> None:
    await sign_in(page, site)
    await page.goto(site.base_url + SETTING)
    switch = page.get_by_role("switch", name=SWITCH_LABEL)
    async with page.expect_request(f"**{SAVE}") as sent:
        await switch.click()
    assert (await sent.value).method == "PUT"
    await page.reload()  # before the site answered: the browser drops the request
    await expect(page.get_by_role("switch", name=SWITCH_LABEL)).to_be_checked()
    assert site.account(EMAIL).ai_training is True
    assert site.setting_changes == [SettingChange(EMAIL, enabled=False, accepted=False, aborted=True)]
    assert [r.method for r in site.received if r.path == "/li/track"][:1] == ["POST"]


async def test_a_failing_toggle_snaps_back_and_shows_an_alert(site: FixtureSite, page: Page) -> None:
    site.account(EMAIL).toggle_fails = True
    await sign_in(page, site)
    await page.goto(site.base_url + SETTING)
    switch = page.get_by_role("switch", name=SWITCH_LABEL)
    await switch.click()
    await expect(page.get_by_role("alert")).to_have_text("Something went wrong. Please try again later.")
    await expect(switch).to_be_checked()
    assert site.account(EMAIL).ai_training is True
    assert site.setting_changes == [SettingChange(EMAIL, enabled=False, accepted=False)]


async def test_the_changed_toggle_switches_through_the_same_api(site: FixtureSite, page: Page) -> None:
    site.account(EMAIL).markup = "changed"
    await sign_in(page, site)
    await page.goto(site.base_url + SETTING)
    toggle = page.locator(".toggle-v3")
    await expect(toggle).to_have_attribute("data-state", "on")
    async with page.expect_response(f"**{SAVE}"):
        await toggle.click()
    await expect(toggle).to_have_attribute("data-state", "off")
    assert site.setting_changes == [SettingChange(EMAIL, enabled=False, accepted=True)]


@pytest.mark.parametrize("submit", ["click", "Enter"])
async def test_the_redesigned_login_signs_in_without_a_form(
    site: FixtureSite, page: Page, submit: str
) -> None:
    site.login_variant = "redesign"
    await page.goto(f"{site.base_url}/feed/")
    await fill_login(page)
    if submit == "click":
        await page.get_by_role("button", name="Sign in", exact=True).click()
    else:
        await page.get_by_label("Password").press("Enter")
    await page.wait_for_url("**/feed/")
    assert site.login_attempts == [LoginAttempt(EMAIL, correct=True, host=f"127.0.0.1:{site.port}")]


async def test_the_me_menu_opens_on_click_and_leads_to_the_settings(site: FixtureSite, page: Page) -> None:
    await sign_in(page, site)
    settings = page.get_by_role("link", name="Settings & Privacy")
    await expect(settings).to_be_hidden()
    await page.get_by_role("button", name="Me").click()
    await settings.click()
    await page.wait_for_url("**/mypreferences/d/categories/account")
    await expect(page.get_by_role("heading", name="Account preferences")).to_be_visible()


async def test_the_remember_me_chooser_leads_to_the_password_form(site: FixtureSite, page: Page) -> None:
    await sign_in(page, site)
    site.expire_sessions(EMAIL)
    await page.goto(f"{site.base_url}/feed/")
    await page.get_by_role("button", name="Alice Example").click()
    await expect(page.get_by_label("Email or phone")).to_have_value(EMAIL)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/feed/")
    assert site.password_submissions(EMAIL) == 2
