"""Runs that overlap or are stopped: real processes, real signals, a real terminal, the fixture site."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import pty
import select
import signal
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest

from checker.fixture_site import Account, FixtureSite, SaveGate
from checker.run.interrupts import Interrupted, Stopper
from checker.store.credentials import CredentialStore
from tests.conftest import ROOT, Cli, account_held, add_account, check_args

# A safety net only: every wait below ends at a state long before this.
LIMIT = 90.0

WAITING = "waiting for another run checking this account"  # logged at info level

Document = dict[str, Any]


class Run:
    """The real CLI in its own process, leading its own process group like a job in a terminal,
    its output read as it comes."""

    def __init__(self, *args: str, log_level: str = "warning") -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "checker", "--log-level", log_level, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            start_new_session=True,
        )
        self.stdout = ""
        self.stderr: list[str] = []
        self._readers = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        self.stdout = self.process.stdout.read()

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line.rstrip("\n"))

    def said(self, text: str) -> bool:
        return any(text in line for line in self.stderr)

    def to_group(self, signum: int) -> None:
        os.killpg(self.process.pid, signum)  # what a terminal's Ctrl-C does: the whole foreground job

    def to_process(self, signum: int) -> None:
        self.process.send_signal(signum)  # what systemd's KillMode=mixed does: the main process only

    def children(self) -> list[psutil.Process]:
        """Everything the run started: Playwright's driver and the browser's processes."""
        return psutil.Process(self.process.pid).children(recursive=True)

    def finish(self) -> int:
        """Wait for the process to end by itself; kill its group only when the safety net runs out."""
        try:
            self.process.wait(timeout=LIMIT)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            pytest.fail(f"the run did not end within {LIMIT} s; stderr: {self.stderr}")
        for reader in self._readers:
            reader.join(timeout=LIMIT)
        return self.process.returncode


def until(condition: Callable[[], bool], what: str) -> None:
    """Wait for a state of another process, which can only be polled."""
    deadline = time.monotonic() + LIMIT
    while not condition():
        assert time.monotonic() < deadline, f"waited {LIMIT} s for {what}"
        time.sleep(0.02)


def assert_all_gone(processes: list[psutil.Process]) -> None:
    # A closed browser's processes may be reaped a moment after the run ends: wait for that state.
    _, alive = psutil.wait_procs(processes, timeout=10)
    left = [process for process in alive if _alive(process)]
    assert left == [], f"left behind: {left}"


def _alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def is_browser(process: psutil.Process) -> bool:
    try:
        return "chrom" in process.name().lower()
    except psutil.NoSuchProcess:
        return False


def history(cli: Cli) -> list[Document]:
    result = cli("history", "--json")
    assert result.exit_code == 0, result.stderr
    entries: list[Document] = json.loads(result.stdout)["entries"]
    return entries


def last_line_alone(lines: list[str]) -> str:
    """The one line for a person; anything before it must be a log line (JSON at info level)."""
    text = "\n".join(lines)
    assert "Traceback" not in text
    assert "Future exception" not in text
    assert "Exception ignored" not in text
    assert lines, "nothing on stderr"
    for line in lines[:-1]:
        json.loads(line)
    return lines[-1]


@pytest.fixture
def later(cli: Cli, site: FixtureSite, member: Account) -> Account:
    """A second configured account, checked after the member."""
    account = Account(email="later@example.com", password="later password")
    site.add_account(account)
    add_account(cli, account.email, account.password)
    return site.account(account.email)


# --- one run per account ----------------------------------------------------------------------


def test_two_overlapping_runs_sign_in_once_and_switch_once(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    gate = site.save_gate = SaveGate()
    runs = [Run(*check_args(site, "--apply", "--json"), log_level="info") for _ in range(2)]
    try:
        assert gate.arrived.wait(LIMIT), "no run reached the save"
        # One run's save is held by the site while the other waits for the account (or, were
        # there no lock, clicks too, or ends having found the switch off).
        until(
            lambda: (
                any(run.said(WAITING) for run in runs)
                or len(site.setting_changes) > 1
                or any(run.process.poll() is not None for run in runs)
            ),
            "a run to wait for the account",
        )
        assert any(run.said(WAITING) for run in runs)
    finally:
        gate.released.set()
    outcomes = sorted((run.finish(), json.loads(run.stdout)["results"][0]["outcome"]) for run in runs)
    assert outcomes == [(0, "compliant"), (0, "fixed")]
    assert site.password_submissions(member.email) == 1
    assert [(c.enabled, c.accepted) for c in site.setting_changes] == [(False, True)]
    assert member.ai_training is False


def test_a_run_finding_the_account_locked_reports_it_busy_without_touching_the_site(
    cli: Cli, site: FixtureSite, member: Account, isolated_home: Path
) -> None:
    with account_held(isolated_home, member.email):
        # The shortest timeout: the lock is waited for three times as long.
        run = Run(*check_args(site)[:-2], "--timeout", "1", "--json")
        code = run.finish()
    [result] = json.loads(run.stdout)["results"]
    assert (code, result["outcome"], result["action"]) == (4, "error", "none")
    assert "another run is checking this account" in result["detail"]
    assert site.received == []
    assert [entry["outcome"] for entry in history(cli)] == ["error"]


# --- signals during a run ---------------------------------------------------------------------

SIGNALS = [
    pytest.param(signal.SIGINT, Run.to_group, 130, id="ctrl-c-to-the-process-group"),
    pytest.param(signal.SIGTERM, Run.to_process, 143, id="sigterm-to-the-process"),
]


@pytest.mark.parametrize(("signum", "send", "status"), SIGNALS)
def test_a_signal_during_the_save_records_the_click_unverified_and_nothing_for_later_accounts(
    cli: Cli,
    site: FixtureSite,
    member: Account,
    later: Account,
    signum: int,
    send: Callable[[Run, int], None],
    status: int,
) -> None:
    gate = site.save_gate = SaveGate()
    run = Run(*check_args(site, "--apply", "--json"))
    try:
        assert gate.arrived.wait(LIMIT), "the run never reached the save"
        started = run.children()
        assert any(map(is_browser, started)), started
        send(run, signum)
    finally:
        gate.released.set()  # the site answers the save only after the signal
    code = run.finish()
    name = signal.Signals(signum).name

    assert code == status
    assert len(run.stderr) == 1
    assert last_line_alone(run.stderr).startswith(f"error: interrupted by {name}")
    document = json.loads(run.stdout)
    assert document["exit_code"] == status
    assert document["error"]["message"].startswith(f"interrupted by {name}")
    [result] = document["results"]
    assert (result["account"], result["outcome"], result["action"]) == (member.email, "error", "switched_off")
    assert (result["state_before"], result["state_after"], result["verified"]) == ("on", "unknown", False)
    assert f"interrupted by {name} after the switch was clicked" in result["detail"]
    assert [(e["account"], e["outcome"], e["action"], e["verified"]) for e in history(cli)] == [
        (member.email, "error", "switched_off", False)
    ]
    assert member.ai_training is False  # the site kept the change the record calls unverified
    assert site.password_submissions(later.email) == 0
    assert not [r for r in site.received if r.email == later.email]
    assert_all_gone(started)


def test_a_second_ctrl_c_stops_a_save_the_site_does_not_answer(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    gate = site.save_gate = SaveGate(hold_seconds=2 * LIMIT)  # never answered while the run lasts
    # A save waits for its answer as long as the timeout: longer than the test waits for the run.
    run = Run(*check_args(site)[:-2], "--timeout", str(2 * LIMIT), "--apply", "--json", log_level="info")
    try:
        assert gate.arrived.wait(LIMIT), "the run never reached the save"
        started = run.children()
        run.to_group(signal.SIGINT)
        until(lambda: run.said('"signal received"'), "the run to take the first signal")
        run.to_group(signal.SIGINT)  # the first one waits for the site's answer; this one does not
        code = run.finish()
    finally:
        gate.released.set()

    assert code == 130
    assert last_line_alone(run.stderr).startswith("error: interrupted by SIGINT")
    [result] = json.loads(run.stdout)["results"]
    assert (result["outcome"], result["action"], result["verified"]) == ("error", "switched_off", False)
    assert [(e["outcome"], e["action"]) for e in history(cli)] == [("error", "switched_off")]
    assert_all_gone(started)


def test_ctrl_c_before_anything_was_changed_records_the_account_in_progress_only(
    cli: Cli, site: FixtureSite, member: Account, later: Account, isolated_home: Path
) -> None:
    with account_held(isolated_home, member.email):
        run = Run(*check_args(site, "--apply", "--json"), log_level="info")
        until(lambda: run.said(WAITING) or run.process.poll() is not None, "the run to wait for the lock")
        assert run.said(WAITING), run.stderr
        started = run.children()
        run.to_group(signal.SIGINT)
        code = run.finish()

    assert code == 130
    assert last_line_alone(run.stderr).startswith("error: interrupted by SIGINT")
    document = json.loads(run.stdout)
    assert document["exit_code"] == 130
    [result] = document["results"]
    assert (result["account"], result["outcome"], result["action"]) == (member.email, "error", "none")
    assert result["detail"] == "interrupted by SIGINT; nothing was changed"
    assert [(e["account"], e["detail"]) for e in history(cli)] == [(member.email, result["detail"])]
    assert site.received == []
    assert member.ai_training is True
    assert_all_gone(started)


# --- signals outside a run --------------------------------------------------------------------


@pytest.mark.parametrize("delay", [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0])
def test_ctrl_c_during_start_up_ends_with_one_line_and_130(
    site: FixtureSite, member: Account, delay: float
) -> None:
    member.render_delay_ms = 60_000  # the run goes on until its timeout: the signal is never late
    run = Run(*check_args(site, "--apply"))
    # The point is a signal at an arbitrary moment: while Python imports the command line (any
    # exception raised there can come out as a traceback), or while Playwright's driver starts
    # (it dies of a Ctrl-C until it ignores SIGINT).
    threading.Event().wait(delay)
    run.to_group(signal.SIGINT)
    code = run.finish()
    if code == -signal.SIGINT:
        # Died by the signal itself, which a shell reports as 130 too: either Python had not set
        # up its handlers yet (silently), or Python re-raised it on the way out after the line
        # was said (CPython ends a process stopped by Ctrl-C by the signal, for its parent).
        assert run.stderr in ([], ["error: interrupted by SIGINT"])
        return
    assert code == 130, run.stderr
    assert len(run.stderr) == 1
    assert last_line_alone(run.stderr).startswith("error: interrupted by SIGINT")


def test_ctrl_c_at_the_password_prompt_ends_with_one_line_and_stores_nothing(
    real_keyring: CredentialStore, isolated_home: Path
) -> None:
    primary, secondary = pty.openpty()

    def controlling_terminal() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    run = subprocess.Popen(
        [sys.executable, "-m", "checker", "accounts", "add", "new@example.com"],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        cwd=ROOT,
        start_new_session=True,
        preexec_fn=controlling_terminal,  # the terminal must be the child's own, as in a shell
    )
    os.close(secondary)
    try:
        seen = _read(primary, until=b"Password")
        assert b"Password" in seen, seen
        os.write(primary, b"\x03")  # the terminal turns it into SIGINT for the foreground group
        code = run.wait(timeout=LIMIT)
        seen += _read(primary)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
        os.close(primary)
    text = seen.decode(errors="replace")
    assert code == 130, text
    assert "Traceback" not in text
    [prompt, message] = [line.strip() for line in text.splitlines() if line.strip()]
    assert prompt.startswith("Password:")  # the terminal may echo ^C after it
    assert message == "error: interrupted by SIGINT"
    assert not (isolated_home / "accounts.json").exists()
    assert real_keyring.get_password("new@example.com") is None


def _read(fd: int, until: bytes | None = None) -> bytes:
    """What the child wrote on its terminal: up to `until`, else all of it until the terminal closes."""
    seen = b""
    while (until is None or until not in seen) and select.select([fd], [], [], LIMIT)[0]:
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # EIO: the child, the terminal's last user, is gone
            break
        if not chunk:
            break
        seen += chunk
    return seen


# --- the stopper itself -----------------------------------------------------------------------


async def test_a_signal_landing_before_an_account_started_stops_the_run_without_starting_it() -> None:
    stopper = Stopper()
    started: list[str] = []

    async def account() -> str:
        started.append("started")
        return "checked"

    loop = asyncio.get_running_loop()
    woken = loop.create_future()

    def signal_then_wake() -> None:
        # The loop reads the signal from its wakeup pipe one turn later, after the callbacks
        # already due: the run wakes up, hands the next account to the stopper, and only then is
        # the signal handled, before that account ran a line (as when the browser's answer and
        # the signal arrive together).
        signal.raise_signal(signal.SIGINT)
        loop.call_soon(woken.set_result, None)

    with stopper.installed():
        loop.call_soon(signal_then_wake)
        await woken
        with pytest.raises(Interrupted):
            await stopper.run(account())
    assert started == []
    assert stopper.signum == signal.SIGINT


async def test_the_handlers_from_before_a_run_come_back_after_it() -> None:
    def before(signum: int, frame: object) -> None:
        pytest.fail("not expected to be called")

    previous = signal.signal(signal.SIGTERM, before)
    try:
        with Stopper().installed():
            assert signal.getsignal(signal.SIGTERM) is not before
        assert signal.getsignal(signal.SIGTERM) is before
    finally:
        signal.signal(signal.SIGTERM, previous)
