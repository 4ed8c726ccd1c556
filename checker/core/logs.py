"""Logging: structlog to stderr, readable on a terminal and JSON lines otherwise, secrets masked.

Tracebacks never show local variables: a password could be one of them.

structlog is loaded when something is logged, not before. Its import is a good part of a command's
start-up (about 50 ms): the package imports `structlog.dev` whatever renders, and with it rich's
tracebacks and pygments, and most runs log nothing at the default level. So the tool's modules log
through `get_logger()`, whose logger imports structlog only for an event the level lets through,
and `configure_logging` applies the settings at once when structlog is loaded, and otherwise the
moment something imports it, before any module can log through it. `bound` adds keys (the account)
to every event logged inside it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

from checker.core.redact import redact_event

if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.abc import Loader
    from importlib.machinery import ModuleSpec
    from types import ModuleType

    from structlog.typing import Processor
else:
    Loader = object  # importlib.abc loads importlib.resources: the import machinery needs no base class

# logging.DEBUG, INFO and WARNING, without importing logging: it loads with structlog.
_LEVELS = {"debug": 10, "info": 20, "warning": 30}


_level = 0
"""The level events must reach to be logged: every event until `configure_logging` says (structlog's
own default)."""
_bound: ContextVar[dict[str, Any]] = ContextVar("linkedin_ai_optout_log_keys", default={})  # noqa: B039


class Logger:
    """structlog's logger, loaded at the first event the configured level lets through."""

    def debug(self, event: str, **values: Any) -> None:
        _emit(_LEVELS["debug"], "debug", event, values)

    def info(self, event: str, **values: Any) -> None:
        _emit(_LEVELS["info"], "info", event, values)

    def warning(self, event: str, **values: Any) -> None:
        _emit(_LEVELS["warning"], "warning", event, values)


def get_logger() -> Logger:
    """The logger of a module of the tool (see Logger)."""
    return Logger()


@contextmanager
def bound(**values: Any) -> Iterator[None]:
    """Add `values` to every event logged inside (in this task and the tasks it starts)."""
    token = _bound.set({**_bound.get(), **values})
    try:
        yield
    finally:
        _bound.reset(token)


def _emit(level: int, method: str, event: str, values: dict[str, Any]) -> None:
    if level < _level:
        return
    import structlog  # configured as it loads (see _ConfigureOnImport)

    getattr(structlog.get_logger(), method)(event, **{**_bound.get(), **values})


class _Settings(NamedTuple):
    level: int
    json_lines: bool
    stream: TextIO


def configure_logging(level: str = "warning", *, json_lines: bool | None = None) -> None:
    """Send logs to stderr at `level`; JSON lines unless stderr is a terminal (or as forced)."""
    global _level
    settings = _Settings(
        _LEVELS[level], not sys.stderr.isatty() if json_lines is None else json_lines, sys.stderr
    )
    _level = settings.level
    if "structlog" in sys.modules:
        _apply(settings)
        return
    _on_import.settings = settings
    if _on_import not in sys.meta_path:
        sys.meta_path.insert(0, _on_import)


def _apply(settings: _Settings) -> None:
    import structlog

    renderer: Processor
    if settings.json_lines:
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
        wrapper_class=structlog.make_filtering_bound_logger(settings.level),
        logger_factory=structlog.PrintLoggerFactory(file=settings.stream),
        cache_logger_on_first_use=False,
    )


class _ConfigureOnImport:
    """A meta path finder that finds structlog with the others, and hands it a loader that applies
    the settings as soon as the package has run, before anything can log through it."""

    def __init__(self) -> None:
        self.settings: _Settings | None = None
        self._finding = False

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name != "structlog" or self._finding:
            return None
        import importlib.util

        self._finding = True
        try:
            spec = importlib.util.find_spec(name)  # asks every finder, this one answering None
        finally:
            self._finding = False
        if spec is not None and spec.loader is not None:
            spec.loader = _ConfiguringLoader(spec.loader, self)
        return spec


class _ConfiguringLoader(Loader):
    """structlog's own loader, which configures structlog once it has run its package."""

    def __init__(self, loader: Loader, finder: _ConfigureOnImport) -> None:
        self._loader = loader
        self._finder = finder

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        # The package gets its own loader back: this one only waits for it to finish.
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        if self._finder in sys.meta_path:
            sys.meta_path.remove(self._finder)
        if self._finder.settings is not None:
            _apply(self._finder.settings)


_on_import = _ConfigureOnImport()
