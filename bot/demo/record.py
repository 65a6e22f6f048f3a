"""What the demo saw: steps, and in each step who saw what, when and where.

Plain data, filled by :mod:`bot.demo.script` from the emulator's record and the database, and
read by the terminal transcript and the HTML report. Times are aware UTC datetimes; each entry
names the person whose local time it is shown in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

JSONDict = dict[str, Any]

EntryKind = Literal[
    "post",  # a person wrote in a channel or thread
    "huddle",  # a huddle started, or someone joined it
    "bot",  # Enabler posted a message (DM, channel, or in a thread as a manager)
    "edit",  # Enabler edited one of its messages in place (chat.update)
    "modal",  # a modal opened for someone
    "submit",  # someone submitted a modal
    "click",  # someone clicked a button
    "command",  # someone typed a slash command
    "ephemeral",  # a reply only the clicker/typer sees
    "home",  # an App Home tab as the app published it
    "setup",  # what sales ops configured
]

WhereKind = Literal["channel", "thread", "dm", "modal", "home", "ephemeral", "setup"]


@dataclass(frozen=True)
class Where:
    kind: WhereKind
    channel_id: str | None = None
    channel_name: str | None = None  # "deal-acme" (no #)
    thread_ts: str | None = None
    dm_user: str | None = None  # the person whose DM with Enabler this is

    def label(self, names: dict[str, str]) -> str:
        if self.kind == "channel":
            return f"#{self.channel_name}"
        if self.kind == "thread":
            return f"thread in #{self.channel_name}"
        if self.kind == "dm":
            return f"DM with Enabler ({names.get(self.dm_user or '', self.dm_user or '?')})"
        if self.kind == "modal":
            return "modal"
        if self.kind == "home":
            return "App Home"
        if self.kind == "ephemeral":
            return "only visible to you"
        return "setup"


@dataclass(frozen=True)
class Entry:
    kind: EntryKind
    at: datetime
    where: Where
    author: str  # display name: "Maya Patel", "Enabler", "Maya Patel (via Enabler)"
    author_id: str | None  # a person's user id; None for Enabler itself
    viewer_id: str | None  # whose local time it is shown in; who it is for when private
    text: str = ""  # mrkdwn (or plain) text
    blocks: list[JSONDict] | None = None
    view: JSONDict | None = None
    private: bool = False  # only the viewer can see it
    ts: str | None = None  # the Slack message ts, when it is a message
    note: str = ""  # a short aside: "edited in place", "opened from the nudge"


@dataclass
class Step:
    number: int
    title: str
    blurb: str  # one sentence: what this step shows and why it matters
    entries: list[Entry] = field(default_factory=list)
    summary: str = ""  # one line, filled when the step's checks passed
    ok: bool = False


@dataclass(frozen=True)
class LedgerLine:
    """One manager's week, as their App Home computed it."""

    manager_id: str
    name: str
    team: str
    tz: str
    doing: int
    enabling: int
    justified: int
    one_on_ones: str  # "1/4 within cadence"
    open_requests: int


@dataclass(frozen=True)
class PromptLine:
    manager_id: str
    name: str
    tz: str
    local: datetime
    utc: datetime
    outcome: str  # answered | snoozed | waiting


@dataclass(frozen=True)
class ConvMessage:
    """A message as it stands at the end of the week (edits applied)."""

    ts: str
    author: str
    author_id: str | None  # None for Enabler
    text: str
    blocks: list[JSONDict] | None = None
    edited: bool = False
    replies: tuple[ConvMessage, ...] = ()


@dataclass(frozen=True)
class Conversation:
    kind: Literal["channel", "dm"]
    channel_id: str
    label: str  # "#deal-acme" or "Maya Patel"
    member_id: str | None  # the person, for a DM with Enabler
    messages: tuple[ConvMessage, ...]


@dataclass
class DemoRecord:
    seed: int
    names: dict[str, str]
    roles: dict[str, str]
    titles: dict[str, str]
    timezones: dict[str, str]
    channels: dict[str, str]
    steps: list[Step] = field(default_factory=list)
    homes: dict[str, JSONDict] = field(default_factory=dict)  # user id -> home view
    ledger: list[LedgerLine] = field(default_factory=list)
    prompts: list[PromptLine] = field(default_factory=list)
    conversations: list[Conversation] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # web_api_calls, messages, views ...
    database_url: str = ""
    slack_api_url: str = ""
    app_url: str = ""
    wall_seconds: float = 0.0
    html_path: str | None = None
    problems: list[str] = field(default_factory=list)
