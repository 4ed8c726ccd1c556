"""`check --browser-endpoint` and `record --browser-endpoint`: a browser of an existing pool, here
Playwright's own `run-server` started on loopback by the test, with its browser found where
Playwright looks for its own."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
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
        start_new_session=True,  # `python -m playwright` runs Node as its child: both end together
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        match = re.search(r"ws://\S+", line)
        assert match, line
        yield match.group(0)
    finally:
        _end_group(server)


def _end_group(server: subprocess.Popen[str]) -> None:
    """End the server, Python and the Node it runs: terminating Python alone leaves Node serving,
    and Node, closing gracefully, can wait for good (it did, 10 s and more, under load); a second
    signal ends it at once, as Playwright's own handler has it."""
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)
    if not _group_ended(server.pid, within=1.0):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        assert _group_ended(server.pid, within=10.0), "run-server's Node outlived a second SIGTERM"


def _group_ended(group: int, *, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)  # a poll: whether a process has ended cannot be waited for from here
    return False


def test_a_check_runs_in_the_pools_browser(
    cli: Cli, site: FixtureSite, member: Account, pool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BROWSER_ENV, "/nonexistent/browser")  # a local launch would fail
    result = cli("--log-level", "info", *check_args(site, "--apply", "--json", "--browser-endpoint", pool))
    assert result.exit_code == 0, result.stderr
    assert '"event": "browser connected"' in result.stderr
    assert member.ai_training is False


def test_a_recording_runs_in_the_pools_browser(
    cli: Cli, site: FixtureSite, member: Account, pool: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BROWSER_ENV, "/nonexistent/browser")  # a local launch would fail
    out = tmp_path / "bundle"
    result = cli("--log-level", "info", *record_args(site, member.email, out, "--browser-endpoint", pool))
    assert result.exit_code == 0, result.stderr
    assert '"event": "browser connected"' in result.stderr
    assert "the setting is on, and nothing was clicked" in result.stdout
    assert (out / "bundle.json").is_file()


def record_args(site: FixtureSite, email: str, out: Path, *extra: str) -> list[str]:
    return ["record", email, "--base-url", site.base_url, "--timeout", "5", "-o", str(out), *extra]


def command_args(command: str, site: FixtureSite, out: Path, *extra: str) -> list[str]:
    """`check` or `record` of the member, against the fixture site."""
    if command == "check":
        return check_args(site, *extra)
    return record_args(site, "member@example.com", out, *extra)


@pytest.mark.parametrize("command", ["check", "record"])
def test_a_pool_that_does_not_answer_is_one_line_and_exit_4(
    cli: Cli, site: FixtureSite, member: Account, tmp_path: Path, command: str
) -> None:
    pool = "ws://who:pa55@127.0.0.1:9/pool?token=s3cret"
    result = cli(*command_args(command, site, tmp_path / "bundle", "--browser-endpoint", pool))
    assert result.exit_code == 4
    assert result.stderr.startswith("error: could not connect to the browser at ws://127.0.0.1:9: ")
    assert "s3cret" not in result.stderr
    assert "pa55" not in result.stderr
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("command", ["check", "record"])
def test_a_bad_endpoint_is_exit_2_before_anything_runs(
    cli: Cli, site: FixtureSite, member: Account, tmp_path: Path, command: str
) -> None:
    result = cli(*command_args(command, site, tmp_path / "bundle", "--browser-endpoint", "ftp://pool"))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --browser-endpoint: expected ws://")
    assert site.received == []
    assert not (tmp_path / "bundle").exists()


def test_a_recording_in_a_pools_browser_shows_no_window_here(
    cli: Cli, site: FixtureSite, member: Account, tmp_path: Path
) -> None:
    args = record_args(site, member.email, tmp_path / "bundle", "--headed", "--browser-endpoint", "ws://pool")
    result = cli(*args)
    assert result.exit_code == 2
    assert (
        result.stderr == "error: --browser-endpoint: a pool's browser shows no window here; drop --headed\n"
    )
    assert site.received == []


@pytest.mark.parametrize("endpoint", ["ws://[::1", "ws://127.0.0.1:99999/pool", "ws://127.0.0.1:9/\x1b[2J"])
def test_an_endpoint_that_is_no_address_is_one_line_and_exit_2_not_an_internal_error(
    cli: Cli, site: FixtureSite, member: Account, tmp_path: Path, endpoint: str
) -> None:
    result = cli(*command_args("check", site, tmp_path / "bundle", "--browser-endpoint", endpoint))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --browser-endpoint: ")
    assert "internal error" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert site.received == []
