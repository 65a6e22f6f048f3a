from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.devtools.harness import Harness
from bot.services import roster

ROSTER = """user_id,role,manager_id,name,team,timezone
U0VP,manager,,Vera Vance,Leadership,America/Chicago
U0MGR1,manager,U0VP,Maya Patel,East,America/New_York
U0REP1,rep,U0MGR1,Jordan Lee,East,America/New_York
U0REP2,rep,U0MGR1,Sam Rivera,East,America/New_York
U0OPS,sales_ops,,Olu Ops,Ops,Europe/London
"""


@pytest.fixture
def harness(sqlite_url: str) -> Iterator[Harness]:
    with Harness(sqlite_url) as h:
        for user_id, name, tz in [
            ("U0VP", "Vera Vance", "America/Chicago"),
            ("U0MGR1", "Maya Patel", "America/New_York"),
            ("U0REP1", "Jordan Lee", "America/New_York"),
            ("U0REP2", "Sam Rivera", "America/New_York"),
            ("U0OPS", "Olu Ops", "Europe/London"),
            ("U0STRANGER", "Stranger Danger", "Asia/Tokyo"),
        ]:
            h.emulator.add_user(user_id, name=name.split()[0].lower(), real_name=name, tz=tz)
        h.emulator.add_channel("C0ACME", name="deal-acme")
        h.emulator.add_channel("C0GENERAL", name="general")
        deps = h.runtime.deps
        roster.import_roster(
            uow=deps.uow, clock=deps.clock, workspace_id=h.team_id, csv_text=ROSTER
        )
        yield h
        assert h.emulator.problems == [], "the app made calls Slack would reject"
