"""Group commit: concurrent "insert this row unless it exists, and commit" calls share one trip.

Why: the ack path must store each Events API delivery durably before answering Slack, and under
a burst many request threads do that at once. One INSERT … VALUES (…), (…) … ON CONFLICT DO
NOTHING RETURNING for all of them costs a fraction of the CPU of separate statements (about 80
instead of 200 µs a row at four rows, on PostgreSQL) and one commit (one WAL flush) instead of
several. Nobody waits for a batch to fill, and there is no writer thread to hand rows to: the
first caller to find no write under way writes its own row at once, together with whatever
others queued meanwhile; when that write ends, one of the callers whose rows arrived during it
writes the next batch (leader and followers). A lone request therefore costs one statement and
no thread switch; a burst forms batches by itself, as big as the rows that arrived during the
previous write.

Nothing is answered before its row is committed: a caller gets True (inserted), False (a row
with that key already existed, or an earlier copy in the same batch won) or the database error.

The statement is sent as driver SQL (built once per batch size from the table's metadata, values
converted by the columns' own SQLAlchemy type processors) rather than through Core execution:
on the ack path Core's per-statement bookkeeping cost more CPU than the insert itself.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.engine import Dialect

MAX_BATCH = 200


class _Pending:
    __slots__ = ("error", "inserted", "values")

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.inserted: bool | None = None
        self.error: BaseException | None = None

    @property
    def done(self) -> bool:
        return self.inserted is not None or self.error is not None


class GroupInserter:
    """INSERT … ON CONFLICT DO NOTHING for one table, batched across threads, autocommitted."""

    def __init__(self, engine: Engine, row_class: Any, conflict: Sequence[str]) -> None:
        """`engine` must be in autocommit mode (`make_engine(url, autocommit=True)`)."""
        self._engine = engine
        self._table = row_class.__table__
        self._conflict = tuple(conflict)
        self._queue: list[_Pending] = []
        self._writing = False  # a caller is writing batches (the leader)
        self._changed = threading.Condition()
        self._closed = False
        self._cache: dict[tuple[str, tuple[str, ...], int], _BatchSql] = {}
        # The leader's connection, kept between batches: only the leader writes, so one is
        # enough, and a pool checkout and reset per batch cost as much CPU as the statement.
        self._conn: Any = None

    def insert(self, values: dict[str, Any]) -> bool:
        """Insert and commit `values` (with concurrent callers); True when the row went in."""
        mine = _Pending(values)
        with self._changed:
            if self._closed:
                raise RuntimeError("the database writer is shut down")
            self._queue.append(mine)
            while self._writing and not mine.done:
                self._changed.wait()  # a leader is writing; ours goes in its next batch
            if not mine.done:
                self._writing = True  # no write under way: lead
        if not mine.done:
            self._lead()
        if mine.error is not None:
            raise mine.error
        if mine.inserted is None:  # cannot happen: every batch taken is answered
            raise RuntimeError("group commit lost a row")
        return mine.inserted

    def close(self) -> None:
        """Refuse new rows; rows already queued are still written by their leader. The
        connection goes back to the pool once no write is under way."""
        with self._changed:
            self._closed = True
            while self._writing or self._queue:
                self._changed.wait()
            self._release()

    def _release(self, *, broken: bool = False) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if broken:
            conn.invalidate()  # a failed statement may mean a dead connection: never reuse it
        conn.close()

    def _lead(self) -> None:
        """Write everything queued (our row included) as one batch, then hand over: a caller
        whose row arrived during the write leads the next batch, so nobody's answer waits for
        other people's rows."""
        with self._changed:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
        try:
            self._write(batch)
        finally:
            with self._changed:
                self._writing = False
                self._changed.notify_all()

    def _key(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(values[c] for c in self._conflict)

    def _sql(self, dialect: Dialect, columns: tuple[str, ...], rows: int) -> _BatchSql:
        key = (dialect.name, columns, rows)
        sql = self._cache.get(key)
        if sql is None:
            sql = self._cache[key] = _BatchSql(self._table, self._conflict, dialect, columns, rows)
        return sql

    def _write(self, batch: list[_Pending]) -> None:
        # Two copies of one key in a batch (a retry racing its original): the first one counts.
        first: dict[tuple[Any, ...], dict[str, Any]] = {}
        for pending in batch:
            first.setdefault(self._key(pending.values), pending.values)
        rows = list(first.values())
        try:
            sql = self._sql(self._engine.dialect, tuple(rows[0]), len(rows))
            if self._conn is None:
                self._conn = self._engine.raw_connection()  # autocommit: statements commit
            cursor = self._conn.cursor()
            cursor.execute(sql.text, sql.params(rows))
            inserted = {tuple(r) for r in cursor.fetchall()}
            cursor.close()
        except BaseException as exc:  # every caller gets the error; nothing was committed
            self._release(broken=True)
            for pending in batch:
                pending.error = exc
            if not isinstance(exc, Exception):
                raise
            return
        for pending in batch:
            key = self._key(pending.values)
            pending.inserted = key in inserted and first[key] is pending.values


class _BatchSql:
    """``INSERT … VALUES (…), … ON CONFLICT (key) DO NOTHING RETURNING key`` for `rows` rows.

    The same text runs on PostgreSQL and on SQLite (3.35+). Values go through each column's
    dialect-specific bind processor, exactly as Core would convert them (UTC datetimes, JSON).
    """

    def __init__(
        self,
        table: Table,
        conflict: tuple[str, ...],
        dialect: Dialect,
        columns: tuple[str, ...],
        rows: int,
    ) -> None:
        marker = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(dialect.paramstyle)
        if marker is None:
            raise RuntimeError(f"unsupported DB-API paramstyle {dialect.paramstyle!r}")
        prep = dialect.identifier_preparer
        names = ", ".join(prep.quote(c) for c in columns)
        one = "(" + ", ".join([marker] * len(columns)) + ")"
        key = ", ".join(prep.quote(c) for c in conflict)
        # Identifiers come from our own metadata (quoted); every value is a bound parameter.
        head = f"INSERT INTO {prep.format_table(table)} ({names}) VALUES "  # noqa: S608
        values = ", ".join([one] * rows)
        self.text = f"{head}{values} ON CONFLICT ({key}) DO NOTHING RETURNING {key}"
        self.columns = columns
        self._convert = [
            table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns
        ]

    def params(self, rows: list[dict[str, Any]]) -> list[Any]:
        out: list[Any] = []
        for row in rows:
            if tuple(row) != self.columns:
                raise ValueError("every row of a batch must name the same columns, in order")
            for column, convert in zip(self.columns, self._convert, strict=True):
                value = row[column]
                out.append(convert(value) if convert is not None else value)
        return out
