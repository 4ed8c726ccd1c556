"""An offline, stateful double of LinkedIn for the tests and the demo.

It serves pages modelled on LinkedIn's markup from a loopback port, keeps
per-account state, records what it receives and fails the way LinkedIn fails.
"""

from checker.fixture_site.model import (
    Account,
    ChallengeAttempt,
    LoginAttempt,
    Received,
    SaveGate,
    SettingChange,
    Transient,
)
from checker.fixture_site.server import FixtureSite

__all__ = [
    "Account",
    "ChallengeAttempt",
    "FixtureSite",
    "LoginAttempt",
    "Received",
    "SaveGate",
    "SettingChange",
    "Transient",
]
