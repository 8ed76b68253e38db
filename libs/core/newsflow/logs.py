"""structlog set-up: JSON lines on stderr, with contextvars (article id, stage, entry id) merged in."""

from __future__ import annotations

import logging
import sys
import threading

import structlog


class StderrLogger:
    """Writes each line to the sys.stderr of the moment, not to the one there when logging was set up:
    a stream swapped in meanwhile and closed since (a CLI runner's, a test's capture) is never written
    to (that raised "I/O operation on closed file" in the next test that logged)."""

    _lock = threading.Lock()

    def msg(self, message: str) -> None:
        with self._lock:
            print(message, file=sys.stderr, flush=True)

    debug = info = warning = warn = error = err = critical = fatal = exception = log = msg


def configure_logging(level: str = "info", fmt: str = "json") -> None:
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    renderer = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        # stdout belongs to command output (search --json, tail): logs never go there.
        logger_factory=lambda *_: StderrLogger(),
        cache_logger_on_first_use=True,
    )
    # Libraries that use stdlib logging (uvicorn, httpx, trafilatura) go to stderr too, quieter.
    logging.basicConfig(
        stream=sys.stderr, level=max(numeric, logging.WARNING), format="%(levelname)s %(name)s: %(message)s"
    )


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
