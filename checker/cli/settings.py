"""`settings list`: the catalog of data-use settings a check can look at (selectors/settings.toml);
`settings discover`: what LinkedIn's category pages list for an account, for adding a setting."""

from __future__ import annotations

import json
import signal
from typing import TYPE_CHECKING, Annotated, Any

import typer

from checker.cli.help import Command, command_group
from checker.cli.options import BaseUrl, JsonOutput, Timeout
from checker.cli.options import typed as typed_options
from checker.cli.signals import HeldSignals
from checker.core.console import notice, say, stdout
from checker.core.errors import CheckerError, ExitCode
from checker.core.urls import normalize_base_url
from checker.store.config_file import DEFAULT_TIMEOUT, DEFAULTS, load_user_config
from checker.store.home import DEFAULT_BASE_URL

if TYPE_CHECKING:
    from checker.core.outcome import Listed

settings_app = command_group(
    "The data-use settings a check can look at, with `check --setting NAME` (or `all`)."
)


@settings_app.command("list", cls=Command)
def settings_list(json_output: JsonOutput = False) -> None:
    """List every setting of the catalog: its name, what its data is used for, where it is, where
    the catalog has it from and since when."""
    with HeldSignals():  # imported here: the rest of the command line needs none of them
        from rich.table import Table
        from rich.text import Text

        from checker.linkedin.catalog import ALL, english
        from checker.linkedin.rules import catalog_path, category_title, load_catalog, rules_path

    catalog = load_catalog()
    entries: list[dict[str, Any]] = [
        {
            "name": name,
            "title": setting.title,
            "uses": setting.uses,
            "category": category_title(setting.category),
            "path": setting.path,
            "switch": setting.switch,
            "label": english(setting.label),
            "save": {"method": setting.save.method, "path": setting.save.path} if setting.save else None,
            "source": setting.source,
            "since": setting.since.isoformat(),
            "default": name in DEFAULTS["settings"],
        }
        for name, setting in catalog.settings.items()
    ]
    if json_output:
        print(json.dumps({"catalog": str(catalog_path(rules_path())), "settings": entries}))
        return
    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    for column in ("name", "category", "what the data is used for"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        name = entry["name"] + (" (default)" if entry["default"] else "")
        where = Text(f"\nsource: {entry['source']}; in the catalog since {entry['since']}", style="dim")
        table.add_row(name, entry["category"], Text(entry["uses"]) + where)
    stdout.print(table)
    stdout.print(
        Text(f"Check one with --setting NAME (repeatable), or every one with --setting {ALL}."),
        soft_wrap=True,
    )


@settings_app.command("discover", cls=Command)
def settings_discover(
    ctx: typer.Context,
    email: Annotated[
        str | None,
        typer.Argument(
            metavar="[EMAIL]", help="The account whose pages to read; the first configured one when none."
        ),
    ] = None,
    base_url: BaseUrl = DEFAULT_BASE_URL,
    timeout: Timeout = DEFAULT_TIMEOUT,
    json_output: JsonOutput = False,
) -> None:
    """List what each category page of the catalog lists for an account, marking the settings the
    catalog knows: for a maintainer adding one. Checks no setting, clicks nothing, records nothing."""
    with HeldSignals():
        from checker.cli.check import keyring_answers
        from checker.core import loop
        from checker.linkedin.locate import Site
        from checker.linkedin.rules import load_rules
        from checker.run.context import CheckOptions
        from checker.run.runner import Runner
        from checker.store.accounts import wanted_accounts
        from checker.store.history import History
        from checker.store.stores import prepare_stores

    config = load_user_config().resolve(**typed_options(ctx, base_url=base_url, timeout=timeout))
    origin = normalize_base_url(config.base_url)
    configured = wanted_accounts([email] if email else [])
    account = configured[0]
    if email is None and len(configured) > 1:
        say(f"reading the pages of {account}; name another account to read its pages")
    stores = prepare_stores(notice, history=False)
    keyring_answers(stores)
    rules = load_rules()
    runner = Runner(
        site=Site(origin=origin, rules=rules, timeout_ms=config.timeout * 1000),
        credentials=stores.credentials,
        sessions=stores.sessions,
        history=History.in_home(stores.home),  # never written: no setting is checked
        options=CheckOptions(settings=(), discover=True),
        home=stores.home,
    )
    report = loop.run(runner.check_accounts([account]))
    if report.interrupted_by is not None:
        name = signal.Signals(report.interrupted_by).name
        raise CheckerError(f"interrupted by {name}", ExitCode.of_signal(report.interrupted_by))
    if account in report.unlisted:
        outcome, detail = report.unlisted[account]
        raise CheckerError(f"{outcome.value}: {detail}", outcome.exit_code)
    listings = report.listings.get(account, {})
    if not listings:
        raise CheckerError("no category page could be read: see the warnings above", ExitCode.FAILURE)
    _print_listings(account, listings, json_output=json_output)


def _print_listings(account: str, listings: dict[str, list[Listed]], *, json_output: bool) -> None:
    from rich.table import Table
    from rich.text import Text

    from checker.core.safe_text import printable
    from checker.linkedin.rules import category_title, load_catalog

    catalog = load_catalog()
    known = {setting.path: name for name, setting in catalog.settings.items()}
    categories: list[dict[str, Any]] = [
        {
            "category": category,
            "title": category_title(category),
            "path": catalog.categories[category].path,
            "items": [
                {"label": item.label, "path": item.path, "setting": known.get(item.path)}
                for item in listings[category]
            ],
        }
        for category in catalog.categories
        if category in listings
    ]
    if json_output:
        print(json.dumps({"account": account, "categories": categories}))
        return
    for category in categories:
        stdout.print(
            Text(f"{category['title']} ({category['path']}), as {printable(account)} sees it:", style="bold"),
            soft_wrap=True,
        )
        table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
        for column in ("item", "address", "catalog"):
            table.add_column(column, overflow="fold")
        for item in category["items"]:
            mark = item["setting"] or Text("not in the catalog", style="yellow")
            table.add_row(Text(printable(item["label"])), Text(printable(item["path"])), mark)
        stdout.print(table)
