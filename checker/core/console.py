"""The two consoles: results for people (or the JSON document) on stdout, everything else on stderr.

Neither interprets markup or highlights: what they print may come from the site or a file.
"""

from __future__ import annotations

from rich.console import Console

from checker.core.safe_text import printable

stdout = Console(highlight=False)
stderr = Console(stderr=True, highlight=False)


def say(message: str) -> None:
    """One line for the person on stderr, as it is: never markup, never cut."""
    stderr.print(printable(message), markup=False, soft_wrap=True)


def warning(message: str) -> None:
    """Something that went wrong beside the command's work, which stands (a notification not sent)."""
    say(f"warning: {message}")


def notice(message: str) -> None:
    """Something the tool did on the user's behalf that they should know (a permission tightened)."""
    say(f"note: {message}")
