"""`make bench`, the import part: `accounts import` of as many accounts as one import takes (MAX_ROWS,
2,000), their passwords on standard input, into the real keyring; then a file of one more, refused.

What it shows: the wall time (the target: under 5 minutes), the tool's own CPU time, and how fast
accounts went in at the start and at the end of the import, read from the accounts file as it is
saved every SAVE_EVERY accounts. The tool's share is linear; the keyring's write slows with every
entry it holds (gnome-keyring saves its whole file on each change), which is why one import is
bounded. Also the keyring daemon's memory before and after. Prints a table, then one JSON line.

It leaves its entries in the keyring it is given: it runs only against a keyring kept in a temporary
directory, as scripts/with-test-keyring makes one (`make bench` does). BENCH_IMPORT_ROWS: fewer rows.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psutil

from bench.bench import TOOL
from checker.store.accounts_import import MAX_ROWS, SAVE_EVERY

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", str(MAX_ROWS)))
TARGET_S = 300.0
POLL_S = 0.2  # how often the accounts file is read to see the import's progress


def keyring_daemon() -> psutil.Process | None:
    """The gnome-keyring-daemon of this D-Bus session (other sessions may run their own)."""
    for process in psutil.process_iter(["name"]):
        try:
            if process.info["name"] == "gnome-keyring-daemon" and process.environ().get(
                "DBUS_SESSION_BUS_ADDRESS"
            ) == os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
                return process
        except psutil.Error:
            continue
    return None


def mib(process: psutil.Process | None) -> float | None:
    try:
        return None if process is None else round(process.memory_info().rss / 2**20, 1)
    except psutil.Error:
        return None


def write_input(directory: Path, rows: int, first: int = 0) -> tuple[Path, bytes]:
    """A CSV file of `rows` accounts with a label and groups, and their passwords as standard input."""
    emails = [f"seat{number:05d}@bench-import.example.com" for number in range(first, first + rows)]
    path = directory / f"fleet-{first}-{rows}.csv"
    path.write_text(
        "email,label,groups\n" + "".join(f"{e},Seat {n},bench;emea\n" for n, e in enumerate(emails))
    )
    passwords = "".join(f"{email}\tpassword of {email}\n" for email in emails)
    return path, passwords.encode()


def saved_count(accounts_file: Path) -> int:
    try:
        return len(json.loads(accounts_file.read_text())["accounts"])
    except (OSError, ValueError):
        return 0  # not written yet (it is replaced whole, never seen half-written)


def run_import(
    csv_path: Path, stdin: bytes, env: dict[str, str]
) -> tuple[float, float, list[tuple[float, int]]]:
    """Wall seconds, the tool's CPU seconds, and (seconds since start, accounts saved) at each save."""
    accounts_file = Path(env["LINKEDIN_AI_OPTOUT_HOME"]) / "accounts.json"
    progress: list[tuple[float, int]] = []
    done = threading.Event()
    started = time.perf_counter()

    def watch() -> None:
        while not done.wait(POLL_S):
            count = saved_count(accounts_file)
            if count and (not progress or progress[-1][1] != count):
                progress.append((time.perf_counter() - started, count))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        [TOOL, "accounts", "import", str(csv_path), "--passwords-stdin", "--json"],
        input=stdin, env=env, capture_output=True, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    done.set()
    watcher.join()
    progress.append((elapsed, saved_count(accounts_file)))
    if result.returncode != 0:
        raise SystemExit(f"bench: the import failed ({result.returncode}): {result.stderr.decode()[-2000:]}")
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return elapsed, cpu, progress


def ms_per_account(progress: list[tuple[float, int]], low: int, high: int) -> float | None:
    """Milliseconds per account between the saves nearest `low` and `high` accounts."""
    points = [(t, n) for t, n in progress if low <= n <= high]
    if len(points) < 2 or points[-1][1] == points[0][1]:
        return None
    (t1, n1), (t2, n2) = points[0], points[-1]
    return round((t2 - t1) / (n2 - n1) * 1000, 1)


def main() -> None:
    data_home = os.environ.get("XDG_DATA_HOME", "")
    if not data_home.startswith(tempfile.gettempdir()):
        raise SystemExit(
            "bench: the import bench leaves its entries in the keyring: run it under "
            "scripts/with-test-keyring (make bench does), whose keyring is thrown away"
        )
    daemon = keyring_daemon()
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch) / "home"
        env = {**os.environ, "LINKEDIN_AI_OPTOUT_HOME": str(home)}
        memory_before = mib(daemon)
        csv_path, stdin = write_input(Path(scratch), ROWS)
        elapsed, cpu, progress = run_import(csv_path, stdin, env)
        memory_after = mib(daemon)
        too_many, stdin = write_input(Path(scratch), MAX_ROWS + 1, first=ROWS)
        started = time.perf_counter()
        refused = subprocess.run(
            [TOOL, "accounts", "import", str(too_many), "--passwords-stdin"],
            input=stdin, env=env, capture_output=True, check=False,
        )  # fmt: skip
        refused_s = time.perf_counter() - started
        unchanged = saved_count(home / "accounts.json") == ROWS
    quarter = ROWS // 4
    report = {
        "rows": ROWS,
        "wall_s": round(elapsed, 1),
        "tool_cpu_s": round(cpu, 1),
        "ms_per_account_first_quarter": ms_per_account(progress, SAVE_EVERY, quarter),
        "ms_per_account_last_quarter": ms_per_account(progress, ROWS - quarter, ROWS),
        "keyring_daemon_mib": [memory_before, memory_after],
        "target_s": TARGET_S,
        "meets_target": elapsed <= TARGET_S,
        "one_more_than_max": {
            "rows": MAX_ROWS + 1,
            "exit_code": refused.returncode,
            "seconds": round(refused_s, 2),
            "nothing_imported": unchanged,
            "said": refused.stderr.decode().strip(),
        },
    }
    print_table(report)
    print(json.dumps(report))


def print_table(report: dict[str, object]) -> None:
    refused = report["one_more_than_max"]
    assert isinstance(refused, dict)
    verdict = "met" if report["meets_target"] else "MISSED"
    print(f"\naccounts import of {report['rows']} accounts (passwords on standard input, real keyring)")
    print("| wall | tool CPU | ms/account, first quarter | last quarter | keyring daemon memory | target |")
    print("|---|---|---|---|---|---|")
    before, after = report["keyring_daemon_mib"]  # type: ignore[misc]
    print(
        f"| {report['wall_s']} s | {report['tool_cpu_s']} s | {report['ms_per_account_first_quarter']} | "
        f"{report['ms_per_account_last_quarter']} | {before} → {after} MiB | ≤ {TARGET_S:.0f} s {verdict} |"
    )
    print(
        f"{refused['rows']} accounts: exit {refused['exit_code']} in {refused['seconds']} s, "
        f"nothing imported: {refused['nothing_imported']}"
    )


if __name__ == "__main__":
    main()
