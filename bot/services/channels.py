"""What Enabler knows about channels, learnt from events (never from history calls)."""

from __future__ import annotations

from datetime import datetime

from bot.db.repositories.core import ChannelRepo
from bot.db.unit_of_work import UnitOfWork


def learn(
    tx: UnitOfWork,
    *,
    workspace_id: str,
    channel_id: str,
    now: datetime,
    name: str | None = None,
    is_private: bool | None = None,
    bot_is_member: bool | None = None,
) -> None:
    if not channel_id:
        return
    ChannelRepo(tx.session, workspace_id).upsert(
        channel_id, now=now, name=name, is_private=is_private, bot_is_member=bot_is_member
    )
