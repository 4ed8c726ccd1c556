"""`config show` and `config path`: what the config file sets, what each command then uses, and where
each value comes from. Both only read; notification URLs are shown masked (they carry secrets)."""

from __future__ import annotations

import json
from typing import Any

from checker.cli.help import Command, command_group
from checker.cli.options import JsonOutput
from checker.cli.signals import HeldSignals
from checker.core.console import stdout
from checker.core.safe_text import printable
from checker.store.config_file import DEFAULTS, config_path, load_user_config

config_app = command_group(
    "The config file (config.toml in the data directory): defaults for check and record."
)


@config_app.command("show", cls=Command)
def config_show(json_output: JsonOutput = False) -> None:
    """Show each setting's effective value and where it comes from (default or config.toml)."""
    with HeldSignals():  # imported here: the rest of the command line needs none of them
        from rich.table import Table
        from rich.text import Text

        from checker.core.urls import mask_url

    config = load_user_config()
    effective = config.resolve()
    values = {key: _shown(getattr(effective, key)) for key in DEFAULTS}
    values["notify"] = [mask_url(url) for url in effective.notify]
    if json_output:
        document: dict[str, Any] = {
            "path": str(config.path),
            "exists": config.exists,
            "values": {key: {"value": values[key], "source": effective.sources[key]} for key in DEFAULTS},
        }
        print(json.dumps(document))
        return
    state = "" if config.exists else " (absent: every value is the built-in default)"
    stdout.print(Text(f"config file: {printable(str(config.path))}{state}"), soft_wrap=True)
    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    for column in ("key", "value", "source"):
        table.add_column(column, overflow="fold")
    for key in DEFAULTS:
        value = values[key]
        text = ", ".join(value) if isinstance(value, list) else str(value)
        table.add_row(key, Text(printable(text or "(none)")), effective.sources[key])
    stdout.print(table)


@config_app.command("path", cls=Command)
def config_path_command() -> None:
    """Print the config file's path (it may not exist yet)."""
    print(config_path())


def _shown(value: object) -> object:
    """A value as `config show` prints it: numbers without a needless `.0`, lists as lists."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, tuple):
        return list(value)
    return value
