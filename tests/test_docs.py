"""docs/cli.md is what scripts/cli-reference prints: every command's `--help` at 80 columns."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGENERATE = ".venv/bin/python scripts/cli-reference > docs/cli.md"


def test_the_cli_reference_is_the_help_the_commands_print() -> None:
    env = {**os.environ, "COLUMNS": "150"}  # the script sets its own width, whatever the terminal's
    script = [sys.executable, "scripts/cli-reference"]
    run = subprocess.run(script, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    generated = run.stdout
    assert "## `linkedin-ai-optout check`" in generated
    assert "## `linkedin-ai-optout-site`" in generated
    written = (ROOT / "docs" / "cli.md").read_text()
    assert written == generated, f"docs/cli.md is out of date with the commands' help; run: {REGENERATE}"
