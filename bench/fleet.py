"""`make bench`, the fleet part: 20 accounts with saved sessions, checked at concurrency 1, 2 and 4.

For each concurrency: accounts per minute, the median seconds one account took (from the run's own
"account checked" log lines), and the peak memory of the whole process tree (the tool, Playwright's
driver, the browser). The targets: concurrency 2 gives at least 1.7x the throughput of 1, and each
extra account at once costs under 150 MiB. Then three processes with JOB_COMPLETION_INDEX 0, 1 and 2
and `--shards 3`, run at once as an Indexed Job's pods would, must check every account exactly once.
`--pace 0`: the pause between accounts is for LinkedIn, and would only measure itself here.

Two models of the site: `instant`, the fixture site as the tests use it, which answers at once and
draws the switch at once, so every account is pure CPU on this machine's cores; and
`client_rendered`, where each settings page draws its switch 500 ms after it loads, as LinkedIn's
client-rendered settings app does after its own API calls (a privacy-scanner extension polls such
a page every 500 ms for its switch; see the evidence file). Concurrency buys overlap of waiting,
which only the second has. Prints a table per model, then one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psutil

from bench.bench import TOOL, _tree_rss, browser_path
from checker.fixture_site import Account, FixtureSite

ACCOUNTS = 20
LEVELS = (1, 2, 4)
MODELS = {"instant": 0, "client_rendered": 500}
"""Each model's delay, in ms, before a settings page draws its switch (the fixture's render_delay_ms)."""
RUNS = int(os.environ.get("BENCH_FLEET_RUNS", "3"))
THROUGHPUT_TARGET = 1.7  # concurrency 2 over concurrency 1
MIB_PER_ACCOUNT_TARGET = 150.0


def run_tree(command: list[str], env: dict[str, str]) -> tuple[float, float, str, str]:
    """Wall seconds, peak RSS of the process tree (MiB), stdout and stderr of one run."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = psutil.Popen(command, env=env, stdout=out, stderr=err)
        peak = 0
        while process.poll() is None:
            peak = max(peak, _tree_rss(process))
            time.sleep(0.005)
        elapsed = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode != 0:
        raise SystemExit(f"bench: {' '.join(command[1:3])} failed ({process.returncode}): {stderr[-2000:]}")
    return elapsed, peak / 2**20, stdout, stderr


def account_seconds(stderr: str) -> list[float]:
    """The seconds each account took, from the run's JSON log lines."""
    seconds = []
    for line in stderr.splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(event, dict) and event.get("event") == "account checked":
            seconds.append(float(event["seconds"]))
    return seconds


def main() -> None:
    executable = asyncio.run(browser_path())
    emails = [f"fleet{number:02d}@example.com" for number in range(ACCOUNTS)]
    with tempfile.TemporaryDirectory() as home, FixtureSite() as site:
        env = {**os.environ, "LINKEDIN_AI_OPTOUT_HOME": home}
        for email in emails:
            site.add_account(Account(email=email, password=f"pw {email}", ai_training=False))
            subprocess.run(
                [TOOL, "accounts", "add", email, "--password-stdin"],
                input=f"pw {email}".encode(),
                env=env,
                check=True,
                capture_output=True,
            )
        base = [TOOL, "--log-level", "info", "check", "--base-url", site.base_url, "--pace", "0"]
        base += ["--browser-path", executable]
        run_tree([*base, "--concurrency", "4"], env)  # warm up: every account saves its session
        report: dict[str, Any] = {}
        for model, delay in MODELS.items():
            for email in emails:
                site.account(email).render_delay_ms = delay
            samples: dict[int, list[tuple[float, float, list[float]]]] = {level: [] for level in LEVELS}
            for _ in range(RUNS):
                for level in LEVELS:
                    elapsed, peak, _, stderr = run_tree([*base, "--concurrency", str(level)], env)
                    samples[level].append((elapsed, peak, account_seconds(stderr)))
            report[model] = summarise(samples)
        covered = shard_coverage([*base, "--json", "--shards", "3"], env)
        for email in emails:
            subprocess.run([TOOL, "accounts", "remove", email], env=env, check=True, capture_output=True)
    shards_ok = sorted(covered) == sorted(emails) and set(Counter(covered).values()) == {1}
    report["shards"] = {"processes": 3, "accounts": len(covered), "each_once": shards_ok}
    print_table(report)
    print(json.dumps({"runs": RUNS, "accounts": ACCOUNTS, "cpus": os.cpu_count(), **report}))


def shard_coverage(command: list[str], env: dict[str, str]) -> list[str]:
    """The accounts three pods of an Indexed Job checked, started at once."""
    with tempfile.TemporaryDirectory() as scratch:
        pods = []
        for index in range(3):
            out = open(Path(scratch) / f"{index}.json", "w+b")  # noqa: SIM115 -- closed below
            pod_env = {**env, "JOB_COMPLETION_INDEX": str(index)}
            pods.append((subprocess.Popen(command, env=pod_env, stdout=out, stderr=subprocess.DEVNULL), out))
        checked = []
        for process, out in pods:
            if process.wait() != 0:
                raise SystemExit(f"bench: a shard's run failed ({process.returncode})")
            out.seek(0)
            checked += [result["account"] for result in json.loads(out.read())["results"]]
            out.close()
    return checked


def summarise(samples: dict[int, list[tuple[float, float, list[float]]]]) -> dict[str, Any]:
    levels: dict[str, dict[str, float]] = {}
    for level, runs in samples.items():
        wall = statistics.median(elapsed for elapsed, _, _ in runs)
        levels[str(level)] = {
            "median_s": round(wall, 2),
            "accounts_per_min": round(ACCOUNTS / wall * 60, 1),
            "median_s_per_account": round(statistics.median(s for _, _, each in runs for s in each), 2),
            "peak_mib": round(max(peak for _, peak, _ in runs), 1),
        }
    one, two, four = (levels[str(level)] for level in LEVELS)
    speedup = round(two["accounts_per_min"] / one["accounts_per_min"], 2)
    per_account = round(max(two["peak_mib"] - one["peak_mib"], (four["peak_mib"] - one["peak_mib"]) / 3), 1)
    return {
        "concurrency": levels,
        "speedup_2_over_1": speedup,
        "speedup_target": THROUGHPUT_TARGET,
        "mib_per_extra_account": per_account,
        "mib_target": MIB_PER_ACCOUNT_TARGET,
    }


def print_table(report: dict[str, Any]) -> None:
    for model in MODELS:
        print(f"\nFleet, {model} site: {ACCOUNTS} accounts with saved sessions, {RUNS} runs each")
        print("| concurrency | run | accounts/min | median s/account | peak memory (tree) |")
        print("|---|---|---|---|---|")
        for level, row in report[model]["concurrency"].items():
            print(
                f"| {level} | {row['median_s']:.1f} s | {row['accounts_per_min']:.1f} | "
                f"{row['median_s_per_account']:.2f} s | {row['peak_mib']:.0f} MiB |"
            )
        speedup, per_account = report[model]["speedup_2_over_1"], report[model]["mib_per_extra_account"]
        verdict = "met" if speedup >= THROUGHPUT_TARGET else "MISSED"
        print(f"throughput, concurrency 2 over 1: {speedup:.2f}x (target ≥ {THROUGHPUT_TARGET}: {verdict})")
        verdict = "met" if per_account < MIB_PER_ACCOUNT_TARGET else "MISSED"
        print(f"memory per extra account at once: {per_account:.0f} MiB (target < 150: {verdict})")
    shards = report["shards"]
    each_once = "yes" if shards["each_once"] else "NO"
    print(f"\n3 shards at once: {shards['accounts']} accounts checked, each exactly once: {each_once}")


if __name__ == "__main__":
    main()
