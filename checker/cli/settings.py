"""`settings list`: the catalog of data-use settings a check can look at (selectors/settings.toml)."""

from __future__ import annotations

import json
from typing import Any

from checker.cli.help import Command, command_group
from checker.cli.options import JsonOutput
from checker.cli.signals import HeldSignals
from checker.core.console import stdout
from checker.store.config_file import DEFAULTS

settings_app = command_group(
    "The data-use settings a check can look at, with `check --setting NAME` (or `all`)."
)


@settings_app.command("list", cls=Command)
def settings_list(json_output: JsonOutput = False) -> None:
    """List every setting of the catalog: its name, what its data is used for, and where it is."""
    with HeldSignals():  # imported here: the rest of the command line needs none of them
        from rich.table import Table
        from rich.text import Text

        from checker.linkedin.catalog import ALL, english
        from checker.linkedin.rules import catalog_path, load_catalog, rules_path

    catalog = load_catalog()
    entries: list[dict[str, Any]] = [
        {
            "name": name,
            "title": setting.title,
            "uses": setting.uses,
            "category": english(catalog.categories[setting.category].name),
            "path": setting.path,
            "switch": setting.switch,
            "label": english(setting.label),
            "save": {"method": setting.save.method, "path": setting.save.path},
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
        table.add_row(name, entry["category"], Text(entry["uses"]))
    stdout.print(table)
    stdout.print(
        Text(f"Check one with --setting NAME (repeatable), or every one with --setting {ALL}."),
        soft_wrap=True,
    )
