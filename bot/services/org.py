"""The roster as a permissions.Org: the one graph every visibility decision is asked of."""

from __future__ import annotations

from bot.db.repositories.core import PeopleRepo
from bot.db.unit_of_work import UnitOfWork
from bot.domain.permissions import Action, Org, Person, Role, require

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


def authorize(
    tx: UnitOfWork,
    workspace_id: str,
    *,
    actor_id: str,
    action: Action,
    subject_id: str | None,
    resource_owner: str | None = None,
) -> Org:
    """Load the roster and require that ``actor_id`` may do ``action`` to data about
    ``subject_id`` (None: a workspace-wide action). Raises PermissionDenied; returns the org so
    the caller can keep using the same snapshot of the roster for labels and further checks."""
    org = load_org(tx, workspace_id)
    require(
        person_or_stranger(org, actor_id),
        action,
        subject=None if subject_id is None else person_or_stranger(org, subject_id),
        org=org,
        resource_owner=resource_owner,
    )
    return org
