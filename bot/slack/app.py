"""build_app: the Bolt app with every listener registered, one module per surface."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

from bot.observability import InFlight
from bot.slack.deps import Deps
from bot.slack.listeners import (
    coaching,
    commands,
    events,
    fallbacks,
    home,
    nudges,
    reflection,
    schedules,
)

# Order matters only for fallbacks, which must come last.
SURFACES = (events, commands, home, reflection, schedules, coaching, nudges)


class EnablerApp(App):
    """Bolt's App, counting each request as in flight from arrival to its response.

    Every request Bolt answers (over HTTP or Socket Mode) goes through `dispatch`, so this is
    the one place that sees its whole life up to the ack; events answered over HTTP ahead of
    Bolt count themselves (`HttpEvents`). Background work yields to requests in flight
    (bot/scheduling/work_queue.py). (A Bolt middleware cannot do it: Bolt's `next()` only marks
    the chain as continuing and returns at once.)
    """

    def __init__(self, in_flight: InFlight, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._in_flight = in_flight

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        with self._in_flight:
            return super().dispatch(req)


def build_app(deps: Deps, *, signing_secret: str, token: str) -> App:
    """The app for one workspace.

    `authorize` answers from what bootstrap learnt via auth.test at startup, so handling a
    request never waits on a Web API call before the ack.
    """

    def authorize(**_: Any) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=None,
            team_id=deps.team_id,
            bot_token=token,
            bot_user_id=deps.bot_user_id,
            bot_id=deps.bot_id,
        )

    bolt_logger = logging.getLogger("enabler.bolt")
    # Bolt warns at construction that SLACK_BOT_TOKEN from the environment is unused: by design,
    # `authorize` supplies it. Keep the startup log free of that false alarm.
    level = bolt_logger.level
    bolt_logger.setLevel(logging.ERROR)
    app = EnablerApp(
        deps.metrics.in_flight,
        client=deps.client,
        signing_secret=signing_secret,
        authorize=authorize,
        process_before_response=False,
        request_verification_enabled=True,
        ignoring_self_events_enabled=True,
        logger=bolt_logger,
    )
    bolt_logger.setLevel(level)

    for surface in SURFACES:
        surface.register(app, deps)
    fallbacks.register(app, deps)
    return app
