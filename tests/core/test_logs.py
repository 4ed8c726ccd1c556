"""Logging: structlog is loaded only for an event the level lets through, and `bound` keys reach
every event logged inside."""

from __future__ import annotations

import json

from tests.conftest import run_python

QUIET_THEN_LOUD = """
import sys
from checker.core.logs import bound, configure_logging, get_logger
configure_logging("warning", json_lines=True)
log = get_logger()
log.info("below the level")
log.debug("below it too")
print("structlog" in sys.modules)
with bound(account="a@example.com"):
    log.warning("at the level", step="reading")
log.warning("after the binding")
print("structlog" in sys.modules)
"""


def test_structlog_loads_only_for_an_event_the_level_lets_through_with_the_bound_keys() -> None:
    result = run_python("-c", QUIET_THEN_LOUD, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]
    events = [json.loads(line) for line in result.stderr.splitlines()]
    assert [(e["event"], e.get("account"), e.get("step")) for e in events] == [
        ("at the level", "a@example.com", "reading"),
        ("after the binding", None, None),
    ]
    assert all(e["level"] == "warning" for e in events)
