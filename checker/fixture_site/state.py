"""Everything the fixture site remembers, behind one lock.

Request threads and the test that owns the site both touch this state: the
accounts, the session tokens, the pending challenges, the site's options and
the append-only records of what arrived. Records are handed out as copies.
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Self, TypeVar, cast, overload
from urllib.parse import urlsplit

import pyotp

from checker.fixture_site import urls
from checker.fixture_site.model import (
    LANGUAGES,
    LOGIN_VARIANTS,
    OBJECTION_FORMS,
    Account,
    ChallengeAttempt,
    LoginAttempt,
    LoginOutcome,
    ObjectionRequest,
    Received,
    SaveGate,
    SettingChange,
    ToggleOutcome,
    Transient,
)
from checker.fixture_site.person import Person
from checker.fixture_site.traps import TRAPS

T = TypeVar("T")


@dataclass(frozen=True)
class Session:
    """The cookie values of one sign-in."""

    li_at: str
    jsessionid: str  # "ajax:<19 digits>", without the quotes the cookie wraps it in
    li_rm: str


@dataclass(frozen=True)
class Ticket:
    """A checkpoint challenge waiting for its code: who signed in and what they must pass."""

    token: str
    email: str
    kind: str


class _Option(Generic[T]):
    """A site option: checked when set, read and written under the site's lock."""

    def __init__(self, valid: Callable[[T], bool], expected: str) -> None:
        self._valid = valid
        self._expected = expected
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, site: None, owner: type) -> Self: ...
    @overload
    def __get__(self, site: SiteState, owner: type | None = None) -> T: ...
    def __get__(self, site: SiteState | None, owner: type | None = None) -> T | Self:
        if site is None:
            return self  # looked up on the class, as help() does
        with site._lock:
            return cast(T, site._options[self._name])

    def __set__(self, site: SiteState, value: T) -> None:
        if not self._valid(value):
            raise ValueError(f"{self._name} must be {self._expected}, not {value!r}")
        with site._lock:
            site._options[self._name] = value


def _is_origin(value: str | None) -> bool:
    if value is None:
        return True
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and parts.path == ""


def _is_status(value: int | None) -> bool:
    return value is None or (isinstance(value, int) and 100 <= value <= 999)


def _are_transients(value: Sequence[Transient | int]) -> bool:
    return isinstance(value, list | tuple) and all(
        isinstance(answer, Transient) or (_is_status(answer) and answer is not None) for answer in value
    )


def _key(email: str) -> str:
    # LinkedIn treats the address case-insensitively, whitespace typed around it included.
    return email.strip().lower()


def _pin_accepted(account: Account, kind: str, pin: str) -> bool:
    if kind == "email_pin":
        return pin == account.email_pin
    if kind == "authenticator" and account.totp_secret:
        return pyotp.TOTP(account.totp_secret).verify(pin, valid_window=1)
    return False  # a captcha lets nobody through


class SiteState:
    """The accounts, sessions, options and records of one fixture site."""

    login_variant = _Option[str](lambda v: v in LOGIN_VARIANTS, "'classic' or 'redesign'")
    logged_out_wall = _Option[str](lambda v: v in ("login", "authwall"), "'login' or 'authwall'")
    chooser_variant = _Option[str](lambda v: v in ("classic", "2026"), "'classic' or '2026'")
    login_language = _Option[str](lambda v: v in LANGUAGES, f"one of {sorted(LANGUAGES)}")
    login_origin = _Option[str | None](_is_origin, "None or an origin like 'http://localhost:80'")
    fail_status = _Option[int | None](_is_status, "None or an HTTP status between 100 and 999")
    login_trap = _Option[str | None](lambda v: v is None or v in TRAPS, f"None or one of {sorted(TRAPS)}")
    login_by_get = _Option[bool](lambda v: isinstance(v, bool), "True or False")  # see echo.py
    # Script bundles of a few KB instead of LinkedIn's weight (see assets.py): for the tests where
    # what a page weighs is not under test, so that a recording's HAR is not megabytes of them.
    light = _Option[bool](lambda v: isinstance(v, bool), "True or False")
    login_error_text = _Option[str | None](lambda v: v is None or isinstance(v, str), "None or a text")
    save_gate = _Option[SaveGate | None](lambda v: v is None or isinstance(v, SaveGate), "None or a SaveGate")
    trap_origin = _Option[str](
        lambda v: v == "" or _is_origin(v), "'' or an origin like 'http://127.0.0.1:80'"
    )
    # `/voyager/api/me` answering this status to everyone, None: as LinkedIn does today. LinkedIn
    # retires its private voyager routes without notice: 410 Gone for the REST profile routes in
    # October 2025 (joshuatz/linkedin-to-jsonresume #99, jupyter-naas/abi #625), 404 for the feed's
    # in March 2026 (alexey-pelykh/lhremote #503), 500 and 400 for others (sigcli/sigcli PR #62).
    me_api_status = _Option[int | None](_is_status, "None or an HTTP status between 100 and 999")
    # LinkedIn adds a data-use setting to Data privacy for everyone (catalog.LATER).
    new_setting = _Option[bool](lambda v: isinstance(v, bool), "True or False")
    # Which Data Processing Objection form /help/linkedin/ask/TS-DPRO serves (see objection.py), and
    # whether the member, reading it in the window, presses Submit once every field shows a value.
    objection_form = _Option[str](lambda v: v in OBJECTION_FORMS, f"one of {sorted(OBJECTION_FORMS)}")
    person_submits_objection = _Option[bool](lambda v: isinstance(v, bool), "True or False")
    # Answers given once each, in order, instead of the real ones; a status alone is Transient(status).
    transient = _Option[Sequence[Transient | int]](
        _are_transients, "a list of Transient answers or HTTP statuses"
    )

    def __init__(
        self,
        *,
        login_variant: str = "classic",
        login_language: str = "en",
        login_origin: str | None = None,
        fail_status: int | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._options: dict[str, object] = {}
        self.login_variant = login_variant
        self.login_language = login_language
        self.login_origin = login_origin
        self.fail_status = fail_status
        self.me_api_status = None
        self.new_setting = False
        self.login_trap = None
        self.trap_origin = ""
        self.save_gate = None
        self.chooser_variant = "classic"
        self.transient = ()
        self.logged_out_wall = "login"
        self.login_error_text = None
        self.login_by_get = False
        self.light = False
        self.objection_form = "2025"
        self.person_submits_objection = False
        self._objections: list[ObjectionRequest] = []
        self._accounts: dict[str, Account] = {}
        self._sessions: dict[str, str] = {}  # li_at -> email
        self._remembered: dict[str, str] = {}  # li_rm -> email
        self._tickets: dict[str, Ticket] = {}
        self._login_attempts: list[LoginAttempt] = []
        self._challenge_attempts: list[ChallengeAttempt] = []
        self._setting_changes: list[SettingChange] = []
        self._received: list[Received] = []
        self._collected: list[str] = []
        self._connections = 0
        self.person = Person()  # the member's own hands and phone (see person.py)

    # -- accounts -------------------------------------------------------------

    def add_account(self, account: Account) -> None:
        """Register a member; allowed while the site runs."""
        with self._lock:
            if _key(account.email) in self._accounts:
                raise ValueError(f"there is already an account for {account.email}")
            self._accounts[_key(account.email)] = account

    def account(self, email: str) -> Account:
        """The live account object: changes to it apply from the next request on."""
        with self._lock:
            return self._accounts[_key(email)]

    def snapshot(self, email: str) -> Account:
        """A copy of the account, so one response renders from one consistent state."""
        with self._lock:
            account = self._accounts[_key(email)]
            # The settings dict is copied too: a save must not change a page being rendered.
            return dataclasses.replace(account, settings=dict(account.settings))

    # -- records --------------------------------------------------------------

    @property
    def login_attempts(self) -> list[LoginAttempt]:
        """Every password submission received, in order."""
        with self._lock:
            return list(self._login_attempts)

    @property
    def challenge_attempts(self) -> list[ChallengeAttempt]:
        """Every code submitted to a checkpoint challenge, in order."""
        with self._lock:
            return list(self._challenge_attempts)

    @property
    def setting_changes(self) -> list[SettingChange]:
        """Every request to switch a setting, whichever its key, in order."""
        with self._lock:
            return list(self._setting_changes)

    def changes_of(self, key: str) -> list[SettingChange]:
        """The requests to switch the setting `key`, in order."""
        with self._lock:
            return [change for change in self._setting_changes if change.key == key]

    @property
    def received(self) -> list[Received]:
        """Every HTTP request, in order."""
        with self._lock:
            return list(self._received)

    def password_submissions(self, email: str) -> int:
        """How many times a password was submitted for this email."""
        with self._lock:
            return sum(_key(attempt.email) == _key(email) for attempt in self._login_attempts)

    @property
    def collected(self) -> list[str]:
        """What the traps' collector was sent (see traps.py): query values, bodies, messages."""
        with self._lock:
            return list(self._collected)

    @property
    def connections(self) -> int:
        """How many TCP connections the site accepted: a preconnect opens one and sends nothing."""
        with self._lock:
            return self._connections

    @property
    def objections(self) -> list[ObjectionRequest]:
        """Every objection the form received, in order."""
        with self._lock:
            return list(self._objections)

    def receive_objection(self, member: str, fields: dict[str, str], by_person: bool) -> ObjectionRequest:
        """Record one objection and give it the next case number."""
        with self._lock:
            request = ObjectionRequest(member, fields, by_person, f"260105-{len(self._objections) + 1:06d}")
            self._objections.append(request)
        return request

    def collect(self, text: str) -> None:
        with self._lock:
            self._collected.append(text)

    def count_connection(self) -> None:
        with self._lock:
            self._connections += 1

    def record(self, received: Received) -> int:
        """Record a request as it arrives; the number it returns is for `record_bytes`."""
        with self._lock:
            self._received.append(received)
            return len(self._received) - 1

    def record_bytes(self, number: int, size: int) -> None:
        """Note the size of the body the site sent in answer to the request `record` numbered."""
        with self._lock:
            self._received[number] = dataclasses.replace(self._received[number], bytes=size)

    def take_transient(self, method: str, path: str, accept: str) -> Transient | None:
        """The first waiting transient answer that applies to this request, used up by it."""
        with self._lock:
            waiting = [
                answer if isinstance(answer, Transient) else Transient(answer)
                for answer in cast(Sequence[Transient | int], self._options["transient"])
            ]
            for index, answer in enumerate(waiting):
                if answer.applies_to(method, path, accept):
                    self._options["transient"] = (*waiting[:index], *waiting[index + 1 :])
                    return answer
        return None

    # -- sessions -------------------------------------------------------------

    def signed_in_email(self, li_at: str | None) -> str | None:
        """The member a li_at cookie belongs to, if it is still valid."""
        with self._lock:
            return self._sessions.get(li_at or "")

    def remembered_email(self, li_rm: str | None) -> str | None:
        """The member a remember-me cookie stands for, if the site issued it."""
        with self._lock:
            return self._remembered.get(li_rm or "")

    def open_session(self, email: str) -> Session:
        session = Session(
            li_at=secrets.token_urlsafe(24),
            jsessionid=f"ajax:{secrets.randbelow(10**19):019d}",
            li_rm=secrets.token_urlsafe(24),
        )
        with self._lock:
            self._sessions[session.li_at] = email
            self._remembered[session.li_rm] = email
        return session

    def close_session(self, li_at: str | None) -> None:
        with self._lock:
            self._sessions.pop(li_at or "", None)

    def expire_sessions(self, email: str) -> None:
        """Invalidate every li_at of the member; remember-me cookies stay valid."""
        with self._lock:
            self._sessions = {
                token: owner for token, owner in self._sessions.items() if _key(owner) != _key(email)
            }

    # -- signing in -----------------------------------------------------------

    def submit_password(self, email: str, password: str, host: str) -> LoginOutcome:
        """Check and record one password submission."""
        with self._lock:
            account = self._accounts.get(_key(email))
            correct = account is not None and account.password == password
            self._login_attempts.append(LoginAttempt(email=email, correct=correct, host=host))
        if account is None:
            return LoginOutcome.UNKNOWN_ACCOUNT
        return LoginOutcome.ACCEPTED if correct else LoginOutcome.WRONG_PASSWORD

    def issue_ticket(self, email: str, kind: str) -> str:
        ticket = Ticket(token=secrets.token_urlsafe(16), email=email, kind=kind)
        with self._lock:
            self._tickets[ticket.token] = ticket
        return ticket.token

    def ticket(self, token: str) -> Ticket | None:
        with self._lock:
            return self._tickets.get(token)

    def verify(self, ticket: Ticket, pin: str) -> bool:
        """Check and record a code for the challenge; a passed challenge is used up."""
        with self._lock:
            correct = _pin_accepted(self._accounts[_key(ticket.email)], ticket.kind, pin)
            self._challenge_attempts.append(ChallengeAttempt(ticket.email, ticket.kind, correct))
            if correct:
                self._tickets.pop(ticket.token, None)
        return correct

    # -- the settings ---------------------------------------------------------

    def toggle(
        self,
        email: str | None,
        enabled: bool,
        *,
        csrf_ok: bool,
        aborted: bool = False,
        key: str = urls.AI_SETTING_KEY,
    ) -> ToggleOutcome:
        """Apply and record one request to switch the setting `key` (a key of catalog.SWITCHES);
        an `aborted` one is only recorded (the browser went away before the site finished saving)."""
        with self._lock:
            account = self._accounts[_key(email)] if email else None
            if aborted:
                self._setting_changes.append(SettingChange(email or "", enabled, False, True, key))
                return ToggleOutcome.FAILED
            if account is None or not csrf_ok:
                outcome = ToggleOutcome.FORBIDDEN
            elif not account.available(key):
                outcome = ToggleOutcome.NO_SETTING
            elif account.toggle_fails:
                outcome = ToggleOutcome.FAILED
            else:
                outcome = ToggleOutcome.ACCEPTED
                account.set_state(key, enabled)
            accepted = outcome is ToggleOutcome.ACCEPTED
            self._setting_changes.append(SettingChange(email or "", enabled, accepted, key=key))
        return outcome
