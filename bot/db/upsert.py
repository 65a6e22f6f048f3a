"""INSERT … ON CONFLICT DO NOTHING on both backends: the race-free "create if missing"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def insert_ignore(
    session: Session, row_class: Any, values: dict[str, Any], conflict: Sequence[str]
) -> bool:
    """Insert unless a row with the same `conflict` columns exists; True when inserted.

    Two transactions racing to create the same row (two events about a new channel, two
    replicas) both succeed: one inserts, the other does nothing, and neither aborts.
    """
    table = row_class.__table__
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # RETURNING tells reliably whether a row went in (rowcount is -1 on some drivers).
    stmt: Any = (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(conflict))
        .returning(table.c[conflict[0]])
    )
    return session.execute(stmt).first() is not None
