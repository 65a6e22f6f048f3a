"""The unit of work: one transaction per use case, rolled back unless the service commits."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.db.engine import make_engine
from bot.db.group_commit import GroupInserter
from bot.db.upsert import insert_ignore

# Batches the ack path may write at once on PostgreSQL (bot/db/group_commit.py): enough for the
# requests a server answers at a time to commit side by side; well inside the pool.
ACK_WRITERS = 4


class UnitOfWork:
    """`with uow_factory() as uow: ...; uow.commit()`.

    Leaving the block without `commit()` (including by an exception) rolls everything back, so a
    half-done use case never reaches the database.
    """

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None
        self._after_commit: list[Callable[[], object]] = []

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside its `with` block")
        return self._session

    def __enter__(self) -> Self:
        self._session = self._session_factory()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed and detaches loaded objects with their
        # state intact, so a service may return rows it read without them expiring.
        self.session.close()
        self._session = None
        self._after_commit = []

    def commit(self) -> None:
        self.session.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def after_commit(self, callback: Callable[[], object]) -> None:
        """Run `callback` once this unit of work commits (never if it rolls back).

        For side effects that must not happen inside the transaction, such as a Slack call that
        would otherwise hold SQLite's single write lock for a network round trip.
        """
        self._after_commit.append(callback)

    def flush(self) -> None:
        self.session.flush()


class UnitOfWorkFactory:
    """Makes a fresh UnitOfWork per use case; this is what services receive."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory
        self._autocommit_engine: Engine | None = None
        self._inserters: dict[tuple[str, tuple[str, ...]], GroupInserter] = {}
        self._lock = threading.Lock()

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)

    def insert_committed(
        self, row_class: Any, values: dict[str, Any], conflict: Sequence[str]
    ) -> bool:
        """Insert a row unless one with the same `conflict` key exists, committed on return.

        For a single self-contained write on a hot path (the ack path's inbox row): concurrent
        callers share one statement and one commit (bot/db/group_commit.py) on connections that
        are always in autocommit mode. True when this call's row went in.

        When the factory is bound to a connection (tests' rolled-back transaction), the insert
        joins that transaction instead.
        """
        bind = self.session_factory.kw.get("bind")
        if not isinstance(bind, Engine):
            with self() as tx:
                inserted = insert_ignore(tx.session, row_class, values, conflict)
                tx.commit()
            return inserted
        key = (row_class.__tablename__, tuple(conflict))
        with self._lock:
            inserter = self._inserters.get(key)
            if inserter is None:
                engine = self._autocommit_bind(bind)
                writers = 1 if engine.dialect.name == "sqlite" else ACK_WRITERS
                inserter = self._inserters[key] = GroupInserter(
                    engine, row_class, conflict, writers=writers
                )
        return inserter.insert(values)

    def _autocommit_bind(self, bind: Engine) -> Engine:
        """A sibling engine on the same database whose connections are always autocommit."""
        if self._autocommit_engine is None:
            url = bind.url.render_as_string(hide_password=False)
            self._autocommit_engine = make_engine(url, autocommit=True)
        return self._autocommit_engine

    def dispose(self) -> None:
        """Stop the group-commit writers and close the autocommit engine's connections.

        The main engine belongs to whoever made it (bootstrap closes it).
        """
        with self._lock:
            inserters, self._inserters = list(self._inserters.values()), {}
            engine, self._autocommit_engine = self._autocommit_engine, None
        for inserter in inserters:
            inserter.close()
        if engine is not None:
            engine.dispose()
