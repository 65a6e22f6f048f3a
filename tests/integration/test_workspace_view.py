"""Event processing's cached view of a workspace follows every change, whoever makes it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from bot.clock import FixedClock
from bot.db.unit_of_work import UnitOfWorkFactory
from bot.services import detection, roster
from bot.services.workspace_view import WorkspaceView, WorkspaceViews

CLOCK = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
TEAM = "T0VIEW"
ROSTER = "user_id,role,manager_id\nU0MGR,manager,\nU0REP,rep,U0MGR\n"


@pytest.fixture
def uow(committing_uow: UnitOfWorkFactory) -> UnitOfWorkFactory:
    return committing_uow


def _view(uow: UnitOfWorkFactory, views: WorkspaceViews) -> WorkspaceView:
    with uow() as tx:
        return views.get(tx, TEAM)


def test_view_is_reused_until_something_it_holds_changes(uow: UnitOfWorkFactory) -> None:
    views = WorkspaceViews()
    roster.import_roster(uow=uow, clock=CLOCK, workspace_id=TEAM, csv_text=ROSTER)
    roster.add_deal_channel(uow=uow, clock=CLOCK, workspace_id=TEAM, pattern="deal-*")
    first = _view(uow, views)
    assert first.role("U0MGR") == "manager"
    assert first.role("U0REP") == "rep"
    assert first.is_deal_channel("C1", "deal-acme")
    assert not first.is_deal_channel("C2", "random")
    assert _view(uow, views) is first  # nothing changed: no re-read

    # A role change made with plain SQL (as another process or a hand edit would) is seen.
    with uow() as tx:
        tx.session.execute(
            text("UPDATE people SET role = 'sales_ops' WHERE user_id = 'U0REP'"),
        )
        tx.commit()
    second = _view(uow, views)
    assert second is not first
    assert second.role("U0REP") == "sales_ops"

    roster.remove_deal_channel(uow=uow, workspace_id=TEAM, pattern="deal-*")
    assert not _view(uow, views).is_deal_channel("C1", "deal-acme")

    with uow() as tx:
        detection.set_rule_overrides(
            tx,
            workspace_id=TEAM,
            overrides={"rules": {"takeover.leave_with_me": {"enabled": False}}},
            now=CLOCK.now(),
        )
        tx.commit()
    rules = _view(uow, views).rules
    assert not rules.rule("takeover.leave_with_me").enabled

    # Someone leaves the roster (deactivated): no role any more.
    with uow() as tx:
        tx.session.execute(text("UPDATE people SET active = false WHERE user_id = 'U0MGR'"))
        tx.commit()
    assert _view(uow, views).role("U0MGR") is None


def test_an_unknown_workspace_is_never_cached(uow: UnitOfWorkFactory) -> None:
    views = WorkspaceViews()
    empty = _view(uow, views)
    assert empty.patterns == ()
    assert empty.role("U0MGR") is None
    roster.import_roster(uow=uow, clock=CLOCK, workspace_id=TEAM, csv_text=ROSTER)
    assert _view(uow, views).role("U0MGR") == "manager"
