"""`object`: the member's right to object (GDPR Article 21) to LinkedIn's training of AI models on
their data, beyond the setting, through LinkedIn's Data Processing Objection form.

The text is prepared here, in the account's language (objection_texts.toml); the form is opened in a
window signed in with the account's saved session, filled, and left for the member to read and
submit; once LinkedIn confirms it, the objection is recorded in the history (objections.py). Nothing
is ever submitted by the tool, and a form it does not recognise is left untouched: the member gets
the text and the address to send it themselves (`Letter`).
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from checker.core.errors import CheckerError, ConfigError, ExitCode, UsageError
from checker.core.outcome import CheckFailed, utc_now
from checker.core.redact import first_line
from checker.core.safe_text import printable
from checker.store.history import History
from checker.store.objections import Objection, Objections
from checker.store.sessions import SessionStore

TEXTS_FILE = Path(__file__).with_name("objection_texts.toml")
DEFAULT_LANGUAGE = "en"

EXPLANATION = (
    "Switching off LinkedIn's setting (Data for Generative AI Improvement) covers only the AI models\n"
    "that create content, and it does not undo training already done. In the EU, the EEA, the UK and\n"
    "Switzerland you also have the right to object to the processing itself (GDPR Article 21), with\n"
    "LinkedIn's Data Processing Objection form; regulators (the ICO, the Autoriteit Persoonsgegevens,\n"
    "the Garante) have pointed members to it."
)

_ENVIRONMENT_LOCALE = ("LC_ALL", "LC_MESSAGES", "LANG")


@dataclass(frozen=True)
class Letter:
    """The objection for the member to send: where, in which language, and what it says."""

    form_url: str
    language: str
    text: str


def languages() -> list[str]:
    """The languages the objection is written in, sorted."""
    return sorted(_texts())


def letter(email: str, origin: str, language: str) -> Letter:
    """The objection of `email` in `language` (one of `languages()`), for the form on `origin`."""
    from checker.linkedin.rules import load_rules  # the form's address (selectors/linkedin.toml)

    path = load_rules().paths.objection_form
    return Letter(origin + path, language, _texts()[language].replace("{email}", email))


def asked_language(asked: str) -> str:
    """`--language`, checked: UsageError naming an unknown one and the known ones."""
    language = asked.strip().lower()
    if language not in _texts():
        known = ", ".join(languages())
        raise UsageError(f"unknown language {printable(repr(asked))}: the objection is written in {known}")
    return language


def language_of(tag: str) -> str | None:
    """The language of a language tag or locale (`fr-BE`, `nl_NL.UTF-8`) when the objection is
    written in it; None otherwise."""
    primary = tag.replace("_", "-").split(".")[0].split("-")[0].strip().lower()
    return primary if primary in _texts() else None


def environment_language(environment: Mapping[str, str]) -> str:
    """The language of the user's locale (LC_ALL, LC_MESSAGES, LANG: the first set), when the
    objection is written in it; English otherwise."""
    for name in _ENVIRONMENT_LOCALE:
        if value := environment.get(name):
            return language_of(value) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


@functools.cache
def _texts() -> dict[str, str]:
    try:
        raw = tomllib.loads(TEXTS_FILE.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{TEXTS_FILE}: cannot read the objection texts: {exc}") from None
    texts = {}
    for language, table in raw.items():
        if not isinstance(table, dict) or set(table) != {"text"}:
            keys = sorted(set(table) - {"text"}) if isinstance(table, dict) else []
            raise ConfigError(f"{TEXTS_FILE}: {language}.{keys[0] if keys else 'text'}: expected only `text`")
        text = table["text"]
        if not isinstance(text, str) or "{email}" not in text:
            raise ConfigError(f"{TEXTS_FILE}: {language}.text: a text with {{email}} in it")
        texts[language] = text
    if DEFAULT_LANGUAGE not in texts:
        raise ConfigError(f"{TEXTS_FILE}: no [{DEFAULT_LANGUAGE}] table")
    return texts


# --- in a window ------------------------------------------------------------------------------


async def object_in_person(
    email: str,
    origin: str,
    sessions: SessionStore,
    history: History,
    home: Path,
    *,
    language: str | None,
    browser_path: str | None,
    wait_seconds: float,
    say: Callable[[str], None],
) -> Objection | Letter:
    """Open the form in a window signed in with `email`'s saved session, fill it with the objection
    (in `language`, else the page's), and wait at most `wait_seconds` for the member to submit it;
    record the confirmed objection in `history` and return it. A form the rules do not recognise is
    left as it is: the `Letter` to send instead is returned. CheckerError (exit 3) when there is no
    saved session or it no longer works, or when nothing was submitted."""
    # The browser's modules only here: `object --print` loads none of them.
    from playwright.async_api import Error as PlaywrightError

    from checker.linkedin import objection as form
    from checker.linkedin.locate import Site, open_page
    from checker.linkedin.rules import load_rules
    from checker.linkedin.session import is_members_page
    from checker.run.person import WINDOW_TIMEOUT_MS, minutes, window_for

    site = Site(origin=origin, rules=load_rules(), timeout_ms=WINDOW_TIMEOUT_MS)
    login = f"`linkedin-ai-optout accounts login {email}`"
    saved = sessions.load(email, origin, on_discard=say)
    if saved is None:
        raise CheckerError(
            f"{email} has no saved session to open the form with: sign in with {login}, then run"
            " object again",
            ExitCode.ATTENTION,
        )
    try:
        async with window_for(email, site, home, browser_path=browser_path, storage_state=saved) as context:
            page = await context.new_page()
            await open_page(page, site, site.rules.paths.objection_form)
            if not is_members_page(site, page.url):
                raise CheckerError(
                    f"the saved session of {email} no longer works (LinkedIn asked to sign in):"
                    f" sign in with {login}, then run object again",
                    ExitCode.ATTENTION,
                )
            chosen = language or language_of(await form.page_language(page)) or DEFAULT_LANGUAGE
            objection = letter(email, origin, chosen)
            recognised = await form.recognised(page, site)
            if recognised is None:
                return objection
            name = await form.member_name(page, site)
            filled = await form.fill(page, site, recognised, name=name, email=email, text=objection.text)
            unfilled = "" if name else " Your name was not known: type it in yourself."
            say(
                f"The form is filled ({', '.join(filled)}; the text in {chosen}).{unfilled} Read it in the"
                " window and, if it is what you want, press its Submit button yourself: the tool never"
                f" does. Waiting up to {minutes(wait_seconds)} for LinkedIn's confirmation."
            )
            ended = await form.confirmation(page, site, seconds=wait_seconds)
    except CheckFailed as exc:  # the site failed (see open_page)
        raise CheckerError(f"the objection form could not be opened: {exc.detail}") from None
    except PlaywrightError as exc:
        raise CheckerError(f"the objection form could not be used: {printable(first_line(exc))}") from None
    if ended is form.Submission.WINDOW_CLOSED:
        raise CheckerError(
            "the browser window was closed before LinkedIn confirmed an objection: nothing was recorded",
            ExitCode.ATTENTION,
        )
    if ended is form.Submission.WAIT_ENDED:
        raise CheckerError(
            f"LinkedIn showed no confirmation within {minutes(wait_seconds)}: nothing was recorded",
            ExitCode.ATTENTION,
        )
    recorded = Objection(email, utc_now(), ended.reference)
    Objections(history).record(recorded)
    return recorded
