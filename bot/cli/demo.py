"""`enabler demo`: the whole product in one command, no Slack workspace needed."""

from __future__ import annotations

import shutil
import signal
import tempfile
import threading
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from bot.demo.company import sample_company
from bot.demo.html import write_report
from bot.demo.script import DemoFailure, DemoRun, Options
from bot.demo.transcript import Transcript
from bot.observability import configure_logging

OUTPUT_DIR = Path("demo-output")
STEP_PAUSE = 1.0  # seconds after each step, without --fast
ENTRY_PAUSE = 0.08  # seconds after each line of the transcript, without --fast


@click.command()
@click.option("--fast", is_flag=True, help="No pauses (for CI).")
@click.option(
    "--keep",
    is_flag=True,
    help="Keep the database, the Slack emulator and the app running afterwards (Ctrl-C stops).",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=OUTPUT_DIR / "enabler-demo.html",
    show_default=True,
    help="Where to write the HTML report.",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Varies the cast.")
def demo(fast: bool, keep: bool, html_path: Path, seed: int) -> None:
    """Play a scripted week of Enabler at a sample sales team, against a built-in Slack.

    The real app (Bolt over HTTP with signature checks), a real SQLite database, the real
    scheduler and outbox; an accelerated clock. Fails (exit 1) if any step did not happen.
    """
    configure_logging("ERROR")
    console = Console(highlight=False)
    if keep:
        OUTPUT_DIR.mkdir(exist_ok=True)
        db_dir = OUTPUT_DIR
        for old in OUTPUT_DIR.glob("enabler-demo.db*"):
            old.unlink()
    else:
        db_dir = Path(tempfile.mkdtemp(prefix="enabler-demo-"))
    database_url = f"sqlite:///{(db_dir / 'enabler-demo.db').resolve()}"
    options = Options(database_url=database_url, seed=seed, pause=0.0 if fast else STEP_PAUSE)
    run = DemoRun(sample_company(seed), options)
    transcript = Transcript(console, run.record, pause=0.0 if fast else ENTRY_PAUSE)
    run.on_step = transcript.step
    transcript.intro()
    try:
        with run:
            try:
                record = run.play()
            except DemoFailure as failure:
                console.print()
                console.print(Text.assemble(("✗ The demo failed. ", "bold red"), str(failure)))
                console.print(
                    "[red]Something Enabler should have done did not happen; this is a bug. "
                    "Please report it with the output above.[/]"
                )
                raise SystemExit(1) from None
            html_path.parent.mkdir(parents=True, exist_ok=True)
            record.html_path = str(write_report(record, html_path).resolve())
            transcript.outro(html_path=record.html_path, kept=keep)
            if keep:
                _wait_for_ctrl_c(console, record.database_url, record.slack_api_url, record.app_url)
    finally:
        if not keep:
            shutil.rmtree(db_dir, ignore_errors=True)


def _wait_for_ctrl_c(console: Console, database_url: str, api_url: str, app_url: str) -> None:
    lines = [
        "",
        "[bold]Still running[/] — the database, the Slack emulator and the app:",
        f"  DATABASE_URL={database_url}",
        f"  SLACK_API_URL={api_url}",
        f"  app: {app_url}/slack/events",
        "Try, in another terminal:",
        f"  [bold]DATABASE_URL={database_url} enabler signals list[/]",
        f"  DATABASE_URL={database_url} enabler schedule list",
        f"  DATABASE_URL={database_url} enabler outbox status",
        "[dim]Ctrl-C to stop.[/]",
    ]
    for line in lines:
        console.print(line, soft_wrap=True)  # whole lines: commands stay copy-pasteable
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    console.print("Stopped. The database is kept in [bold]demo-output/[/].")
