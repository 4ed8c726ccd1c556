"""The one exception base of the tool, and the exit codes the process can end with.

Imported early (checker/cli/startup.py ends a stopped process with `ExitCode.of_signal`): it imports
nothing but `enum`.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What the process exit status means: every status the tool ends with is one of these.
    Documented in docs/reference.md; of 0 to 4, the highest applicable wins; a signal's status wins
    over all."""

    OK = 0
    """Every account is compliant, fixed or not applicable."""
    ACTION_NEEDED = 1
    """Some account has the setting on (found on, would fix, or a fix the site did not keep)."""
    USAGE = 2
    """Bad command line or input (Click's own usage errors use it too)."""
    ATTENTION = 3
    """A person must act: a login challenge, or wrong or missing credentials."""
    FAILURE = 4
    """The page was not recognised, something broke, or the tool cannot run at all."""
    INTERRUPTED = 130
    """Stopped by SIGINT (Ctrl-C): 128 + its number, as shells report it."""
    TERMINATED = 143
    """Stopped by SIGTERM: 128 + its number."""

    @classmethod
    def of_signal(cls, signum: int) -> ExitCode:
        """The status of a process stopped by `signum` (SIGINT or SIGTERM; ValueError for another)."""
        return cls(128 + signum)


class CheckerError(Exception):
    """An error whose message is shown to the user as one line, with the exit code it maps to."""

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, message: str, exit_code: ExitCode | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(CheckerError):
    """The user asked for something that cannot be done as asked (unknown account, empty password)."""

    exit_code = ExitCode.USAGE


class ConfigError(CheckerError):
    """A data or configuration file the tool relies on is malformed."""


class KeyringUnavailable(CheckerError):
    """No usable keyring: there is no backend, or it is locked. There is no plaintext fallback."""


class BrowserNotFound(CheckerError):
    """No Chromium or Chrome to drive."""
