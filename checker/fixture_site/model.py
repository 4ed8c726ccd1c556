"""The fixture site's vocabulary: the accounts it knows and the records of what it received."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple

from checker.fixture_site import catalog, urls

LANGUAGES = frozenset({"en", "fr", "de", "es"})
CHALLENGES = frozenset(
    {
        "email_pin",
        "authenticator",
        "sms",  # the same code field as an authenticator challenge; only the words differ
        "app_approval",  # "Check your LinkedIn app": nothing to type
        "captcha",
        "captcha_arkose",  # the CAPTCHA in a frame from another origin
        "email_challenge",  # /uas/consumer-email-challenge
        "check_interstitial",  # /check/...: confirm your details before going on
        "restricted",
    }
)
MARKUPS = frozenset({"standard", "drifted", "changed"})
NAVS = frozenset({"classic", "2026"})
LOGIN_VARIANTS = frozenset({"classic", "redesign"})


def _require(value: object, allowed: frozenset[str], field: str) -> None:
    if value not in allowed:
        raise ValueError(f"{field} must be one of {sorted(allowed)}, not {value!r}")


@dataclass
class Account:
    """A LinkedIn member as the site stores it; tests read and change it while the site runs."""

    email: str
    password: str
    ai_training: bool = True
    has_setting: bool = True
    language: str = "en"
    challenge: str | None = None
    email_pin: str = "123456"
    totp_secret: str | None = None
    toggle_fails: bool = False
    save_delay_ms: int = 1500  # LinkedIn takes a moment to answer a save; a reload meanwhile aborts it
    render_delay_ms: int = 0
    markup: str = "standard"
    nav: str = "classic"  # the global navigation: LinkedIn serves both (an A/B test)
    # The state of every other switch of the catalog (catalog.OTHER_KEYS), all on as LinkedIn
    # sets them; one given here replaces its default, the others keep theirs.
    settings: dict[str, bool] = field(default_factory=dict)
    # Keys of the settings this member's region does not offer (the AI one's is has_setting).
    unavailable: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        _require_keys(self.settings, "settings")
        _require_keys(self.unavailable, "unavailable")
        self.settings = dict.fromkeys(sorted(catalog.OTHER_KEYS), True) | self.settings
        self.unavailable = frozenset(self.unavailable)
        _require(self.language, LANGUAGES, "language")
        _require(self.markup, MARKUPS, "markup")
        _require(self.nav, NAVS, "nav")
        if self.challenge is not None:
            _require(self.challenge, CHALLENGES, "challenge")
        if self.challenge == "authenticator" and not self.totp_secret:
            raise ValueError("an authenticator challenge needs a totp_secret")
        if self.save_delay_ms < 0:
            raise ValueError(f"save_delay_ms must not be negative, not {self.save_delay_ms}")
        if self.render_delay_ms < 0:
            raise ValueError(f"render_delay_ms must not be negative, not {self.render_delay_ms}")

    def state(self, key: str) -> bool:
        """Whether the switch `key` (any key of the catalog) is on."""
        _require_keys((key,), "state")
        # A key left out of a dict a test put in place is at its default: on.
        return self.ai_training if key == urls.AI_SETTING_KEY else self.settings.get(key, True)

    def available(self, key: str) -> bool:
        """Whether this member's region offers the switch `key`."""
        _require_keys((key,), "available")
        return self.has_setting if key == urls.AI_SETTING_KEY else key not in self.unavailable

    def set_state(self, key: str, enabled: bool) -> None:
        """Switch `key` on or off, as a save the site accepted does."""
        _require_keys((key,), "set_state")
        if key == urls.AI_SETTING_KEY:
            self.ai_training = enabled
        else:
            self.settings[key] = enabled


def _require_keys(keys: Iterable[str], field: str) -> None:
    """Every key must be a switch of the catalog; the AI one only through its own fields."""
    for key in keys:
        if key == urls.AI_SETTING_KEY and field in ("settings", "unavailable"):
            raise ValueError(f"{field} must not hold {key!r}: use ai_training and has_setting")
        if key not in catalog.SWITCHES:
            raise ValueError(f"{field}: unknown setting key {key!r}, not one of {sorted(catalog.SWITCHES)}")


class LoginOutcome(Enum):
    """What a password submission amounts to; the values double as the error texts' keys."""

    ACCEPTED = "accepted"
    UNKNOWN_ACCOUNT = "unknown_account"
    WRONG_PASSWORD = "wrong_password"  # noqa: S105 -- a text key, not a password


class ToggleOutcome(Enum):
    """How the site answers a request to switch a setting."""

    ACCEPTED = 200
    BAD_REQUEST = 400  # not the body or the Rest.li protocol header LinkedIn's pages send
    FORBIDDEN = 403  # no session, or the csrf-token header does not match JSESSIONID
    NO_SETTING = 404  # the member's region has no such setting
    FAILED = 500  # the account is set up to fail, as LinkedIn's API sometimes does


@dataclass(frozen=True)
class LoginAttempt:
    """One password submission: the email as typed, whether it matched, and the Host it went to."""

    email: str
    correct: bool
    host: str


class ChallengeAttempt(NamedTuple):
    """One code submitted to a checkpoint challenge (a tuple, so tests may compare plain tuples)."""

    email: str
    kind: str
    correct: bool


@dataclass(frozen=True)
class SettingChange:
    """One request to switch a setting; `email` is "" when it carried no session. `aborted`: the
    browser dropped the request before the site answered, so nothing was saved. `key`: the
    switch's (last, with the AI one's as default, so that the older positional form still works)."""

    email: str
    enabled: bool
    accepted: bool
    aborted: bool = False
    key: str = urls.AI_SETTING_KEY


@dataclass(frozen=True)
class Received:
    """One HTTP request: the target with its query, the Host header, and who was signed in. `at`:
    when it arrived (`time.monotonic()`); `bytes`: the length of the body the site answered with,
    0 until it is written and when it never was (a reset, a client gone); both left out of
    comparisons. A benchmark sums `bytes` to know what "LinkedIn" sent."""

    method: str
    path: str
    host: str
    email: str | None
    at: float = field(default_factory=time.monotonic, compare=False)
    bytes: int = field(default=0, compare=False)


@dataclass(frozen=True)
class SaveGate:
    """A slow save: the site applies the next setting change at once, then holds its answer until
    the test releases it (or `hold_seconds` pass). Tests act while the tool waits for the answer:
    send a signal, damage a file."""

    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    hold_seconds: float = 30.0


@dataclass(frozen=True)
class Transient:
    """An answer the site gives once instead of the real one, as LinkedIn under load does: the HTTP
    `status` (with `Retry-After: <retry_after>` when set), or, when `status` is None, a connection
    reset with no answer at all. `path`: only for a request to that path, whatever its method; None:
    for the next page load (a GET of a document), whatever its path. The request is recorded, and
    nothing else happens: a login submission answered so is not checked, a save not applied."""

    status: int | None = 503
    retry_after: str | None = None
    path: str | None = None

    def __post_init__(self) -> None:
        if self.status is not None and not 100 <= self.status <= 999:
            raise ValueError(f"status must be None or between 100 and 999, not {self.status!r}")

    def applies_to(self, method: str, path: str, accept: str) -> bool:
        if self.path is not None:
            return path == self.path
        return method == "GET" and "text/html" in accept


OBJECTION_FORMS = frozenset({"2025", "2024", "redesigned"})
"""The Data Processing Objection forms the site can serve (objection.py): LinkedIn's since 2025, its
form of 2024, and one of markup no source shows, which the tool must not recognise."""


@dataclass(frozen=True)
class ObjectionRequest:
    """One Data Processing Objection the form received (objection.py): who was signed in, what each
    field held, whether the member's own hand pressed Submit (see `person_submits_objection`), and
    the case number the confirmation showed."""

    member: str
    fields: dict[str, str]
    by_person: bool
    reference: str
