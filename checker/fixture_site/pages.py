"""The fixture site's pages, each rendered as a whole HTML document.

Pages shown before the site knows who is signing in use the site's login
language; pages after sign-in use the member's language and markup variant.
"""

from __future__ import annotations

import re
import secrets

from checker.fixture_site import assets, echo, traps, urls
from checker.fixture_site.model import Account, LoginOutcome
from checker.fixture_site.templates import Html, join, script_json, tag, templates

# Per challenge kind: the heading, the hint, the id of the code field and of its form. An SMS code
# and an authenticator code share form#two-step-challenge and its field: only the words differ.
_PIN_CHALLENGES = {
    "email_pin": ("pin_heading", "pin_hint", "input__email_verification_pin", "email-pin-challenge"),
    "authenticator": (
        "authenticator_heading",
        "authenticator_hint",
        "input__phone_verification_pin",
        "two-step-challenge",
    ),
    "sms": ("sms_heading", "sms_hint", "input__phone_verification_pin", "two-step-challenge"),
    "email_challenge": ("pin_heading", "pin_hint", "input__email_verification_pin", "email-challenge"),
}

_ME_TRIGGER = "global-nav__primary-link global-nav__primary-link-me-menu-trigger"


def _alert(text: str) -> Html:
    return tag("div", text, role="alert", class_="alert") if text else Html("")


def display_name(email: str) -> str:
    """The name LinkedIn would show for the member, made up from the email's local part."""
    words = re.split(r"[._+-]+", email.partition("@")[0])
    return " ".join(word.capitalize() for word in words if word) or email


def login_form(
    variant: str,
    language: str,
    *,
    username: str = "",
    session_redirect: str = "",
    error: LoginOutcome | None = None,
    error_text: str | None = None,
    trap: str | None = None,
    trap_origin: str = "",
    by_get: bool = False,
) -> bytes:
    """The login page in its classic or redesigned variant, with `error` shown if given (in its
    usual words, or as `error_text` when the site says something else); a `trap`
    (see traps.py) turns it into a classic page that would hand the password to `trap_origin`,
    `by_get` into one whose form goes out by GET (see echo.py)."""
    t = templates()
    if variant == "classic" or trap or by_get:
        slots = {**traps.classic_slots(trap, trap_origin), **(echo.FORM_BY_GET if by_get else {})}
        body = _classic_login(language, username, session_redirect, error, error_text, slots)
    else:
        apple = (trap_origin or urls.APPLE_ORIGIN) + urls.APPLE_SIGN_IN
        body = _redesigned_login(language, username, session_redirect, error, error_text, apple)
    return t.document(language, t.text(language, "sign_in"), body)


def login_frame(language: str, trap_origin: str) -> bytes:
    """The frame of the `password_in_frame` trap: a password form posting to the other origin."""
    t = templates()
    password = t.render("login_password", language, password_error="")
    body = t.render("login_frame", language, action=trap_origin + urls.LOGIN_SUBMIT, password_part=password)
    return t.document(language, t.text(language, "password"), body)


def _classic_login(
    language: str,
    username: str,
    session_redirect: str,
    error: LoginOutcome | None,
    error_text: str | None,
    overrides: dict[str, str],
) -> Html:
    t = templates()

    # Each error has its own slot under its field; the other slot stays empty and hidden.
    def field_error(field: str, shown_for: LoginOutcome) -> Html:
        text = (error_text or t.text(language, shown_for.value)) if error is shown_for else ""
        return tag(
            "div",
            text,
            id=f"error-for-{field}",
            class_="form__label--error",
            role="alert",
            hidden=not text,
        )

    password = t.render(
        "login_password", language, password_error=field_error("password", LoginOutcome.WRONG_PASSWORD)
    )
    slots: dict[str, str] = {
        "action": urls.LOGIN_SUBMIT,
        "password_part": password,
        "submit_extra": Html(""),
        "after_form": Html(""),
        **overrides,
    }
    return t.render(
        "login_classic",
        language,
        csrf=secrets.token_urlsafe(16),
        session_redirect=session_redirect,
        username=username,
        username_error=field_error("username", LoginOutcome.UNKNOWN_ACCOUNT),
        **slots,
    )


def _redesigned_login(
    language: str,
    username: str,
    session_redirect: str,
    error: LoginOutcome | None,
    error_text: str | None,
    apple_url: str,
) -> Html:
    t = templates()
    # React-style ids, new on every render, so that nothing can rely on them.
    ids = f"_r_{secrets.token_hex(2)}"
    state = {
        "action": urls.LOGIN_SUBMIT,
        "loginCsrfParam": secrets.token_urlsafe(16),
        "sessionRedirect": session_redirect,
        "usernameId": f"{ids}0_",
        "passwordId": f"{ids}1_",
    }
    return t.render(
        "login_redesign",
        language,
        username_id=state["usernameId"],
        password_id=state["passwordId"],
        username=username,
        alert=_alert((error_text or t.text(language, error.value)) if error else ""),
        apple_url=apple_url,
        state=script_json(state),
    )


def chooser(language: str, email: str, session_redirect: str, variant: str = "classic") -> bytes:
    """The remember-me page offering the remembered member or another account, in its classic
    variant or the 2026 one (buttons in `#rememberme-div`)."""
    t = templates()
    body = t.render(
        "chooser" if variant == "classic" else "chooser_2026",
        language,
        email=email,
        name=display_name(email),
        account_url=urls.login(fromSignIn="true", username=email, session_redirect=session_redirect),
        other_url=urls.login(fromSignIn="true", session_redirect=session_redirect),
    )
    return t.document(language, t.text(language, "welcome_back"), body)


def challenge(kind: str, language: str, token: str, *, failed: bool = False) -> bytes:
    """A checkpoint challenge page; `failed` adds the alert for a rejected code."""
    t = templates()
    alert = _alert(t.text(language, "wrong_pin") if failed else "")
    if kind == "app_approval":
        status = {"statusUrl": urls.app_approval_status(token), "pollMs": 500}
        body = t.render("challenge_app", language, state=script_json(status))
        return t.document(language, t.text(language, "app_approval_heading"), body)
    if kind == "check_interstitial":
        body = t.render("check_interstitial", language, feed_url=urls.FEED)
        return t.document(language, t.text(language, "check_heading"), body)
    if kind not in _PIN_CHALLENGES:
        arkose = kind == "captcha_arkose"
        frame = (
            f'id="arkose-frame" src="{urls.ARKOSE_FRAME}"'
            if arkose
            else f'id="captcha-internal" src="{urls.CAPTCHA_FRAME}"'
        )
        body = t.render("challenge_captcha", language, alert=alert, frame=Html(frame))
        return t.document(language, t.text(language, "captcha_heading"), body)
    heading, hint, input_id, form_id = _PIN_CHALLENGES[kind]
    body = t.render(
        "challenge_pin",
        language,
        heading=t.text(language, heading),
        hint=t.text(language, hint),
        alert=alert,
        action=urls.CHALLENGE_VERIFY,
        token=token,
        input_id=input_id,
        form_id=form_id,
    )
    return t.document(language, t.text(language, heading), body)


def captcha_frame(language: str) -> bytes:
    t = templates()
    return t.document(language, "Captcha", t.render("captcha_frame", language))


def restricted(language: str) -> bytes:
    t = templates()
    body = t.render("restricted", language)
    return t.document(language, t.text(language, "restricted_heading"), body)


def authwall(language: str, login_url: str) -> bytes:
    """The logged-out wall an expired session can land on instead of the login page."""
    t = templates()
    body = t.render("authwall", language, login_url=login_url)
    return t.document(language, t.text(language, "authwall_heading"), body)


def not_found(language: str) -> bytes:
    t = templates()
    body = t.render("not_found", language, feed_url=urls.FEED)
    return t.document(language, t.text(language, "not_found"), body)


def feed(account: Account) -> bytes:
    """The home feed with the global navigation and its Me menu, and the weight of LinkedIn's
    heaviest page: a large script, a web font and dozens of images (see assets.py)."""
    t = templates()
    language = account.language
    common = {
        "logout_url": urls.LOGOUT,
        "photo_url": urls.MEMBER_PHOTO,
        "more_posts": _more_posts(account.nav),
        "assets": t.render("feed_assets", language, font_url=urls.FONT, bundle_url=urls.FEED_BUNDLE),
    }
    if account.nav == "2026":
        body = t.render(
            "feed_2026",
            language,
            name=display_name(account.email),
            settings_url=urls.hub("account"),
            **common,
        )
        return t.document(language, t.text(language, "feed_heading"), body)
    body = t.render(
        "feed",
        language,
        # "drifted" pages lose the trigger's own class and keep only the generic one.
        me_class="global-nav__primary-link" if account.markup == "drifted" else _ME_TRIGGER,
        settings_url=urls.link(urls.hub("account"), account.markup),
        **common,
    )
    return t.document(language, t.text(language, "feed_heading"), body)


_AUTHORS = ("Camille Martin", "Northwind Tools", "Priya Raman", "Tailspin Toys", "Jonas Weber")


def _more_posts(nav: str) -> Html:
    """Further posts, each with its author's picture and an image: the feed's many images. The
    2026 navigation's feed has no LinkedIn class names, as its navigation has none."""
    classes = {"article": "feed-shared-update-v2", "actor": "update-components-actor__avatar"}
    posts = []
    for number in range(0, assets.FEED_IMAGES, 2):
        author = _AUTHORS[number // 2 % len(_AUTHORS)]
        avatar, picture = assets.feed_image(number), assets.feed_image(number + 1)
        actor = _img(avatar, author, classes["actor"] if nav == "classic" else None)
        inner = join([actor, tag("span", author), _img(picture, "")], "")
        posts.append(tag("article", inner, class_=classes["article"] if nav == "classic" else None))
    return join(posts)


def _img(src: str, alt: str, class_: str | None = None) -> Html:
    # A void element: tag() would close it.
    return Html(tag("img", src=src, alt=alt, class_=class_).removesuffix("</img>"))
