"""The fixture site's data-use settings besides the generative-AI one: hubs, pages, switches, saves,
and the weight of its pages (what a benchmark counts)."""

from __future__ import annotations

import html
import http.client
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from playwright.async_api import Page, expect

from checker.fixture_site import Account, FixtureSite, SettingChange
from checker.fixture_site.catalog import LATER, PAGES, SWITCHES

EMAIL = "alice.example@example.com"
PASSWORD = "correct horse"
RESTLI = {"x-restli-protocol-version": "2.0.0"}
PRIVACY = "/mypreferences/d/categories/privacy"
ADS = "/mypreferences/d/categories/ads"
PROMOTIONS = "/mypreferences/d/settings/linkedin-promotions"
MARKETING = "allowProfileAndActivityDataForMarketingAds"
TIPS = "tipsForUsingLinkedinViaEmail"
# Brave's 2026 list: the cookie page's switch is found by its id, not by aria-labelledby.
COOKIES = "nonEssentialCookieConsent"
COOKIES_PAGE = "/mypreferences/d/member-cookies"
SAVE = "/mysettings-api/settingsApiSettings/"

# page path, key, title on the hub, switch label: the table of the brief, in English.
# fmt: off
SETTINGS = [(f"/mypreferences/d/{path}", key, title, label) for path, key, title, label in [
    ("settings/policy-and-academic-research", "allowAnonymizedDataResearch",
     "Social, economic and workplace research", "Use my data for social, economic and workplace research"),
    ("settings/share-data-with-select-partners", "shareDataWithTrustedPartners",
     "Data sharing with affiliates and select partners",
     "Share my data with LinkedIn's affiliates and select partners"),
    ("settings/ads-beyond-linkedin", "allowLinkedInAudienceNetwork",
     "Ads beyond LinkedIn", "Allow LinkedIn to show me personalized ads off LinkedIn"),
    ("settings/ads-interactions-with-business", "allowUseOfThirdPartyData",
     "Interactions with businesses", "Use data businesses shared with LinkedIn to personalize my ads"),
    ("settings/ads-related-actions", "allowConversionTrackings",
     "Ad-related actions", "Use my ad-related actions to measure ads"),
    ("settings/ads-inferred-location", "allowIpToPersonalizeAds",
     "Inferred city location", "Use my inferred city location for ads"),
    ("interest-categories", "adsPrivacyAllowInterestsAndBehaviors",
     "Interests and traits", "Use my inferred interests and traits for ads"),
    ("settings/ads-by-age", "allowAdsByAge", "Age range", "Use my age range for ads"),
    ("settings/ads-by-gender", "allowAdsByGender", "Gender", "Use my inferred gender for ads"),
    ("settings/linkedin-promotions", MARKETING,
     "LinkedIn promotions", "Use my profile and activity data to personalize LinkedIn's marketing"),
]]
# fmt: on
ADS_KEYS = [key for path, key, _, _ in SETTINGS if "ads" in path or "interest" in path]
PRIVACY_KEYS = [key for _, key, _, _ in SETTINGS if key not in ADS_KEYS]
PATH_OF = {key: path for path, key, _, _ in SETTINGS}
LABEL_OF = {key: label for _, key, _, label in SETTINGS}


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    with FixtureSite() as running:
        # Saves answered at once: these tests are about what is saved, not how long it takes.
        running.add_account(Account(email=EMAIL, password=PASSWORD, save_delay_ms=0))
        yield running


# -- over plain HTTP ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


@dataclass
class Member:
    """Alice's cookie-keeping HTTP client; it never follows redirects."""

    site: FixtureSite
    cookies: dict[str, str] = field(default_factory=dict)

    def send(
        self, method: str, target: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Reply:
        all_headers = dict(headers or {})
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", self.site.port, timeout=10)
        try:
            connection.request(method, target, body, all_headers)
            response = connection.getresponse()
            reply = Reply(response.status, response.headers, response.read())
        finally:
            connection.close()
        for header in reply.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.coded_value
        return reply

    def text(self, target: str) -> str:
        return self.send("GET", target).body.decode()

    def save(self, key: str, value: object, body_key: str | None = None) -> int:
        """What LinkedIn's settings page sends for `key` (see settings.html); the answer's status."""
        urn, csrf = "urn:li:settingEntity:1", self.cookies["JSESSIONID"].strip('"')
        body = {"settingDisplayType": "TOGGLE", "entityUrn": urn, "key": body_key or key, "value": value}
        headers = {"Content-Type": "application/json", "csrf-token": csrf, **RESTLI}
        return self.send("PUT", SAVE + key, json.dumps({**body, "hasChild": False}).encode(), headers).status


@pytest.fixture
def member(site: FixtureSite) -> Member:
    client = Member(site)
    fields = urlencode({"session_key": EMAIL, "session_password": PASSWORD}).encode()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    client.send("POST", "/checkpoint/lg/login-submit", fields, form)
    assert "li_at" in client.cookies
    return client


def content(page: str) -> str:
    """What the page's script puts in place: its <template>."""
    found = re.search(r'<template id="settings-content">(.*)</template>', page, re.DOTALL)
    assert found, "no settings content in the page"
    return found.group(1)


def item(path: str, title: str, state: str) -> str:
    """A hub's item for a setting, as the AI one has always been."""
    span = f'<span class="settings-item__state">{state}</span>'
    return f'<a class="settings-item" href="{path}">{html.escape(title)} {span}</a>'


def test_every_key_of_the_brief_is_in_the_catalog_with_its_page() -> None:
    # ... and the setting LinkedIn has not added yet, which only tests add (site.new_setting).
    others = {"allowDataForGenerativeAI", TIPS, COOKIES, LATER.key}
    assert set(SWITCHES) == {key for _, key, _, _ in SETTINGS} | others
    assert {page.path: page.key for page in PAGES} == {
        **{path: key for path, key, _, _ in SETTINGS},
        "/mypreferences/d/settings/data-for-ai-improvement": "allowDataForGenerativeAI",
        COOKIES_PAGE: COOKIES,
    }
    assert [switch.key for switch in PAGES[-2].switches] == [MARKETING, TIPS]


def test_every_other_setting_is_on_by_default_and_read_the_same_way_as_the_ai_one() -> None:
    account = Account(email=EMAIL, password=PASSWORD, ai_training=False, settings={"allowAdsByAge": False})
    assert account.state("allowDataForGenerativeAI") is False
    assert account.state("allowAdsByAge") is False
    assert all(account.state(key) for key in [*PATH_OF, TIPS] if key != "allowAdsByAge")
    assert account.available("allowAdsByGender")


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"settings": {"allowAdsByAgeRange": False}}, "allowAdsByAgeRange"),
        ({"unavailable": frozenset({"allowMindReading"})}, "allowMindReading"),
        ({"settings": {"allowDataForGenerativeAI": False}}, "ai_training"),  # its own field
    ],
)
def test_an_account_with_an_unknown_setting_key_is_refused(fields: dict[str, object], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        Account(email=EMAIL, password=PASSWORD, **fields)  # type: ignore[arg-type]


def test_the_ads_hub_lists_the_ads_settings_with_their_state(site: FixtureSite, member: Member) -> None:
    site.account(EMAIL).settings["allowConversionTrackings"] = False
    page = member.text(ADS)
    assert "<title>Advertising data | LinkedIn</title>" in page
    assert f'<a href="{ADS}" aria-current="page">Advertising data</a>' in page
    listed = content(page)
    assert "<h1>Advertising data</h1>" in listed
    for path, key, title, _ in SETTINGS:
        state = "Off" if key == "allowConversionTrackings" else "On"
        assert (item(path, title, state) in listed) is (key in ADS_KEYS), key
    assert listed.count('class="settings-item"') == len(ADS_KEYS)


def test_the_privacy_hub_adds_its_other_settings_after_the_ai_one(site: FixtureSite, member: Member) -> None:
    site.account(EMAIL).settings[MARKETING] = False
    listed = content(member.text(PRIVACY))
    ai = item("/mypreferences/d/settings/data-for-ai-improvement", "Data for Generative AI Improvement", "On")
    others = [
        listed.index(item(path, title, "Off" if key == MARKETING else "On"))
        for path, key, title, _ in SETTINGS
        if key in PRIVACY_KEYS
    ]
    assert listed.index(ai) < min(others)
    assert others == sorted(others)
    assert listed.index(item(COOKIES_PAGE, "Cookie preferences", "On")) > max(others)
    assert listed.count('class="settings-item"') == 4 + len(PRIVACY_KEYS)  # manage, download, AI, cookies


@pytest.mark.parametrize(("path", "key", "title", "label"), SETTINGS, ids=[key for _, key, _, _ in SETTINGS])
def test_a_settings_page_has_its_switch_labelled_by_its_key(
    site: FixtureSite, member: Member, path: str, key: str, title: str, label: str
) -> None:
    site.account(EMAIL).settings[key] = False
    page = member.text(path)
    section = ADS if key in ADS_KEYS else PRIVACY
    assert f'<a href="{section}" aria-current="page">' in page
    switch = content(page)
    assert f"<h1>{html.escape(title)}</h1>" in switch
    assert f'<p id="{key}" class="_switchLabel_12ycew">{html.escape(label)}</p>' in switch
    row = (
        r'</p>\s*<h4 class="_switchDescription_12ycew">[^<]+</h4>\s*'
        rf'<input type="checkbox" role="switch" class="_switchCheckbox_12ycew" aria-labelledby="{key}">'
    )
    assert re.search(row, switch)
    state = json.loads(re.findall(r'id="settings-state">(.*?)</script>', page)[0])
    assert state["switches"][0] == {
        "key": key,
        "entityUrn": SWITCHES[key].entity_urn,
        "saveUrl": SAVE + key,
        "enabled": False,
        "error": "Something went wrong. Please try again later.",
    }


@pytest.mark.parametrize("key", [*PATH_OF, TIPS, "allowDataForGenerativeAI"])
def test_the_save_api_saves_every_key_and_records_it(site: FixtureSite, member: Member, key: str) -> None:
    assert member.save(key, False) == 200
    assert site.account(EMAIL).state(key) is False
    assert site.setting_changes == [SettingChange(EMAIL, False, True, key=key)]
    assert site.changes_of(key) == site.setting_changes
    others = [other for other in SWITCHES if other != key]
    assert all(site.account(EMAIL).state(other) for other in others)


def test_a_body_whose_key_differs_from_the_urls_is_refused(site: FixtureSite, member: Member) -> None:
    assert member.save("allowAdsByAge", False, body_key="allowAdsByGender") == 400
    assert member.save("allowAdsByAgeRange", False) == 404  # no such setting
    assert site.account(EMAIL).state("allowAdsByAge") is True
    assert site.account(EMAIL).state("allowAdsByGender") is True
    assert site.setting_changes == []


def test_a_failing_account_fails_every_save(site: FixtureSite, member: Member) -> None:
    site.account(EMAIL).toggle_fails = True
    keys = ("allowLinkedInAudienceNetwork", TIPS)
    assert [member.save(key, False) for key in keys] == [500, 500]
    assert [site.account(EMAIL).state(key) for key in keys] == [True, True]
    assert [(c.key, c.accepted) for c in site.setting_changes] == [(key, False) for key in keys]


def test_an_unavailable_setting_redirects_to_its_hub_is_not_listed_and_cannot_be_saved(
    site: FixtureSite, member: Member
) -> None:
    site.account(EMAIL).unavailable = frozenset({"allowAdsByGender", "shareDataWithTrustedPartners", TIPS})
    for key, hub in [("allowAdsByGender", ADS), ("shareDataWithTrustedPartners", PRIVACY)]:
        reply = member.send("GET", PATH_OF[key])
        assert (reply.status, reply.headers["Location"]) == (302, hub)
        assert PATH_OF[key] not in member.text(hub)
        assert member.save(key, False) == 404
        assert site.account(EMAIL).state(key) is True
    assert [(c.key, c.accepted) for c in site.setting_changes] == [
        ("allowAdsByGender", False),
        ("shareDataWithTrustedPartners", False),
    ]
    assert member.send("GET", PATH_OF["allowAdsByAge"]).status == 200
    # The email tips are not offered: the promotions page shows its own switch only.
    promotions = member.text(PROMOTIONS)
    assert TIPS not in promotions
    assert f'aria-labelledby="{MARKETING}"' in promotions


def test_languages_without_these_texts_fall_back_to_english(site: FixtureSite, member: Member) -> None:
    site.account(EMAIL).language = "de"
    page = member.text(PATH_OF["allowAdsByAge"])
    assert '<html lang="de">' in page
    assert "Use my age range for ads" in page
    site.account(EMAIL).language = "fr"
    assert "Utiliser ma tranche d&#x27;âge pour les publicités" in member.text(PATH_OF["allowAdsByAge"])


def test_assets_are_cacheable_and_received_counts_the_bytes_sent(site: FixtureSite, member: Member) -> None:
    feed = member.text("/feed/")
    images = re.findall(r'<img [^>]*src="(/media/[^"]+)"', feed)
    assert len(images) >= 40
    assert 'src="/static/feed-bundle.js"' in feed
    assert 'url("/static/fonts/linkedin-sans.woff2")' in feed
    bundle = member.send("GET", "/static/feed-bundle.js")
    assert bundle.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert int(bundle.headers["Content-Length"]) > 1_400_000
    settings = member.send("GET", "/static/settings-bundle.js")
    assert settings.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert 550_000 < int(settings.headers["Content-Length"]) < 700_000
    picture = member.send("GET", images[-1])
    assert (picture.headers["Content-Type"], picture.headers["Cache-Control"]) == (
        "image/png",
        "max-age=3600",
    )
    assert 1_000 < int(picture.headers["Content-Length"]) < 10_000
    revalidated = member.send("GET", images[-1], headers={"If-None-Match": picture.headers["ETag"]})
    assert revalidated.status == 304
    sent = {r.path: r.bytes for r in site.received}
    assert sent["/static/feed-bundle.js"] == int(bundle.headers["Content-Length"])
    assert sent["/feed/"] == len(feed.encode())
    assert sent[images[-1]] == 0  # the 304
    assert member.send("GET", "/media/feed/400.png").status == 404


def test_settings_pages_load_the_bundle_and_the_members_photo(member: Member) -> None:
    for page in (member.text(ADS), member.text(PATH_OF["allowAdsByAge"])):
        assert '<script src="/static/settings-bundle.js" defer></script>' in page
        assert 'src="/media/profile/photo.png"' in page


# -- in a real browser --------------------------------------------------------------------------


async def sign_in(page: Page, site: FixtureSite) -> None:
    await page.goto(f"{site.base_url}/login")
    await page.get_by_label("Email or phone").fill(EMAIL)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/feed/")


async def test_every_setting_page_shows_its_switch_in_the_members_state(
    site: FixtureSite, page: Page
) -> None:
    account = site.account(EMAIL)
    off = set(list(PATH_OF)[::2])  # every other one
    account.settings.update({key: key not in off for key in PATH_OF})
    account.render_delay_ms = 300
    await sign_in(page, site)
    for key, path in PATH_OF.items():
        await page.goto(site.base_url + path)
        control = page.get_by_role("switch", name=LABEL_OF[key], exact=True)
        if key in off:
            await expect(control).not_to_be_checked()
        else:
            await expect(control).to_be_checked()
        assert await page.locator(f'#main input[role="switch"][aria-labelledby="{key}"]').count() == 1


@pytest.mark.parametrize("key", ["allowAdsByAge", "adsPrivacyAllowInterestsAndBehaviors", MARKETING])
async def test_switching_one_off_saves_only_that_key_and_survives_a_reload(
    site: FixtureSite, page: Page, key: str
) -> None:
    await sign_in(page, site)
    await page.goto(site.base_url + PATH_OF[key])
    control = page.locator(f'input[role="switch"][aria-labelledby="{key}"]')
    await expect(control).to_be_checked()
    async with page.expect_response(f"**{SAVE}{key}") as saved:
        await control.click()
    assert (await saved.value).ok
    assert site.account(EMAIL).state(key) is False
    assert site.setting_changes == [SettingChange(EMAIL, enabled=False, accepted=True, key=key)]
    assert all(site.account(EMAIL).state(other) for other in SWITCHES if other != key)
    await page.reload()
    await expect(control).not_to_be_checked()
    hub = ADS if key in ADS_KEYS else PRIVACY
    await page.goto(site.base_url + hub)
    state = page.locator(f'a.settings-item[href="{PATH_OF[key]}"] .settings-item__state')
    await expect(state).to_have_text("Off")


async def test_the_promotions_pages_email_tips_switch_is_independent(site: FixtureSite, page: Page) -> None:
    await sign_in(page, site)
    await page.goto(site.base_url + PROMOTIONS)
    marketing = page.get_by_role("switch", name=LABEL_OF[MARKETING], exact=True)
    tips = page.get_by_role("switch", name="Email me tips for using LinkedIn", exact=True)
    await expect(marketing).to_be_checked()
    async with page.expect_response(f"**{SAVE}{TIPS}"):
        await tips.click()
    await expect(tips).not_to_be_checked()
    await expect(marketing).to_be_checked()
    assert (site.account(EMAIL).state(TIPS), site.account(EMAIL).state(MARKETING)) == (False, True)
    async with page.expect_response(f"**{SAVE}{MARKETING}"):
        await marketing.click()
    assert [(c.key, c.enabled, c.accepted) for c in site.setting_changes] == [
        (TIPS, False, True),
        (MARKETING, False, True),
    ]
    assert site.changes_of(TIPS) == [SettingChange(EMAIL, False, True, key=TIPS)]
    # A failed save snaps back only the switch it was for.
    site.account(EMAIL).toggle_fails = True
    await tips.click()
    await expect(page.get_by_role("alert")).to_have_text("Something went wrong. Please try again later.")
    await expect(tips).not_to_be_checked()
    await expect(marketing).not_to_be_checked()
    assert site.account(EMAIL).state(TIPS) is False


async def test_the_feed_loads_its_weight_once_and_then_from_the_cache(site: FixtureSite, page: Page) -> None:
    await sign_in(page, site)  # lands on the feed and waits for its load event
    await page.evaluate("document.fonts.ready")
    modules = await page.evaluate("window.__fixture_feed_bundle.modules")
    assert modules > 10_000
    first = site.received
    loaded = {r.path for r in first}
    assert {f"/media/feed/{n}.png" for n in range(40)} <= loaded
    assert {
        "/static/feed-bundle.js",
        "/static/fonts/linkedin-sans.woff2",
        "/media/profile/photo.png",
    } <= loaded
    assert sum(r.bytes for r in first) > 1_600_000
    await page.goto(site.base_url + "/feed/")
    again = site.received[len(first) :]
    assert [r.path for r in again if r.path.startswith(("/static/", "/media/"))] == []
    assert [r.path for r in again] == ["/feed/"]


async def test_a_light_site_serves_the_same_files_with_bundles_of_a_few_kb_that_still_run(
    site: FixtureSite, page: Page
) -> None:
    site.light = True
    await sign_in(page, site)
    assert await page.evaluate("window.__fixture_feed_bundle.modules") > 10
    await page.goto(site.base_url + PATH_OF["allowAdsByAge"])
    assert await page.evaluate("window.__fixture_settings_bundle.modules") > 10
    sent = {r.path: r.bytes for r in site.received}
    assert {f"/media/feed/{n}.png" for n in range(40)} <= sent.keys()
    assert 1_000 < sent["/static/feed-bundle.js"] < 10_000
    assert 1_000 < sent["/static/settings-bundle.js"] < 10_000


def test_the_cookie_page_has_its_switch_by_its_id_and_saves_like_the_others(
    site: FixtureSite, member: Member
) -> None:
    page = member.text(COOKIES_PAGE)
    assert f'<a href="{PRIVACY}" aria-current="page">' in page
    switch = content(page)
    assert (
        '<p id="nonEssentialCookieConsent-label" class="_switchLabel_12ycew">Allow non-essential cookies</p>'
        in switch
    )
    assert 'role="switch" id="nonEssentialCookieConsent"' in switch
    assert 'aria-labelledby="nonEssentialCookieConsent-label"' in switch
