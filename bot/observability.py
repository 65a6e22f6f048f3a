"""Logs and metrics.

Logs are structured (structlog) and pass through a redaction step: anything that looks like a
Slack token, signing secret or message text is removed before it is written. Metrics are
Prometheus counters on a registry per app instance, so tests can run several apps side by side.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from collections.abc import MutableMapping
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

_TOKEN = re.compile(r"xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+")
_SECRET_KEYS = {"token", "bot_token", "app_token", "signing_secret", "authorization", "secret"}
_TEXT_KEYS = {"text", "message_text", "notes", "reflection", "body"}


def _redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        lowered = key.lower()
        if lowered in _SECRET_KEYS:
            event[key] = "[redacted]"
        elif lowered in _TEXT_KEYS:
            event[key] = f"[{len(str(event[key]))} chars]"
        elif isinstance(event[key], str):
            event[key] = _TOKEN.sub("[redacted-token]", event[key])
    return event


class _TokenFilter(logging.Filter):
    """Scrub tokens from stdlib log records too (slack_sdk and Bolt log through logging)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _TOKEN.sub("[redacted-token]", record.msg)
        if record.args:
            record.args = tuple(
                _TOKEN.sub("[redacted-token]", a) if isinstance(a, str) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        return True


class _CurrentStderr:
    """Writes to whatever `sys.stderr` is at the time of writing, not when logging was set up.

    A logger configured once keeps working when stderr is swapped later (test runners capture
    and close it; daemon threads may log after that).
    """

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "INFO", *, json: bool | None = None) -> None:
    """JSON lines when not on a terminal (production), readable key=value on a terminal."""
    if json is None:
        json = not sys.stderr.isatty()
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level, logging.INFO)),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(_CurrentStderr())
    handler.addFilter(_TokenFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level, logging.INFO))
    # Bolt is chatty at INFO about every request; keep ours readable.
    logging.getLogger("slack_bolt").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    # A line per timer tick is noise; failures still show.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)


class InFlight:
    """How many Slack requests are being answered right now (until their ack).

    Slack gives every request three seconds; work after the ack has no such deadline. Event
    processing checks `busy()` and lets acks go first (bot/scheduling/work_queue.py). "Busy"
    lasts `quiet` seconds past the last ack too: requests come in bursts, and a gap of a
    millisecond between two of them is no time to start work that holds the interpreter.
    """

    def __init__(self, *, quiet: float = 0.05) -> None:
        self._count = 0
        self._last = -quiet
        self._quiet = quiet
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        with self._lock:
            self._count += 1

    def __exit__(self, *_: object) -> None:
        with self._lock:
            self._count -= 1
            self._last = time.monotonic()

    @property
    def count(self) -> int:
        return self._count

    def busy(self) -> bool:
        return self._count > 0 or time.monotonic() - self._last < self._quiet


class Metrics:
    """Every counter Enabler exports on /metrics. One instance per running app."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.in_flight = InFlight()
        Gauge(
            "enabler_requests_in_flight", "Slack requests being answered now", registry=r
        ).set_function(lambda: self.in_flight.count)
        self.requests = Counter(
            "enabler_slack_requests", "Slack requests received, by kind", ["kind"], registry=r
        )
        self.events = Counter(
            "enabler_events",
            "Events API deliveries by type and outcome",
            ["type", "outcome"],
            registry=r,
        )
        self.duplicates = Counter(
            "enabler_events_duplicate",
            "Event deliveries dropped as retries of one already seen",
            registry=r,
        )
        self.rejections = Counter(
            "enabler_rejections", "Requests or inputs rejected, by reason", ["reason"], registry=r
        )
        self.web_api = Counter(
            "enabler_web_api_calls",
            "Slack Web API calls by method and outcome",
            ["method", "outcome"],
            registry=r,
        )
        self.signals = Counter(
            "enabler_signals", "Signals recorded, by type and kind", ["type", "kind"], registry=r
        )
        self.deliveries = Counter(
            "enabler_deliveries",
            "Outbox deliveries by kind and final status",
            ["kind", "status"],
            registry=r,
        )
        self.nudges = Counter(
            "enabler_nudges", "Nudge decisions by outcome", ["outcome"], registry=r
        )
        self.handler_seconds = Histogram(
            "enabler_handler_seconds",
            "Time to handle a Slack request (until ack)",
            ["kind"],
            registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
