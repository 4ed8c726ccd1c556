"""`make bench`: the wall time and peak memory of `check`, beside a bare Playwright script.

Three scenarios, each a fresh process, interleaved so that the machine's noise hits them alike:
  bare           bench/bare_playwright.py: launch the same browser, load one page, close
  saved_session  `linkedin-ai-optout check` reusing a saved session (no login)
  fresh_login    `linkedin-ai-optout check` with the saved session deleted (one login)
Prints one JSON line: medians, peaks (RSS summed over the process tree), and the ratios to bare.
Runs against the fixture site, with the password in the real keyring (run under
scripts/with-test-keyring, as `make bench` does).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from checker.browser import find_browser, running_playwright
from checker.fixture_site import Account, FixtureSite

RUNS = int(os.environ.get("BENCH_RUNS", "7"))
TARGET_RATIO = 1.5
EMAIL, PASSWORD = "bench@example.com", "bench-password"
HERE = Path(__file__).resolve().parent


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB, summed over the process tree) of one run of `command`."""
    started = time.perf_counter()
    process = psutil.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss(process))
        time.sleep(0.005)  # sampling interval of the memory probe
    elapsed = time.perf_counter() - started
    if process.returncode not in (0, 1):
        raise SystemExit(
            f"bench: {command[1:3]} failed ({process.returncode}): {process.stderr.read().decode()}"
        )
    return elapsed, peak / 2**20


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    try:
        for member in [process, *process.children(recursive=True)]:
            total += member.memory_info().rss
    except psutil.Error:
        pass
    return total


async def browser_path() -> str:
    async with running_playwright() as playwright:
        return find_browser(playwright.chromium, os.environ.get("LINKEDIN_AI_OPTOUT_BROWSER")).path


def summary(samples: list[tuple[float, float]]) -> dict[str, float]:
    return {
        "median_s": round(statistics.median(s for s, _ in samples), 3),
        "peak_mib": round(max(m for _, m in samples), 1),
    }


def main() -> None:
    executable = asyncio.run(browser_path())
    with tempfile.TemporaryDirectory() as home, FixtureSite() as site:
        site.add_account(Account(email=EMAIL, password=PASSWORD, ai_training=False))
        env = {**os.environ, "LINKEDIN_AI_OPTOUT_HOME": home}
        tool = [sys.executable, "-m", "checker"]
        subprocess.run(
            [*tool, "accounts", "add", EMAIL, "--password-stdin"],
            input=PASSWORD.encode(),
            env=env,
            check=True,
        )
        check = [*tool, "check", "--base-url", site.base_url, "--pace", "0", "--browser-path", executable]
        subprocess.run(check, env=env, check=True, stdout=subprocess.DEVNULL)  # warm up, save the session
        bare = [sys.executable, str(HERE / "bare_playwright.py"), f"{site.base_url}/login", executable]
        samples: dict[str, list[tuple[float, float]]] = {"bare": [], "saved_session": [], "fresh_login": []}
        for _ in range(RUNS):
            samples["bare"].append(measure(bare, env))
            samples["saved_session"].append(measure(check, env))
            shutil.rmtree(Path(home) / "sessions")
            samples["fresh_login"].append(measure(check, env))
        subprocess.run([*tool, "accounts", "remove", EMAIL], env=env, check=True, capture_output=True)
    report = {name: summary(values) for name, values in samples.items()}
    bare_median = report["bare"]["median_s"]
    ratios = {
        f"ratio_{name}": round(report[name]["median_s"] / bare_median, 2)
        for name in ("saved_session", "fresh_login")
    }
    print(
        json.dumps(
            {
                "runs": RUNS,
                "browser": executable,
                **report,
                **ratios,
                "target_ratio_saved_session": TARGET_RATIO,
                "meets_target": ratios["ratio_saved_session"] <= TARGET_RATIO,
            }
        )
    )


if __name__ == "__main__":
    main()
