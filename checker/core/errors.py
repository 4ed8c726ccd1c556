"""The one exception base of the tool, and the exit codes the process can end with."""

from enum import IntEnum


class ExitCode(IntEnum):
    """What the process exit status means. Documented in the README; the highest applicable wins."""

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
