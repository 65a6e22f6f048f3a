"""Developer tools: a strict Slack Web API emulator, a signed-request sender, Block Kit checks.

Used by the tests, the benchmarks and ``enabler demo``; never by the production app.
Import the submodules directly (``bot.devtools.emulator``), this package imports nothing.
"""
