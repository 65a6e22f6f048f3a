"""Engines and sessions: SQLite for a laptop and the demo, PostgreSQL in production."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, *, autocommit: bool = False, **kwargs: Any) -> Engine:
    """An engine for `url`. `autocommit=True` gives one whose every statement commits by itself.

    The autocommit engine serves the ack path's single INSERT: its connections are put in
    autocommit mode once, when opened, so a statement is one round trip. (Switching a pooled
    connection to AUTOCOMMIT per use, and back on return, costs two more round trips and a
    third of the ack path's CPU.)
    """
    if autocommit:
        kwargs |= {"isolation_level": "AUTOCOMMIT", "skip_autocommit_rollback": True}
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            # WAL lets readers run while the single writer writes; foreign keys are off by default.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
            # pysqlite's own transaction handling breaks SAVEPOINT (which the inbox and the
            # tests' rolled-back transactions rely on): let SQLAlchemy emit BEGIN itself, as
            # SQLAlchemy's SQLite documentation recommends.
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            if autocommit or conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
                return  # a single statement commits by itself (UnitOfWorkFactory.autocommit)
            # SQLite has a single writer. IMMEDIATE takes the write lock up front, so two
            # transactions that both read then write wait their turn (busy_timeout) instead of
            # failing with "database is locked"; WAL still lets plain connections read.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # No pre-ping (a round trip per checkout, measurable in the outbox): connections are
    # recycled every 30 minutes instead, and a dead one fails one transaction, which retries.
    return create_engine(url, pool_recycle=1800, pool_size=10, max_overflow=10, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
