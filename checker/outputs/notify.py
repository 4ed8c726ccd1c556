"""Notifications: after a run, one short message per account that needs a person, through Apprise
(email, Slack, Teams, Telegram, ntfy, Matrix, webhooks and a hundred more).

A message goes out on drift, `needs_attention`, `auth_failed`, `fix_failed`, `ui_changed` and a
quarantine; never when all is well, and never for `error` (a network failure or another run busy
with the account is the next run's business, not a person's). One notification per cause, not
per run: `notified.json` in the home directory remembers the cause last notified for each account,
and the same cause is not sent again until the account has been healthy in between.

Apprise URLs carry tokens and passwords, so a URL is only ever shown masked (`mask_url`), Apprise's
own log never reaches the terminal, and every message passes through `scrub`. Each delivery is
bounded by checker/outputs/bounded_http.py (30 s in all, a short answer, no redirect followed). A
notification that cannot be delivered is a warning: the check's results and exit code stand.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from checker.core.errors import CheckerError
from checker.core.logs import get_logger
from checker.core.outcome import SETTING, Change, CheckResult, Outcome, SiteChange, iso, utc_now
from checker.core.redact import scrub
from checker.core.safe_text import printable
from checker.core.urls import apprise_module, mask_url
from checker.linkedin.catalog import english
from checker.store.emails import email_key
from checker.store.home import clean_stale_temp_files, file_lock, read_regular_file, write_private_file
from checker.store.locks import BUSY

log = get_logger()

STATE_FILE = "notified.json"
TOOL = "linkedin-ai-optout"


_OUTCOME_CAUSES = (Outcome.NEEDS_ATTENTION, Outcome.AUTH_FAILED, Outcome.FIX_FAILED, Outcome.UI_CHANGED)
_HEALTHY = (Outcome.COMPLIANT, Outcome.FIXED, Outcome.NOT_APPLICABLE)


# --- which results need a person, and what to tell them ------------------------------------------


def menu_path(setting: str) -> str:
    """Where a person finds `setting` by hand, in LinkedIn's English words."""
    from checker.linkedin.rules import load_catalog

    catalog = load_catalog()
    if setting not in catalog.settings:
        return "Settings & Privacy"
    entry = catalog[setting]
    return f"Settings & Privacy → {english(catalog.category_of(setting).name)} → {english(entry.item)}"


def cause_of(result: CheckResult) -> str | None:
    """What in `result` needs a person, as a short key (`quarantined`, an outcome, `drift`); None
    when nothing does. A held password outranks the outcome that led to it, so the runs after the
    first (`needs_attention`, held back) are the same cause as the first (`auth_failed`). A run that
    found the account busy has none: it checked nothing, and the run holding the account reports."""
    if is_busy(result):
        return None
    if result.quarantined:
        return "quarantined"
    if result.outcome in _OUTCOME_CAUSES:
        return result.outcome.value
    if result.drift:
        return "drift"
    return None


# Causes that belong to the account, not to one setting: signing in failed, or the password is held.
_ACCOUNT_CAUSES = frozenset({"quarantined", Outcome.AUTH_FAILED.value, Outcome.NEEDS_ATTENTION.value})


def state_key(result: CheckResult) -> str:
    """The key of `notified.json` for the result's account and setting (the account alone for the
    generative-AI setting, as files written before the catalog have it)."""
    key = email_key(result.account)
    return key if result.setting == SETTING else f"{key} {result.setting}"


def is_healthy(result: CheckResult) -> bool:
    """All is well with the account: the next occurrence of any cause is news again."""
    return result.outcome in _HEALTHY and cause_of(result) is None


def is_busy(result: CheckResult) -> bool:
    """Another run held the account: it was not checked, and that run reports what it found."""
    return result.outcome is Outcome.ERROR and result.detail.startswith(BUSY)


@dataclass(frozen=True)
class Message:
    """One notification: about one account, for one cause."""

    account: str
    cause: str
    title: str
    body: str
    severity: str  # an Apprise notify type: info, warning or failure


_HAPPENED = {
    Outcome.NEEDS_ATTENTION: "LinkedIn asks for something only a person can give "
    "(a code, a CAPTCHA, an approval), or the account is restricted",
    Outcome.AUTH_FAILED: "LinkedIn refused the password, or there is no password in the keyring",
    Outcome.FIX_FAILED: "the switch was clicked, but after a reload it was on again: "
    "LinkedIn did not keep the change",
    Outcome.UI_CHANGED: "LinkedIn's page was not recognised, so nothing was guessed or clicked",
    Outcome.NON_COMPLIANT: "the setting is on",
    Outcome.WOULD_FIX: "the setting is on (a dry run: nothing was clicked)",
    Outcome.FIXED: "it was switched off again, and is still off after a reload",
    Outcome.COMPLIANT: "the setting is off",
    Outcome.NOT_APPLICABLE: "LinkedIn does not offer this account the setting",
    Outcome.ERROR: "the check failed",
}


def _what_to_do(result: CheckResult, cause: str) -> str:
    account = result.account
    by_hand = f"switch it off yourself at {menu_path(result.setting)}"
    if result.outcome is Outcome.AUTH_FAILED:
        return (
            f"sign in once in a browser to check the password. If it changed, store the new one with "
            f"`{TOOL} accounts add {account}`; if it is right, run `{TOOL} accounts unlock {account}`."
        )
    if result.outcome is Outcome.NEEDS_ATTENTION or cause == "quarantined":
        return (
            f"run `{TOOL} accounts login {account}` and sign in yourself in the window it opens, "
            "answering what LinkedIn asks; that lifts the hold. Or sign in once in a browser, then run "
            f"`{TOOL} accounts unlock {account}` (`{TOOL} accounts add {account}` if the password changed)."
        )
    if result.outcome is Outcome.FIX_FAILED:
        return f"{by_hand}, then run `{TOOL} check {account}` to confirm that it stays off."
    if result.outcome is Outcome.UI_CHANGED:
        return (
            f"LinkedIn may have changed its pages: update {TOOL}. Until then, {by_hand}. "
            "The evidence below helps a bug report; look through it before you share it."
        )
    if result.outcome is Outcome.FIXED:
        return "nothing: the check switched it off again. LinkedIn may switch it back again."
    return f"run `{TOOL} check --apply {account}` to switch it off again, or {by_hand}."


def label_of(setting: str) -> str:
    """The words LinkedIn shows beside the setting's switch, in English; its name when unknown."""
    from checker.linkedin.rules import load_catalog

    catalog = load_catalog()
    return english(catalog[setting].label) if setting in catalog.settings else setting


def message_for(result: CheckResult) -> Message | None:
    """The notification `result` calls for, or None when all is well or it is no person's business.
    It names the account, the setting, what happened and what to do; it holds no secret."""
    cause = cause_of(result)
    if cause is None:
        return None
    setting = label_of(result.setting)
    happened = _HAPPENED[result.outcome]
    if result.drift:
        happened = f"LinkedIn switched the setting back on since it was last found off; {happened}"
    lines = [
        f"Account: {result.account}",
        f'Setting: "{setting}" ({menu_path(result.setting)})',
        f"What happened: {happened} ({result.outcome.value}). {result.detail}",
        f"What to do: {_what_to_do(result, cause)}",
    ]
    if result.quarantined:
        lines.append("Its password is held back: no check sends it again until you act.")
    if result.evidence:
        lines.append(f"Evidence: {result.evidence}")
    lines.append(f"Checked at: {result.checked_at.isoformat(timespec='seconds').replace('+00:00', 'Z')}")
    if cause == "drift" and result.outcome is Outcome.FIXED:
        title = f"LinkedIn AI opt-out: LinkedIn switched the setting of {result.account} back on"
        severity = "info"
    else:
        title = f"LinkedIn AI opt-out: {result.account} needs you"
        severity = "failure" if result.outcome in (Outcome.UI_CHANGED, Outcome.FIX_FAILED) else "warning"
    body = "\n".join(printable(scrub(line)) for line in lines)
    return Message(result.account, cause, printable(scrub(title)), body, severity)


# --- sending, once per cause ---------------------------------------------------------------


class _Sent(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    account: str
    cause: str
    at: str  # ISO 8601, UTC


class _State(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    notified: dict[str, _Sent]


@dataclass
class _Target:
    shown: str  # the URL masked: all that is ever printed of it
    apprise: Any = None  # None once it failed: it is not tried again this run
    missed: list[str] = field(default_factory=list)  # the accounts whose message it did not take
    why: str | None = None  # why not, when the tool knows (see bounded_http.Exchange.why_not)


class _Outbox:
    """The targets of one run; a target that failed once is not tried again that run (an unreachable
    one can take seconds each time)."""

    def __init__(self, urls: Sequence[str]) -> None:
        apprise = apprise_module()
        self.targets = []
        for url in urls:
            target = _Target(mask_url(url))
            try:
                target.apprise = apprise.Apprise(asset=apprise.AppriseAsset(storage_mode="memory"))
                if not target.apprise.add(url):
                    target.apprise = None
            except Exception:  # Apprise's own parsing: whatever fails, the run's results stand
                target.apprise = None
            self.targets.append(target)

    def send(self, message: Message) -> bool:
        """Send `message` to every target; whether at least one took it."""
        delivered = False
        for target in self.targets:
            ok = target.apprise is not None and self._deliver(target, message)
            log.info(
                "notification", target=target.shown, account=message.account, cause=message.cause, sent=ok
            )
            if ok:
                delivered = True
            else:
                target.apprise = None
                target.missed.append(message.account)
        return delivered

    @staticmethod
    def _deliver(target: _Target, message: Message) -> bool:
        """One message to one target, bounded as checker/outputs/bounded_http.py says: 30 s in all, a short
        answer, no redirect followed (Apprise would re-send the message wherever one points)."""
        from checker.outputs.bounded_http import bounded

        with bounded() as exchange:
            try:
                sent = bool(
                    target.apprise.notify(
                        body=message.body,
                        title=message.title,
                        notify_type=message.severity,  # plain strings: every Apprise since 1.9 takes them
                        body_format="text",
                    )
                )
            except Exception as exc:  # Apprise and its plugins: whatever fails, the run's results stand
                log.debug("notification raised", target=target.shown, error=type(exc).__name__)
                sent = False
        if not sent:
            target.why = exchange.why_not()
        return sent

    def warnings(self) -> Iterator[str]:
        for target in self.targets:
            if target.missed:
                why = target.why or "check the URL and that the service is reachable"
                yield (
                    f"could not send the notification about {', '.join(dict.fromkeys(target.missed))} to "
                    f"{target.shown}: {why}; the check's results stand, and the next run tries again"
                )


def notify_run(
    results: Sequence[CheckResult],
    urls: Sequence[str],
    home: Path,
    warn: Callable[[str], None],
    *,
    site_changes: Sequence[SiteChange] = (),
) -> None:
    """Send what `results` call for to `urls`, each cause once per account until the account has
    been healthy in between, and a message for each of `site_changes` (each is seen once: see
    checker/store/listings.py). Never raises: a failure is one line passed to `warn`."""
    if not urls or not (results or site_changes):
        return
    outbox = _Outbox(urls) if site_changes else None
    for change in site_changes:
        assert outbox is not None
        outbox.send(site_change_message(change))
    if results:
        outbox = _notify_results(results, urls, home, warn, outbox)
    for line in outbox.warnings() if outbox else ():
        warn(line)


def site_change_message(change: SiteChange) -> Message:
    """The notification of a change LinkedIn made to a category page: only a person can tell what a
    setting the tool does not know means, so it needs one."""
    from checker.outputs.results import site_change_sentence

    lines = [
        f"What happened: {site_change_sentence(change)}.",
        f"Seen on the pages of: {change.account}, at {iso(change.seen_at)}",
        "What to do: "
        + (
            "look at it on LinkedIn (Settings & Privacy) and decide whether to switch it off yourself;"
            " the tool never reads, clicks or saves a setting it does not know. `linkedin-ai-optout"
            " settings discover` shows what each category page lists."
            if change.change is Change.ADDED
            else "nothing, unless it shows up elsewhere: the tool reports it as not offered from now on."
        ),
    ]
    body = "\n".join(printable(scrub(line)) for line in lines)
    title = "LinkedIn AI opt-out: LinkedIn changed its data-use settings"
    return Message(change.account, f"site_{change.change.value}", title, body, "warning")


def _notify_results(
    results: Sequence[CheckResult],
    urls: Sequence[str],
    home: Path,
    warn: Callable[[str], None],
    outbox: _Outbox | None,
) -> _Outbox | None:
    """Send what `results` call for, through `outbox` (made when first needed); return it."""
    path = home / STATE_FILE
    try:
        with file_lock(path):
            notified = _read_state(path, warn)
            changed = False
            told: set[tuple[str, str]] = set()  # (account, cause) sent in this run, for sign-in causes
            for result in results:
                key = state_key(result)
                message = message_for(result)
                if message is None:
                    if is_healthy(result) and notified.pop(key, None) is not None:
                        changed = True
                    continue
                if key in notified and notified[key].cause == message.cause:
                    continue  # already told, and not healthy since
                at = utc_now().isoformat(timespec="seconds").replace("+00:00", "Z")
                account_wide = (email_key(result.account), message.cause)
                if message.cause in _ACCOUNT_CAUSES and account_wide in told:
                    # Signing in failed once for all the account's settings: one message says it.
                    notified[key] = _Sent(account=result.account, cause=message.cause, at=at)
                    changed = True
                    continue
                outbox = outbox or _Outbox(urls)
                if outbox.send(message):
                    told.add(account_wide)
                    notified[key] = _Sent(account=result.account, cause=message.cause, at=at)
                    changed = True
            if changed:
                document = {"notified": {key: sent.model_dump() for key, sent in sorted(notified.items())}}
                clean_stale_temp_files(path)  # a write killed midway leaves one; we hold the lock
                write_private_file(path, json.dumps(document, indent=2).encode() + b"\n")
    except (CheckerError, OSError) as exc:
        warn(f"notifications: {exc}")
    return outbox


def _read_state(path: Path, warn: Callable[[str], None]) -> dict[str, _Sent]:
    try:
        raw = read_regular_file(path)
        return {} if raw is None else dict(_State.model_validate(json.loads(raw)).notified)
    except (ValueError, ValidationError):
        # Losing it costs at most one repeated notification per account; it is written anew.
        warn(f"{path} is not a notification record this version reads: it will be replaced")
        return {}
