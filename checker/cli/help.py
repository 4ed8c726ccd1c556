"""How the command line presents itself: plain help that names arguments by their metavar.

Typer writes an argument's Python type after its name ("EMAIL <list[str]>"); a reader needs the
word, not the annotation. Every command of the tool is built with `Command`.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperCommand

HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}


class Command(TyperCommand):
    """A Typer command whose arguments show only their metavar in the help."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, TyperArgument):
                # The instance attribute hides the method that adds "<type>" after the name.
                param.display_type_rich = _no_type  # type: ignore[method-assign]


def _no_type(ctx: object) -> None:
    return None
