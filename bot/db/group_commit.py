"""Group commit: concurrent "insert this row unless it exists, and commit" calls share one trip.

Why: the ack path must store each Events API delivery durably before answering Slack, and under
a burst many request threads do that at once. One INSERT … VALUES (…), (…) … ON CONFLICT DO
NOTHING RETURNING for all of them costs a fraction of the CPU of separate statements (about 80
instead of 200 µs a row at four rows, on PostgreSQL) and one commit (one WAL flush) instead of
several. Nobody waits for a batch to fill, and there is no writer thread to hand rows to: a
caller who finds a writer free writes its own row at once; rows that arrive while every writer
is busy queue, and when a write ends its leader hands them, as the next batch, to the first of
their callers to write (leader and followers). A lone request therefore costs one statement and
no thread switch; a burst forms batches by itself, as big as the rows that arrived during the
previous write.

Up to `writers` batches are written at once, each on a connection of its own: a caller who
finds fewer writes under way than that leads at once instead of queueing. On PostgreSQL the
commit's WAL flush, not CPU, is most of a write (2-4 ms against a fraction of a millisecond of
statement), and the server already shares one flush among commits that wait together; making a
request that arrives mid-write wait for that write to end, then for its own, cost a third of
the ack throughput with four requests in flight (300-360 against 430-450 events/s on the
2-core development machine, both under load) and more CPU per event, not less. SQLite has a
single writer: one at a time there, or a second would only wait on the file lock with the busy
handler's sleeps.

Each waiting caller sleeps on a lock of its own and is woken once: when its row is answered, or
when it is its turn to lead. (A shared condition woken with notify_all woke every waiter at the
end of every batch, most of them only to sleep again: on a virtual machine, where a thread
wake-up is a system call costing tens of microseconds, that was a good share of the ack path.)

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
    __slots__ = ("batch", "error", "inserted", "values", "wake")

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.inserted: bool | None = None
        self.error: BaseException | None = None
        # The batch its caller is to write, when a finishing leader hands it one.
        self.batch: list[_Pending] | None = None
        # Held from the start; released exactly once by a leader: the row was answered, or its
        # caller is to lead `batch`.
        self.wake = threading.Lock()
        self.wake.acquire()

    @property
    def done(self) -> bool:
        return self.inserted is not None or self.error is not None


class GroupInserter:
    """INSERT … ON CONFLICT DO NOTHING for one table, batched across threads, autocommitted."""

    def __init__(
        self, engine: Engine, row_class: Any, conflict: Sequence[str], *, writers: int = 1
    ) -> None:
        """`engine` must be in autocommit mode (`make_engine(url, autocommit=True)`).

        `writers`: how many batches may be written at once, each on a connection of its own
        (see the module: 1 for SQLite's single writer, a few for PostgreSQL).
        """
        if writers < 1:
            raise ValueError("writers must be at least 1")
        self._engine = engine
        self._table = row_class.__table__
        self._conflict = tuple(conflict)
        self._writers = writers
        self._queue: list[_Pending] = []
        self._active = 0  # batches being written, or handed to a caller to write next
        self._changed = threading.Condition()  # guards the above; close() waits on it
        self._closed = False
        self._cache: dict[tuple[str, tuple[str, ...], int], _BatchSql] = {}
        # The writers' connections, kept between batches: a pool checkout and reset per batch
        # cost as much CPU as the statement. At most `writers` of them.
        self._idle: list[Any] = []
        self._idle_lock = threading.Lock()

    def insert(self, values: dict[str, Any]) -> bool:
        """Insert and commit `values` (with concurrent callers); True when the row went in."""
        mine = _Pending(values)
        with self._changed:
            if self._closed:
                raise RuntimeError("the database writer is shut down")
            # Rows queue only while every writer is busy, and a writer that ends with rows
            # queued hands them on before it is free: so a free writer means an empty queue.
            lead = self._active < self._writers
            if lead:
                self._active += 1
            else:
                self._queue.append(mine)
        if lead:
            self._lead(mine, [mine])
        else:
            mine.wake.acquire()  # answered, or handed a batch to write
            if mine.batch is not None:
                self._lead(mine, mine.batch)
        if mine.error is not None:
            raise mine.error
        if mine.inserted is None:  # cannot happen: every batch taken is answered
            raise RuntimeError("group commit lost a row")
        return mine.inserted

    def close(self) -> None:
        """Refuse new rows; rows already queued are still written by their leader. The
        connections go back to the pool once no write is under way."""
        with self._changed:
            self._closed = True
            while self._active or self._queue:
                self._changed.wait()
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def _lead(self, leader: _Pending, batch: list[_Pending]) -> None:
        """Write `batch` (our row included), then hand over: the rows that queued meanwhile go
        as the next batch to the first of their callers, so nobody's answer waits for other
        people's rows."""
        try:
            self._write(batch)
        finally:
            with self._changed:
                successor = self._queue[0] if self._queue else None
                if successor is None:
                    self._active -= 1
                    self._changed.notify_all()  # only close() ever waits here
                else:  # the writer passes to the successor: still as many under way
                    successor.batch = self._queue[:MAX_BATCH]
                    self._queue = self._queue[MAX_BATCH:]
            for pending in batch:
                if pending is not leader:
                    pending.wake.release()
            if successor is not None:
                successor.wake.release()

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
        # (Copies in two batches written at once are settled by the database: the unique key
        # makes the later insert wait for the earlier one's commit, then do nothing.)
        first: dict[tuple[Any, ...], dict[str, Any]] = {}
        for pending in batch:
            first.setdefault(self._key(pending.values), pending.values)
        # In key order: two batches written at once then take their keys' locks in the same
        # order, so a key in both cannot deadlock them.
        rows = [first[key] for key in sorted(first)]
        conn: Any = None
        try:
            sql = self._sql(self._engine.dialect, tuple(rows[0]), len(rows))
            with self._idle_lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                conn = self._engine.raw_connection()  # autocommit: statements commit
            cursor = conn.cursor()
            cursor.execute(sql.text, sql.params(rows))
            inserted = {tuple(r) for r in cursor.fetchall()}
            cursor.close()
        except BaseException as exc:  # every caller gets the error; nothing was committed
            if conn is not None:
                conn.invalidate()  # a failed statement may mean a dead connection: never reuse
                conn.close()
            for pending in batch:
                pending.error = exc
            if not isinstance(exc, Exception):
                raise
            return
        with self._idle_lock:
            self._idle.append(conn)
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
