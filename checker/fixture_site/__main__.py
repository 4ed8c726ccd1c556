"""Serve the fixture site on its own until Ctrl-C (or SIGTERM), to try the tool on it:
`linkedin-ai-optout-site --help` (installed with the tool, pipx included), or
`python -m checker.fixture_site --help`."""

from __future__ import annotations

import argparse
import errno
import signal
import sys
import threading
from collections.abc import Sequence

from checker.fixture_site.model import LANGUAGES, LOGIN_VARIANTS, Account
from checker.fixture_site.server import FixtureSite

_DEFAULT_ACCOUNT = ("demo@example.com", "demo-password")


def _account(value: str) -> tuple[str, str]:
    email, _, password = value.partition(":")
    if not email or not password:
        raise argparse.ArgumentTypeError(f"expected EMAIL:PASSWORD, got {value!r}")
    return email, password


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="linkedin-ai-optout-site",
        description="Serve the offline LinkedIn double on 127.0.0.1 until Ctrl-C; then try the tool on it"
        " with: linkedin-ai-optout check --base-url http://127.0.0.1:PORT",
    )
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (default 8765)")
    parser.add_argument(
        "--account",
        type=_account,
        action="append",
        metavar="EMAIL:PASSWORD",
        help=f"an account to create; repeatable (default {':'.join(_DEFAULT_ACCOUNT)})",
    )
    parser.add_argument("--language", choices=sorted(LANGUAGES), default="en", help="language of every page")
    parser.add_argument(
        "--variant", choices=sorted(LOGIN_VARIANTS), default="classic", help="login page variant"
    )
    parser.add_argument(
        "--setting",
        choices=("on", "off"),
        default="on",
        help="initial state of the generative-AI setting",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    accounts: list[tuple[str, str]] = args.account or [_DEFAULT_ACCOUNT]
    site = FixtureSite(login_variant=args.variant, login_language=args.language, port=args.port)
    for email, password in accounts:
        account = Account(
            email=email, password=password, language=args.language, ai_training=args.setting == "on"
        )
        try:
            site.add_account(account)
        except ValueError as error:  # the same email twice
            parser.error(str(error))
    try:
        site.start()
    except OSError as exc:
        busy = exc.errno == errno.EADDRINUSE
        why = (
            "is in use: stop what uses it, or choose another with --port"
            if busy
            else f"cannot be used: {exc}"
        )
        print(f"error: port {args.port} on 127.0.0.1 {why}", file=sys.stderr)
        return 4
    try:
        emails = ", ".join(email for email, _ in accounts)
        print(f"Fixture site at {site.base_url} (accounts: {emails})", flush=True)
        _until_stopped()
    finally:
        site.stop()
    return 0


def _until_stopped() -> None:
    """Wait for Ctrl-C or SIGTERM. Both are caught on purpose, as the tool catches them: a process
    started in the background by a shell without job control inherits SIGINT ignored, and Python
    then never raises KeyboardInterrupt."""
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()


if __name__ == "__main__":
    raise SystemExit(main())
