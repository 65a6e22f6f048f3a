"""The `enabler` command. One module per command group; this file only assembles them."""

from __future__ import annotations

from bot.cli import admin, outbox, serve
from bot.cli._common import main

main.add_command(serve.serve)
main.add_command(serve.migrate)
main.add_command(admin.roster)
main.add_command(admin.channels)
main.add_command(outbox.outbox)

__all__ = ["main"]
