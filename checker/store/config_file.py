"""The user's config file, `<home>/config.toml`: defaults for what a person would otherwise repeat on
every command line (the site, the pace, the timeout, where to send notifications, which settings).

A value on the command line wins over the file, and the file over the built-in default. Reading
the file never writes anything, and a missing file is the same as an empty one. The file is the
user's, not the tool's: unlike the tool's own files it may be a symbolic link (into a dotfiles
repository, say). An unknown key, or a value of the wrong kind, stops the command with the file
and the key named: a misspelt `notfy` must not silently send nothing.
"""

from __future__ import annotations

import math
import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from checker.core.errors import CheckerError, ConfigError, UsageError
from checker.core.outcome import SETTING
from checker.core.safe_text import printable
from checker.core.urls import normalize_base_url
from checker.store.home import DEFAULT_BASE_URL, home_path, not_a_directory_above, os_reason

FILE_NAME = "config.toml"

DEFAULT_PACE = 5.0
DEFAULT_TIMEOUT = 20.0
MIN_TIMEOUT, MAX_TIMEOUT = 1, 600
"""Seconds for any one thing on a page: less than a second fails on a good day; more than ten minutes
is a page that will not come, and far more overflows the browser's timers (every wait ends at once)."""
MAX_PACE = 3600
"""Seconds between accounts: an hour apart is already gentler than any schedule needs."""
MAX_CONCURRENCY = 8
"""More accounts at once than this only queue behind the machine's cores and LinkedIn's patience."""
MAX_EVIDENCE_DAYS = 36500
"""A hundred years: longer than any retention an auditor asks for."""
RANGES: dict[str, tuple[int, int]] = {
    "pace": (0, MAX_PACE),
    "timeout": (MIN_TIMEOUT, MAX_TIMEOUT),
    "concurrency": (1, MAX_CONCURRENCY),
    "evidence_days": (1, MAX_EVIDENCE_DAYS),
}
"""The numbers each numeric key (and its command-line option) accepts, ends included; never inf or nan."""
DEFAULTS: dict[str, Any] = {
    "base_url": DEFAULT_BASE_URL,
    "pace": DEFAULT_PACE,
    "timeout": DEFAULT_TIMEOUT,
    "notify": (),
    "settings": (SETTING,),
    "concurrency": 1,
    "evidence": "failure",
    "evidence_days": 400,
}

# What each key holds, for the error that says a value is of the wrong kind.
_EXPECTED = {
    "base_url": "a string, https://HOST[:PORT]",
    "pace": f"a number of seconds, 0 to {MAX_PACE}",
    "timeout": f"a number of seconds, {MIN_TIMEOUT} to {MAX_TIMEOUT}",
    "notify": 'a list of Apprise URLs, such as ["ntfy://ntfy.sh/my-topic"]',
    "settings": 'a list of setting names (see `linkedin-ai-optout settings list`), or ["all"]',
    "concurrency": f"a whole number of accounts at once, 1 to {MAX_CONCURRENCY}",
    "evidence": '"failure" (evidence of failed checks only) or "always" (of every reading too)',
    "evidence_days": f"a whole number of days to keep the evidence of readings, 1 to {MAX_EVIDENCE_DAYS}",
}

Source = Literal["default", "config.toml", "command line"]


class _File(BaseModel):
    """The keys of config.toml, each optional."""

    model_config = ConfigDict(extra="forbid", strict=True)

    base_url: str | None = None
    pace: float | None = None
    timeout: float | None = None
    notify: list[str] | None = None
    settings: list[str] | None = None
    concurrency: int | None = None
    evidence: Literal["failure", "always"] | None = None
    evidence_days: int | None = None


@dataclass(frozen=True)
class Effective:
    """The values a command uses, each with where it came from."""

    base_url: str
    pace: float
    timeout: float
    notify: tuple[str, ...]
    settings: tuple[str, ...]
    concurrency: int
    evidence: str
    evidence_days: int
    sources: dict[str, Source] = field(default_factory=dict)


@dataclass(frozen=True)
class UserConfig:
    """The config file's path and the values it sets (none when it is absent)."""

    path: Path
    exists: bool
    values: dict[str, Any]

    def resolve(self, **given: Any) -> Effective:
        """The effective values: each of `given` that is not None (from the command line), else the
        file's, else the default."""
        values: dict[str, Any] = {}
        sources: dict[str, Source] = {}
        for key, default in DEFAULTS.items():
            if given.get(key) is not None:
                values[key], sources[key] = given[key], "command line"
            elif key in self.values:
                values[key], sources[key] = self.values[key], "config.toml"
            else:
                values[key], sources[key] = default, "default"
        values["notify"] = tuple(values["notify"])
        values["settings"] = tuple(values["settings"])
        return Effective(**values, sources=sources)


def config_path() -> Path:
    """Where the config file is: `config.toml` in the home directory. Only computed."""
    return home_path() / FILE_NAME


def load_user_config(path: Path | None = None) -> UserConfig:
    """Read and validate the config file; an absent file sets nothing. Raises ConfigError naming the
    file and the key."""
    path = config_path() if path is None else path
    raw = _read(path)
    if raw is None:
        return UserConfig(path=path, exists=False, values={})
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"{path}: not valid TOML ({printable(str(exc))}): fix it, or move it aside"
        ) from None
    try:
        parsed = _File.model_validate(document)
    except ValidationError as exc:
        raise ConfigError(_first_problem(path, exc)) from None
    values = parsed.model_dump(exclude_none=True)
    _check_values(path, values)
    return UserConfig(path=path, exists=True, values=values)


def _read(path: Path) -> bytes | None:
    # O_NONBLOCK: a FIFO at the path must not hang the command; it is refused below.
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise not_a_directory_above(path) from None  # the home itself, most likely, is a file
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({os_reason(exc)}): check it and its directory") from None
    # Looked at before it is wrapped: Python refuses to wrap a directory (IsADirectoryError).
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ConfigError(f"{path} is not a regular file: replace it with a TOML file, or remove it")
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def _first_problem(path: Path, exc: ValidationError) -> str:
    """One line for the first error pydantic found: the file, the key, what it should be."""
    error = exc.errors()[0]
    location = error["loc"]
    key = str(location[0]) if location else "?"
    shown = key + "".join(f"[{part}]" for part in location[1:])
    if error["type"] == "extra_forbidden":
        keys = ", ".join(DEFAULTS)
        return f"{path}: {printable(shown)}: unknown key; the keys are {keys} (see docs/members.md)"
    return f"{path}: {shown}: expected {_EXPECTED[key]}, got {_shown_value(error.get('input'))}"


def _shown_value(value: object) -> str:
    if isinstance(value, str):
        return printable(repr(value))
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return printable(repr(value))


def _check_values(path: Path, values: dict[str, Any]) -> None:
    """What the types alone do not say: ranges, the URL rules, known names."""
    if "base_url" in values:
        try:
            values["base_url"] = normalize_base_url(values["base_url"])
        except CheckerError as exc:
            raise ConfigError(f"{path}: base_url: {exc}") from None
    for key, (low, high) in RANGES.items():
        value = values.get(key)
        if value is not None and not (math.isfinite(value) and low <= value <= high):
            shown = f"{value:g}" if isinstance(value, float) else str(value)
            raise ConfigError(f"{path}: {key}: expected {_EXPECTED[key]}, got {shown}")
    if values.get("settings") == []:
        raise ConfigError(f"{path}: settings: empty; name at least one, or remove the key")
    if "settings" in values:
        from checker.linkedin.rules import (
            setting_names,  # the catalog is read only when the file names settings
        )

        for index, name in enumerate(values["settings"]):
            try:
                setting_names([name])
            except UsageError as exc:
                raise ConfigError(f"{path}: settings[{index}]: {exc}") from None
        values["settings"] = list(setting_names(values["settings"]))
    if values.get("notify"):
        from checker.core.urls import url_problem  # Apprise is loaded only when there is a URL to check

        for index, url in enumerate(values["notify"]):
            problem = url_problem(url)
            if problem is not None:
                raise ConfigError(f"{path}: notify[{index}]: {problem}")
