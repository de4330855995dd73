"""structlog setup: readable lines on a terminal, JSON lines otherwise; always on stderr, so stdout
stays free for what a command prints (events from `tail`, tables, config snippets)."""
from __future__ import annotations

import logging
import os
import re
import sys
import threading

import structlog

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def configure(level: str = "info", fmt: str = "auto", stream=None, tty: bool | None = None) -> None:
    """``fmt``: "auto" (console on a TTY, else JSON), "json" or "console"."""
    stream = stream or sys.stderr
    tty = stream.isatty() if tty is None else tty
    _configured[:] = [level, fmt]
    if fmt == "auto":
        fmt = "console" if tty else "json"
    renderer = (structlog.processors.JSONRenderer(sort_keys=False) if fmt == "json"
                else structlog.dev.ConsoleRenderer(colors=tty))
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
    # Libraries (pymodbus, zeep, grpc) log through the standard library: same stream and level,
    # and in a JSON log as JSON records too.
    library_level = max(LEVELS[level], logging.WARNING)
    if fmt == "json":
        logging.basicConfig(level=library_level, force=True, handlers=[_ToStructlog()])
    else:
        logging.basicConfig(stream=stream, level=library_level, force=True,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")


class _ToStructlog(logging.Handler):
    """A standard-library record as a structlog record (event, level, logger name)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a library's broken format arguments must not lose the line
            message = str(record.msg)
        method = getattr(structlog.get_logger(), record.levelname.lower(), None) or structlog.get_logger().warning
        method(message, logger=record.name)


#: absl's line prefix (grpc's C core): severity letter, date, time, thread, file:line].
_NATIVE_LINE = re.compile(r"^([IWEF])\d{4} [\d:.]+\s+\d+ ([^\]]+)\] ?(.*)$")
_NATIVE_LEVELS = {"I": "info", "W": "warning", "E": "error", "F": "critical"}


def route_native_stderr() -> None:
    """Send what native code writes to the process's stderr (grpc's C core: "Got goaway" and
    the like) through structlog, one record per line, so a JSON-lines log stays JSON lines.

    The process's fd 2 becomes a pipe read by a daemon thread; structlog writes to a copy of the
    original stderr. Call after :func:`configure`, once per process (``campus-hub run``)."""
    global _native_routed
    if _native_routed:
        return
    _native_routed = True
    sys.stderr.flush()
    original = os.fdopen(os.dup(2), "w", buffering=1)
    configure(_configured[0], _configured[1], stream=original, tty=sys.stderr.isatty())
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    sys.stderr = original
    logger = structlog.get_logger("native")

    def pump() -> None:
        with os.fdopen(read_end, "r", errors="replace") as lines:
            for line in lines:
                line = line.rstrip("\n")
                if not line:
                    continue
                match = _NATIVE_LINE.match(line)
                if match:
                    severity, where, message = match.groups()
                    getattr(logger, _NATIVE_LEVELS[severity])(message, source=where.strip())
                else:
                    logger.warning(line)

    threading.Thread(target=pump, name="native-stderr", daemon=True).start()


_native_routed = False
_configured = ["info", "auto"]
