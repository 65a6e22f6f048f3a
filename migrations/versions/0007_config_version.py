"""workspaces.config_version, bumped by triggers when what event processing reads changes.

Event processing needs, for every message, the roster's roles, the deal-channel patterns, the
channels' names, whether a channel was told it is watched, the rule overrides and the workspace
domain. It caches them per workspace and re-reads them only when `config_version` moves. The
triggers make that version move on *any* change, whoever makes it (the CLI in another process,
another replica, a hand-written UPDATE): a cache cannot miss a writer that forgot to bump it.

SQLite drops a table's triggers when a batch migration rebuilds the table: a later migration
that rebuilds one of these tables must create its triggers again (tests/integration/
test_migrations.py checks they exist at head).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 08:09:44.865210
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# (table, what fires it) for the tables whose rows carry a workspace_id.
_WATCHED = (
    ("people", "UPDATE OF role, active, manager_id"),
    ("deal_channels", "UPDATE"),
    ("channels", "UPDATE OF name, watch_notice_sent_at"),
)
_WORKSPACE_COLUMNS = "settings, domain, holiday_countries"

_BUMP = "UPDATE workspaces SET config_version = config_version + 1 WHERE team_id = {ref}"


def _sqlite_up() -> list[str]:
    out = []
    for table, update in _WATCHED:
        for suffix, when, ref in (
            ("ins", "INSERT", "NEW.workspace_id"),
            ("upd", update, "NEW.workspace_id"),
            ("del", "DELETE", "OLD.workspace_id"),
        ):
            out.append(
                f"CREATE TRIGGER config_{table}_{suffix} AFTER {when} ON {table} "
                f"BEGIN {_BUMP.format(ref=ref)}; END"
            )
    out.append(
        f"CREATE TRIGGER config_workspaces_upd AFTER UPDATE OF {_WORKSPACE_COLUMNS} "
        f"ON workspaces BEGIN {_BUMP.format(ref='NEW.team_id')}; END"
    )
    return out


def _sqlite_down() -> list[str]:
    names = [f"config_{t}_{s}" for t, _ in _WATCHED for s in ("ins", "upd", "del")]
    return [f"DROP TRIGGER IF EXISTS {n}" for n in [*names, "config_workspaces_upd"]]


def _pg_up() -> list[str]:
    out = [
        f"""
        CREATE FUNCTION enabler_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                {_BUMP.format(ref="OLD.workspace_id")};
            ELSE
                {_BUMP.format(ref="NEW.workspace_id")};
            END IF;
            RETURN NULL;
        END $$
        """,
        """
        CREATE FUNCTION enabler_workspace_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.config_version := OLD.config_version + 1;
            RETURN NEW;
        END $$
        """,
    ]
    for table, update in _WATCHED:
        out.append(
            f"CREATE TRIGGER config_{table} AFTER INSERT OR DELETE OR {update} ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION enabler_config_changed()"
        )
    out.append(
        f"CREATE TRIGGER config_workspaces BEFORE UPDATE OF {_WORKSPACE_COLUMNS} ON workspaces "
        "FOR EACH ROW EXECUTE FUNCTION enabler_workspace_changed()"
    )
    return out


def _pg_down() -> list[str]:
    drops = [f"DROP TRIGGER IF EXISTS config_{t} ON {t}" for t, _ in _WATCHED]
    return [
        *drops,
        "DROP TRIGGER IF EXISTS config_workspaces ON workspaces",
        "DROP FUNCTION IF EXISTS enabler_config_changed()",
        "DROP FUNCTION IF EXISTS enabler_workspace_changed()",
    ]


def upgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("config_version", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _pg_up() if postgres else _sqlite_up():
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _pg_down() if postgres else _sqlite_down():
        op.execute(statement)
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("config_version")
