"""What the schedulers share: running their programs, writing their files, and asking whether the
keyring answers in the environment a scheduled run gets."""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from checker.core.errors import CheckerError
from checker.schedule.job import Job
from checker.store.home import os_reason


@dataclass(frozen=True)
class Written:
    """A file or a table a scheduler reads: where it is, and what is (or would be) in it."""

    where: str
    content: str


@dataclass
class Plan:
    """What an install writes and runs, for `--print`; nothing in it has happened."""

    written: list[Written]
    commands: list[list[str]]
    notes: list[str] = field(default_factory=list)


def run(
    argv: list[str], *, input: str | None = None, env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run a scheduler's program to its end; raises CheckerError when it cannot start or hangs."""
    try:
        return subprocess.run(
            argv, input=input, capture_output=True, text=True, env=env, timeout=timeout, check=False
        )
    except OSError as exc:
        raise CheckerError(f"cannot run {argv[0]} ({os_reason(exc)})") from None
    except subprocess.TimeoutExpired:
        raise CheckerError(f"`{shlex.join(argv)}` did not finish in {timeout:.0f} s") from None


def run_ok(argv: list[str], *, input: str | None = None) -> str:
    """Run a program that must succeed; its standard output. Raises CheckerError with what it said."""
    result = run(argv, input=input)
    if result.returncode != 0:
        said = (result.stderr or result.stdout).strip().splitlines()
        reason = said[-1] if said else "no message"
        raise CheckerError(f"`{shlex.join(argv)}` failed (exit {result.returncode}): {reason}")
    return result.stdout


def write_config_file(path: Path, data: bytes) -> None:
    """Write a scheduler's file whole or not at all (a temporary file renamed over it), readable by the
    user only: it names the accounts checked. Its directory is created when absent."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise CheckerError(f"cannot write {path} ({os_reason(exc)}): check that it can be written") from None


def remove_file(path: Path) -> bool:
    """Delete `path` (a link itself, never its target); False when it was not there."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise CheckerError(f"cannot remove {path} ({os_reason(exc)}): remove it by hand") from None
    return True


_KEYRING_PROBE = """
from checker.store.credentials import CredentialStore
from checker.core.errors import CheckerError
try:
    CredentialStore().probe()
except CheckerError as exc:
    print(exc)
    raise SystemExit(4)
"""

PROBE_SECONDS = 10


def keyring_problem(job: Job, scheduler_env: Mapping[str, str]) -> str | None:
    """Why the keyring does not answer a run started with `scheduler_env` (the scheduler's own variables)
    plus the job's; None when it answers. The tool's own interpreter asks, as the job will."""
    env = {**scheduler_env, **dict(job.environment), "LINKEDIN_AI_OPTOUT_KEYRING_TIMEOUT": str(PROBE_SECONDS)}
    try:
        result = run([job.interpreter, "-c", _KEYRING_PROBE], env=env, timeout=PROBE_SECONDS * 3)
    except CheckerError as exc:
        return str(exc)
    if result.returncode == 0:
        return None
    said = (result.stdout or result.stderr).strip().splitlines()
    return said[-1] if said else f"the keyring probe exited {result.returncode}"
