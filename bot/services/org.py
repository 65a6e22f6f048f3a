"""The roster as a permissions.Org: the one graph every visibility decision is asked of."""

from __future__ import annotations

from bot.db.repositories.core import PeopleRepo
from bot.db.unit_of_work import UnitOfWork
from bot.domain.permissions import Org, Person, Role

_ROLES = {"rep": Role.REP, "manager": Role.MANAGER, "sales_ops": Role.SALES_OPS}


def load_org(tx: UnitOfWork, workspace_id: str) -> Org:
    """Everyone active on this workspace's roster. Built per request: one query, dict lookups.

    A manager id pointing at someone not on the roster simply ends that chain (see Org).
    """
    people = [
        Person(
            user_id=row.user_id,
            role=_ROLES.get(row.role, Role.REP),
            manager_id=row.manager_id,
            display_name=row.name,
        )
        for row in PeopleRepo(tx.session, workspace_id).all()
    ]
    return Org(people)


def person_or_stranger(org: Org, user_id: str) -> Person:
    """The person, or a stand-in that `permissions.check` denies (not on this roster)."""
    return org.get(user_id) or Person(user_id, Role.REP)
