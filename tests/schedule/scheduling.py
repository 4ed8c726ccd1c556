"""Stand-ins for the schedulers' programs, and readers of what the tool writes for them, as each
scheduler reads it: shared by tests/schedule/test_schedule.py and tests/schedule/test_schedule_linux.py.

`systemctl` and `crontab` are stand-ins on PATH because a systemd user manager cannot run in a
container and a test must not edit the user's crontab; they behave as the real ones do for the calls
the tool makes.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from checker.store.accounts import AccountList
from checker.store.home import prepare_home

EMAIL = "member@example.com"
NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}

# What a scheduler's environment lacks is the point: only these reach a job.
MANAGER_PATH = "/usr/local/bin:/usr/bin:/bin"


# --- stand-ins and helpers -------------------------------------------------------------------


@dataclass
class Tools:
    """Stand-ins for the schedulers' programs, first on PATH; each call is logged."""

    calls_log: Path
    crontab_file: Path
    manager_env: Path
    """While this file exists, `systemctl --user` answers as a user manager with this environment."""

    def calls(self) -> list[list[str]]:
        if not self.calls_log.exists():
            return []
        return [json.loads(line) for line in self.calls_log.read_text().splitlines()]

    def start_user_manager(self, environment: dict[str, str]) -> None:
        self.manager_env.write_text("".join(f"{name}={value}\n" for name, value in environment.items()))


SYSTEMCTL = """
import json, pathlib, sys
with open({log!r}, "a") as log:
    log.write(json.dumps(["systemctl", *sys.argv[1:]]) + "\\n")
manager = pathlib.Path({env!r})
if sys.argv[1:2] != ["--user"] or not manager.exists():
    sys.exit("Failed to connect to bus: No medium found")
if sys.argv[2:] == ["show-environment"]:
    sys.stdout.write(manager.read_text())
"""

# Like cronie's and Vixie cron's crontab: -l prints the table or fails with "no crontab for USER";
# "-" replaces the table with standard input.
CRONTAB = """
import json, os, pathlib, sys
with open({log!r}, "a") as log:
    log.write(json.dumps(["crontab", *sys.argv[1:]]) + "\\n")
table = pathlib.Path({table!r})
if sys.argv[1:] == ["-l"]:
    if not table.exists():
        sys.exit("no crontab for " + os.environ.get("USER", "root"))
    sys.stdout.write(table.read_text())
elif sys.argv[1:] == ["-"]:
    table.write_text(sys.stdin.read())
else:
    sys.exit("usage: crontab [-l | -]")
"""

ANY_PROGRAM = """
import json, sys
with open({log!r}, "a") as log:
    log.write(json.dumps([{name!r}, *sys.argv[1:]]) + "\\n")
sys.exit(1)
"""


def make_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Tools:
    """Stand-in schedulers first on PATH, and a private XDG_CONFIG_HOME that only an install creates."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    made = Tools(tmp_path / "calls.jsonl", tmp_path / "crontab.txt", tmp_path / "manager.env")
    scripts = {
        "systemctl": SYSTEMCTL.format(log=str(made.calls_log), env=str(made.manager_env)),
        "crontab": CRONTAB.format(log=str(made.calls_log), table=str(made.crontab_file)),
        **{
            name: ANY_PROGRAM.format(log=str(made.calls_log), name=name)
            for name in ("launchctl", "schtasks", "loginctl")
        },
    }
    for name, body in scripts.items():
        script = bin_dir / name
        script.write_text(f"#!{sys.executable}\n{body}")
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return made


def make_odd_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tool's interpreter and its data directory at paths with a space, `%` and `$`, each special
    to one scheduler or another. The interpreter is a script that starts the real one."""
    tool_dir = tmp_path / "the tool 100% $HOME"
    tool_dir.mkdir()
    interpreter = tool_dir / "python"
    interpreter.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n')
    interpreter.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(interpreter))
    monkeypatch.setenv("LINKEDIN_AI_OPTOUT_HOME", str(tmp_path / "data 50% $USER"))
    return interpreter


def configure_account() -> str:
    """One configured account; generating a schedule needs no password."""
    AccountList.in_home(prepare_home(lambda _: None)).add(EMAIL)
    return EMAIL


def sections(output: str) -> dict[str, str]:
    """The `==> WHERE <==` sections of --print or show, by WHERE."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in output.splitlines():
        header = re.fullmatch(r"==> (.*) <==", line)
        if header:
            current = found.setdefault(header[1], [])
        elif current is not None:
            current.append(line)
    return {where: "\n".join(lines).strip("\n") + "\n" for where, lines in found.items()}


def unit_dir(tmp_path: Path) -> Path:
    return tmp_path / "config" / "systemd" / "user"


def systemd_words(value: str, *, program_first: bool) -> list[str]:
    """A systemd setting's words as systemd reads them (systemd.syntax(7), systemd.service(5)): double
    quotes with C escapes, `%%` for `%`, and `$$` for `$` in an Exec line's arguments only."""
    words = []
    for match in re.finditer(r'"((?:[^"\\]|\\.)*)"|(\S+)', value):
        raw = match[1] if match[1] is not None else match[2]
        text = re.sub(r"\\(.)", lambda escape: {"n": "\n", "t": "\t"}.get(escape[1], escape[1]), raw)
        assert re.search(r"%[^%]", text.replace("%%", "")) is None, f"an unknown specifier in {raw!r}"
        text = text.replace("%%", "%")
        if program_first and words:
            assert "$" not in text.replace("$$", ""), f"a variable would be expanded in {raw!r}"
            text = text.replace("$$", "$")
        words.append(text)
    return words


def unit_setting(unit: str, name: str) -> list[str]:
    return [line.split("=", 1)[1] for line in unit.splitlines() if line.startswith(f"{name}=")]


def windows_argv(command_line: str) -> list[str]:
    """A command line split as Windows programs split it (the Microsoft C runtime's rules)."""
    args: list[str] = []
    i, n = 0, len(command_line)
    while i < n:
        while i < n and command_line[i] in " \t":
            i += 1
        if i == n:
            break
        arg, quoted = "", False
        while i < n and (quoted or command_line[i] not in " \t"):
            if command_line[i] == "\\":
                run_end = i
                while run_end < n and command_line[run_end] == "\\":
                    run_end += 1
                count = run_end - i
                if run_end < n and command_line[run_end] == '"':
                    arg += "\\" * (count // 2) + ('"' if count % 2 else "")
                    i = run_end + 1 if count % 2 else run_end
                else:
                    arg += "\\" * count
                    i = run_end
            elif command_line[i] == '"':
                quoted = not quoted
                i += 1
            else:
                arg += command_line[i]
                i += 1
        args.append(arg)
    return args


def history_rows(home: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(home / "history.sqlite3") as db:
        return [(row[0], row[1]) for row in db.execute("SELECT account, outcome FROM checks")]


def cron_split(command: str) -> tuple[str, str]:
    """A crontab line's command field as cron runs it (Vixie cron's and cronie's do_command.c): the
    command ends at the first `%` that no backslash escapes, and the backslash of each escaped `%` is
    dropped (sh's quotes mean nothing to cron); what follows that `%` is the job's standard input,
    each further `%` a newline. Returns what cron hands `sh -c`, and that input."""
    kept: list[str] = []
    escaped = False
    for index, char in enumerate(command):
        if escaped:
            escaped = False
            if char == "%":
                kept[-1] = "%"  # the backslash goes, the % stays
                continue
        elif char == "\\":
            escaped = True
        elif char == "%":
            return "".join(kept), command[index + 1 :].replace("%", "\n")
        kept.append(char)
    return "".join(kept), ""


def cron_job_command(table: str) -> str:
    """The command of the tool's crontab line, as cron hands it to sh; it has no standard input."""
    block = table[table.index("# linkedin-ai-optout begin") :]
    [line] = [line for line in block.splitlines() if line and not line.startswith("#")]
    command, stdin = cron_split(line.split(None, 5)[5])
    assert stdin == "", f"an unescaped % ends the command before {stdin!r}"
    return command


def manager_environment() -> dict[str, str]:
    """What a systemd user manager gives its services: the user's session bus among them."""
    return {
        "HOME": str(Path.home()),
        "PATH": MANAGER_PATH,
        "DBUS_SESSION_BUS_ADDRESS": os.environ.get("DBUS_SESSION_BUS_ADDRESS", ""),
        "XDG_RUNTIME_DIR": os.environ.get("XDG_RUNTIME_DIR", ""),
    }
