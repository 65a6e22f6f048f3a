"""Group commit: concurrent "insert this row unless it exists, and commit" calls share one trip.

Why: the ack path must store each Events API delivery durably before answering Slack, and under
a burst many request threads do that at once. One INSERT … VALUES (…), (…) … ON CONFLICT DO
NOTHING RETURNING for all of them costs a fraction of the CPU of separate statements (about 80
instead of 200 µs a row at four rows, on PostgreSQL) and one commit (one WAL flush) instead of
several. Nobody waits for a batch to fill: a single writer thread takes whatever is queued the
moment it is free, so a lone request is written at once, and a burst forms batches by itself.

Nothing is answered before its row is committed: a caller gets True (inserted), False (a row
with that key already existed, or an earlier copy in the same batch won) or the database error.

The statement is sent as driver SQL (built once per batch size from the table's metadata, values
converted by the columns' own SQLAlchemy type processors) rather than through Core execution:
on the ack path Core's per-statement bookkeeping cost more CPU than the insert itself.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.engine import Dialect

MAX_BATCH = 200
# A caller never waits longer than this for its row (Slack retries an unanswered event).
WAIT_SECONDS = 10.0


class _Stop:
    pass


_STOP = _Stop()


class GroupInserter:
    """INSERT … ON CONFLICT DO NOTHING for one table, batched across threads, autocommitted."""

    def __init__(self, engine: Engine, row_class: Any, conflict: Sequence[str]) -> None:
        """`engine` must be in autocommit mode (`make_engine(url, autocommit=True)`)."""
        self._engine = engine
        self._table = row_class.__table__
        self._conflict = tuple(conflict)
        self._queue: queue.SimpleQueue[tuple[dict[str, Any], Future[bool]] | _Stop] = (
            queue.SimpleQueue()
        )
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._cache: dict[tuple[str, tuple[str, ...], int], _BatchSql] = {}

    def insert(self, values: dict[str, Any]) -> bool:
        """Insert and commit `values` (with concurrent callers); True when the row went in."""
        future: Future[bool] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the database writer is shut down")
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=f"group-commit-{self._table.name}", daemon=True
                )
                self._thread.start()
            self._queue.put((values, future))
        return future.result(timeout=WAIT_SECONDS)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            thread, self._thread = self._thread, None
            if thread is not None:
                self._queue.put(_STOP)
        if thread is not None:
            thread.join(timeout=WAIT_SECONDS)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if isinstance(item, _Stop):
                return
            batch = [item]
            while len(batch) < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if isinstance(more, _Stop):
                    self._write(batch)
                    return
                batch.append(more)
            self._write(batch)

    def _key(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(values[c] for c in self._conflict)

    def _sql(self, dialect: Dialect, columns: tuple[str, ...], rows: int) -> _BatchSql:
        key = (dialect.name, columns, rows)
        sql = self._cache.get(key)
        if sql is None:
            sql = self._cache[key] = _BatchSql(self._table, self._conflict, dialect, columns, rows)
        return sql

    def _write(self, batch: list[tuple[dict[str, Any], Future[bool]]]) -> None:
        # Two copies of one key in a batch (a retry racing its original): the first one counts.
        first: dict[tuple[Any, ...], dict[str, Any]] = {}
        for values, _ in batch:
            first.setdefault(self._key(values), values)
        rows = list(first.values())
        try:
            sql = self._sql(self._engine.dialect, tuple(rows[0]), len(rows))
            conn = self._engine.raw_connection()  # autocommit: the statement commits itself
            try:
                cursor = conn.cursor()
                cursor.execute(sql.text, sql.params(rows))
                inserted = {tuple(r) for r in cursor.fetchall()}
                cursor.close()
            finally:
                conn.close()  # back to the pool
        except Exception as exc:  # every caller gets the error; nothing was committed
            for _, future in batch:
                future.set_exception(exc)
            return
        for values, future in batch:
            key = self._key(values)
            future.set_result(key in inserted and first[key] is values)


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
