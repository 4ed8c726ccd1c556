"""The fixture site's table of LinkedIn's data-use settings: each page, its switches, its category.

Pages, switch keys and the second switch of the promotions page follow brave/psst-component
`src/linkedin/user.ts` (commit d54d3c0, Aug 2026), which opens each page directly and clicks
`input[role="switch"][aria-labelledby="<key>"]`; the key is also the one the page saves under
(`PUT /mysettings-api/settingsApiSettings/<key>`, see /work/shared/LINKEDIN-EVIDENCE.md). The
entity URNs are made up: LinkedIn's are not public.
"""

from __future__ import annotations

from dataclasses import dataclass

from checker.fixture_site import urls


@dataclass(frozen=True)
class Switch:
    """One switch on a setting page: its key, its entity URN, and the keys of its texts in
    strings.toml (label in a <p id=KEY>, description in an <h4>)."""

    key: str
    entity_urn: str
    label: str
    description: str
    by_id: bool = False
    """Marked up as the cookie page's: the input's id is the key, its label another element's."""

    @property
    def save_url(self) -> str:
        return urls.SETTINGS_API + self.key


@dataclass(frozen=True)
class SettingPage:
    """A setting's page: where it is, the category hub that lists it, the key of its title (also
    its item's words on the hub), and its switches, the setting's own first."""

    path: str
    section: str
    title: str
    switches: tuple[Switch, ...]

    @property
    def key(self) -> str:
        """The setting's own key: its first switch's."""
        return self.switches[0].key


def _page(
    address: str, section: str, slug: str, key: str, urn: int, *more: Switch, by_id: bool = False
) -> SettingPage:
    """The page at `address` (a path, or a name under /mypreferences/d/settings/) with one switch
    of its own, whose texts are `<slug>_title`, `<slug>_label` and `<slug>_description`, and maybe
    `more`."""
    own = Switch(key, f"urn:li:settingEntity:{urn}", f"{slug}_label", f"{slug}_description", by_id)
    path = address if address.startswith("/") else urls.SETTINGS_PAGES + address
    return SettingPage(path, section, f"{slug}_title", (own, *more))


# The generative-AI page keeps its own markup variants and texts (see settings_pages.ai_setting);
# it is listed here so that every key is found in one place.
AI = SettingPage(
    urls.AI_SETTING,
    "privacy",
    "data_for_ai",
    (Switch(urls.AI_SETTING_KEY, urls.AI_SETTING_URN, "switch_label", "switch_description"),),
)
# Not a use of the member's data: email tips share the promotions page, and the tool must leave
# them alone. A real switch all the same, saved through the same API.
EMAIL_TIPS = Switch(
    "tipsForUsingLinkedinViaEmail", "urn:li:settingEntity:1302", "email_tips_label", "email_tips_description"
)

# In the order of the brief's table (brave/psst-component's tasks, near enough). Every page is
# under /mypreferences/d/settings/ but the interests one, as on LinkedIn.
# fmt: off
PAGES: tuple[SettingPage, ...] = (
    AI,
    _page("policy-and-academic-research", "privacy", "research", "allowAnonymizedDataResearch", 1211),
    _page("share-data-with-select-partners", "privacy", "partners", "shareDataWithTrustedPartners", 1213),
    _page("ads-beyond-linkedin", "ads", "ads_beyond", "allowLinkedInAudienceNetwork", 1221),
    _page("ads-interactions-with-business", "ads", "ads_business", "allowUseOfThirdPartyData", 1222),
    _page("ads-related-actions", "ads", "ads_actions", "allowConversionTrackings", 1223),
    _page("ads-inferred-location", "ads", "ads_location", "allowIpToPersonalizeAds", 1224),
    _page("/mypreferences/d/interest-categories", "ads", "ads_interests",
          "adsPrivacyAllowInterestsAndBehaviors", 1225),
    _page("ads-by-age", "ads", "ads_age", "allowAdsByAge", 1226),
    _page("ads-by-gender", "ads", "ads_gender", "allowAdsByGender", 1227),
    _page("linkedin-promotions", "privacy", "promotions",
          "allowProfileAndActivityDataForMarketingAds", 1301, EMAIL_TIPS),
    # Brave's 2026 list (user.ts, 10b696b): input[role="switch"]#nonEssentialCookieConsent. The
    # category that lists it and the request it saves with are not public: Data privacy here,
    # and the settings API's PUT, which the tool's catalog does not name (the reload decides).
    _page("/mypreferences/d/member-cookies", "privacy", "cookies", "nonEssentialCookieConsent", 1401,
          by_id=True),
)
# fmt: on

# A data-use setting LinkedIn has not added yet: listed under Data privacy, with its page, once a
# test adds it (`SiteState.new_setting`). The tool's catalog does not know it, so a run of every
# setting must report it and never read, click or save it. Made up on purpose, modelled on how
# LinkedIn added settings before: the 3 Nov 2025 data sharing with Microsoft came as a page of the
# same kind under Data privacy, and Brave's LinkedIn list (brave/psst-component) gained four pages
# between its 2025 and 2026 versions.
LATER = _page(
    "data-sharing-with-microsoft-for-ai", "privacy", "microsoft_ai", "allowMicrosoftAITraining", 1216
)

BY_PATH = {page.path: page for page in (*PAGES, LATER)}
SWITCHES = {switch.key: switch for page in (*PAGES, LATER) for switch in page.switches}
# The page each key's switch is on.
PAGE_OF = {switch.key: page for page in (*PAGES, LATER) for switch in page.switches}
# Every key but the generative-AI one, whose state is Account.ai_training.
OTHER_KEYS = frozenset(SWITCHES) - {urls.AI_SETTING_KEY}


def in_section(section: str) -> tuple[SettingPage, ...]:
    """The setting pages a category hub lists, in order."""
    return tuple(page for page in PAGES if page.section == section)
