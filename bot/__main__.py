"""`python -m bot` is the same as the `enabler` command."""

from bot.cli import main

main()
