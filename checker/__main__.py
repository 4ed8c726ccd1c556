"""The process entry point, for `linkedin-ai-optout` and `python -m checker`.

`--version` (or `-V`) alone is answered here, before anything else is imported: it costs about what
starting Python costs. Every other command goes to checker/cli/startup.py, which loads the command
line with the signals in hand; its commands import what they need when they run.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Answer --version at once; hand anything else to the command line."""
    if sys.argv[1:] in (["--version"], ["-V"]):
        from checker import VERSION_LINE  # the package is loaded already: this module is in it

        print(VERSION_LINE)
        return
    from checker.cli.startup import start

    start()


if __name__ == "__main__":
    main()
