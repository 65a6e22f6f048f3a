"""`enabler schedule ...` and `enabler prompts ...` against a real database, and the prompt
library service they use (add, edit, retire, restore; never leaving a schedule empty)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.clock import FixedClock
from bot.db.unit_of_work import UnitOfWorkFactory
from bot.domain.prompts import PromptError
from bot.services import prompts_library, roster
from bot.services import schedules as svc
from bot.services.schedules import ScheduleSpec

TEAM = "T0CLI"
ROSTER = """user_id,role,manager_id,name,team,timezone
U0NY,manager,,Maya Patel,East,America/New_York
U0SYD,manager,,Ken Sato,APAC,Australia/Sydney
"""
CLOCK = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SLACK_TEAM_ID", TEAM)
    (tmp_path / "roster.csv").write_text(ROSTER)
    runner = CliRunner()
    result = runner.invoke(main, ["roster", "import", str(tmp_path / "roster.csv")])
    assert result.exit_code == 0, result.output
    return runner


def test_schedule_add_list_preview_pause_resume_delete(cli: CliRunner) -> None:
    add = cli.invoke(
        main,
        "schedule add --name 'Monday reflection' --audience managers --days mon --time 09:00 "
        "--prompts rotation --start 2026-03-02 --reminder-hours 4",
    )
    assert add.exit_code == 0, add.output
    assert "Created “Monday reflection” (active): Mondays at 09:00" in add.output
    listed = cli.invoke(main, ["schedule", "list"])
    assert "Monday reflection" in listed.output
    assert "follow-up after 4h" in listed.output
    # Across the start of US daylight time (8 March): 09:00 local both Mondays, UTC moves.
    preview = cli.invoke(
        main, ["schedule", "preview", "Monday reflection", "--from", "2026-03-02", "--days", "14"]
    )
    assert preview.exit_code == 0, preview.output
    assert "Mon 2026-03-02 09:00 EST" in preview.output
    assert "2026-03-02 14:00" in preview.output
    assert "Mon 2026-03-09 09:00 EDT" in preview.output
    assert "2026-03-09 13:00" in preview.output
    assert "Mon 2026-03-09 09:00 AEDT" in preview.output
    assert "2026-03-08 22:00" in preview.output
    for verb, word in (("pause", "Paused"), ("resume", "Resumed"), ("delete", "Deleted")):
        done = cli.invoke(main, ["schedule", verb, "monday reflection"])
        assert done.exit_code == 0, done.output
        assert f"{word} “Monday reflection”." in done.output
    assert "No schedules yet" in cli.invoke(main, ["schedule", "list"]).output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("--name X --days funday --time 09:00", "--days: Unknown day 'funday'"),
        ("--name X --days mon --time 9am", "--time: Time must be HH:MM"),
        ("--name X --cron '0 9 * *'", "--cron: Cron needs 5 fields"),
        ("--name X --days mon --time 09:00 --prompts tag --tag nope", "No active prompts"),
        ("--name X --days mon --time 09:00 --audience team --team Narnia", "No team called"),
        ("--name X --days mon --time 09:00 --start 2026-13-01", "--start must be a date"),
    ],
)
def test_schedule_add_explains_what_to_fix(cli: CliRunner, args: str, message: str) -> None:
    result = cli.invoke(main, f"schedule add {args}")
    assert result.exit_code == 1
    assert message in result.output


def test_schedule_edit_changes_only_what_is_given(cli: CliRunner) -> None:
    cli.invoke(main, "schedule add --name Weekly --days mon --time 09:00 --reminder-hours 2")
    edited = cli.invoke(main, "schedule edit weekly --time 10:30 --no-reminder --rename 'Weekly 2'")
    assert edited.exit_code == 0, edited.output
    assert "Updated “Weekly 2” (active): Mondays at 10:30" in edited.output
    assert "no follow-up" in edited.output
    missing = cli.invoke(main, "schedule pause nope")
    assert missing.exit_code == 1
    assert "No schedule called “nope”" in missing.output


def test_prompts_cli(cli: CliRunner) -> None:
    listed = cli.invoke(main, ["prompts", "list", "--tag", "hiring"])
    assert "hire-for-what" in listed.output
    added = cli.invoke(
        main,
        [
            "prompts",
            "add",
            "first-90-days",
            "--text",
            "What does a great first 90 days look like for your next hire?",
            "--tag",
            "hiring",
        ],
    )
    assert added.exit_code == 0, added.output
    assert "first-90-days" in cli.invoke(main, ["prompts", "list", "--tag", "hiring"]).output
    assert cli.invoke(main, ["prompts", "retire", "first-90-days"]).exit_code == 0
    assert "first-90-days" not in cli.invoke(main, ["prompts", "list"]).output
    assert "retired" in cli.invoke(main, ["prompts", "list", "--all"]).output
    bad = cli.invoke(main, ["prompts", "add", "Bad Id", "--text", "x"])
    assert bad.exit_code == 1
    assert "lowercase slug" in bad.output


def test_library_edits_are_per_workspace_and_schedules_never_run_dry(
    uow: UnitOfWorkFactory,
) -> None:
    roster.import_roster(uow=uow, clock=CLOCK, workspace_id=TEAM, csv_text=ROSTER)
    prompts_library.add_prompt(
        uow=uow,
        clock=CLOCK,
        workspace_id=TEAM,
        prompt_id="our-own",
        text="Which rep surprised you this week, and why?",
        tags=["custom_theme"],
    )
    svc.create_schedule(
        uow=uow,
        clock=CLOCK,
        workspace_id=TEAM,
        spec=ScheduleSpec(
            name="Ours", days="fri", at="15:00", prompt_mode="tag", prompt_tag="custom_theme"
        ),
    )
    with pytest.raises(PromptError, match="schedule 'Ours' would have no prompt"):
        prompts_library.retire_prompt(
            uow=uow, clock=CLOCK, workspace_id=TEAM, prompt_id="our-own", by=None
        )
    # Editing a shipped prompt stores this workspace's version of it.
    edited = prompts_library.edit_prompt(
        uow=uow,
        clock=CLOCK,
        workspace_id=TEAM,
        prompt_id="doing-or-getting-done",
        text="Is it more important that I do the work, or that the work gets done — today?",
    )
    assert edited.custom
    ours = {p.id: p for p in prompts_library.list_prompts(uow=uow, workspace_id=TEAM)}
    theirs = {p.id: p for p in prompts_library.list_prompts(uow=uow, workspace_id="T0OTHER")}
    assert ours["doing-or-getting-done"].text.endswith("today?")
    assert not theirs["doing-or-getting-done"].text.endswith("today?")
    assert "our-own" in ours
    assert "our-own" not in theirs
    assert len(theirs) >= 40  # the shipped library
    assert prompts_library.retire_prompt(
        uow=uow, clock=CLOCK, workspace_id=TEAM, prompt_id="hire-for-what", by="U0OPS"
    )
    assert "hire-for-what" not in {
        p.id for p in prompts_library.list_prompts(uow=uow, workspace_id=TEAM)
    }
    assert prompts_library.restore_prompt(uow=uow, workspace_id=TEAM, prompt_id="hire-for-what")


def test_week_context_gives_templates_live_facts(uow: UnitOfWorkFactory) -> None:
    roster.import_roster(
        uow=uow,
        clock=CLOCK,
        workspace_id=TEAM,
        csv_text=ROSTER + "U0R1,rep,U0NY,A,East,\nU0R2,rep,U0NY,B,East,\n",
    )
    with uow() as tx:
        facts = prompts_library.week_context(tx, workspace_id=TEAM, user_id="U0NY", now=CLOCK.now())
    assert facts == {"manager_name": "Maya", "rep_count": 2}
