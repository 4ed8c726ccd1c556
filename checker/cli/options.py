"""The options several commands share, defined once, and how a typed value is told from a default.

The defaults shown in the help are the built-in ones. The config file can change them, so a command
asks Click whether a value was typed (`typed`): one left at its default lets the file decide.
Each number has the range config.toml's key has (config_file.RANGES), so neither accepts inf or nan.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from checker.core.errors import UsageError
from checker.core.urls import check_endpoint
from checker.store.config_file import MAX_PACE, MAX_TIMEOUT, MIN_TIMEOUT

DEFAULT_WAIT_MINUTES = 10
"""`--wait`'s default where a person acts in a window (`accounts login`, `object`): checker/run/person.py's
DEFAULT_WAIT_MINUTES, which cannot be imported for the option without loading Playwright
(tests/cli/test_startup.py keeps the two equal)."""
MAX_WAIT_MINUTES = 24 * 60
"""A day: longer than anyone takes at a window, and far short of what overflows the browser's timers."""


def wait_seconds(minutes: float) -> float:
    """`--wait MINUTES` in seconds; UsageError unless it is more than 0."""
    if not minutes > 0:
        raise UsageError(f"--wait must be more than 0 minutes, not {minutes:g}")
    return minutes * 60


BrowserPath = Annotated[
    str | None,
    typer.Option(
        envvar="LINKEDIN_AI_OPTOUT_BROWSER", metavar="PATH", help="A Chromium or Chrome binary to drive."
    ),
]
BrowserEndpoint = Annotated[
    str | None,
    typer.Option(
        metavar="URL",
        help="Use a browser of an existing pool instead of launching one: ws://... for "
        "Playwright's run-server (or Browserless), http://... for a Chrome DevTools endpoint.",
    ),
]
JsonOutput = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
Emails = Annotated[
    list[str] | None,
    typer.Argument(metavar="EMAIL", help="Accounts to check; every configured account when none."),
]
Apply = Annotated[bool, typer.Option(help="Switch the setting off where it is on, then verify.")]
Group = Annotated[
    list[str] | None,
    typer.Option(
        metavar="NAME",
        help="Only the accounts in this group of the accounts file (see `accounts add --group`); repeatable.",
    ),
]
BaseUrl = Annotated[
    str,
    typer.Option(
        metavar="URL",
        help="The site to talk to; plain http only for loopback hosts. config.toml's base_url, when set, "
        "replaces the default.",
    ),
]
Headed = Annotated[bool, typer.Option(help="Show the browser window.")]
Timeout = Annotated[
    float,
    typer.Option(
        min=MIN_TIMEOUT,
        max=MAX_TIMEOUT,  # never inf: the browser's timers overflow long before
        metavar="SECONDS",
        help="Wait at most this long for any one thing on a page. config.toml's timeout, when set, "
        "replaces the default.",
    ),
]
Pace = Annotated[
    float,
    typer.Option(
        min=0,
        max=MAX_PACE,
        metavar="SECONDS",
        help="Pause this long between accounts, to stay gentle. config.toml's pace, when set, "
        "replaces the default.",
    ),
]
Notify = Annotated[
    list[str] | None,
    typer.Option(
        metavar="URL",
        help="Send a message to this Apprise URL when an account needs you; repeatable. Replaces "
        "config.toml's notify, the better place for a URL with a token: arguments show in the process list.",
    ),
]


def typed(ctx: typer.Context, **values: Any) -> dict[str, Any]:
    """`values`, with None for each option left at its default, so that the config file's value,
    else the built-in default, applies: the command line wins over the file."""
    result = {}
    for name, value in values.items():
        source = ctx.get_parameter_source(name)
        given = source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")
        result[name] = value if given else None
    return result


def pool_endpoint(endpoint: str | None, *, window: str | None) -> str | None:
    """--browser-endpoint, checked (see core/urls.check_endpoint); None when not given. A pool's
    browser shows no window here: UsageError when `window` names the options that ask for one."""
    if endpoint is None:
        return None
    checked = check_endpoint(endpoint)
    if window is not None:
        raise UsageError(f"--browser-endpoint: a pool's browser shows no window here; drop {window}")
    return checked
