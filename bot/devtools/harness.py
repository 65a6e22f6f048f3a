"""The whole product on loopback: Slack emulator + Enabler's real app over real HTTP.

Used by the end-to-end tests, the benchmarks and `enabler demo`. Nothing is mocked: the Bolt app
verifies every signature, the WebClient talks HTTP to the emulator, the database is real.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self, TypeVar

from bot.bootstrap import Runtime, build_runtime
from bot.clock import Clock
from bot.config import Settings
from bot.devtools.emulator import SlackEmulator
from bot.devtools.sender import SlackRequestSender
from bot.slack.http import HttpServer

T = TypeVar("T")


class Harness:
    def __init__(
        self,
        database_url: str,
        *,
        clock: Clock | None = None,
        timers: bool = False,
        tick_seconds: float = 0.2,
        store_message_text: bool = False,
    ) -> None:
        self.signing_secret = secrets.token_hex(16)
        self.emulator = SlackEmulator()
        self.database_url = database_url
        self.clock = clock
        self.timers = timers
        self.tick_seconds = tick_seconds
        self.store_message_text = store_message_text
        self._runtime: Runtime | None = None
        self._server: HttpServer | None = None
        self._sender: SlackRequestSender | None = None

    @property
    def runtime(self) -> Runtime:
        assert self._runtime is not None, "Harness not started"
        return self._runtime

    @property
    def server(self) -> HttpServer:
        assert self._server is not None, "Harness not started"
        return self._server

    @property
    def sender(self) -> SlackRequestSender:
        assert self._sender is not None, "Harness not started"
        return self._sender

    @property
    def team_id(self) -> str:
        return self.emulator.team_id

    def start(self) -> Self:
        self.emulator.start()
        settings = Settings(
            database_url=self.database_url,
            slack_bot_token=self.emulator.token,
            slack_signing_secret=self.signing_secret,
            slack_api_url=self.emulator.api_url,
            tick_seconds=self.tick_seconds,
            store_message_text=self.store_message_text,
        )
        self._runtime = build_runtime(settings, clock=self.clock)
        self._server = self._runtime.http_server()
        self._server.start()
        self._sender = SlackRequestSender(
            self._server.url,
            self.signing_secret,
            team_id=self.emulator.team_id,
            team_domain=self.emulator.team_domain,
            bot_user_id=self.emulator.bot_user_id,
            response_urls=self.emulator.new_response_url,
        )
        if self.timers:
            self._runtime.start_timers()
        return self

    def open_home(self, user_id: str) -> dict[str, Any]:
        """Act out `user_id` opening the App Home tab; the home view the app published."""

        def publishes() -> int:
            return sum(
                1
                for call in self.emulator.calls_to("views.publish")
                if call.args.get("user_id") == user_id
            )

        before = publishes()
        self.sender.event(
            {"type": "app_home_opened", "user": user_id, "channel": "D0HOME", "tab": "home"}
        )
        wait_for(lambda: publishes() > before)
        view = self.emulator.home_view(user_id)
        assert view is not None
        return view

    def stop(self) -> None:
        if self._sender is not None:
            self._sender.close()
        if self._server is not None:
            self._server.stop()
        if self._runtime is not None:
            self._runtime.close()
        self.emulator.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def wait_for(check: Callable[[], T | None], *, timeout: float = 10.0, every: float = 0.02) -> T:
    """Poll until `check` returns something truthy (work after the ack runs on threads)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout}s")
        time.sleep(every)
