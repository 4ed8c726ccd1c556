"""One lock helper for the files of the home that runs write in turn (the notification record, the
quarantine), with one wait: a lock another run keeps past it is one line naming the lock file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from checker.core.errors import ConfigError
from checker.core.outcome import Outcome, SwitchState
from checker.outputs.notify import STATE_FILE, notify_run
from checker.store import home as home_module
from checker.store.home import private_lock
from checker.store.quarantine import FILE_NAME, Quarantine
from tests.conftest import check_result


@pytest.fixture
def no_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one wait, set to none, for both files: another run keeping the lock is met at once."""
    monkeypatch.setattr(home_module, "LOCK_WAIT_SECONDS", 0)


def kept_by_another_run(lock_file: Path) -> str:
    return f"cannot lock {lock_file}: another run has held it for 0 s; try again"


def test_a_quarantine_whose_lock_another_run_keeps_is_refused_naming_the_lock_file(
    home: Path, no_wait: None
) -> None:
    lock_file = home / f"{FILE_NAME}.lock"
    quarantine = Quarantine.in_home(home)
    with private_lock(lock_file), pytest.raises(ConfigError) as refused:
        quarantine.hold("a@example.com", Outcome.AUTH_FAILED, "the site refused the password")
    assert str(refused.value) == kept_by_another_run(lock_file)
    assert quarantine.get("a@example.com") is None


def test_a_notification_record_whose_lock_another_run_keeps_is_one_warning_and_nothing_sent(
    home: Path, no_wait: None
) -> None:
    lock_file = home / f"{STATE_FILE}.lock"
    now = datetime.now(UTC)
    result = check_result(
        Outcome.UI_CHANGED,
        "the page was not recognised",
        state_before=SwitchState.UNKNOWN,
        verified=False,
        started_at=now,
        checked_at=now,
    )
    warnings: list[str] = []
    with private_lock(lock_file):
        # A closed port: were anything sent, the warning would say it could not be.
        notify_run([result], ["json://127.0.0.1:9/hook"], home, warnings.append)
    assert warnings == [f"notifications: {kept_by_another_run(lock_file)}"]
    assert not (home / STATE_FILE).exists()
