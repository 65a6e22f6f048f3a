"""The unit of work: one transaction per use case, rolled back unless the service commits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker


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

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)

    @contextmanager
    def autocommit(self) -> Iterator[Connection]:
        """A connection where each statement commits by itself: one round trip, no session.

        Only for a single self-contained statement on a hot path (the ack path's inbox insert).
        When the factory is bound to a connection (tests' rolled-back transaction), statements
        join that transaction instead.
        """
        bind = self.session_factory.kw.get("bind")
        if isinstance(bind, Engine):
            with bind.connect() as conn:
                yield conn.execution_options(isolation_level="AUTOCOMMIT")
            return
        with self() as tx:
            yield tx.session.connection()
            tx.commit()
