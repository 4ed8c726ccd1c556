"""`check --browser-endpoint`: a browser of an existing pool, here Playwright's own `run-server`
started on loopback by the test, with its browser found where Playwright looks for its own."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from checker.fixture_site import Account, FixtureSite
from checker.linkedin.browser import BROWSER_ENV, find_browser, running_playwright
from tests.conftest import Cli, check_args


async def _browsers(root: Path) -> tuple[str, str]:
    """Where Playwright, with its browsers under `root`, looks for its headless shell; and the
    browser this machine has (Debian's, here)."""
    os.environ["PLAYWRIGHT_BROWSERS_PATH"] = str(root)
    try:
        async with async_playwright() as playwright:
            full = Path(playwright.chromium.executable_path)  # <root>/chromium-<revision>/...
    finally:
        del os.environ["PLAYWRIGHT_BROWSERS_PATH"]
    revision = full.relative_to(root).parts[0].split("-")[1]
    shell = (
        root
        / f"chromium_headless_shell-{revision}"
        / "chrome-headless-shell-linux64"
        / "chrome-headless-shell"
    )
    async with running_playwright() as playwright:
        here = find_browser(playwright.chromium, os.environ.get(BROWSER_ENV)).path
    return str(shell), here


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[str]:
    """`playwright run-server` on loopback; its address."""
    shell, here = asyncio.run(_browsers(tmp_path / "browsers"))
    Path(shell).parent.mkdir(parents=True)
    os.symlink(shutil.which(here) or here, shell)
    env = {**os.environ, "PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "browsers")}
    server = subprocess.Popen(
        [sys.executable, "-m", "playwright", "run-server", "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        match = re.search(r"ws://\S+", line)
        assert match, line
        yield match.group(0)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_check_runs_in_the_pools_browser(
    cli: Cli, site: FixtureSite, member: Account, pool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BROWSER_ENV, "/nonexistent/browser")  # a local launch would fail
    result = cli("--log-level", "info", *check_args(site, "--apply", "--json", "--browser-endpoint", pool))
    assert result.exit_code == 0, result.stderr
    assert '"event": "browser connected"' in result.stderr
    assert member.ai_training is False


def test_a_pool_that_does_not_answer_is_one_line_and_exit_4(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    result = cli(*check_args(site, "--browser-endpoint", "ws://127.0.0.1:9/pool?token=s3cret"))
    assert result.exit_code == 4
    assert result.stderr.startswith("error: could not connect to the browser at ws://127.0.0.1:9: ")
    assert "s3cret" not in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_a_bad_endpoint_is_exit_2_before_anything_runs(cli: Cli, site: FixtureSite) -> None:
    result = cli(*check_args(site, "--browser-endpoint", "ftp://pool"))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --browser-endpoint: expected ws://")
    assert site.received == []
