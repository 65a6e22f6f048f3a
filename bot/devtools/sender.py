"""Send the app what Slack sends it: signed events, slash commands and interactions.

Why: end-to-end tests must exercise the app's real HTTP endpoint, its signature check and its
payload parsing, so the requests have to be byte-for-byte what Slack would send. Payload shapes
follow Slack's samples (java-slack-sdk ``json-logs/samples``, kept in
``../shared/slack-reference/java-json-logs``): events are JSON ``event_callback`` envelopes;
slash commands are form-encoded fields; interactions (block_actions, view_submission,
view_closed, shortcut, message_action) are one form field ``payload=<json>``.

Every request is signed the way Slack signs (``v0=`` + HMAC-SHA256 of ``v0:{ts}:{body}`` with
the signing secret). :meth:`SlackRequestSender.sign` and :meth:`SlackRequestSender.raw` are
there for tests of bad signatures and stale timestamps. Every ``trigger_id`` is unique, so the
emulator can tell a reused one (Slack answers ``exchanged_trigger_id``).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlencode

import httpx

JSONDict = dict[str, Any]
EVENTS_PATH = "/slack/events"
# Connection refused on the discard port: a response_url that goes nowhere, never to Slack.
UNUSED_RESPONSE_URL = "http://127.0.0.1:9/response_url/unused"


class SlackRequestSender:
    """Signed Slack requests to the app's ``/slack/events`` endpoint.

    ``app_url`` is the app's base URL (``http://127.0.0.1:3000``) or the full events URL.
    ``response_urls`` makes a response_url for commands and message interactions when the
    caller gives none; pass ``emulator.new_response_url`` so the emulator records what the app
    sends there.
    """

    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        *,
        team_id: str = "T0001",
        team_domain: str = "enabler-demo",
        api_app_id: str = "A0APP0001",
        bot_user_id: str = "U0BOT0001",
        client: httpx.Client | None = None,
        response_urls: Callable[[], str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        base = app_url.rstrip("/")
        self.url = base if base.endswith(EVENTS_PATH) else base + EVENTS_PATH
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.team_domain = team_domain
        self.api_app_id = api_app_id
        self.bot_user_id = bot_user_id
        self._own_client = client is None
        self.client = client if client is not None else httpx.Client(timeout=10.0)
        self._response_urls = response_urls
        self._clock = clock
        self._counter = itertools.count(1)
        self.last_trigger_id: str | None = None
        self.last_event_id: str | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        if self._own_client:
            self.client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- signing and raw sending --------------------------------------------------------------

    def sign(self, body: bytes, timestamp: int | str) -> str:
        """The ``X-Slack-Signature`` Slack would send for ``body`` at ``timestamp``."""
        base = b"v0:" + str(timestamp).encode() + b":" + body
        digest = hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        return f"v0={digest}"

    def signed_headers(self, body: bytes, content_type: str) -> dict[str, str]:
        timestamp = str(int(self._clock()))
        return {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": self.sign(body, timestamp),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }

    def raw(self, body: bytes, headers: Mapping[str, str]) -> httpx.Response:
        """POST exactly these bytes and headers (bad signatures, stale timestamps, junk)."""
        return self.client.post(self.url, content=body, headers=dict(headers))

    def _post(
        self, body: bytes, content_type: str, extra: Mapping[str, str] | None = None
    ) -> httpx.Response:
        headers = self.signed_headers(body, content_type)
        headers.update(extra or {})
        return self.raw(body, headers)

    def _post_json(
        self, payload: JSONDict, extra: Mapping[str, str] | None = None
    ) -> httpx.Response:
        return self._post(json.dumps(payload).encode(), "application/json", extra)

    def _post_form(self, fields: Mapping[str, str]) -> httpx.Response:
        return self._post(urlencode(fields).encode(), "application/x-www-form-urlencoded")

    def _post_payload(self, payload: JSONDict) -> httpx.Response:
        return self._post_form({"payload": json.dumps(payload)})

    # -- ids ----------------------------------------------------------------------------------

    def new_trigger_id(self) -> str:
        n = next(self._counter)
        trigger = f"{n}.{int(self._clock())}.{uuid.uuid4().hex[:20]}"
        self.last_trigger_id = trigger
        return trigger

    def _event_id(self) -> str:
        return f"Ev{uuid.uuid4().hex[:10].upper()}"

    def _action_ts(self) -> str:
        return f"{self._clock():.6f}"

    def _response_url(self, given: str | None) -> str:
        if given is not None:
            return given
        return self._response_urls() if self._response_urls is not None else UNUSED_RESPONSE_URL

    def _team(self) -> JSONDict:
        return {"id": self.team_id, "domain": self.team_domain}

    def _user(self, user_id: str) -> JSONDict:
        return {
            "id": user_id,
            "username": user_id.lower(),
            "name": user_id.lower(),
            "team_id": self.team_id,
        }

    def _interaction(self, kind: str, user_id: str) -> JSONDict:
        return {
            "type": kind,
            "team": self._team(),
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": "unused-verification-token",
            "is_enterprise_install": False,
            "enterprise": None,
        }

    # -- Events API ---------------------------------------------------------------------------

    def event(
        self,
        event: Mapping[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> httpx.Response:
        """Deliver ``event`` in an ``event_callback`` envelope.

        Redeliver with the same ``event_id`` and ``retry_num=1..3`` to act out Slack's retries.
        """
        now = self._clock()
        inner = dict(event)
        inner.setdefault("event_ts", f"{now:.6f}")
        event_id = event_id or self._event_id()
        self.last_event_id = event_id
        envelope: JSONDict = {
            "token": "unused-verification-token",
            "team_id": self.team_id,
            "api_app_id": self.api_app_id,
            "event": inner,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(now),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{uuid.uuid4().hex}",
        }
        extra: dict[str, str] = {}
        if retry_num is not None:
            extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return self._post_json(envelope, extra)

    # -- slash commands -----------------------------------------------------------------------

    def command(
        self,
        user_id: str,
        text: str,
        *,
        channel_id: str = "C0GENERAL",
        channel_name: str | None = None,
        command: str = "/enabler",
        response_url: str | None = None,
    ) -> httpx.Response:
        fields = {
            "token": "unused-verification-token",
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name
            or ("directmessage" if channel_id.startswith("D") else "general"),
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": self._response_url(response_url),
            "trigger_id": self.new_trigger_id(),
        }
        return self._post_form(fields)

    # -- interactivity ------------------------------------------------------------------------

    def block_action(
        self,
        user_id: str,
        action_id: str,
        *,
        value: str | None = None,
        block_id: str | None = None,
        selected_option: Mapping[str, Any] | None = None,
        message: Mapping[str, Any] | None = None,
        channel_id: str | None = None,
        view: Mapping[str, Any] | None = None,
        response_url: str | None = None,
    ) -> httpx.Response:
        """A click on ``action_id`` in ``message`` (a message dict as Slack returns it, e.g.
        ``Message.to_api(team_id)`` from the emulator) or in ``view`` (as the emulator stored
        it). The element's type, text and block_id are looked up there when present."""
        blocks = (message or {}).get("blocks") or (view or {}).get("blocks") or []
        found_block_id, element = _find_element(blocks, action_id)
        action: JSONDict = {
            "action_id": action_id,
            "block_id": block_id or found_block_id or f"b{next(self._counter)}",
            "type": (element or {}).get(
                "type", "static_select" if selected_option is not None else "button"
            ),
            "action_ts": self._action_ts(),
        }
        if element is not None and "text" in element:
            action["text"] = element["text"]
        if value is not None:
            action["value"] = value
        elif element is not None and "value" in element:
            action["value"] = element["value"]
        if selected_option is not None:
            action["selected_option"] = dict(selected_option)
        payload = self._interaction("block_actions", user_id)
        payload["trigger_id"] = self.new_trigger_id()
        payload["actions"] = [action]
        payload["state"] = {"values": {}}
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view.get("id", "")}
            payload["view"] = dict(view)
        elif message is not None:
            channel = channel_id or str(message.get("channel") or "")
            if not channel:
                raise ValueError("a message action needs channel_id (or message['channel'])")
            payload["container"] = {
                "type": "message",
                "message_ts": message.get("ts", ""),
                "channel_id": channel,
                "is_ephemeral": False,
            }
            if message.get("thread_ts"):
                payload["container"]["thread_ts"] = message["thread_ts"]
            payload["channel"] = {"id": channel, "name": _channel_name(channel)}
            payload["message"] = dict(message)
            payload["response_url"] = self._response_url(response_url)
        elif channel_id is not None:
            payload["channel"] = {"id": channel_id, "name": _channel_name(channel_id)}
            payload["response_url"] = self._response_url(response_url)
        return self._post_payload(payload)

    def view_submission(
        self, user_id: str, view: Mapping[str, Any], values: Mapping[str, Any]
    ) -> httpx.Response:
        """Submit ``view`` (as the emulator recorded it: id, callback_id, private_metadata...)
        with ``values`` in Slack's ``state.values`` shape
        (``{block_id: {action_id: {"type": ..., "value": ...}}}``)."""
        payload = self._interaction("view_submission", user_id)
        payload["trigger_id"] = self.new_trigger_id()
        payload["view"] = {**view, "state": {"values": dict(values)}}
        payload["response_urls"] = []
        return self._post_payload(payload)

    def view_closed(
        self, user_id: str, view: Mapping[str, Any], *, is_cleared: bool = False
    ) -> httpx.Response:
        """The user dismissed ``view`` (sent only when the view had ``notify_on_close``)."""
        payload = self._interaction("view_closed", user_id)
        payload["view"] = {**view, "state": view.get("state") or {"values": {}}}
        payload["is_cleared"] = is_cleared
        return self._post_payload(payload)

    def global_shortcut(self, user_id: str, callback_id: str) -> httpx.Response:
        payload = self._interaction("shortcut", user_id)
        payload["callback_id"] = callback_id
        payload["trigger_id"] = self.new_trigger_id()
        payload["action_ts"] = self._action_ts()
        return self._post_payload(payload)

    def message_shortcut(
        self,
        user_id: str,
        callback_id: str,
        *,
        channel_id: str,
        message: Mapping[str, Any],
        response_url: str | None = None,
    ) -> httpx.Response:
        payload = self._interaction("message_action", user_id)
        payload["callback_id"] = callback_id
        payload["trigger_id"] = self.new_trigger_id()
        payload["action_ts"] = self._action_ts()
        payload["message_ts"] = message.get("ts", "")
        payload["message"] = dict(message)
        payload["channel"] = {"id": channel_id, "name": _channel_name(channel_id)}
        payload["response_url"] = self._response_url(response_url)
        return self._post_payload(payload)


def _channel_name(channel_id: str) -> str:
    return "directmessage" if channel_id.startswith("D") else channel_id.lower()


def _walk_elements(blocks: object) -> Iterator[tuple[str | None, Mapping[str, Any]]]:
    if not isinstance(blocks, list):
        return
    for block in blocks:
        if not isinstance(block, Mapping):
            continue
        block_id = block.get("block_id")
        candidates = list(block.get("elements") or [])
        for key in ("accessory", "element"):
            if isinstance(block.get(key), Mapping):
                candidates.append(block[key])
        for element in candidates:
            if isinstance(element, Mapping):
                yield block_id, element


def _find_element(blocks: object, action_id: str) -> tuple[str | None, Mapping[str, Any] | None]:
    for block_id, element in _walk_elements(blocks):
        if element.get("action_id") == action_id:
            return block_id, element
    return None, None
