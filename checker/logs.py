"""Logging: structlog to stderr, readable on a terminal and JSON lines otherwise, secrets masked.

Tracebacks never show local variables: a password could be one of them.
"""

from __future__ import annotations

import logging
import sys

import structlog
from structlog.typing import Processor

from checker.redact import redact_event

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}


def configure_logging(level: str = "warning", *, json_lines: bool | None = None) -> None:
    """Send logs to stderr at `level`; JSON lines unless stderr is a terminal (or as forced)."""
    if json_lines is None:
        json_lines = not sys.stderr.isatty()
    renderer: Processor
    if json_lines:
        renderer = structlog.processors.JSONRenderer()
        exceptions: list[Processor] = [
            structlog.processors.ExceptionRenderer(
                structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
            )
        ]
    else:
        renderer = structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
        # Render tracebacks to text here, before redaction sees the event.
        exceptions = [structlog.processors.format_exc_info]
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            *exceptions,
            redact_event,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
