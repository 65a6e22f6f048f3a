"""Shared fixtures: real databases (a SQLite file and the PostgreSQL server), migrated by Alembic.

PostgreSQL tests use a throw-away schema in the `test` database, so parallel runs never collide.
Where PostgreSQL is not reachable they are skipped locally, but fail under CI (CI=true).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import sessionmaker

from bot.db import migrate
from bot.db.engine import make_engine, make_session_factory
from bot.db.unit_of_work import UnitOfWorkFactory

PG_BASE = os.environ.get("ENABLER_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_available() -> bool:
    try:
        engine = create_engine(PG_BASE, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception:
        return False
    return True


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped at the end of the session."""
    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL on 127.0.0.1:5432 is required under CI")
        pytest.skip("PostgreSQL on 127.0.0.1:5432 is not reachable")
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_BASE}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def new_pg_schema_url() -> tuple[str, str]:
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return f"{PG_BASE}?options=-csearch_path%3D{schema}", schema


def drop_pg_schema(schema: str) -> None:
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("db") / "enabler.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def pg_engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> Engine:
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    if request.param == "postgres":
        request.applymarker(pytest.mark.postgres)
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


@pytest.fixture
def uow(engine: Engine) -> Iterator[UnitOfWorkFactory]:
    """A unit-of-work factory inside one outer transaction that is rolled back after the test.

    Services still call `commit()`; with join_transaction_mode="create_savepoint" that commits a
    savepoint, so the test sees its writes and the database is left untouched.
    """
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    try:
        yield UnitOfWorkFactory(factory)
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'enabler.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A brand-new migrated database per test (for code that runs on several threads)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url
        return
    request.getfixturevalue("pg_url")  # skips or fails when PostgreSQL is unavailable
    url, schema = new_pg_schema_url()
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        drop_pg_schema(schema)


@pytest.fixture
def committing_uow(fresh_url: str) -> Iterator[UnitOfWorkFactory]:
    """A unit-of-work factory on a fresh database whose commits are real (not rolled back)."""
    engine = make_engine(fresh_url)
    factory = UnitOfWorkFactory(make_session_factory(engine))
    try:
        yield factory
    finally:
        factory.dispose()
        engine.dispose()
