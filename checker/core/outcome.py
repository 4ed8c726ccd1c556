"""What a check found and did: switch states, actions, outcomes, and how they fold into an exit code."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from checker.core.errors import ExitCode

SETTING = "generative_ai_training"
"""The one setting this tool checks, as it is named in reports and history."""


class SwitchState(StrEnum):
    ON = "on"
    OFF = "off"
    UNAVAILABLE = "unavailable"
    """The account is not offered the setting."""
    UNKNOWN = "unknown"
    """The state could not be read; never guessed."""


class Action(StrEnum):
    NONE = "none"
    SWITCHED_OFF = "switched_off"
    WOULD_SWITCH_OFF = "would_switch_off"
    FAILED = "failed"


class Outcome(StrEnum):
    COMPLIANT = "compliant"
    FIXED = "fixed"
    WOULD_FIX = "would_fix"
    NON_COMPLIANT = "non_compliant"
    FIX_FAILED = "fix_failed"
    NOT_APPLICABLE = "not_applicable"
    NEEDS_ATTENTION = "needs_attention"
    AUTH_FAILED = "auth_failed"
    UI_CHANGED = "ui_changed"
    ERROR = "error"

    @property
    def exit_code(self) -> ExitCode:
        return _EXIT_CODES[self]


_EXIT_CODES = {
    Outcome.COMPLIANT: ExitCode.OK,
    Outcome.FIXED: ExitCode.OK,
    Outcome.NOT_APPLICABLE: ExitCode.OK,
    Outcome.NON_COMPLIANT: ExitCode.ACTION_NEEDED,
    Outcome.WOULD_FIX: ExitCode.ACTION_NEEDED,
    Outcome.FIX_FAILED: ExitCode.ACTION_NEEDED,
    Outcome.NEEDS_ATTENTION: ExitCode.ATTENTION,
    Outcome.AUTH_FAILED: ExitCode.ATTENTION,
    Outcome.UI_CHANGED: ExitCode.FAILURE,
    Outcome.ERROR: ExitCode.FAILURE,
}


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """`moment` as documents and reports write it: ISO 8601 to the second, UTC as `Z`."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclasses.dataclass(frozen=True)
class Proof:
    """The evidence kept of a reading (`check --evidence always`, checker/capture/readings.py): its
    folder, and the SHA-256 of each file in it, by file name."""

    path: str
    sha256: tuple[tuple[str, str], ...]

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": dict(self.sha256)}

    @classmethod
    def from_json(cls, data: object) -> Proof:
        """ValueError unless `data` is a `to_json` form."""
        if not isinstance(data, Mapping) or not isinstance(data.get("path"), str):
            raise ValueError("proof: not an object with a path")
        hashes = data.get("sha256")
        if not isinstance(hashes, Mapping) or not all(
            isinstance(name, str) and isinstance(digest, str) for name, digest in hashes.items()
        ):
            raise ValueError("proof.sha256: not an object of file names and hashes")
        return cls(path=data["path"], sha256=tuple(sorted(hashes.items())))


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """The outcome of checking one account: what was read, what was done, and when."""

    account: str
    state_before: SwitchState
    state_after: SwitchState | None
    action: Action
    verified: bool
    outcome: Outcome
    detail: str
    started_at: datetime
    checked_at: datetime
    setting: str = SETTING
    evidence: str | None = None
    """The directory of the failure's evidence bundle (checker/capture/evidence.py), when one was saved."""
    previous_state: SwitchState | None = None
    """The state last recorded for this account and setting before this check (on or off), if any."""
    drift: bool = False
    """The setting was last recorded off and is found on: LinkedIn switched it back."""
    quarantined: bool = False
    """The account's password is held back until a person acts (see checker/store/quarantine.py)."""
    proof: Proof | None = None
    """The evidence kept of the reading, with `check --evidence always`."""

    @property
    def read_state(self) -> SwitchState | None:
        """The state this check read from the page, on or off, if it read one: after a click, only
        what the reload showed counts (before it, the setting was about to change)."""
        state = self.state_before if self.state_after is None else self.state_after
        return state if state in (SwitchState.ON, SwitchState.OFF) else None

    def to_json(self) -> dict[str, Any]:
        """The result as it appears in `check --json` (see docs/reference.md for the schema)."""
        return {
            "account": self.account,
            "setting": self.setting,
            "state_before": self.state_before.value,
            "state_after": None if self.state_after is None else self.state_after.value,
            "action": self.action.value,
            "verified": self.verified,
            "outcome": self.outcome.value,
            "detail": self.detail,
            "checked_at": iso(self.checked_at),
            "evidence": self.evidence,
            "previous_state": None if self.previous_state is None else self.previous_state.value,
            "drift": self.drift,
            "quarantined": self.quarantined,
            # Only with `check --evidence always`: the default document is unchanged.
            **({} if self.proof is None else {"proof": self.proof.to_json()}),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CheckResult:
        """The result a `to_json` form describes (a collector's copy of `check --json`, say);
        ValueError naming the first field that is missing or malformed. Keys it does not know (a
        newer version's) are left alone; `started_at`, which the form leaves out, is `checked_at`
        unless given."""
        checked_at = _moment(data, "checked_at")
        account = _text(data, "account")
        if not account.strip():
            raise ValueError("account: empty")
        return cls(
            account=account,
            setting=_text(data, "setting", SETTING),
            state_before=_choice(data, "state_before", SwitchState),
            state_after=_choice(data, "state_after", SwitchState, optional=True),
            action=_choice(data, "action", Action),
            verified=_flag(data, "verified"),
            outcome=_choice(data, "outcome", Outcome),
            detail=_text(data, "detail"),
            started_at=_moment(data, "started_at") if "started_at" in data else checked_at,
            checked_at=checked_at,
            evidence=_text(data, "evidence", None),
            previous_state=_choice(data, "previous_state", SwitchState, optional=True),
            drift=_flag(data, "drift", False),
            quarantined=_flag(data, "quarantined", False),
            proof=None if data.get("proof") is None else Proof.from_json(data["proof"]),
        )


@dataclasses.dataclass(frozen=True, order=True)
class Listed:
    """One item a settings category page lists: its address on the site, and its words."""

    path: str
    label: str


class Change(StrEnum):
    """What LinkedIn did to a category page's list of settings."""

    ADDED = "added"
    REMOVED = "removed"


@dataclasses.dataclass(frozen=True)
class SiteChange:
    """A change a run saw on a settings category page: an item it lists that it did not list before
    (`added`), or a setting of the catalog it no longer lists (`removed`)."""

    category: str
    change: Change
    label: str
    path: str
    account: str
    """The account whose page showed it first."""
    seen_at: datetime

    def to_json(self) -> dict[str, Any]:
        """The change as `check --json` lists it under `site_changes`."""
        return {
            "category": self.category,
            "change": self.change.value,
            "label": self.label,
            "path": self.path,
        }


_Choice = TypeVar("_Choice", bound=StrEnum)
_REQUIRED: Any = object()


def _field(data: Mapping[str, Any], key: str, default: Any) -> Any:
    if key in data:
        return data[key]
    if default is _REQUIRED:
        raise ValueError(f"{key}: missing")
    return default


def _text(data: Mapping[str, Any], key: str, default: Any = _REQUIRED) -> Any:
    value = _field(data, key, default)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key}: expected a text, not {type(value).__name__}")
    if value is None and default is not None:
        raise ValueError(f"{key}: expected a text, not null")
    return value


def _flag(data: Mapping[str, Any], key: str, default: Any = _REQUIRED) -> bool:
    value = _field(data, key, default)
    if not isinstance(value, bool):
        raise ValueError(f"{key}: expected true or false, not {type(value).__name__}")
    return value


def _choice(data: Mapping[str, Any], key: str, kind: type[_Choice], *, optional: bool = False) -> Any:
    value = _field(data, key, None if optional else _REQUIRED)
    if value is None and optional:
        return None
    if isinstance(value, str) and value in kind._value2member_map_:
        return kind(value)
    raise ValueError(f"{key}: {str(value)[:40]!r} is not one of {', '.join(kind)}")


def _moment(data: Mapping[str, Any], key: str) -> datetime:
    value = _field(data, key, _REQUIRED)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise ValueError(f"{key}: expected an ISO 8601 time, not {str(value)[:40]!r}") from None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def fold_exit_code(outcomes: list[Outcome]) -> ExitCode:
    """The exit code for a run: the highest of the outcomes' codes, OK for an empty run."""
    return max((outcome.exit_code for outcome in outcomes), default=ExitCode.OK)


def run_exit_code(outcomes: list[Outcome], *, all_recorded: bool, stopped_by: int | None) -> ExitCode:
    """The exit code a check run ends with: the signal's when one stopped it (`stopped_by`), else the
    outcomes' folded, and at least FAILURE when some result could not be recorded."""
    if stopped_by is not None:
        return ExitCode.of_signal(stopped_by)
    code = fold_exit_code(outcomes)
    return code if all_recorded else max(code, ExitCode.FAILURE)


class CheckFailed(Exception):
    """A check that ends before a verified result: the outcome it ends with and why, in one sentence."""

    def __init__(self, outcome: Outcome, detail: str) -> None:
        super().__init__(detail)
        self.outcome = outcome
        self.detail = detail
