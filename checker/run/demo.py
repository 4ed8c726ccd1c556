"""`demo`: the main job, end to end, on the built-in fixture site.

It uses a throwaway home directory and an in-memory keyring, so the user's real keyring,
history and sessions are never touched.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from checker.core.outcome import CheckResult, Outcome
from checker.fixture_site import Account, FixtureSite
from checker.linkedin.locate import Site
from checker.linkedin.rules import load_rules
from checker.run.context import CheckOptions
from checker.run.runner import Runner
from checker.store.credentials import CredentialStore, MemoryKeyring
from checker.store.history import History
from checker.store.sessions import SessionStore

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password"  # noqa: S105 -- the fixture site's demo account, not a real secret

STEPS = [
    ("check", CheckOptions()),
    ("check --apply", CheckOptions(apply=True)),
    ("check", CheckOptions()),
]
EXPECTED = [Outcome.NON_COMPLIANT, Outcome.FIXED, Outcome.COMPLIANT]

ShowStep = Callable[[str, list[CheckResult]], None]


async def run_demo(show: ShowStep, *, browser_path: str | None, headed: bool, timeout_ms: float) -> bool:
    """Run the demo's three steps, showing each result; return whether they went as expected."""
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="linkedin-ai-optout-demo-") as home, FixtureSite() as fixture:
        fixture.add_account(Account(email=DEMO_EMAIL, password=DEMO_PASSWORD, ai_training=True))
        credentials = CredentialStore(MemoryKeyring())
        credentials.store(DEMO_EMAIL, DEMO_PASSWORD)
        site = Site(origin=fixture.base_url, rules=load_rules(), timeout_ms=timeout_ms)
        for label, options in STEPS:
            runner = Runner(
                site=site,
                credentials=credentials,
                sessions=SessionStore.in_home(Path(home), credentials),
                history=History.in_home(Path(home)),
                options=CheckOptions(
                    apply=options.apply, browser_path=browser_path, headed=headed, pace_seconds=0
                ),
                home=Path(home),
            )
            results = (await runner.check_accounts([DEMO_EMAIL])).results
            show(f"$ linkedin-ai-optout {label}   (fixture site {fixture.base_url})", results)
            outcomes.extend(result.outcome for result in results)
    return outcomes == EXPECTED
