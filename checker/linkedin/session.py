"""Whether the member is signed in: the page the check came for is the proof, the site's session
endpoint one more signal.

LinkedIn shows a settings page only to a signed-in member: a signed-out visitor is sent to the
login page, the authwall or a challenge instead. So a page on the site's origin, opened with the
session cookie, that shows a sign of the signed-in app (the settings navigation, the setting's
switch) and no login form proves the session, with no request of its own.

`/voyager/api/me` is asked only when the page shows no sign the rules recognise. 200 confirms;
401, 403 or a redirect to sign in refuses (sign in again). Any other answer, or none, means the
endpoint is gone (it is private and undocumented: LinkedIn can retire it any day), which is said
once per run and never taken for a changed page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from checker.core.logs import get_logger
from checker.linkedin.locate import Site, origin_of, present

log = get_logger()

# Signs of the signed-in app, in any page of it: the settings app's own navigation, the global
# navigation's Me control and its link to the feed. A check adds the switch it came for.
SIGNS = ["settings_nav", "me_menu", "feed_nav_link"]
_REFUSED = frozenset({0, 401, 403})  # 0: a redirect (to the login page)

# Steps of signing in besides the rules' login page, challenges and walls: LinkedIn submits the
# password and shows its checkpoints under /checkpoint/, and its older login and email challenges
# under /uas/. A page there is never "signed in", whatever cookies the browser holds by then.
_SIGN_IN_PREFIXES = ("/checkpoint/", "/uas/")


@dataclass(frozen=True)
class Verdict:
    """What decided whether the member is signed in, in words a detail can quote."""

    signed_in: bool
    seen: str


async def verdict(page: Page, site: Site, sign: str | None) -> Verdict:
    """Whether the page, with `sign` (a target shown on it, or None) and no login form, proves the
    session; the session endpoint decides only when the page shows no sign."""
    cookies = await session_cookies(page, site)
    if "li_at" not in cookies or "JSESSIONID" not in cookies:
        return Verdict(False, "the browser holds no LinkedIn session cookie")
    if not site.owns(page.url):
        return Verdict(False, f"the page is on {origin_of(page.url)}, not {site.origin}")
    if sign is not None and is_members_page(site, page.url):
        log.info("the page shows the session", sign=sign)
        return Verdict(True, f"the page shows the signed-in app ({sign})")
    status, _ = await ask_me(page, site, cookies)
    said = _said(site, status)
    if status == 200:
        log.info("session confirmed by the site", endpoint=site.rules.paths.me_api)
    elif status in _REFUSED:
        log.info("session refused by the site", endpoint=site.rules.paths.me_api, status=status)
    else:
        site.say_once(f"{said}: it may be retired; the tool relies on the pages instead")
    return Verdict(status == 200, said)


def is_members_page(site: Site, url: str) -> bool:
    """Whether `url` could be a page of a signed-in member: the site's own, and no step of signing in."""
    if not site.owns(url):
        return False  # a single sign-on provider, a CAPTCHA's host, about:blank
    path = urlsplit(url).path
    paths = site.rules.paths
    steps = (paths.login, paths.login_submit, *paths.challenges, *paths.walls, *_SIGN_IN_PREFIXES)
    return not any(path.startswith(step) for step in steps)


async def shown_sign(page: Page, site: Site, signs: list[str]) -> str | None:
    """The first of the targets `signs` on the page right now, without waiting; None when none is."""
    for name in signs:
        if await present(page, site, name):
            return name
    return None


def _said(site: Site, status: int | None) -> str:
    endpoint = f"the session check {site.rules.paths.me_api}"
    if status is None:
        return f"{endpoint} did not answer"
    if status == 0:
        return f"{endpoint} answered with a redirect"
    return f"{endpoint} answered {status}"


async def session_cookies(page: Page, site: Site) -> dict[str, str]:
    """The browser's cookies for the site, by name."""
    return {cookie["name"]: cookie["value"] for cookie in await page.context.cookies(site.origin)}


async def ask_me(page: Page, site: Site, cookies: dict[str, str]) -> tuple[int | None, Any]:
    """The session endpoint's HTTP status (0 for a redirect, None for no answer) and, when it
    answered 200 with JSON, what it said; `cookies` as `session_cookies` gives them."""
    csrf = cookies.get("JSESSIONID", "").strip('"')
    try:
        # Asked by the page itself, as LinkedIn's own scripts ask: it then shows in a recorded HAR
        # (see recording.py), and a redirect (to a login) is seen as one.
        answer = await page.evaluate(_ASK, [site.url(site.rules.paths.me_api), csrf])
    except PlaywrightError:
        return None, None
    status = answer.get("status") if isinstance(answer, dict) else None
    return (status, answer.get("body")) if isinstance(status, int) else (None, None)


_ASK = """async ([url, csrf]) => {
  try {
    const response = await fetch(url, {headers: {"csrf-token": csrf}, redirect: "manual"});
    const text = await response.text();
    if (response.type === "opaqueredirect") return {status: 0, body: null};
    let body = null;
    if (response.status === 200) {
      try { body = JSON.parse(text); } catch (error) { body = null; }
    }
    return {status: response.status, body};
  } catch (error) {
    return null;
  }
}"""
