"""The `enabler` CLI as an operator uses it: real SQLite file, real commands, real output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main

ROSTER = """user_id,role,manager_id,name,team,timezone
U0MGR1,manager,,Maya Patel,East,America/New_York
U0REP1,rep,U0MGR1,Jordan Lee,East,America/New_York
"""


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SLACK_TEAM_ID", "T0CLI")
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    return CliRunner()


def test_every_command_has_help(cli: CliRunner) -> None:
    for args in (
        [],
        ["serve"],
        ["migrate"],
        ["roster"],
        ["roster", "import"],
        ["channels", "add"],
        ["rules", "test"],
        ["rules", "eval"],
        ["signals", "list"],
        ["outbox", "status"],
    ):
        result = cli.invoke(main, [*args, "--help"])
        assert result.exit_code == 0, (args, result.output)
        assert "Usage:" in result.output


def test_commands_that_never_classify_do_not_compile_the_rules() -> None:
    """Compiling the default rules takes seconds; `enabler --help`, `roster`, `signals list`...
    must not pay for it (a fresh interpreter: this process has long since compiled them)."""
    probe = (
        "import bot.cli, bot.domain.rules as r; "
        "print(r.default_rules.cache_info().currsize); "
        "r.default_rules(); print(r.default_rules.cache_info().currsize)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.split() == ["0", "1"]


def test_roster_and_channels_round_trip(cli: CliRunner, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    assert cli.invoke(main, ["migrate"]).exit_code == 0
    first = cli.invoke(main, ["roster", "import", str(roster)])
    assert "2 added, 0 updated, 0 unchanged" in first.output
    again = cli.invoke(main, ["roster", "import", str(roster)])
    assert "0 added, 0 updated, 2 unchanged" in again.output
    listed = cli.invoke(main, ["roster", "list"])
    assert "Jordan Lee" in listed.output
    assert "2 people." in listed.output

    bad = tmp_path / "bad.csv"
    bad.write_text("user_id,role,manager_id\nU0X1,boss,\n")
    failed = cli.invoke(main, ["roster", "import", str(bad)])
    assert failed.exit_code == 1
    assert "line 2: role 'boss'" in failed.output
    assert "nothing imported" in failed.output

    assert "Watching deal-*." in cli.invoke(main, ["channels", "add", "#deal-*"]).output
    assert "Already watching" in cli.invoke(main, ["channels", "add", "deal-*"]).output
    assert cli.invoke(main, ["channels", "list"]).output.strip() == "deal-*"
    assert cli.invoke(main, ["channels", "remove", "deal-*"]).exit_code == 0
    assert cli.invoke(main, ["channels", "remove", "deal-*"]).exit_code == 1


def test_rules_test_text_and_jsonl(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(main, ["rules", "test", "--json", "Leave it with me, I'll handle the CFO"])
    assert json.loads(result.output)["signals"][0]["type"] == "thread_takeover"
    as_rep = cli.invoke(
        main, ["rules", "test", "--json", "--author-role", "rep", "Leave it with me"]
    )
    assert json.loads(as_rep.output) == {"signals": []}

    lines = tmp_path / "in.jsonl"
    lines.write_text(
        '{"text": "What would you do differently next time?", "author_role": "manager", '
        '"thread_owner_role": "rep", "channel_kind": "deal"}\n'
        '{"text": "Leave it with me", "author_role": "manager", "thread_owner_role": "rep", '
        '"channel_kind": "dm"}\n'
    )
    out = cli.invoke(main, ["rules", "test", "--jsonl", str(lines)]).output.splitlines()
    assert [json.loads(line) for line in out] == [
        {
            "signals": [
                {
                    "kind": "enabling",
                    "rule": json.loads(out[0])["signals"][0]["rule"],
                    "type": "coaching_question",
                    "weight": 1.0,
                }
            ]
        },
        {"signals": []},
    ]
    lines.write_text("not json\n")
    bad = cli.invoke(main, ["rules", "test", "--jsonl", str(lines)])
    assert bad.exit_code == 1
    assert "line 1" in bad.output


def test_rules_eval_prints_precision_recall_per_kind_and_type(cli: CliRunner) -> None:
    corpus = Path(__file__).parents[1] / "data" / "signals_corpus.jsonl"
    out = cli.invoke(main, ["rules", "eval", str(corpus)]).output
    assert "kind:doing" in out
    assert "thread_takeover" in out
    assert "precision" in out


def test_rule_overrides_are_validated_then_live(cli: CliRunner, tmp_path: Path) -> None:
    assert cli.invoke(main, ["migrate"]).exit_code == 0
    cli.invoke(main, ["channels", "add", "deal-*"])  # creates the workspace
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  no.such.rule:\n    weight: 2\n")
    result = cli.invoke(main, ["rules", "set", str(bad)])
    assert result.exit_code == 1
    assert "nothing changed" in result.output
    assert "No overrides" in cli.invoke(main, ["rules", "show"]).output


def test_signals_list_empty(cli: CliRunner) -> None:
    cli.invoke(main, ["channels", "add", "deal-*"])
    out = cli.invoke(main, ["signals", "list", "--since", "2026-01-01"])
    assert out.exit_code == 0
    assert "0 signal(s)." in out.output


def test_serve_without_tokens_names_what_is_missing(cli: CliRunner) -> None:
    result = cli.invoke(main, ["serve", "--http"])
    assert result.exit_code == 1
    assert "SLACK_BOT_TOKEN" in result.output
    assert "SLACK_SIGNING_SECRET" in result.output
    assert "make demo" in result.output
    assert "Traceback" not in result.output
