"""The fixture site's addresses, which are LinkedIn's, in one place for the pages and the routes."""

from urllib.parse import urlencode

HOME = "/"
# Where the login page's "Sign in with Apple" button leads: another origin entirely.
APPLE_ORIGIN = "https://appleid.apple.com"
APPLE_SIGN_IN = "/auth/authorize"
LOGIN = "/login"
AUTHWALL = "/authwall"
ME_API = "/voyager/api/me"
LOGIN_SUBMIT = "/checkpoint/lg/login-submit"
CHALLENGE = "/checkpoint/challenge/"  # followed by the challenge's token
CHALLENGE_VERIFY = "/checkpoint/challenge/verify"
CAPTCHA_FRAME = "/checkpoint/challenge/captcha-frame"
# What the app-approval page asks until the member has approved the sign-in in the LinkedIn app.
APP_APPROVAL_STATUS = "/checkpoint/challenge/app-approval-status"
RESTRICTED = "/checkpoint/restricted"
EMAIL_CHALLENGE = "/uas/consumer-email-challenge"
CHECK_INTERSTITIAL = "/check/add-phone"
ARKOSE_FRAME = "https://client-api.arkoselabs.com/fc/gc/"
FEED = "/feed/"
LOGOUT = "/m/logout/"
HUB = "/mypreferences/d/categories/"  # followed by the section's slug
SETTINGS_PAGES = "/mypreferences/d/settings/"  # followed by a setting's slug (see catalog.py)
AI_SETTING = SETTINGS_PAGES + "data-for-ai-improvement"
# LinkedIn's settings API: a page saves a switch with a PUT here, its key at the end.
SETTINGS_API = "/mysettings-api/settingsApiSettings/"
AI_SETTING_KEY = "allowDataForGenerativeAI"
AI_SETTING_URN = "urn:li:settingEntity:1207"
AI_SETTING_SAVE = SETTINGS_API + AI_SETTING_KEY
# Where LinkedIn's pages send their tracking beacons, all the time.
BEACONS = ("/li/track", "/sensorCollect", "/rest/trackObserveApi/trackObserve", "/platform-telemetry/li")
MANAGE_DATA = "/mypreferences/d/settings/manage-data-and-activity"
DOWNLOAD_DATA = "/mypreferences/d/download-my-data"
# What pages load besides themselves (see assets.py): LinkedIn serves them from its CDNs
# (static.licdn.com, media.licdn.com); the fixture serves them from its own origin.
MEDIA = "/media/"
STATIC = "/static/"
FEED_IMAGE = MEDIA + "feed/"  # followed by "<n>.png"
MEMBER_PHOTO = MEDIA + "profile/photo.png"
LOGO = MEDIA + "static/logo.png"
FEED_BUNDLE = STATIC + "feed-bundle.js"
SETTINGS_BUNDLE = STATIC + "settings-bundle.js"
FONT = STATIC + "fonts/linkedin-sans.woff2"


def hub(section: str) -> str:
    return HUB + section


# LinkedIn's older settings addresses: they still redirect, and "drifted" pages link to them.
LEGACY = {
    "/psettings/": hub("account"),
    "/psettings/data-privacy": hub("privacy"),
    "/psettings/data-for-ai-improvement": AI_SETTING,
}
_LEGACY_OF = {current: legacy for legacy, current in LEGACY.items()}


def link(url: str, markup: str) -> str:
    """The address pages in the given markup variant use for `url`."""
    return _LEGACY_OF.get(url, url) if markup == "drifted" else url


def challenge(token: str) -> str:
    return CHALLENGE + token


def app_approval_status(token: str) -> str:
    return f"{APP_APPROVAL_STATUS}?{urlencode({'token': token})}"


def login(**params: str) -> str:
    """The login page's address with the given query parameters; empty ones are left out."""
    query = urlencode({name: value for name, value in params.items() if value})
    return f"{LOGIN}?{query}" if query else LOGIN


def same_site(target: str) -> str:
    """Where to land after signing in: `target` if it is a path on this site, else the feed."""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return FEED
