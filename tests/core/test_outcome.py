"""Outcomes, their exit codes, and the JSON shape of a result."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from checker.core.errors import ExitCode
from checker.core.outcome import Action, Outcome, SwitchState, fold_exit_code
from tests.conftest import check_result


@pytest.mark.parametrize(
    ("outcomes", "code"),
    [
        ([], 0),
        ([Outcome.COMPLIANT, Outcome.FIXED, Outcome.NOT_APPLICABLE], 0),
        ([Outcome.COMPLIANT, Outcome.NON_COMPLIANT], 1),
        ([Outcome.WOULD_FIX], 1),
        ([Outcome.FIX_FAILED, Outcome.FIXED], 1),
        ([Outcome.NON_COMPLIANT, Outcome.NEEDS_ATTENTION], 3),
        ([Outcome.AUTH_FAILED, Outcome.WOULD_FIX], 3),
        ([Outcome.AUTH_FAILED, Outcome.UI_CHANGED, Outcome.FIX_FAILED], 4),
        ([Outcome.ERROR], 4),
    ],
)
def test_the_highest_exit_code_of_the_outcomes_wins(outcomes: list[Outcome], code: int) -> None:
    assert fold_exit_code(outcomes) == ExitCode(code)


def test_a_result_serialises_to_the_documented_schema() -> None:
    moment = datetime(2026, 11, 23, 9, 30, 5, 123456, tzinfo=UTC)
    result = check_result(
        Outcome.FIXED,
        "switched off",
        state_after=SwitchState.OFF,
        action=Action.SWITCHED_OFF,
        started_at=moment,
        checked_at=moment,
    )
    assert result.to_json() == {
        "account": "a@example.com",
        "setting": "generative_ai_training",
        "state_before": "on",
        "state_after": "off",
        "action": "switched_off",
        "verified": True,
        "outcome": "fixed",
        "detail": "switched off",
        "checked_at": "2026-11-23T09:30:05Z",
        "evidence": None,
        "previous_state": None,
        "drift": False,
        "quarantined": False,
    }


def test_a_result_with_evidence_serialises_the_bundles_path() -> None:
    result = check_result(
        Outcome.UI_CHANGED,
        "not recognised",
        state_before=SwitchState.UNKNOWN,
        verified=False,
        evidence="/home/a/.local/share/linkedin-ai-optout/evidence/20261123T093005000Z-0123456789ab",
    )
    assert result.to_json()["evidence"] == result.evidence


@pytest.mark.parametrize(
    ("before", "after", "read"),
    [
        (SwitchState.ON, None, SwitchState.ON),  # read, nothing clicked
        (SwitchState.ON, SwitchState.OFF, SwitchState.OFF),  # clicked: what the reload showed
        (SwitchState.ON, SwitchState.UNKNOWN, None),  # clicked, then stopped: the state is not known
        (SwitchState.UNKNOWN, None, None),  # the page was not read
        (SwitchState.UNAVAILABLE, None, None),
    ],
)
def test_the_state_a_check_read_is_the_one_history_drift_and_reports_all_use(
    before: SwitchState, after: SwitchState | None, read: SwitchState | None
) -> None:
    result = check_result(Outcome.ERROR, "", state_before=before, state_after=after, verified=False)
    assert result.read_state is read
