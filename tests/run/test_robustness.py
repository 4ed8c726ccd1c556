"""kill -9 at any moment loses nothing that was committed.

The real CLI runs `check --apply` for three accounts against the fixture site in its own process
group, and is killed with SIGKILL, browser and all, at random moments: during start-up, while
signing in (with a saved session or with the password), while the site saves the switch, just as
the result is written, and while an account is put in quarantine (one account meets a challenge;
the test lifts the hold before the next run). Each of these moments gets the same number of kills,
in a random order, each at a random delay after its event: a run of the test never misses one.
After each kill every file the tool keeps is whole, every committed row is still there, and
nothing stops the next run. The randomness is seeded and the seed printed: `ROBUSTNESS_SEED=<seed>`
repeats a run.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psutil
import pytest
from filelock import FileLock

from checker import __version__
from checker.core.outcome import SETTING, Action, Outcome, SwitchState
from checker.fixture_site import Account, FixtureSite, Received
from checker.fixture_site.urls import AI_SETTING, AI_SETTING_SAVE, CHALLENGE
from checker.store.credentials import CredentialStore
from checker.store.history import FILE_NAME as HISTORY
from checker.store.history import History
from checker.store.sessions import SessionStore
from tests.conftest import ROOT, Cli, add_account

KILLS_AT_EACH_MOMENT = 4
SEED_ENV = "ROBUSTNESS_SEED"
SAVE_DELAY_MS = 400  # a save that takes a moment, so that kills can land while it is under way
LIMIT = 60.0  # a safety net only: every wait below ends at a state long before this

# (email, password, challenge); the setting of the accounts without a challenge gets fixed.
ACCOUNTS = (
    ("ada@example.com", "ada's password", None),
    ("pin@example.com", "pin's password", "email_pin"),
    ("bob@example.com", "bob's password", None),
)
EMAILS = [email for email, _, _ in ACCOUNTS]
PIN = EMAILS[1]
FIXABLE = len(ACCOUNTS) - 1
Row = tuple[object, ...]


@dataclass
class Killing:
    """Where a kill lands: after the `nth` event of a kind the site sees (no kind: the start of the
    process), plus a random delay of up to `spread` seconds."""

    anchor: str
    events: Callable[[list[Received]], int] | None
    spread: float
    nth: int = 0

    def due(self, received: list[Received]) -> bool:
        return self.events is None or self.events(received) > self.nth


def _sign_ins(received: list[Received]) -> int:
    """The first request of each account's check: its setting's page, before any login."""
    return sum(r.path == AI_SETTING for r in received)


def _saves(received: list[Received]) -> int:
    return sum(r.method == "PUT" and r.path == AI_SETTING_SAVE for r in received)


def _reloads_after_a_save(received: list[Received]) -> int:
    """The reloads that verify a save: the result is written a moment after each is answered."""
    count, saved = 0, False
    for r in received:
        if r.method == "PUT" and r.path == AI_SETTING_SAVE:
            saved = True
        elif saved and r.path == AI_SETTING:
            count, saved = count + 1, False
    return count


def _challenges(received: list[Received]) -> int:
    """The challenge page: the check that meets it ends, puts the account in quarantine, records."""
    return sum(r.path.startswith(CHALLENGE) for r in received)


MOMENTS = ("start-up or later", "signing in", "saving", "recording", "quarantining")


def killing_at(moment: str, chance: random.Random, full_run: float) -> Killing:
    account = chance.randrange(FIXABLE)  # whose save or record: the first or a later one
    return {
        "start-up or later": Killing(moment, None, full_run * 1.1),
        "signing in": Killing(moment, _sign_ins, 0.8),
        "saving": Killing(moment, _saves, SAVE_DELAY_MS / 1000 + 0.3, nth=account),
        "recording": Killing(moment, _reloads_after_a_save, 0.3, nth=account),
        "quarantining": Killing(moment, _challenges, 0.3),
    }[moment]


class Run:
    """`check --apply` for every account, in its own process group, its output in files."""

    def __init__(self, site: FixtureSite, scratch: Path) -> None:
        scratch.mkdir(parents=True, exist_ok=True)
        args = ["check", "--base-url", site.base_url, "--pace", "0", "--timeout", "5", "--apply", "--json"]
        # The browser's profile goes to a temporary directory that a killed run cannot remove.
        env = {**os.environ, "TMPDIR": str(scratch)}
        self.out = scratch / "stdout"
        self.err = scratch / "stderr"
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "checker", *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                cwd=ROOT,
                env=env,
                start_new_session=True,
            )

    def finish(self) -> int:
        self.process.wait(timeout=LIMIT)
        return self.process.returncode

    def kill(self) -> bool:
        """SIGKILL the run and everything it started; False when it had ended already."""
        try:
            started = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            started = []
        with contextlib.suppress(ProcessLookupError):
            # The process group: the CLI and Playwright's driver. The browser leads its own group.
            os.killpg(self.process.pid, signal.SIGKILL)
        for process in started:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                continue
        code = self.process.wait(timeout=LIMIT)
        # The browser's processes are not ours to reap, and may stay zombies where nothing reaps
        # orphans (a container's init): gone or a zombie is dead.
        deadline = time.monotonic() + 10
        while alive := [process for process in started if _alive(process)]:
            assert time.monotonic() < deadline, f"left running after the kill: {alive}"
            time.sleep(0.01)
        return code == -signal.SIGKILL

    def describe(self) -> str:
        return f"stdout: {self.out.read_text()!r}; stderr: {self.err.read_text()[-2000:]!r}"


def _alive(process: psutil.Process) -> bool:
    try:
        return bool(process.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def until(condition: Callable[[], bool], run: Run) -> None:
    """Wait for an event the site records or for the run to end, whichever comes first: both are
    states of other threads and processes, which can only be polled."""
    deadline = time.monotonic() + LIMIT
    while not condition() and run.process.poll() is None:
        assert time.monotonic() < deadline, f"waited {LIMIT} s; {run.describe()}"
        time.sleep(0.005)


# -- what must hold after every kill --------------------------------------------------------------


def history_rows(home: Path) -> dict[int, Row]:
    """Every row of the history, by id, after SQLite's own check of the whole file."""
    path = home / HISTORY
    if not path.exists():
        return {}
    # Read-only, as `history` reads: the next run, not this test, recovers what a kill left in the WAL.
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        db.row_factory = sqlite3.Row
        rows = db.execute("SELECT * FROM checks ORDER BY id").fetchall()
    for row in rows:
        assert_complete(dict(row))
    return {row["id"]: tuple(row) for row in rows}


def assert_complete(row: dict[str, object]) -> None:
    """A row as a finished check writes it: every value valid, and the values agree."""
    assert row["account"] in EMAILS, row
    assert row["setting"] == SETTING, row
    assert row["tool_version"] == __version__, row
    assert row["drift"] in (0, 1), row
    assert row["previous_state"] in (None, SwitchState.ON, SwitchState.OFF), row
    assert row["detail"], row
    assert row["browser_version"], row
    started, checked = (datetime.fromisoformat(str(row[key])) for key in ("started_at", "checked_at"))
    assert started <= checked, row
    # Nothing in this test breaks a check: a run that got as far as recording met the challenge, or
    # found the setting on (the site turns it back on before every run) and fixed it, or found it off
    # (a killed run had switched it off after the site was reset).
    shape = (row["state_before"], row["state_after"], row["action"], row["verified"], row["outcome"])
    if row["account"] == PIN:
        assert shape == (SwitchState.UNKNOWN, None, Action.NONE, 0, Outcome.NEEDS_ATTENTION), row
    else:
        fixed = (SwitchState.ON, SwitchState.OFF, Action.SWITCHED_OFF, 1, Outcome.FIXED)
        compliant = (SwitchState.OFF, None, Action.NONE, 1, Outcome.COMPLIANT)
        assert shape in (fixed, compliant), row


def assert_files_whole(home: Path, sessions: SessionStore) -> None:
    assert json.loads((home / "accounts.json").read_text())["accounts"] == EMAILS
    if (home / "quarantine.json").exists():
        assert set(json.loads((home / "quarantine.json").read_text())["held"]) <= {PIN}
    for email in EMAILS:
        if any(sessions.path(email, origin="").parent.glob("*.json")):
            assert sessions.has_any(email), f"the saved session of {email} does not decrypt"
    # A killed process holds no lock: the kernel let go of its flock.
    for lock_file in [*(home / "locks").glob("*.lock"), *home.glob("*.lock")]:
        lock = FileLock(lock_file)
        lock.acquire(timeout=0)
        lock.release()


def temp_files(home: Path) -> list[Path]:
    return [path for path in home.rglob("*.tmp")]


# -- the test -------------------------------------------------------------------------------------


@pytest.fixture
def members(cli: Cli, site: FixtureSite, real_keyring: CredentialStore) -> list[Account]:
    for email, password, challenge in ACCOUNTS:
        site.add_account(
            Account(email=email, password=password, challenge=challenge, save_delay_ms=SAVE_DELAY_MS)
        )
        add_account(cli, email, password)
    return [site.account(email) for email in EMAILS]


def between_runs(cli: Cli, site: FixtureSite, members: list[Account], *, expire_sessions: bool) -> None:
    """What LinkedIn does between runs: the setting is on again, and sessions may have expired. And
    what a person does: the challenge's hold is lifted, so that the next run meets it again."""
    for member in members:
        member.ai_training = True
        if expire_sessions:
            site.expire_sessions(member.email)
    unlocked = cli("accounts", "unlock", PIN)
    assert unlocked.exit_code == 0, unlocked.stderr


@pytest.mark.long
def test_kill_9_at_random_moments_loses_no_committed_record_and_blocks_no_later_run(
    cli: Cli,
    site: FixtureSite,
    members: list[Account],
    real_keyring: CredentialStore,
    isolated_home: Path,
    tmp_path: Path,
) -> None:
    seed = int(os.environ.get(SEED_ENV) or random.SystemRandom().randrange(2**32))
    print(f"kill -9 test: {SEED_ENV}={seed}")
    chance = random.Random(seed)
    sessions = SessionStore.in_home(isolated_home, real_keyring)

    started = time.monotonic()
    first = Run(site, tmp_path / "run-first")
    assert first.finish() == 3, first.describe()  # the challenge: needs_attention
    full_run = time.monotonic() - started
    committed = history_rows(isolated_home)
    assert len(committed) == len(ACCOUNTS)

    landed: Counter[str] = Counter()
    moments = [moment for moment in MOMENTS for _ in range(KILLS_AT_EACH_MOMENT)]
    chance.shuffle(moments)
    for kill, moment in enumerate(moments):
        between_runs(cli, site, members, expire_sessions=chance.random() < 0.4)
        killing = killing_at(moment, chance, full_run)
        delay = chance.uniform(0, killing.spread)
        before = len(site.received)
        begun = time.monotonic()
        run = Run(site, tmp_path / f"run-{kill}")
        until(lambda: killing.due(site.received[before:]), run)  # noqa: B023 -- called at once
        # A random moment after the event: this sleep places the kill, it waits for nothing.
        time.sleep(delay)
        where = f"kill {kill} ({killing.anchor} #{killing.nth} + {delay:.3f} s, {SEED_ENV}={seed})"
        if run.kill():
            landed[killing.anchor] += 1
        else:
            assert run.process.returncode == 3, f"{where}: the run failed; {run.describe()}"
            landed["after the end"] += 1

        print(f"{where}: after {time.monotonic() - begun:.2f} s")
        rows = history_rows(isolated_home)
        lost = {row_id: row for row_id, row in committed.items() if rows.get(row_id) != row}
        assert lost == {}, f"{where}: committed rows changed or went missing"
        assert_files_whole(isolated_home, sessions)
        landed["with a row written"] += len(rows) > len(committed)
        landed["leaving a temporary file"] += bool(temp_files(isolated_home))
        committed = rows

    print(f"kill -9 test: {dict(landed)} in {time.monotonic() - started:.0f} s")

    between_runs(cli, site, members, expire_sessions=True)
    last = Run(site, tmp_path / "run-last")
    assert last.finish() == 3, last.describe()
    document = json.loads(last.out.read_text())
    assert [r["outcome"] for r in document["results"]] == ["fixed", "needs_attention", "fixed"]
    rows = history_rows(isolated_home)
    assert len(rows) == len(committed) + len(ACCOUNTS)
    assert all(rows[row_id] == row for row_id, row in committed.items())
    assert temp_files(isolated_home) == []  # what killed writes left was cleared
    assert History.in_home(isolated_home).verify().intact  # no kill broke the hash chain
    assert [member.ai_training for member in members] == [False, True, False]
