"""Migrations are the only source of the schema: up, down, up again, and no drift from models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, inspect

from bot.db import migrate
from bot.db.engine import make_engine
from tests.conftest import drop_pg_schema, new_pg_schema_url


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_engine(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(sqlite_url)
        yield engine
        engine.dispose()
        return
    request.getfixturevalue("pg_url")  # skips or fails when PostgreSQL is unavailable
    url, schema = new_pg_schema_url()
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        drop_pg_schema(schema)


def test_upgrade_downgrade_upgrade_and_no_drift(fresh_engine: Engine) -> None:
    migrate.upgrade(fresh_engine)
    assert migrate.is_up_to_date(fresh_engine)
    tables = set(inspect(fresh_engine).get_table_names())
    assert {"workspaces", "people", "deal_channels", "channels", "inbox_events"} <= tables

    migrate.downgrade(fresh_engine, "base")
    assert set(inspect(fresh_engine).get_table_names()) <= {"alembic_version"}
    assert migrate.current_revision(fresh_engine) is None

    migrate.upgrade(fresh_engine)
    assert migrate.current_revision(fresh_engine) == migrate.head_revision()
    migrate.check(fresh_engine)  # raises when models and migrations disagree


def test_one_linear_history() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1, "two migrations share a parent: re-point down_revision"
