"""INSERT … ON CONFLICT DO NOTHING on both backends: the race-free "create if missing"."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


@cache
def insert_ignore_statement(
    table: Table, conflict: tuple[str, ...], dialect: str, returning: tuple[str, ...] = ()
) -> Any:
    # Built once per table: constructing and hashing a fresh statement per call costs more
    # than the round trip on the ack path. Values are bound at execution.
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # RETURNING tells reliably whether a row went in (rowcount is -1 on some drivers), and, for
    # many rows at once (bot/db/group_commit.py), which ones: by default it names every key
    # column; `returning` names other columns instead (a generated id).
    return (
        insert(table)
        .on_conflict_do_nothing(index_elements=list(conflict))
        .returning(*(table.c[c] for c in returning or conflict))
    )


def _dialect(session: Session | Connection) -> str:
    if isinstance(session, Connection):
        return session.dialect.name
    return session.get_bind().dialect.name


def insert_ignore(
    session: Session | Connection,
    row_class: Any,
    values: dict[str, Any],
    conflict: Sequence[str],
) -> bool:
    """Insert unless a row with the same `conflict` columns exists; True when inserted.

    Two transactions racing to create the same row (two events about a new channel, two
    replicas) both succeed: one inserts, the other does nothing, and neither aborts.
    """
    stmt = insert_ignore_statement(row_class.__table__, tuple(conflict), _dialect(session))
    return session.execute(stmt, values).first() is not None


def insert_ignore_returning(
    session: Session | Connection,
    row_class: Any,
    values: dict[str, Any],
    conflict: Sequence[str],
    column: str,
) -> Any:
    """Like `insert_ignore`: the new row's `column` (its generated id, say), or None when a
    row with the same `conflict` columns existed."""
    stmt = insert_ignore_statement(
        row_class.__table__, tuple(conflict), _dialect(session), (column,)
    )
    return session.execute(stmt, values).scalar()
