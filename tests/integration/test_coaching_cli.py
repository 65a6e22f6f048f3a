"""`enabler export`, `enabler privacy` and `enabler coaching` against a real SQLite file."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.clock import FixedClock
from bot.db import migrate
from bot.db.engine import make_engine, make_session_factory
from bot.db.unit_of_work import UnitOfWorkFactory
from bot.domain import coaching as domain
from bot.services import coaching, roster
from bot.slack.blocks.coaching import SlackCoachingMessages

WS = "T0CLI"
ROSTER = """user_id,role,manager_id,name,team,timezone
UVP,manager,,Vera Vance,Leadership,America/New_York
UM1,manager,UVP,Maya Patel,East,America/New_York
UR1,rep,UM1,Jordan Lee,East,America/New_York
UOPS,sales_ops,,Olu Ops,Ops,Europe/London
"""


@pytest.fixture
def env(sqlite_url: str, tmp_path: Path) -> dict[str, str]:
    engine = make_engine(sqlite_url)
    migrate.upgrade(engine)
    uow = UnitOfWorkFactory(make_session_factory(engine))
    now = datetime.now(UTC) - timedelta(days=1)
    roster.import_roster(uow=uow, clock=FixedClock(now), workspace_id=WS, csv_text=ROSTER)
    with uow() as tx:
        result = coaching.request_coaching(
            tx,
            workspace_id=WS,
            requester_id="UR1",
            form=coaching.RequestForm(skill="closing", note="Secret worry"),
            now=now,
            messages=SlackCoachingMessages(),
        )
        assert result.id is not None
        coaching.respond(
            tx,
            workspace_id=WS,
            actor_id="UM1",
            request_id=result.id,
            event=domain.Decline("Not this week"),
            now=now,
            messages=SlackCoachingMessages(),
        )
        tx.commit()
    engine.dispose()
    return {"DATABASE_URL": sqlite_url, "SLACK_TEAM_ID": WS, "ENABLER_DATA_DIR": str(tmp_path)}


def test_export_coaching_csv_has_counts_not_text(env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["export", "--what", "coaching", "--format", "csv"], env=env)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["manager"], r["requests"], r["declined"]) for r in rows] == [
        ("Maya Patel", "1", "1")
    ]
    assert "Secret worry" not in result.output
    assert "Not this week" not in result.output


def test_export_signals_says_so_cleanly(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "signals.csv"
    result = CliRunner().invoke(
        main, ["export", "--what", "signals", "--format", "csv", "--out", str(out)], env=env
    )
    assert result.exit_code == 0, result.output
    assert "signals:" in result.stderr


def test_privacy_export_then_erase(env: dict[str, str]) -> None:
    runner = CliRunner()
    exported = runner.invoke(main, ["privacy", "export", "<@UR1|jordan>"], env=env)
    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.stdout)
    assert data["coaching_requests"][0]["note"] == "Secret worry"
    erased = runner.invoke(main, ["privacy", "erase", "UR1", "--yes"], env=env)
    assert erased.exit_code == 0, erased.output
    assert "1 coaching request" in erased.stdout
    again = json.loads(runner.invoke(main, ["privacy", "export", "UR1"], env=env).stdout)
    assert again["coaching_requests"] == []  # nothing left under the Slack id
    # The manager's count survives the erasure.
    counts = runner.invoke(main, ["export", "--what", "coaching"], env=env)
    assert next(csv.DictReader(io.StringIO(counts.stdout)))["requests"] == "1"


def test_coaching_defaults_and_skills(env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    changed = runner.invoke(main, ["coaching", "defaults", "--cadence-days", "14"], env=env)
    assert changed.exit_code == 0, changed.output
    assert "every 14 days" in changed.stdout
    skills = tmp_path / "skills.txt"
    skills.write_text("discovery: Discovery\nbad id: Oops\n", encoding="utf-8")
    refused = runner.invoke(main, ["coaching", "skills", str(skills)], env=env)
    assert refused.exit_code != 0
    assert "Line 2" in refused.output
    skills.write_text("discovery: Discovery\nmutual_plan: Mutual action plan\n", encoding="utf-8")
    ok = runner.invoke(main, ["coaching", "skills", str(skills)], env=env)
    assert ok.exit_code == 0, ok.output
    assert "mutual_plan: Mutual action plan" in ok.stdout
    assert "every 14 days" in ok.stdout  # other defaults kept
