from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pytest

from bot.clock import Clock
from bot.devtools.harness import Harness
from bot.services import roster

ROSTER = """user_id,role,manager_id,name,team,timezone
U0VP,manager,,Vera Vance,Leadership,America/Chicago
U0MGR1,manager,U0VP,Maya Patel,East,America/New_York
U0REP1,rep,U0MGR1,Jordan Lee,East,America/New_York
U0REP2,rep,U0MGR1,Sam Rivera,East,America/New_York
U0OPS,sales_ops,,Olu Ops,Ops,Europe/London
"""

# The people on ROSTER as Slack knows them: (user id, real name, time zone).
USERS = (
    ("U0VP", "Vera Vance", "America/Chicago"),
    ("U0MGR1", "Maya Patel", "America/New_York"),
    ("U0REP1", "Jordan Lee", "America/New_York"),
    ("U0REP2", "Sam Rivera", "America/New_York"),
    ("U0OPS", "Olu Ops", "Europe/London"),
)


@contextmanager
def rostered_harness(
    sqlite_url: str,
    *,
    clock: Clock | None = None,
    users: Sequence[tuple[str, str, str]] = USERS,
    channels: Sequence[tuple[str, str]] = (),
    deal_pattern: str | None = None,
) -> Iterator[Harness]:
    """The app served for real, its Slack emulator knowing ``users`` and ``channels``, ROSTER
    imported (and ``deal_pattern`` watched as deal channels). On the way out it checks that
    the app made no call Slack would reject."""
    with Harness(sqlite_url, clock=clock) as h:
        for user_id, name, tz in users:
            h.emulator.add_user(user_id, name=name.split()[0].lower(), real_name=name, tz=tz)
        for channel_id, channel_name in channels:
            h.emulator.add_channel(channel_id, name=channel_name)
        deps = h.runtime.deps
        roster.import_roster(
            uow=deps.uow, clock=deps.clock, workspace_id=h.team_id, csv_text=ROSTER
        )
        if deal_pattern is not None:
            roster.add_deal_channel(
                uow=deps.uow, clock=deps.clock, workspace_id=h.team_id, pattern=deal_pattern
            )
        yield h
        assert h.emulator.problems == [], "the app made calls Slack would reject"


@pytest.fixture
def harness(sqlite_url: str) -> Iterator[Harness]:
    with rostered_harness(
        sqlite_url,
        users=[*USERS, ("U0STRANGER", "Stranger Danger", "Asia/Tokyo")],
        channels=[("C0ACME", "deal-acme"), ("C0GENERAL", "general")],
    ) as h:
        yield h
