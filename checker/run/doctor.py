"""`doctor`: everything a check needs, looked at one by one, each with what to do when it fails.

It never crashes: whatever goes wrong while looking becomes a FAIL line. It writes nothing but
nameless probe files, to see whether the data and sessions directories are writable.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from checker import __version__
from checker.core.errors import CheckerError, ConfigError, KeyringUnavailable
from checker.core.outcome import Outcome
from checker.linkedin.browser import BrowserSource, install_command
from checker.linkedin.rules import SELECTORS_ENV, catalog_path, load_rules, rules_path
from checker.outputs.results import Finding
from checker.store.accounts import AccountList
from checker.store.config_file import load_user_config
from checker.store.credentials import BACKEND_ENV, CredentialStore
from checker.store.history import History
from checker.store.home import HOME_ENV, home_path, not_ours, os_reason, probe_writable, refuse_symlink
from checker.store.quarantine import Quarantine, lifting_command
from checker.store.sessions import SessionStore


async def diagnose(credentials: CredentialStore, *, browser_path: str | None) -> list[Finding]:
    """Look at every part a check needs, in the order a check uses them."""
    home = home_path()
    checks: list[tuple[str, Callable[[], Finding | Awaitable[Finding]]]] = [
        ("data directory", lambda: _home(home)),
        ("accounts file", lambda: _accounts(home)),
        ("config file", _config),
        ("quarantine", lambda: _quarantine(home)),
        ("history database", lambda: _history(home)),
        ("saved sessions", lambda: _sessions(home, credentials)),
        ("selector files", _rules),
        ("keyring", lambda: keyring_finding(credentials)),
        ("browser", lambda: _browser(browser_path)),
    ]
    findings = [Finding("version", True, __version__)]
    for name, check in checks:
        try:
            found = check()
            findings.append(found if isinstance(found, Finding) else await found)
        except CheckerError as exc:
            findings.append(Finding(name, False, str(exc), FIXES[name]))
        except Exception as exc:  # doctor reports; it must not be the thing that breaks
            unexpected = f"unexpected {type(exc).__name__}: {exc}"
            findings.append(Finding(name, False, unexpected, "please report this, with the line above"))
    return findings


def _home(home: Path) -> Finding:
    name = "data directory"
    if not home.exists():
        return Finding(name, True, f"{home} (created at the first check)")
    if not home.is_dir():
        return Finding(name, False, f"{home} is not a directory", f"move it away, or set {HOME_ENV}")
    probe_writable(home)
    mode = stat.S_IMODE(home.stat().st_mode)
    looser = f"; mode {mode:04o}: the next check makes it 0700" if mode & 0o077 else ""
    return Finding(name, True, f"{home}{looser}")


def _accounts(home: Path) -> Finding:
    emails = AccountList.in_home(home).emails()
    if not emails:
        return Finding("accounts file", True, "no accounts yet (linkedin-ai-optout accounts add EMAIL)")
    return Finding("accounts file", True, f"{len(emails)} account{'s' if len(emails) > 1 else ''}")


def _config() -> Finding:
    """The config file, read and checked exactly as `check` reads it (load_user_config checks every
    value)."""
    config = load_user_config()
    if not config.exists:
        return Finding("config file", True, f"{config.path}: none, the defaults apply")
    count = len(config.values)
    return Finding("config file", True, f"{config.path}: {count} setting{'s' if count != 1 else ''}")


def _quarantine(home: Path) -> Finding:
    """The accounts whose password is held back: each needs a person, and the command that lifts it."""
    held = Quarantine.in_home(home).held()
    if not held:
        return Finding("quarantine", True, "no account's password is held back")
    why = "; ".join(f"{hold.account} since {hold.since[:10]}, after {hold.cause}" for hold in held)
    fixes = "; ".join(
        lifting_command(hold.account, hold.outcome)
        + (" (with its new password)" if hold.outcome is Outcome.AUTH_FAILED else " (sign in yourself)")
        for hold in held
    )
    return Finding(
        "quarantine", False, f"passwords held back, so these accounts are not checked: {why}", fixes
    )


def _history(home: Path) -> Finding:
    history = History.in_home(home)
    if not history.path.exists():
        return Finding("history database", True, f"{history.path} (created at the first check)")
    history.entries(limit=1)  # refuses links, damaged files and newer layouts
    # A check writes to it: opening it for writing, which writes nothing, is how to know.
    try:
        os.close(os.open(history.path, os.O_RDWR | os.O_NOFOLLOW))
    except OSError as exc:
        raise ConfigError(
            f"{history.path} is not writable ({os_reason(exc)}): a check could not record"
        ) from None
    return Finding("history database", True, f"{history.path}: readable and writable")


def _sessions(home: Path, credentials: CredentialStore) -> Finding:
    sessions = SessionStore.in_home(home, credentials)
    # What `check` needs of the directory (SessionStore.prepare), looked at without creating it.
    refuse_symlink(sessions.root)
    if sessions.root.exists():
        if not sessions.root.is_dir():
            raise not_ours(sessions.root, "a directory")
        probe_writable(sessions.root)
    try:
        emails = AccountList.in_home(home).emails()
    except CheckerError:
        # Reported once, under "accounts file", with its own fix: here it would read as a session problem.
        return Finding("saved sessions", True, "not counted: the accounts file cannot be read")
    saved = sum(sessions.has_any(email) for email in emails)
    return Finding("saved sessions", True, f"{saved} account{'s' if saved != 1 else ''} with a saved session")


def _rules() -> Finding:
    rules = load_rules()
    languages = ", ".join(rules.text)
    settings = len(rules.catalog.settings)
    return Finding(
        "selector files",
        True,
        f"{rules_path()}: {len(rules.targets)} targets; {languages}; "
        f"{catalog_path(rules_path())}: {settings} settings",
    )


def keyring_finding(credentials: CredentialStore, probe: Callable[[], object] | None = None) -> Finding:
    """Whether the keyring answers (to `probe`, else to a read of a made-up entry); when not, why in
    words that fit where the check runs, and the fix. `check` stops on it before the browser starts:
    every account needs the keyring, for its password or for the key of its saved session."""
    try:
        (probe or credentials.probe)()
    except KeyringUnavailable as exc:
        chosen = os.environ.get(BACKEND_ENV, "")
        secret_service = not chosen or "SecretService" in chosen
        if (
            sys.platform.startswith("linux")
            and secret_service
            and not os.environ.get("DBUS_SESSION_BUS_ADDRESS")
        ):
            # What a cron job or an SSH login sees: the Secret Service may be there, but nothing
            # says where its bus is.
            no_bus = f"{exc}: there is no D-Bus session here (DBUS_SESSION_BUS_ADDRESS is not set)"
            if os.environ.get("SSH_CONNECTION"):
                return Finding(
                    "keyring",
                    False,
                    f"{no_bus}, as in an SSH login without a desktop session, so no keyring can be reached",
                    "run it where you are logged in to the desktop, or start a bus and unlock the keyring in "
                    "this login first: dbus-run-session -- bash, then gnome-keyring-daemon --unlock (type "
                    "the keyring's password, then Ctrl-D), then the command again",
                )
            return Finding(
                "keyring",
                False,
                f"{no_bus}, as in a cron job, so the Secret Service cannot be reached",
                "schedule the check as a systemd user timer (linkedin-ai-optout schedule install), whose "
                "services have your session's bus, or set DBUS_SESSION_BUS_ADDRESS in the job to your "
                "session's bus (unix:path=/run/user/<uid>/bus)",
            )
        if not secret_service:
            return Finding(
                "keyring",
                False,
                str(exc),
                f"{BACKEND_ENV}={chosen} chose this backend: fix what it reads (for "
                "checker.store.mounted_secrets.MountedSecrets, the mounted directory), or unset the variable",
            )
        return Finding("keyring", False, str(exc), FIXES["keyring"])
    return Finding("keyring", True, f"{credentials.describe()}: answers")


async def _browser(browser_path: str | None) -> Finding:
    return Finding("browser", True, await BrowserSource(path=browser_path).describe())


# What to do when a part fails, by finding; the error's own words say what is wrong.
FIXES = {
    "data directory": f"make it a writable directory of yours, or set {HOME_ENV} to one",
    "accounts file": "fix the entry named, or remove the file and add the accounts again",
    "config file": "fix the key named, or move the file aside (the defaults then apply)",
    "quarantine": "move the file named aside (every account's password is then allowed again)",
    "history database": "make it a writable file of yours, or move it aside (a new one is created); "
    "if a newer version wrote it, upgrade the tool",
    "saved sessions": "remove what is named; sessions are only a convenience",
    "selector files": f"reinstall the tool, or point {SELECTORS_ENV} at a valid copy",
    "keyring": "log in to your desktop session (gnome-keyring unlocks at login), or install and unlock a "
    "keyring (gnome-keyring, KWallet, macOS Keychain, Windows Credential Locker), from the same session "
    "the check runs in",
    "browser": f"run `{install_command()}`, install your system's chromium, or pass --browser-path",
}
