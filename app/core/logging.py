"""Structured logs: JSON lines with the request id bound to each, uvicorn's own included."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from app.core.config import Settings


def configure_logging(settings: Settings) -> None:
    level = getattr(logging, settings.log_level.upper())
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_stderr_logger,
        # Not cached: create_app may run again in one process (tests, tools) with
        # other settings, and a cached logger would keep the first configuration.
        cache_logger_on_first_use=False,
    )
    _route_server_logs(level, renderer)


# The server's own loggers: start-up and shutdown lines, and the tracebacks of
# errors that reach it. Its access log stays off: Lede logs each request itself.
SERVER_LOGGERS = ("uvicorn", "uvicorn.error")


class _StderrHandler(logging.Handler):
    """Writes to sys.stderr as it is when the line is written, as structlog's lines do."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


def _route_server_logs(level: int, renderer: structlog.typing.Processor) -> None:
    """Render uvicorn's stdlib log records like every other line."""
    handler = _StderrHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                structlog.stdlib.add_logger_name,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False


def _stderr_logger(*_args: Any) -> structlog.PrintLogger:
    # sys.stderr as it is when the line is written, not when logging was configured.
    return structlog.PrintLogger(sys.stderr)
