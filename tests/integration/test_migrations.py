"""Migrations are the only source of the schema: up, down, up again, and no drift from models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, inspect, text

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


def test_config_version_moves_on_every_change_that_detection_caches(fresh_engine: Engine) -> None:
    """The triggers of migration 0007, on both backends, whoever writes (here: plain SQL)."""
    migrate.upgrade(fresh_engine)
    now = "2026-01-05 09:00:00"

    def version() -> int:
        with fresh_engine.connect() as conn:
            return int(
                conn.execute(
                    text("SELECT config_version FROM workspaces WHERE team_id='T1'")
                ).scalar_one()
            )

    def run(sql: str) -> int:
        before = version()
        with fresh_engine.begin() as conn:
            conn.execute(text(sql), {"now": now})
        return version() - before

    with fresh_engine.begin() as conn:
        for team in ("T1", "T2"):
            conn.execute(
                text(
                    "INSERT INTO workspaces (team_id, name, domain, holiday_countries, settings,"
                    " created_at, updated_at) VALUES (:t, '', '', '[]', '{}', :now, :now)"
                ),
                {"t": team, "now": now},
            )
    assert version() == 0
    person = (
        "INSERT INTO people (workspace_id, user_id, role, active, created_at, updated_at)"
        " VALUES ('{ws}', 'U1', 'rep', true, :now, :now)"
    )
    assert run(person.format(ws="T1")) == 1
    assert run(person.format(ws="T2")) == 0  # another workspace's roster
    assert run("UPDATE people SET role = 'manager' WHERE workspace_id = 'T1'") == 1
    assert run("UPDATE people SET active = false WHERE workspace_id = 'T1'") == 1
    assert run("UPDATE people SET timezone = 'Europe/Paris' WHERE workspace_id = 'T1'") == 0
    assert run("DELETE FROM people WHERE workspace_id = 'T1'") == 1
    assert (
        run(
            "INSERT INTO deal_channels (workspace_id, pattern, created_at)"
            " VALUES ('T1', 'deal-*', :now)"
        )
        == 1
    )
    assert run("DELETE FROM deal_channels WHERE workspace_id = 'T1'") == 1
    assert (
        run(
            "INSERT INTO channels (workspace_id, channel_id, name, is_private, bot_is_member,"
            " updated_at) VALUES ('T1', 'C1', 'deal-acme', false, false, :now)"
        )
        == 1
    )
    assert run("UPDATE channels SET bot_is_member = true, updated_at = :now") == 0
    assert run("UPDATE channels SET name = 'deal-acme-2'") == 1
    assert run("UPDATE channels SET watch_notice_sent_at = :now") == 1
    assert run("UPDATE workspaces SET settings = '{\"rules\": {}}' WHERE team_id = 'T1'") == 1
    assert run("UPDATE workspaces SET domain = 'acme' WHERE team_id = 'T1'") == 1
    assert run("UPDATE workspaces SET updated_at = :now WHERE team_id = 'T1'") == 0
