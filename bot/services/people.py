"""Who is asking? Resolves a Slack user to their place in the org, for role checks and homes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.db.repositories.core import PeopleRepo
from bot.db.unit_of_work import UnitOfWork

Audience = Literal["rep", "manager", "second_line", "sales_ops", "unknown"]


@dataclass(frozen=True)
class Member:
    user_id: str
    role: str | None  # rep, manager, sales_ops; None when not on the roster
    audience: Audience  # what they see: a manager of managers is second_line
    name: str | None
    manager_id: str | None
    timezone: str | None
    team: str | None


def resolve(tx: UnitOfWork, workspace_id: str, user_id: str) -> Member:
    people = PeopleRepo(tx.session, workspace_id)
    row = people.get(user_id)
    if row is None or not row.active:
        return Member(user_id, None, "unknown", None, None, None, None)
    audience: Audience
    if row.role == "manager":
        reports = people.reports_of(user_id)
        audience = "second_line" if any(r.role == "manager" for r in reports) else "manager"
    elif row.role == "sales_ops":
        audience = "sales_ops"
    else:
        audience = "rep"
    return Member(
        user_id=row.user_id,
        role=row.role,
        audience=audience,
        name=row.name,
        manager_id=row.manager_id,
        timezone=row.timezone,
        team=row.team,
    )
