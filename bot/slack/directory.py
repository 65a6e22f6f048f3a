"""Who is this Slack user? users.info, cached per workspace.

Names and time zones change rarely and Slack tells us when (user_change), so a short-lived cache
in front of users.info keeps us inside the rate tier without serving stale zones for long.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError


@dataclass(frozen=True)
class SlackUser:
    user_id: str
    name: str
    real_name: str
    tz: str | None
    is_bot: bool = False
    deleted: bool = False
    status_text: str = ""
    status_emoji: str = ""

    @property
    def display(self) -> str:
        return self.real_name or self.name or self.user_id


class UserDirectory:
    def __init__(
        self,
        client: WebClient,
        *,
        ttl_seconds: float = 3600.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._cache: dict[tuple[str, str], tuple[float, SlackUser | None]] = {}
        self._lock = threading.Lock()

    def get(self, workspace_id: str, user_id: str) -> SlackUser | None:
        """The user, or None when Slack does not know them (user_not_found)."""
        key = (workspace_id, user_id)
        now = self._monotonic()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and now - hit[0] < self._ttl:
                return hit[1]
        try:
            data = self._client.users_info(user=user_id)
        except SlackApiError as exc:
            if exc.response.get("error") == "user_not_found":
                user = None
            else:
                raise
        else:
            user = parse_user(data["user"])
        with self._lock:
            self._cache[key] = (now, user)
        return user

    def forget(self, workspace_id: str, user_id: str) -> None:
        with self._lock:
            self._cache.pop((workspace_id, user_id), None)

    def remember(self, workspace_id: str, raw_user: dict[str, object]) -> SlackUser:
        """Refresh the cache from a user object Slack sent us (user_change)."""
        user = parse_user(raw_user)
        with self._lock:
            self._cache[(workspace_id, user.user_id)] = (self._monotonic(), user)
        return user


def parse_user(raw: dict[str, object]) -> SlackUser:
    profile = raw.get("profile")
    profile = profile if isinstance(profile, dict) else {}
    tz = raw.get("tz")
    return SlackUser(
        user_id=str(raw.get("id", "")),
        name=str(raw.get("name", "")),
        real_name=str(raw.get("real_name") or profile.get("real_name") or ""),
        tz=str(tz) if tz else None,
        is_bot=bool(raw.get("is_bot", False)),
        deleted=bool(raw.get("deleted", False)),
        status_text=str(profile.get("status_text") or ""),
        status_emoji=str(profile.get("status_emoji") or ""),
    )


class ChannelDirectory:
    """Channel names (for `deal-*` patterns), via conversations.info, cached per workspace.

    Called at most once per channel per process; renames arrive as channel_rename events.
    """

    def __init__(self, client: WebClient, *, ttl_seconds: float = 6 * 3600.0) -> None:
        self._client = client
        self._ttl = ttl_seconds
        self._cache: dict[tuple[str, str], tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def name(self, workspace_id: str, channel_id: str) -> str | None:
        key = (workspace_id, channel_id)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and now - hit[0] < self._ttl:
                return hit[1]
        try:
            info = self._client.conversations_info(channel=channel_id)
            name: str | None = str(info["channel"].get("name") or "") or None
        except SlackApiError:
            name = None
        with self._lock:
            self._cache[key] = (now, name)
        return name

    def remember(self, workspace_id: str, channel_id: str, name: str) -> None:
        with self._lock:
            self._cache[(workspace_id, channel_id)] = (time.monotonic(), name)
