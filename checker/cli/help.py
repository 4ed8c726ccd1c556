"""How the command line presents itself: plain help that names arguments by their metavar, and
lines broken between words only.

Typer writes an argument's Python type after its name ("EMAIL <list[str]>") and a required one in
braces ("{EMAIL}"); a reader needs the word, as POSIX usage lines give it: EMAIL, or [EMAIL] when
optional. Its wrapper breaks lines at hyphens too, cutting `--base-url` and `no-dry-run` in two at
80 columns. Every command of the tool is built with `Command`.
"""

from __future__ import annotations

from typing import Any

import typer
from typer._click import _textwrap
from typer.core import TyperArgument, TyperCommand

HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}


def command_group(help: str, *, runs_alone: bool = False) -> typer.Typer:
    """A group of commands (accounts, config, schedule, settings), presented as every one is: plain
    help, -h as well as --help, and its help when it is given no command. `runs_alone`: the group is
    a command itself (history, report: its callback), with its subcommands beside it."""
    return typer.Typer(
        help=help,
        no_args_is_help=not runs_alone,
        invoke_without_command=runs_alone,
        rich_markup_mode=None,
        context_settings=HELP_OPTIONS,
    )


class _WholeWords(_textwrap.TextWrapper):
    """Click's help wrapper, which breaks lines between words only (its wrap_text looks it up by name
    each time it wraps)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "break_on_hyphens": False})


_textwrap.TextWrapper = _WholeWords  # type: ignore[misc]


class Command(TyperCommand):
    """A Typer command whose arguments show only their metavar in the help."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, TyperArgument):
                # The instance attributes hide the methods that add "<type>" and the braces.
                param.display_type_rich = _no_type  # type: ignore[method-assign]
                param._usage_display_name = _usage_name(param)  # type: ignore[method-assign]


def _no_type(ctx: object) -> None:
    return None


def _usage_name(param: TyperArgument) -> Any:
    def name() -> str:
        shown = param.display_name_raw if param.required else f"[{param.display_name_raw}]"
        return shown + ("..." if param.nargs != 1 else "")

    return name
