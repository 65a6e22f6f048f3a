"""The one way Enabler builds a Slack WebClient (app, outbox, CLI, benchmarks)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings


def make_client(settings: Settings, *, for_outbox: bool = False) -> WebClient:
    """A WebClient that retries what is worth retrying: 429 (honouring Retry-After), 5xx, and
    dropped connections; never forever (a few attempts, then the caller sees the error).

    The outbox's client retries only dropped connections: the outbox reschedules 429s and 5xx
    itself, without holding a sending thread asleep.
    """
    handlers: list[Any] = [ConnectionErrorRetryHandler(max_retry_count=2)]
    if not for_outbox:
        handlers += [
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
        ]
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=15,
        retry_handlers=handlers,
    )
