"""`doctor`: what the tool would use, and whether each part works."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from checker import __version__
from checker.browser import describe_browser
from checker.config import home_dir
from checker.credentials import CredentialStore
from checker.errors import CheckerError
from checker.rules import load_rules, rules_path


@dataclass(frozen=True)
class Finding:
    """One thing doctor looked at."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    """What to do about a failed finding, as one sentence; empty when ok."""


async def diagnose(credentials: CredentialStore, *, browser_path: str | None) -> list[Finding]:
    findings = [Finding("version", True, __version__)]
    findings.append(_home())
    findings.append(_rules())
    findings.append(_keyring(credentials))
    findings.append(await _browser(browser_path))
    return findings


def _home() -> Finding:
    try:
        home = home_dir()
    except OSError as exc:
        return Finding("data directory", False, f"cannot create it: {exc}")
    return Finding("data directory", _writable(home), str(home))


def _writable(path: Path) -> bool:
    probe = path / ".doctor-probe"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError:
        return False
    return True


def _rules() -> Finding:
    try:
        rules = load_rules()
    except CheckerError as exc:
        return Finding("selector files", False, str(exc))
    languages = ", ".join(rules.text)
    return Finding("selector files", True, f"{rules_path()}: {len(rules.targets)} targets; {languages}")


def _keyring(credentials: CredentialStore) -> Finding:
    try:
        credentials.probe()
    except CheckerError as exc:
        return Finding("keyring", False, f"{credentials.describe()}: {exc}")
    return Finding("keyring", True, f"{credentials.describe()}: answers")


async def _browser(browser_path: str | None) -> Finding:
    try:
        return Finding("browser", True, await describe_browser(browser_path))
    except CheckerError as exc:
        return Finding("browser", False, str(exc))
