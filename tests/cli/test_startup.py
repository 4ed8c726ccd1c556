"""Start-up: each command imports what it needs when it runs, and `--version` alone nothing but itself.

The tool runs as a user runs it, in a process of its own; which modules it loads is read from
`python -X importtime`, which names every module as it is imported. No timing is asserted: that is
the benchmark's job, on a quiet machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from checker import VERSION_LINE, __version__
from checker.cli.signals import HeldSignals, Terminated, terminate
from checker.cli.startup import _stopped
from checker.run.interrupts import EXIT_CODES
from tests.conftest import run_python

HEAVY = {"playwright", "pyotp", "keyring", "cryptography", "apprise"}
"""What only the commands that drive a browser, use the keyring or notify need."""

COMMANDS = [
    "check",
    "record",
    "object",
    "history",
    "report",
    "demo",
    "doctor",
    "accounts",
    "schedule",
    "config",
    "settings",
]


@dataclass
class Started:
    code: int
    stdout: str
    stderr: str
    modules: set[str]

    @property
    def packages(self) -> set[str]:
        return {module.split(".")[0] for module in self.modules}


def start(*args: str, env: dict[str, str] | None = None) -> Started:
    """`python -m checker ARGS`, and every module it imported."""
    result = run_python("-X", "importtime", "-m", "checker", *args, env=env)
    modules = set()
    stderr = []
    for line in result.stderr.splitlines(keepends=True):
        imported = re.match(r"import time: +\d+ \| +\d+ \| +(\S+)$", line)
        if imported:
            modules.add(imported[1])
        elif not line.startswith("import time:"):  # the header
            stderr.append(line)
    return Started(result.returncode, result.stdout, "".join(stderr), modules)


# --- --version --------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_the_version_alone_is_printed_before_the_command_line_loads(flag: str) -> None:
    started = start(flag)
    assert (started.code, started.stdout, started.stderr) == (0, f"linkedin-ai-optout {__version__}\n", "")
    # The package, and its __main__ when imported rather than run as `-m checker`: nothing else of it.
    assert {module for module in started.modules if module.startswith("checker")} <= {
        "checker",
        "checker.__main__",
    }
    assert not started.packages & {"typer", "click", "rich", "structlog", "pydantic", *HEAVY}
    # Nothing but the standard library and what Python's start-up here loads anyway.
    bare = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "pass"], capture_output=True, text=True, check=False
    )
    at_start_up = {line.split("|")[-1].strip().split(".")[0] for line in bare.stderr.splitlines()}
    assert started.packages - {"checker"} <= set(sys.stdlib_module_names) | at_start_up


def test_the_version_with_other_options_comes_from_the_command_line_and_reads_the_same() -> None:
    started = start("--log-level", "info", "--version")
    assert (started.code, started.stdout, started.stderr) == (0, f"{VERSION_LINE}\n", "")
    assert "typer" in started.packages  # the command line's own option answered
    assert not started.packages & HEAVY


def test_the_console_script_prints_the_version_too() -> None:
    script = Path(sys.executable).parent / "linkedin-ai-optout"
    result = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"{VERSION_LINE}\n", "")


# --- commands that drive no browser -----------------------------------------------------------


@pytest.fixture
def no_scheduler(tmp_path: Path) -> dict[str, str]:
    """An environment where `schedule show` finds neither systemd units nor a crontab of the user's."""
    empty = tmp_path / "empty"
    empty.mkdir()
    return {**os.environ, "PATH": str(empty), "XDG_CONFIG_HOME": str(tmp_path / "config")}


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["check", "--help"],  # what a command imports waits for it to run, not for its help
        ["doctor", "--help"],
        ["accounts", "add", "--help"],
        ["history"],
        ["history", "--json"],
        ["report", "--format", "csv"],
        ["report", "--format", "html"],
        ["config", "show"],
        ["config", "path"],
        ["settings", "list"],
        ["settings", "list", "--json"],
        ["accounts", "list"],
        ["schedule", "show"],
    ],
    ids=" ".join,
)
def test_commands_that_drive_no_browser_load_none_of_the_heavy_packages(
    args: list[str], no_scheduler: dict[str, str]
) -> None:
    started = start(*args, env=no_scheduler)
    assert started.code == 0, started.stderr
    assert started.stderr == ""
    assert not started.packages & HEAVY, sorted(started.packages & HEAVY)


def test_help_still_lists_every_command_without_logging_loaded() -> None:
    started = start("--help")
    assert started.stdout.splitlines()[0] == "Usage: python -m checker [OPTIONS] COMMAND [ARGS]..."
    listed = re.findall(r"^  (\S+)  ", started.stdout.split("Commands:", 1)[1], re.MULTILINE)
    assert sorted(listed) == sorted(COMMANDS)
    # Nothing logs while the help is printed: structlog is not even imported (checker/core/logs.py).
    assert "structlog" not in started.packages


def test_history_loads_neither_logging_nor_the_event_loop() -> None:
    started = start("--log-level", "debug", "history", "--json")
    assert (started.code, json.loads(started.stdout)) == (0, {"entries": []})
    assert not started.packages & {"structlog", "asyncio", *HEAVY}


def test_the_login_wait_default_is_the_one_of_the_sign_in_it_waits_for() -> None:
    from checker.cli.options import DEFAULT_WAIT_MINUTES
    from checker.run import person

    assert DEFAULT_WAIT_MINUTES == person.DEFAULT_WAIT_MINUTES


# --- logging, configured when structlog is imported -------------------------------------------

LOGGING_PROBE = """
import sys
from checker.core.logs import configure_logging

configure_logging("info")
assert "structlog" not in sys.modules
import checker.outputs.notify  # a module that logs: importing it imports structlog
import structlog

assert type(structlog.__loader__).__name__ == "SourceFileLoader", structlog.__loader__
assert not any(type(finder).__module__ == "checker.core.logs" for finder in sys.meta_path)

def sign_in(password):
    raise RuntimeError("refused")

try:
    sign_in("hunter2 is the password")
except RuntimeError:
    structlog.get_logger().info("sign-in failed", fallback=True, exc_info=True)
structlog.get_logger().debug("not shown at info")
"""


def test_logging_is_configured_when_structlog_is_first_imported() -> None:
    result = run_python("-c", LOGGING_PROBE, timeout=60)
    assert result.returncode == 0, result.stderr
    [line] = result.stderr.splitlines()
    event = json.loads(line)
    assert (event["event"], event["level"], event["fallback"]) == ("sign-in failed", "info", True)
    assert "RuntimeError" in event["exception"]
    assert "hunter2" not in line  # no local variables in tracebacks


def test_logging_configured_after_structlog_is_imported_applies_at_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import structlog

    from checker.core.logs import configure_logging

    try:
        configure_logging("info", json_lines=True)
        structlog.get_logger().info("applied", fallback=True)
        assert json.loads(capsys.readouterr().err) | {"timestamp": ""} == {
            "event": "applied",
            "fallback": True,
            "level": "info",
            "timestamp": "",
        }
    finally:
        configure_logging()


# --- signals while importing ------------------------------------------------------------------

INTERRUPTING_PROBE = """
import json, runpy, signal, sys

target, output, args = sys.argv[1], sys.argv[2], sys.argv[3:]


class Interrupting:
    # Ctrl-C in the middle of importing `target`, as a person pressing it at an arbitrary moment.
    def find_spec(self, name, path, target_module=None):
        if name == target:
            sys.meta_path.remove(self)
            signal.raise_signal(signal.SIGINT)
        return None


sys.meta_path.insert(0, Interrupting())
sys.argv = ["linkedin-ai-optout", *args]
try:
    runpy.run_module("checker", run_name="__main__", alter_sys=True)
finally:
    with open(output, "w") as file:
        json.dump({"imported": target in sys.modules}, file)
"""


@pytest.mark.parametrize(
    ("target", "args"),
    [
        ("checker.cli.app", ["history"]),  # while the command line is imported
        ("checker.store.history", ["history"]),  # while a command imports what it needs
        ("checker.store.sessions", ["doctor"]),
    ],
)
def test_ctrl_c_during_an_import_is_acted_on_once_the_import_is_done(
    target: str, args: list[str], tmp_path: Path
) -> None:
    output = tmp_path / "probe.json"
    result = run_python("-c", INTERRUPTING_PROBE, target, str(output), *args)
    assert (result.returncode, result.stderr, result.stdout) == (130, "error: interrupted by SIGINT\n", "")
    assert json.loads(output.read_text()) == {"imported": True}  # not cut off in the middle


@pytest.fixture
def handlers() -> Iterator[None]:
    """SIGINT and SIGTERM's handlers, set back after the test."""
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in before.items():
        signal.signal(signum, handler)


@pytest.mark.usefixtures("handlers")
def test_a_signal_held_during_the_block_goes_to_the_handler_from_before_after_it() -> None:
    received: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, frame: received.append(signum))
    steps = []
    with HeldSignals():
        signal.raise_signal(signal.SIGTERM)
        steps.append("the block went on")
        assert received == []
    assert (steps, received) == (["the block went on"], [signal.SIGTERM])


@pytest.mark.usefixtures("handlers")
def test_a_sigint_held_during_the_block_is_a_keyboard_interrupt_after_it() -> None:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with pytest.raises(KeyboardInterrupt), HeldSignals():
        signal.raise_signal(signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.usefixtures("handlers")
def test_without_a_signal_the_handlers_from_before_come_back_and_nothing_happens() -> None:
    def mine(signum: int, frame: object) -> None:
        pytest.fail("not expected to be called")

    signal.signal(signal.SIGTERM, mine)
    with HeldSignals():
        assert signal.getsignal(signal.SIGTERM) is not mine
    assert signal.getsignal(signal.SIGTERM) is mine


@pytest.mark.usefixtures("handlers")
def test_a_sigterm_while_an_event_loop_runs_a_callback_is_not_lost() -> None:
    # asyncio logs and drops any other exception raised in a callback (Playwright's driver
    # answering, say): the process would go on as if no SIGTERM had come.
    signal.signal(signal.SIGTERM, terminate)

    async def main() -> str:
        asyncio.get_running_loop().call_soon(signal.raise_signal, signal.SIGTERM)
        await asyncio.sleep(1)
        return "went on"

    with pytest.raises(Terminated) as stopped:
        asyncio.run(main())
    assert stopped.value.code == 143


def test_outside_the_main_thread_it_changes_nothing() -> None:
    before = signal.getsignal(signal.SIGINT)
    seen: list[object] = []

    def worker() -> None:
        with HeldSignals():
            seen.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == [before]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_the_entry_point_stops_with_the_conventional_status(
    signum: int, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        _stopped(signum)
    assert stopped.value.code == EXIT_CODES[signum]
    assert capsys.readouterr().err == f"error: interrupted by {signal.Signals(signum).name}\n"
