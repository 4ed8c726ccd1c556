"""Where the password may go while signing in: into the fields the tool checked, on the site's own
page, and out of the browser only to the site's own origin.

Checking the page's origin once is not enough: a page can navigate between two keystrokes, swap
itself out when a field gets focus, post its form elsewhere, or hold its fields in a frame. So:

- values are written into element handles, never re-located: a handle belongs to one document,
  and once that document is gone it cannot be written into;
- before each value and before the click, the handle must still be in the main frame and the main
  frame on the site's origin, with no navigation since the check;
- every request of the browser context is routed while signing in. While the fields are filled,
  the main frame may not navigate at all; once the password is in the page and until the page
  that received it is gone, no request may go to another origin. Such a request is blocked and
  the sign-in abandoned;
- what routing cannot see (a beacon or a keepalive fetch sent as the page unloads, a preconnect)
  still cannot leave: the context reaches no host but LinkedIn's own (checker/linkedin/egress.py). The
  guard hears of every connection the gate refused while the login page was open, and one made
  after the password was typed, or a WebSocket at any time, abandons the sign-in too. Hosts that
  LinkedIn's own pages call (`unresolved_hosts`) are refused without that.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self
from urllib.parse import urljoin

from playwright.async_api import ElementHandle, Frame, Page, Route
from playwright.async_api import Error as PlaywrightError

from checker.core.logs import get_logger
from checker.core.outcome import CheckFailed, Outcome
from checker.linkedin.egress import Attempt, EgressGate, matches
from checker.linkedin.locate import Site, origin_of

log = get_logger()

# The form a field or button submits to, and a button's own formaction.
_SUBMITS_TO = """(el) => {
  const targets = [];
  if (el.form) targets.push(el.form.getAttribute("action") || "");
  if (el.hasAttribute("formaction")) targets.push(el.getAttribute("formaction"));
  return targets;
}"""

# Set the value the way a framework-controlled input notices it (React tracks the native setter),
# on this element only: no focus moves, no keystrokes that could land in another document.
_SET_VALUE = """(el, value) => {
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
  setter.call(el, value);
  el.dispatchEvent(new Event("input", { bubbles: true }));
  el.dispatchEvent(new Event("change", { bubbles: true }));
}"""

_NETWORK_SCHEMES = ("http:", "https:", "ws:", "wss:")

TYPING = "typing"
PASSWORD = "password"  # noqa: S105 -- a phase's name
SUBMITTING = "submitting"
LANDED = "landed"  # the site's next page replaced the login page; the guard is still listening
DONE = "done"

# How a request the routing saw was sent, by Playwright's resource type.
_CHANNELS = {"ping": "a beacon", "image": "an image", "fetch": "a request", "xhr": "a request"}


def refused(reason: str, *, password_typed: bool) -> CheckFailed:
    """The error a refused or abandoned sign-in ends with; it says whether the password was typed."""
    where = (
        "the password was entered only into the site's own page, and nothing could reach another "
        "host from then on"
        if password_typed
        else "the password was not typed"
    )
    return CheckFailed(Outcome.ERROR, f"stopped signing in: {reason}; {where}")


class LoginGuard:
    """Routes the context's requests and watches the main frame while the login form is filled."""

    def __init__(self, page: Page, site: Site, egress: EgressGate | None = None) -> None:
        self.page = page
        self.site = site
        self.egress = egress
        self.phase = TYPING
        self._tripped: CheckFailed | None = None
        self._unsubscribe: Callable[[], None] = lambda: None

    async def __aenter__(self) -> Self:
        await self.page.context.route("**/*", self._on_request)
        self.page.on("framenavigated", self._on_navigated)
        if self.egress is not None:
            for attempt in self.egress.attempts:  # while the login page loaded
                self._on_attempt(attempt)
            self._unsubscribe = self.egress.subscribe(self._on_attempt)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.phase = DONE
        self._unsubscribe()
        self.page.remove_listener("framenavigated", self._on_navigated)
        await self.page.context.unroute("**/*", self._on_request)

    # -- the checks before each action ------------------------------------------------------

    def raise_if_tripped(self) -> None:
        if self._tripped is not None:
            raise self._tripped

    async def settle(self) -> None:
        """Raise if anything tried to leave, counting the connections the gate is still reading."""
        if self.egress is not None:
            await self.egress.settled()
        self.raise_if_tripped()

    async def check_bound(self, handle: ElementHandle, what: str) -> None:
        """Raise unless `handle` is still in the main frame, on the site's origin, undisturbed."""
        self.raise_if_tripped()
        try:
            frame = await handle.owner_frame()
        except PlaywrightError:
            frame = None
        if frame is not self.page.main_frame:
            raise self._trip(f"the {what} is no longer in the page that was checked")
        if not self.site.owns(self.page.main_frame.url):
            raise self._trip(f"the page is now on {origin_of(self.page.main_frame.url)}")

    async def refuse_foreign_form(self, handle: ElementHandle, what: str) -> None:
        """Refuse a form (or a button's formaction) that would submit to another origin."""
        targets: list[str] = await handle.evaluate(_SUBMITS_TO)
        for target in targets:
            url = urljoin(self.page.main_frame.url, target)
            if not self.site.owns(url):
                raise refused(
                    f"the login form's {what} would send it to {origin_of(url)}, not {self.site.origin}",
                    password_typed=False,
                )

    # -- actions ----------------------------------------------------------------------------

    async def enter(self, handle: ElementHandle, value: str, what: str) -> None:
        """Write `value` into the checked field `handle`, as a person's focus and typing would."""
        await self.check_bound(handle, what)
        await self._on_handle(handle.focus())
        await self.check_bound(handle, what)
        if self.phase == TYPING and what == "password field":
            self.phase = PASSWORD
        await self._on_handle(handle.evaluate(_SET_VALUE, value))

    async def click(self, handle: ElementHandle, what: str) -> None:
        """Click the checked button `handle`; from now on the main frame may navigate, on the site."""
        await self.check_bound(handle, what)
        self.phase = SUBMITTING
        await self._on_handle(handle.click())

    async def _on_handle(self, action: object) -> None:
        try:
            await action  # type: ignore[misc]
        except PlaywrightError:
            # The handle's document went away: say why if the guard saw it, else say so.
            self.raise_if_tripped()
            raise self._trip("the login page changed while the form was filled") from None

    # -- what the guard watches -------------------------------------------------------------

    def _trip(self, reason: str) -> CheckFailed:
        if self._tripped is None:
            self._tripped = refused(reason, password_typed=self.phase != TYPING)
            log.warning("sign-in stopped", reason=reason, phase=self.phase)
        return self._tripped

    def _on_navigated(self, frame: Frame) -> None:
        if frame is not self.page.main_frame or self.phase == DONE:
            return
        if self.phase == SUBMITTING:
            # The page that held the password is gone: the site's next page may load its parts
            # (still only from LinkedIn's own hosts, see egress.py).
            if self.site.owns(frame.url):
                self.phase = LANDED
            else:
                self._trip(f"after the click the page went to {origin_of(frame.url)}")
        elif not self.site.owns(frame.url):
            self._trip(f"the login page went to {origin_of(frame.url)} while the form was filled")

    def _on_attempt(self, attempt: Attempt) -> None:
        """The gate refused a connection to another host: abandon the sign-in if the login page
        could have sent the password by it."""
        if self.phase == DONE or matches(attempt.host, self.site.rules.load.unresolved_hosts):
            return
        if self.phase == TYPING and attempt.channel != "a WebSocket":
            return  # the login page's own parts from elsewhere (a "Sign in with" button): refused quietly
        when = {
            TYPING: "while the login page was open",
            PASSWORD: "while the password was in the page",
        }.get(self.phase, "as the login page unloaded after the click")
        self._trip(f"the login page tried to reach {attempt.host} by {attempt.channel} {when}")

    async def _on_request(self, route: Route) -> None:
        reason = self._blocked_because(route)
        try:
            if reason is None:
                await route.continue_()
            else:
                self._trip(reason)
                await route.abort("blockedbyclient")
        except PlaywrightError:
            pass  # the page or the request went away meanwhile: nothing left to decide

    def _blocked_because(self, route: Route) -> str | None:
        request = route.request
        if self.phase in (LANDED, DONE) or not request.url.startswith(_NETWORK_SCHEMES):
            return None
        foreign = not self.site.owns(request.url)
        target = origin_of(request.url)
        if self._is_main_navigation(route) and (self.phase in (TYPING, PASSWORD) or foreign):
            return f"the login page tried to navigate to {target} while the form was filled"
        if foreign and self.phase in (PASSWORD, SUBMITTING):
            return f"the login page sent {self._channel(route)} to {target} while the password was in it"
        return None

    def _channel(self, route: Route) -> str:
        request = route.request
        if request.is_navigation_request():
            return "a new window" if self._page_of(route) is not self.page else "a frame's navigation"
        if request.resource_type == "other" and "prefetch" in request.headers.get("sec-purpose", "prefetch"):
            return "a prefetch"
        return _CHANNELS.get(request.resource_type, f"a request ({request.resource_type})")

    def _page_of(self, route: Route) -> Page | None:
        try:
            return route.request.frame.page
        except PlaywrightError:
            return None  # a service worker's request has no frame

    def _is_main_navigation(self, route: Route) -> bool:
        request = route.request
        if not request.is_navigation_request():
            return False
        try:
            return request.frame is self.page.main_frame
        except PlaywrightError:
            return False  # a service worker's request has no frame
