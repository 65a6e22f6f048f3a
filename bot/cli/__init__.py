"""The `enabler` command. One module per command group; this file only assembles them."""

from __future__ import annotations

from bot.cli import admin, outbox, rules, serve
from bot.cli import coaching as coaching_cli
from bot.cli import demo as demo_cli
from bot.cli import export as export_cli
from bot.cli import nudges as nudges_cli
from bot.cli import privacy as privacy_cli
from bot.cli import prompts as prompts_cli
from bot.cli import schedule as schedule_cli
from bot.cli._common import main

main.add_command(serve.serve)
main.add_command(serve.migrate)
main.add_command(admin.roster)
main.add_command(admin.channels)
main.add_command(outbox.outbox)
main.add_command(rules.rules)
main.add_command(rules.signals)
main.add_command(schedule_cli.schedule)
main.add_command(prompts_cli.prompts)
main.add_command(coaching_cli.coaching)
main.add_command(export_cli.export)
main.add_command(privacy_cli.privacy)
main.add_command(nudges_cli.nudges)
main.add_command(demo_cli.demo)

__all__ = ["main"]
