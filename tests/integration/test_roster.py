"""Roster import and deal channels against real SQLite and PostgreSQL (each test rolled back)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.clock import FixedClock
from bot.db.repositories.core import InboxRepo, PeopleRepo
from bot.db.unit_of_work import UnitOfWorkFactory
from bot.domain.roster import RosterError
from bot.services import roster

CLOCK = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
TEAM = "T0TEST"

GOOD = """user_id,role,manager_id,name,team,timezone
U0VP,manager,,Vera VP,Leadership,America/Chicago
U0MGR1,manager,U0VP,Maya Manager,East,America/New_York
U0REP1,rep,U0MGR1,Jordan Rep,East,
U0OPS,sales_ops,,Sam Ops,,Europe/London
"""


def test_import_creates_then_updates_without_duplicates(uow: UnitOfWorkFactory) -> None:
    first = roster.import_roster(uow=uow, clock=CLOCK, workspace_id=TEAM, csv_text=GOOD)
    assert (first.created, first.updated, first.unchanged) == (4, 0, 0)

    changed = GOOD.replace("Jordan Rep,East,", "Jordan Rep,West,America/Denver")
    second = roster.import_roster(uow=uow, clock=CLOCK, workspace_id=TEAM, csv_text=changed)
    assert (second.created, second.updated, second.unchanged) == (0, 1, 3)

    people = roster.list_people(uow=uow, workspace_id=TEAM)
    assert len(people) == 4
    jordan = next(p for p in people if p.user_id == "U0REP1")
    assert (jordan.team, jordan.timezone, jordan.manager_id) == ("West", "America/Denver", "U0MGR1")


def test_bad_rows_import_nothing_and_name_their_lines(uow: UnitOfWorkFactory) -> None:
    bad = GOOD + "U0REP2,rep,,No Manager,,\nnot-an-id,boss,U0MGR1,,,Mars/Base\n"
    with pytest.raises(RosterError) as caught:
        roster.import_roster(uow=uow, clock=CLOCK, workspace_id=TEAM, csv_text=bad)
    text = str(caught.value)
    assert "line 6: a rep needs a manager_id" in text
    assert "line 7: user_id 'not-an-id'" in text
    assert "line 7: role 'boss'" in text
    assert "line 7: timezone 'Mars/Base'" in text
    assert roster.list_people(uow=uow, workspace_id=TEAM) == []


def test_manager_may_be_on_the_roster_already(uow: UnitOfWorkFactory) -> None:
    roster.import_roster(uow=uow, clock=CLOCK, workspace_id=TEAM, csv_text=GOOD)
    later = "user_id,role,manager_id\nU0REP9,rep,U0MGR1\n"
    result = roster.import_roster(uow=uow, clock=CLOCK, workspace_id=TEAM, csv_text=later)
    assert result.created == 1
    with uow() as tx:
        assert [r.user_id for r in PeopleRepo(tx.session, TEAM).reports_of("U0MGR1")] == [
            "U0REP1",
            "U0REP9",
        ]


def test_workspaces_do_not_see_each_other(uow: UnitOfWorkFactory) -> None:
    roster.import_roster(uow=uow, clock=CLOCK, workspace_id=TEAM, csv_text=GOOD)
    assert roster.list_people(uow=uow, workspace_id="T0OTHER") == []
    with uow() as tx:
        assert PeopleRepo(tx.session, "T0OTHER").get("U0MGR1") is None


def test_deal_channels_patterns_and_ids(uow: UnitOfWorkFactory) -> None:
    assert roster.add_deal_channel(uow=uow, clock=CLOCK, workspace_id=TEAM, pattern="#Deal-*") == (
        "deal-*",
        True,
    )
    assert (
        roster.add_deal_channel(uow=uow, clock=CLOCK, workspace_id=TEAM, pattern="deal-*")[1]
        is False
    )
    roster.add_deal_channel(uow=uow, clock=CLOCK, workspace_id=TEAM, pattern="<#C0ACME|deal-acme>")
    assert roster.list_deal_channels(uow=uow, workspace_id=TEAM) == ["C0ACME", "deal-*"]
    assert roster.remove_deal_channel(uow=uow, workspace_id=TEAM, pattern="C0ACME") is True
    assert roster.remove_deal_channel(uow=uow, workspace_id=TEAM, pattern="C0ACME") is False
    with pytest.raises(ValueError, match="neither a channel ID"):
        roster.add_deal_channel(uow=uow, clock=CLOCK, workspace_id=TEAM, pattern="deal acme!")


def test_inbox_records_an_event_once(uow: UnitOfWorkFactory) -> None:
    roster.add_deal_channel(uow=uow, clock=CLOCK, workspace_id=TEAM, pattern="deal-*")
    with uow() as tx:
        inbox = InboxRepo(tx.session)
        args = {"workspace_id": TEAM, "event_type": "message", "payload": {}, "now": CLOCK.now()}
        assert inbox.record("Ev1", **args) is True
        assert inbox.record("Ev1", **args) is False
        assert inbox.lock_pending("Ev1") is not None
        tx.commit()
