"""The demo in the terminal: who saw what, when (their local time), where, step by step.

Each entry of the record becomes a few lines: a dim header (local time of the person it is
for, the UTC instant, the channel or DM, the author), then the message as Slack would show it
(via :mod:`bot.demo.render`). Private things say so. Each step ends with a one-line summary.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from bot.demo.record import DemoRecord, Entry, LedgerLine, Step
from bot.demo.render import (
    Names,
    home_renderable,
    message_renderable,
    modal_renderable,
    mrkdwn_text,
)

ROLE_LABELS = {
    "sales_ops": "sales ops",
    "second_line": "second-line leader",
    "manager": "manager",
    "rep": "rep",
}


def city(tz: str) -> str:
    return tz.rsplit("/", 1)[-1].replace("_", " ")


def when(at: datetime, tz: str | None) -> str:
    """ "Tue 17 Mar 10:04 New York · 14:04 UTC": the viewer's wall clock, then the instant."""
    if not tz or tz == "UTC":
        return f"{at:%a %d %b %H:%M} UTC"
    here = at.astimezone(ZoneInfo(tz))
    return f"{here:%a %d %b %H:%M} {city(tz)} · {at:%H:%M} UTC"


def first(name: str) -> str:
    return name.split(maxsplit=1)[0] if name else name


class Transcript:
    """Prints a run as it happens. ``pause`` slows it down for a human reader."""

    def __init__(self, console: Console, record: DemoRecord, *, pause: float = 0.0) -> None:
        self.console = console
        self.record = record
        self.names = Names(record.names, record.channels)
        self.pause = pause

    # -- framing ------------------------------------------------------------------------------

    def intro(self) -> None:
        self.console.print(
            Panel(
                Group(
                    Text(
                        "Enabler — a week at a sample sales team, in under a minute", style="bold"
                    ),
                    Text(
                        "Enabler helps sales managers coach their reps instead of doing their "
                        "deals. What follows is the real product (the Slack app over HTTP, its "
                        "database, scheduler and outbox) talking to a built-in Slack emulator. "
                        "Every message below is what a person would see in Slack.",
                    ),
                    Text(
                        "Cast: a sales ops lead, a VP, three managers in New York, London and "
                        "Sydney, four reps each. Times are each person's own local time.",
                        style="dim",
                    ),
                ),
                box=box.ROUNDED,
                border_style="green",
                padding=(0, 1),
            )
        )

    def step(self, step: Step) -> None:
        console = self.console
        console.print()
        title = f"Step {step.number} · {step.title}" if step.number else step.title
        console.print(Rule(Text(title, style="bold"), align="left", style="green"))
        console.print(Text(step.blurb, style="italic"))
        console.print()
        for entry in step.entries:
            renderable = self.entry(entry, step)
            if renderable is None:
                continue
            console.print(renderable)
            if self.pause:
                time.sleep(self.pause)
        if step.number == 6:
            console.print(self.weekly(self.record.ledger))
            for user_id in self._featured_homes():
                view = self.record.homes.get(user_id)
                if view is not None:
                    role = ROLE_LABELS.get(self.record.roles.get(user_id, ""), "")
                    who = f"{self.names.user(user_id)} ({role})"
                    console.print(home_renderable(view, self.names, who=who))
        mark = Text("✓ ", style="bold green") if step.ok else Text("✗ ", style="bold red")
        console.print(mark + Text(step.summary or "", style="green" if step.ok else "red"))

    def outro(self, *, html_path: str | None, kept: bool) -> None:
        record = self.record
        counts = record.counts
        lines = [
            Text.assemble(
                ("All 6 steps happened. ", "bold green"), f"Wall time {record.wall_seconds:.1f} s."
            ),
            Text(
                f"{counts.get('signed_requests', 0)} signed requests to the app; "
                f"{counts.get('web_api_calls', 0)} Web API calls, all valid against Slack's "
                f"reference; {counts.get('messages', 0)} messages, {counts.get('edits', 0)} "
                f"in-place edits and {counts.get('views', 0)} views, all valid Block Kit; "
                "nothing sent twice."
            ),
        ]
        if html_path:
            lines.append(
                Text.assemble("The week as Slack would show it: ", (html_path, "bold cyan"))
            )
        if not kept:
            lines.append(
                Text(
                    "Run `enabler demo --keep` to keep the database and the emulator up and "
                    "explore with the CLI.",
                    style="dim",
                )
            )
        self.console.print()
        self.console.print(
            Panel(Group(*lines), box=box.ROUNDED, border_style="green", padding=(0, 1))
        )

    # -- entries ------------------------------------------------------------------------------

    def _tz(self, user_id: str | None) -> str | None:
        return self.record.timezones.get(user_id or "")

    def _header(self, entry: Entry, where: str, who: str) -> Text:
        return Text.assemble(
            (when(entry.at, self._tz(entry.viewer_id)), "dim"),
            "  ",
            (where, "bold cyan"),
            "  ",
            (who, "bold"),
        )

    def entry(self, entry: Entry, step: Step) -> RenderableType | None:
        names = replace(self.names, tz=self._tz(entry.viewer_id))
        where = entry.where.label(dict(self.record.names))
        viewer = names.user(entry.viewer_id or "")
        if entry.kind == "setup":
            return Panel(
                mrkdwn_text(entry.text, names),
                title=Text(f"Set up by {entry.author} (sales ops)"),
                subtitle=Text(when(entry.at, self._tz(entry.viewer_id)), style="dim"),
                subtitle_align="right",
                title_align="left",
                box=box.ROUNDED,
                border_style="dim",
                padding=(0, 1),
            )
        if entry.kind in ("post", "huddle"):
            body = (
                Text("🎧 " + entry.text, style="italic")
                if entry.kind == "huddle"
                else mrkdwn_text(entry.text, names)
            )
            return Group(self._header(entry, where, entry.author), Padding(body, (0, 0, 1, 4)))
        if entry.kind in ("bot", "edit"):
            message = message_renderable(entry.text, entry.blocks, names)
            if entry.where.kind == "dm":
                verb = "DM edited in place" if entry.kind == "edit" else "DM"
                title = Text.assemble(
                    (f"{verb} · Enabler → {viewer}", "bold"),
                    (f" · only {first(viewer)} sees this", "dim"),
                )
                return Padding(
                    Panel(
                        message,
                        title=title,
                        subtitle=Text(when(entry.at, self._tz(entry.viewer_id)), style="dim"),
                        subtitle_align="right",
                        title_align="left",
                        box=box.ROUNDED,
                        border_style="yellow" if entry.kind == "edit" else "green",
                        padding=(0, 1),
                        width=100,
                    ),
                    (0, 0, 1, 4),
                )
            author = entry.author if entry.author != "Enabler" else "Enabler (app)"
            return Group(self._header(entry, where, author), Padding(message, (0, 0, 1, 4)))
        if entry.kind == "click":
            return Padding(
                Text.assemble(
                    ("▸ ", "bold"),
                    (entry.author, "bold"),
                    " clicks ",
                    (f"[ {entry.text} ]", "bold green"),
                    (f"  {when(entry.at, self._tz(entry.author_id))}", "dim"),
                ),
                (0, 0, 1, 4),
            )
        if entry.kind == "command":
            return Padding(
                Text.assemble(
                    ("▸ ", "bold"),
                    (entry.author, "bold"),
                    " types ",
                    (entry.text, "bold magenta"),
                    (f"  {when(entry.at, self._tz(entry.author_id))}", "dim"),
                ),
                (0, 0, 1, 4),
            )
        if entry.kind == "modal" and entry.view is not None:
            return Padding(
                modal_renderable(entry.view, names, subtitle=f"opened for {viewer}"), (0, 0, 1, 4)
            )
        if entry.kind == "submit":
            form = ""
            if entry.view is not None:
                form = str((entry.view.get("title") or {}).get("text") or "")
            head = Text.assemble(
                ("▸ ", "bold"),
                (entry.author, "bold"),
                f" submits “{form}”",
                (f" ({entry.note})" if entry.note else "", "dim"),
            )
            return Padding(
                Group(head, Padding(mrkdwn_text(entry.text, names), (0, 0, 0, 2))), (0, 0, 1, 4)
            )
        if entry.kind == "ephemeral":
            reply = message_renderable(entry.text, entry.blocks, names)
            return Padding(
                Group(
                    Text(f"↳ only {first(viewer)} sees:", style="dim"), Padding(reply, (0, 0, 0, 2))
                ),
                (0, 0, 1, 4),
            )
        if entry.kind == "home" and step.number != 6:
            return Padding(
                Text(f"⟳ Enabler refreshed {viewer}'s App Home", style="dim"), (0, 0, 0, 4)
            )
        return None

    def _featured_homes(self) -> list[str]:
        """The terminal shows one manager's and the second-line leader's App Home in full; the
        HTML report shows them all."""
        managers = [line.manager_id for line in self.record.ledger]
        leaders = [u for u, r in self.record.roles.items() if r == "second_line"]
        return managers[:1] + leaders[:1]

    def weekly(self, ledger: list[LedgerLine]) -> Table:
        table = Table(
            title="The week per manager (from their App Homes)",
            box=box.SIMPLE_HEAVY,
            title_style="bold",
            title_justify="left",
            padding=(0, 1),
        )
        table.add_column("Manager", no_wrap=True)
        table.add_column("Doing", justify="right", style="dark_orange", min_width=5)
        table.add_column("Enabling", justify="right", style="green", min_width=8)
        table.add_column("Needed", justify="right", style="dim", min_width=6)
        table.add_column("Mix", no_wrap=True)
        table.add_column("1:1s", justify="right", no_wrap=True)
        table.add_column("Open requests", justify="right", min_width=8)
        for line in ledger:
            table.add_row(
                f"{first(line.name)} · {city(line.tz)}",
                str(line.doing),
                str(line.enabling),
                str(line.justified),
                bar(line),
                line.one_on_ones.removesuffix(" reps"),
                str(line.open_requests),
            )
        return table


def bar(line: LedgerLine, width: int = 8) -> Text:
    total = line.doing + line.enabling + line.justified
    if total == 0:
        return Text("·", style="dim")
    cells = [
        ("█", "green", line.enabling),
        ("█", "dark_orange", line.doing),
        ("░", "grey50", line.justified),
    ]
    out = Text()
    used = 0
    for i, (char, style, count) in enumerate(cells):
        n = round(width * count / total) if i < len(cells) - 1 else width - used
        n = max(0, min(n, width - used))
        out.append(char * n, style=style)
        used += n
    return out
