"""Roster and watched channels: what sales ops set up before anything else works."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.clock import Clock
from bot.db.repositories.core import ChannelRepo, PeopleRepo, WorkspaceRepo
from bot.db.rows import PersonRow
from bot.db.unit_of_work import UnitOfWork, UnitOfWorkFactory
from bot.domain.roster import RosterEntry, parse_roster


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


def import_roster(
    *, uow: UnitOfWorkFactory, clock: Clock, workspace_id: str, csv_text: str
) -> ImportResult:
    """Create or update everyone in the file, all or nothing. Raises RosterError on bad rows."""
    now = clock.now()
    with uow() as tx:
        WorkspaceRepo(tx.session).ensure(workspace_id, now=now)
        people = PeopleRepo(tx.session, workspace_id)
        known = frozenset(p.user_id for p in people.all(active_only=False) if p.role == "manager")
        entries = parse_roster(csv_text, known_user_ids=known)
        created = updated = unchanged = 0
        for entry in entries:
            row = people.get(entry.user_id)
            if row is None:
                people.add(_new_row(workspace_id, entry, now))
                created += 1
            elif _apply(row, entry):
                row.updated_at = now
                updated += 1
            else:
                unchanged += 1
        tx.commit()
    return ImportResult(created=created, updated=updated, unchanged=unchanged)


def _new_row(workspace_id: str, entry: RosterEntry, now: object) -> PersonRow:
    return PersonRow(
        workspace_id=workspace_id,
        user_id=entry.user_id,
        role=entry.role,
        manager_id=entry.manager_id,
        name=entry.name,
        team=entry.team,
        timezone=entry.timezone,
        active=True,
        created_at=now,
        updated_at=now,
    )


def _apply(row: PersonRow, entry: RosterEntry) -> bool:
    changed = False
    wanted: dict[str, object] = {"role": entry.role, "manager_id": entry.manager_id, "active": True}
    # Optional columns only overwrite when the file gives them.
    for attr in ("name", "team", "timezone"):
        value = getattr(entry, attr)
        if value is not None:
            wanted[attr] = value
    for attr, value in wanted.items():
        if getattr(row, attr) != value:
            setattr(row, attr, value)
            changed = True
    return changed


def list_people(*, uow: UnitOfWorkFactory, workspace_id: str) -> Sequence[PersonRow]:
    with uow() as tx:
        return list(PeopleRepo(tx.session, workspace_id).all())


def set_timezone(tx: UnitOfWork, *, clock: Clock, workspace_id: str, user_id: str, tz: str) -> bool:
    """Slack told us a person's time zone (users.info or user_change): keep the roster current.

    Runs inside the caller's unit of work (the event's), which commits.
    """
    row = PeopleRepo(tx.session, workspace_id).get(user_id)
    if row is None or row.timezone == tz:
        return False
    row.timezone = tz
    row.updated_at = clock.now()
    return True


def normalise_channel_pattern(text: str) -> str:
    """`C0123` stays an ID; `#deal-*` and `deal-*` become the name glob `deal-*`."""
    value = text.strip()
    if value.startswith("<#") and value.endswith(">"):  # a Slack channel mention <#C123|name>
        value = value[2:-1].split("|", 1)[0]
    if not value:
        raise ValueError("give a channel ID such as C0123ABCD or a name pattern such as deal-*")
    if value[0] in "CG" and value[1:].isalnum() and value.upper() == value:
        return value
    value = value.lstrip("#").lower()
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789-_*?[]")
    if not value or not set(value) <= allowed:
        raise ValueError(
            f"{text!r} is neither a channel ID (C…) nor a channel-name pattern like deal-*"
        )
    return value


def add_deal_channel(
    *, uow: UnitOfWorkFactory, clock: Clock, workspace_id: str, pattern: str, by: str | None = None
) -> tuple[str, bool]:
    normalised = normalise_channel_pattern(pattern)
    with uow() as tx:
        WorkspaceRepo(tx.session).ensure(workspace_id, now=clock.now())
        added = ChannelRepo(tx.session, workspace_id).add_pattern(
            normalised, now=clock.now(), created_by=by
        )
        tx.commit()
    return normalised, added


def remove_deal_channel(*, uow: UnitOfWorkFactory, workspace_id: str, pattern: str) -> bool:
    normalised = normalise_channel_pattern(pattern)
    with uow() as tx:
        removed = ChannelRepo(tx.session, workspace_id).remove_pattern(normalised)
        tx.commit()
    return removed


def list_deal_channels(*, uow: UnitOfWorkFactory, workspace_id: str) -> list[str]:
    with uow() as tx:
        return [row.pattern for row in ChannelRepo(tx.session, workspace_id).patterns()]
