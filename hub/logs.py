"""structlog setup: readable lines on a terminal, JSON lines otherwise; always on stderr, so stdout
stays free for what a command prints (events from `tail`, tables, config snippets)."""
from __future__ import annotations

import logging
import sys

import structlog

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def configure(level: str = "info", fmt: str = "auto", stream=None) -> None:
    """``fmt``: "auto" (console on a TTY, else JSON), "json" or "console"."""
    stream = stream or sys.stderr
    if fmt == "auto":
        fmt = "console" if stream.isatty() else "json"
    renderer = (structlog.processors.JSONRenderer(sort_keys=False) if fmt == "json"
                else structlog.dev.ConsoleRenderer(colors=stream.isatty()))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(LEVELS[level]),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=False,
    )
    # Libraries (pymodbus, zeep, grpc) log through the standard library: same stream and level.
    logging.basicConfig(stream=stream, level=max(LEVELS[level], logging.WARNING), force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
