"""Every status the process ends with is one of ExitCode's, the signals' 130 and 143 included, and
the places that end a process take it from there: interrupts, start-up, the check command, the
command line's error boundary."""

from __future__ import annotations

import ast
import signal

import pytest

from checker.cli.startup import _stopped
from checker.core.errors import ExitCode
from checker.core.outcome import Outcome, run_exit_code
from checker.run.interrupts import EXIT_CODES
from tests.conftest import ROOT

CHECKER = ROOT / "checker"


def test_the_enum_holds_the_statuses_of_a_run_stopped_by_sigint_and_by_sigterm() -> None:
    assert (ExitCode.INTERRUPTED, ExitCode.TERMINATED) == (130, 143)
    assert ExitCode.of_signal(signal.SIGINT) is ExitCode.INTERRUPTED
    assert ExitCode.of_signal(signal.SIGTERM) is ExitCode.TERMINATED


def test_a_run_stops_on_the_signals_the_enum_has_a_status_for_and_ends_with_it() -> None:
    assert EXIT_CODES == {signal.SIGINT: ExitCode.INTERRUPTED, signal.SIGTERM: ExitCode.TERMINATED}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_start_up_ends_a_stopped_process_with_the_enums_status(signum: int) -> None:
    with pytest.raises(SystemExit) as stopped:
        _stopped(signum)
    assert stopped.value.code == ExitCode.of_signal(signum)


def test_a_runs_code_is_the_worst_outcome_at_least_failure_when_unrecorded_and_the_signals_when_stopped() -> (
    None
):
    outcomes = [Outcome.COMPLIANT, Outcome.NON_COMPLIANT]
    assert run_exit_code(outcomes, all_recorded=True, stopped_by=None) is ExitCode.ACTION_NEEDED
    assert run_exit_code(outcomes, all_recorded=False, stopped_by=None) is ExitCode.FAILURE
    assert run_exit_code([], all_recorded=True, stopped_by=None) is ExitCode.OK
    stopped = run_exit_code([Outcome.ERROR], all_recorded=False, stopped_by=signal.SIGTERM)
    assert stopped is ExitCode.TERMINATED


def _exit_calls(tree: ast.AST) -> list[ast.Call]:
    """Calls of sys.exit, SystemExit and typer.Exit."""
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("exit", "Exit", "SystemExit"):
                calls.append(node)
    return calls


def test_no_module_ends_the_process_with_a_number_of_its_own() -> None:
    bare = []
    for path in sorted(CHECKER.rglob("*.py")):
        for call in _exit_calls(ast.parse(path.read_text(encoding="utf-8"))):
            numbers = [
                node
                for argument in call.args
                for node in ast.walk(argument)
                if isinstance(node, ast.Constant) and type(node.value) is int
            ]
            if numbers:
                bare.append(f"{path.relative_to(CHECKER.parent)}:{call.lineno}")
    assert bare == []
