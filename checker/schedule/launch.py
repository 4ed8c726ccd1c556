"""Start a scheduled run with the environment given on its command line, for Task Scheduler, which
cannot set one: `python -m checker.schedule.launch NAME=VALUE ... -- check --quiet ...`.

Only the variables a scheduled run carries are accepted (see CARRIED_ENV in job.py, kept out of this
module's imports: the run must start as `python -m checker` does).
"""

from __future__ import annotations

import os
import sys

_ACCEPTED = frozenset(
    {
        "LINKEDIN_AI_OPTOUT_HOME",
        "LINKEDIN_AI_OPTOUT_BROWSER",
        "LINKEDIN_AI_OPTOUT_SELECTORS",
        "LINKEDIN_AI_OPTOUT_KEYRING_TIMEOUT",
        "PLAYWRIGHT_BROWSERS_PATH",
    }
)


def split_arguments(arguments: list[str]) -> tuple[dict[str, str], list[str]]:
    """The variables before `--`, and the tool's arguments after it; raises ValueError."""
    if "--" not in arguments:
        raise ValueError("expected NAME=VALUE ... -- ARGUMENTS")
    cut = arguments.index("--")
    variables = {}
    for setting in arguments[:cut]:
        name, equals, value = setting.partition("=")
        if not equals or name not in _ACCEPTED:
            raise ValueError(f"not a variable a scheduled run carries: {setting!r}")
        variables[name] = value
    return variables, arguments[cut + 1 :]


def main() -> None:
    """Set the variables, then run the tool as `python -m checker` would, exit code and all."""
    try:
        variables, arguments = split_arguments(sys.argv[1:])
    except ValueError as exc:
        sys.stderr.write(f"error: {exc} (see: python -m checker.schedule.launch)\n")
        from checker.core.errors import ExitCode  # light: it imports only enum

        sys.exit(ExitCode.USAGE)
    os.environ.update(variables)
    sys.argv = ["linkedin-ai-optout", *arguments]
    from checker.__main__ import main as run

    run()


if __name__ == "__main__":
    main()
