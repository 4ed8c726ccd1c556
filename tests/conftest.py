"""Shared test fixtures: an isolated home per test, the real keyring, the fixture site, the CLI."""

from __future__ import annotations

import fcntl
import functools
import json
import os
import pty
import select
import shutil
import subprocess
import sys
import termios
import threading
import time
from collections.abc import AsyncIterator, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import keyring
import pytest
import typer.testing
from keyring.backends import SecretService
from playwright.async_api import Browser, Page
from typer.testing import CliRunner, Result

from checker.cli.app import app
from checker.core import redact
from checker.core.loop import one_loop
from checker.core.outcome import Action, CheckResult, Outcome, SwitchState
from checker.fixture_site import Account, FixtureSite
from checker.linkedin.browser import BROWSER_ENV, find_browser, launched_browser, running_playwright
from checker.linkedin.kept_browsers import keeping_browsers
from checker.store.credentials import CredentialStore
from checker.store.emails import account_digest
from checker.store.home import private_lock
from tests import secret_service

_SECRET_SERVICE = pytest.StashKey[secret_service.SecretService]()

# typer's CliRunner turns the app into a click command on every invoke, reading every command's
# signature again (about 13 ms, thousands of times a run); the command is the same each time.
typer.testing._get_command = functools.cache(typer.testing._get_command)  # type: ignore[attr-defined]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (make test): two workers a core. A test spends most of its time waiting for a
    browser, a server or a process it started, and one worker a core would leave the cores idle."""
    return 2 * (os.cpu_count() or 1)


def pytest_configure(config: pytest.Config) -> None:
    """A worker of a parallel run (pytest-xdist) gets its own Secret Service: see secret_service.py.

    Every Playwright driver the tests start (hundreds: one a run of the tool) is Node compiling the
    same 7 MB of JavaScript; Node's compile cache, kept with pytest's, spares a fifth of that."""
    if (cache := getattr(config, "cache", None)) is not None:
        os.environ.setdefault("NODE_COMPILE_CACHE", str(cache.mkdir("node-compile-cache")))
    if os.environ.get("PYTEST_XDIST_WORKER") and secret_service.available():
        service = secret_service.start()
        os.environ.update(service.environment)
        config.stash[_SECRET_SERVICE] = service


def pytest_unconfigure(config: pytest.Config) -> None:
    service = config.stash.get(_SECRET_SERVICE, None)
    if service is not None:
        service.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked `long` first, the others in their order: on parallel workers, a test that
    takes minutes and starts last would end the run alone."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


class KeyringEnded(Exception):
    """What a test's step failed of when its worker's gnome-keyring ended meanwhile: pyproject.toml's
    `--only-rerun` runs such a test once more, on a fresh service, and only such a test."""


# Inside pytest-rerunfailures' own wrapper (trylast), so that it sees KeyringEnded.
@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A worker's Secret Service must outlive every test: if gnome-keyring ends, D-Bus starts a
    locked one in its place and every later test of the worker fails on it. gnome-keyring 42
    aborts now and then under this suite's load (GLib's `invoke_get_property_in_idle_cb`
    assertion): its bug, not the tool's. So after each step of a test the worker's service is
    looked at; once it has ended, the worker gets a fresh one, the warnings summary quotes its last
    words, and a step that failed meanwhile fails of KeyringEnded (with what it failed of)."""
    report = yield
    service = item.config.stash.get(_SECRET_SERVICE, None)
    if service is None or (status := service.keyring.poll()) is None:
        return report
    said = (
        f"this worker's gnome-keyring ended during the test (exit status {status}); "
        f"it said: {service.last_words()}"
    )
    service.stop()
    replacement = secret_service.start()
    os.environ.update(replacement.environment)
    item.config.stash[_SECRET_SERVICE] = replacement
    item.warn(pytest.PytestWarning(said))  # in the warnings summary, whether or not it is run again
    if report.failed:
        report.longrepr = f"{said}\n\n{report.longreprtext}"
        try:
            raise KeyringEnded(said)  # raised, for the traceback an ExceptionInfo needs
        except KeyringEnded as ended:
            call.excinfo = pytest.ExceptionInfo.from_exception(ended)
    return report


@pytest.fixture(scope="session", autouse=True)
def one_driver_and_browser() -> Iterator[None]:
    """The in-process runs of the tool (hundreds) share one event loop, one Playwright driver and one
    headless browser (checker.linkedin.kept_browsers.keeping_browsers), each account still in a fresh
    context: starting Node and Chromium for each would be most of the suite's time. A run that names
    another binary, other launch flags or a window launches its own, so launching stays tested."""
    with one_loop() as runner, keeping_browsers(runner):
        yield


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data directory; the user's is never touched."""
    home = tmp_path / "home"
    monkeypatch.setenv("LINKEDIN_AI_OPTOUT_HOME", str(home))
    monkeypatch.delenv("LINKEDIN_AI_OPTOUT_LOG_LEVEL", raising=False)
    return home


@pytest.fixture(autouse=True)
def no_secret_of_another_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts with no registered secret. A process masks every secret it has read, as
    it should; but one test's password ("the new one") masked the same words of the tool in a later
    test of the same worker."""
    monkeypatch.setattr(redact, "_patterns", {})


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A private, existing directory for tests that use the tool's file helpers directly."""
    path = tmp_path / "home"
    path.mkdir(mode=0o700)
    return path


@pytest.fixture
def no_umask() -> Iterator[None]:
    """A umask of 0: files get exactly the mode they are created with, 0666 when none is given."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def real_keyring() -> Iterator[CredentialStore]:
    """The real Secret Service (gnome-keyring); entries the test made are deleted afterwards."""
    backend = keyring.get_keyring()
    if not isinstance(backend, SecretService.Keyring):
        pytest.fail(
            f"these tests need a running Secret Service, found {type(backend).__name__}: "
            "run them with `make test` (gnome-keyring under dbus-run-session)"
        )
    yield CredentialStore(backend)
    _delete_the_tools_items()


def _delete_the_tools_items() -> None:
    import secretstorage

    with secretstorage.dbus_init() as connection:
        for item in secretstorage.get_default_collection(connection).get_all_items():
            if item.get_attributes().get("service", "").startswith("linkedin-ai-optout"):
                item.delete()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One Chromium for the tests that drive pages directly, found the way the tool finds it."""
    async with running_playwright() as playwright:
        choice = find_browser(playwright.chromium, os.environ.get(BROWSER_ENV))
        async with launched_browser(playwright, choice) as launched:
            yield launched


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A page in a fresh context of the session's browser, for the tests that drive pages directly."""
    context = await browser.new_context()
    page = await context.new_page()
    page.set_default_timeout(5_000)
    yield page
    await context.close()


@contextmanager
def account_held(home: Path, email: str) -> Iterator[None]:
    """Another run's hold on the account's lock, taken from the test process."""
    (home / "locks").mkdir(mode=0o700, parents=True, exist_ok=True)
    with private_lock(home / "locks" / f"{account_digest(email)}.lock"):
        yield


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    """The fixture site, light: what its pages weigh is under test only where a test makes its own."""
    with FixtureSite() as running:
        running.light = True
        yield running


@dataclass
class Cli:
    """The real command line, invoked in-process."""

    runner: CliRunner

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(app, list(args), input=input, catch_exceptions=False)

    def json(self, *args: str) -> tuple[int, dict[str, Any]]:
        result = self(*args, "--json")
        return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def cli() -> Cli:
    return Cli(CliRunner())


@pytest.fixture
def member(cli: Cli, site: FixtureSite, real_keyring: CredentialStore) -> Account:
    """A member of the fixture site whose password is in the keyring and whose setting is on. The
    site answers their saves after 0.3 s, not LinkedIn's 1.5 s: still long enough that a reload
    which did not wait for the answer aborts the save; the tests of that wait set their own."""
    account = Account(email="member@example.com", password="correct horse battery staple", save_delay_ms=300)
    site.add_account(account)
    add_account(cli, account.email, account.password)
    return site.account(account.email)


def add_account(cli: Cli, email: str, password: str) -> None:
    result = cli("accounts", "add", email, "--password-stdin", input=password + "\n")
    assert result.exit_code == 0, result.stderr


SHORT_TIMEOUT = 2.0
"""`--timeout` for a run that is meant to wait something out (a page it does not recognise, a
navigation no selector knows): what it waits for never comes, so every second of the timeout is
spent. The fixture site's pages still load and render well within it on a busy machine."""


def check_args(site: FixtureSite, *extra: str, timeout: float = 5) -> list[str]:
    """`check` against the fixture site, quick to give up on pages it does not recognise."""
    return ["check", "--base-url", site.base_url, "--pace", "0", "--timeout", f"{timeout:g}", *extra]


MOMENT = datetime(2026, 11, 23, 9, 30, 5, tzinfo=UTC)


def check_result(
    outcome: Outcome = Outcome.NON_COMPLIANT, detail: str = "the setting is on", **fields: Any
) -> CheckResult:
    """A result as a check makes one: by default a@example.com's, which read the setting on, left it,
    and was checked at MOMENT; `outcome`, `detail` and any other field given replace those."""
    values: dict[str, Any] = {
        "account": "a@example.com",
        "state_before": SwitchState.ON,
        "state_after": None,
        "action": Action.NONE,
        "verified": True,
        "started_at": MOMENT,
        "checked_at": MOMENT,
    }
    return CheckResult(outcome=outcome, detail=detail, **(values | fields))


ROOT = Path(__file__).resolve().parent.parent


def run_python(
    *args: str, env: dict[str, str] | None = None, stdin: str = "", timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`python ARGS` (this interpreter) in its own process, from the repository's root, its output
    captured as text; `env`: its whole environment (None: this process's)."""
    return subprocess.run(
        [sys.executable, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
        timeout=timeout,
    )


def run_cli(
    *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """`python -m checker ARGS` in its own process, as a user or a scheduler starts it."""
    return run_python("-m", "checker", *args, env=env, stdin=stdin)


def run_in_private_mounts(script: str, *args: str) -> str:
    """`sh -c SCRIPT sh ARGS` as root of its own user and mount namespaces (`unshare -rm`), where it
    may mount what it likes over the test's files, from the repository's root; what it printed.
    (Root ignores permission bits, so chmod cannot make a directory read-only, and no test may fill
    the machine's disk.)"""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-rm", "true"], check=False).returncode:
        pytest.skip("needs `unshare -rm` (user and mount namespaces) to mount")
    result = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _until_the_terminal_hides_typing(terminal: int, limit: float) -> None:
    """A hidden prompt shows itself, then turns the terminal's echo off: typing before that would
    show the answer, as a person typing too soon would see it. The pseudo-terminal's two ends share
    their settings, so this end can tell."""
    deadline = time.monotonic() + limit
    while termios.tcgetattr(terminal)[3] & termios.ECHO:
        assert time.monotonic() < deadline, f"the terminal still echoes after {limit} s"
        time.sleep(0.01)


def run_cli_in_a_terminal(
    *args: str, answers: list[tuple[bytes, bytes]], limit: float = 60
) -> tuple[int, str]:
    """`python -m checker ARGS` on a terminal of its own (a pseudo-terminal it controls, as a shell
    gives it): for each (prompt, answer) in turn, `answer` is typed at the hidden prompt `prompt`. Its exit
    code, and everything the terminal showed."""
    primary, secondary = pty.openpty()
    run = subprocess.Popen(
        [sys.executable, "-m", "checker", *args],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        cwd=ROOT,
        start_new_session=True,
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
    )
    os.close(secondary)
    shown, answered = b"", 0  # what the terminal showed; how much of it came before the last answer
    try:
        for prompt, answer in [*answers, (None, b"")]:
            while prompt is None or prompt not in shown[answered:]:
                if not select.select([primary], [], [], limit)[0]:
                    raise AssertionError(f"waited {limit} s for {prompt!r}; the terminal showed {shown!r}")
                try:
                    chunk = os.read(primary, 1024)
                except OSError:  # EIO: the child, the terminal's last user, is gone
                    chunk = b""
                if not chunk:
                    assert prompt is None, f"it ended before {prompt!r}; the terminal showed {shown!r}"
                    break
                shown += chunk
            answered = len(shown)
            if answer:
                _until_the_terminal_hides_typing(primary, limit)
                os.write(primary, answer)
        return run.wait(timeout=limit), shown.decode(errors="replace")
    finally:
        if run.poll() is None:
            os.killpg(run.pid, 9)
            run.wait()
        os.close(primary)


@dataclass
class Receiver:
    """A loopback HTTP server standing in for a notification service: it keeps every POST."""

    server: ThreadingHTTPServer
    messages: list[dict[str, Any]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_port}/hook"

    def bodies(self) -> str:
        return "\n".join(message["message"] for message in self.messages)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    received: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            data = self.rfile.read(int(self.headers["Content-Length"]))
            received.raw.append(data)
            received.messages.append({"path": self.path, **json.loads(data)})
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    received = Receiver(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
