"""How a listener failure reaches people: logged with a reference, counted, and explained.

Not a blanket swallow: every unexpected error is logged with its traceback and counted on
/metrics (enabler_rejections{reason="handler_error"}), and the person gets a short apology with
the same reference an operator can grep for. A `UserError` is a message for the person.
"""

from __future__ import annotations

import secrets
from typing import Any

from bot.observability import get_logger
from bot.slack.deps import Deps, UserError

log = get_logger(__name__)


def failure_text(deps: Deps, exc: BaseException, *, where: str, **context: Any) -> str:
    if isinstance(exc, UserError):
        deps.metrics.rejections.labels(reason="user_error").inc()
        return str(exc)
    ref = secrets.token_hex(4)
    deps.metrics.rejections.labels(reason="handler_error").inc()
    log.error("listener_failed", where=where, ref=ref, exc_info=exc, **context)
    return (
        f":warning: Sorry, something went wrong on our side (ref `{ref}`). "
        "It has been logged; please try again in a moment."
    )
