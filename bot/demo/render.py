"""Block Kit and Slack mrkdwn as people see them: pure functions, dicts in, rich renderables out.

Used by the demo's terminal transcript (and its HTML report reuses :func:`parse_mrkdwn`). Nothing
here talks to Slack or reads the clock; every function is deterministic, so tests can pin the
output down. Mentions and channel links are resolved through :class:`Names`; links show their
label; buttons look like ``[ Coach instead ]``; modals are boxed forms; unknown blocks are named,
never dumped as JSON.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

JSONDict = Mapping[str, Any]

#: The emoji Enabler's copy uses, and a few common ones; others stay as :shortcodes:.
EMOJI: Mapping[str, str] = {
    "wave": "👋",
    "white_check_mark": "✅",
    "heavy_check_mark": "✔️",
    "lock": "🔒",
    "zzz": "💤",
    "bell": "🔔",
    "no_bell": "🔕",
    "arrow_forward": "▶️",
    "loud_sound": "🔊",
    "calendar": "📅",
    "spiral_calendar_pad": "🗓️",
    "star": "⭐",
    "sparkles": "✨",
    "bulb": "💡",
    "thinking_face": "🤔",
    "eyes": "👀",
    "memo": "📝",
    "pencil": "✏️",
    "pencil2": "✏️",
    "raised_hands": "🙌",
    "tada": "🎉",
    "warning": "⚠️",
    "hourglass": "⌛",
    "hourglass_flowing_sand": "⏳",
    "alarm_clock": "⏰",
    "seedling": "🌱",
    "mag": "🔍",
    "speech_balloon": "💬",
    "handshake": "🤝",
    "dart": "🎯",
    "chart_with_upwards_trend": "📈",
    "bar_chart": "📊",
    "clipboard": "📋",
    "inbox_tray": "📥",
    "mailbox_with_mail": "📬",
    "busts_in_silhouette": "👥",
    "bust_in_silhouette": "👤",
    "pray": "🙏",
    "thumbsup": "👍",
    "+1": "👍",
    "point_right": "👉",
    "palm_tree": "🌴",
    "large_green_square": "🟩",
    "large_orange_square": "🟧",
    "green_heart": "💚",
    "red_circle": "🔴",
    "large_green_circle": "🟢",
    "large_yellow_circle": "🟡",
    "x": "❌",
    "question": "❓",
    "information_source": "ℹ️",
    "rocket": "🚀",
    "muscle": "💪",
    "compass": "🧭",
    "headphones": "🎧",
    "thought_balloon": "💭",
    "raising_hand": "🙋",
    "trophy": "🏆",
    "airplane": "✈️",
    "baby": "👶",
    "beach_with_umbrella": "🏖️",
    "desert_island": "🏝️",
    "face_with_thermometer": "🤒",
    "thermometer": "🌡️",
    "sick": "🤒",
    "fast_forward": "⏩",
    "no_entry_sign": "🚫",
    "spiral_note_pad": "🗒️",
    "double_vertical_bar": "⏸️",
}


@dataclass(frozen=True)
class Names:
    """How to show ids: user id -> name, channel id -> channel name (without #)."""

    users: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)
    #: The reader's IANA time zone: ``<!date^…>`` tokens show in it, as Slack shows them.
    tz: str | None = None

    def user(self, user_id: str) -> str:
        return self.users.get(user_id, user_id)

    def channel(self, channel_id: str) -> str:
        return self.channels.get(channel_id, channel_id)


# --------------------------------------------------------------------------------------------
# mrkdwn -> spans


@dataclass(frozen=True)
class Span:
    text: str
    bold: bool = False
    italic: bool = False
    strike: bool = False
    code: bool = False
    link: str | None = None
    mention: bool = False


@dataclass(frozen=True)
class Line:
    spans: tuple[Span, ...]
    quote: bool = False

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.spans)


_EMOJI_CODE = re.compile(r":([a-z0-9_+\-]+):")
_TOKEN = re.compile(
    r"<(?P<entity>[^<>\n]+)>"
    r"|```(?P<block>.+?)```"
    r"|`(?P<code>[^`\n]+)`"
    r"|(?<![\w*])\*(?P<bold>[^*\n]+?)\*(?![\w*])"
    r"|(?<![\w_])_(?P<italic>[^_\n]+?)_(?![\w_])"
    r"|(?<![\w~])~(?P<strike>[^~\n]+?)~(?![\w~])"
)


def unescape(text: str) -> str:
    """Slack escapes exactly these three in message text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def emojize(text: str) -> str:
    return _EMOJI_CODE.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)


def _entity(raw: str, names: Names, style: Span) -> Span:
    target, _, label = raw.partition("|")
    if target.startswith("@"):
        return _with(
            style, "@" + (names.users.get(target[1:]) or label or target[1:]), mention=True
        )
    if target.startswith("#"):
        return _with(
            style, "#" + (names.channels.get(target[1:]) or label or target[1:]), mention=True
        )
    if target.startswith("!subteam^"):
        return _with(style, label or "@team", mention=True)
    if target.startswith("!date^"):
        return _with(style, slack_date(target, names.tz) or label or "a date")
    if target.startswith("!"):
        return _with(style, "@" + (label or target[1:]), mention=True)
    return _with(style, unescape(label) if label else unescape(target), link=unescape(target))


_DATE_TOKENS: Mapping[str, str] = {
    "date_num": "%Y-%m-%d",
    "date": "%d %B %Y",
    "date_short": "%d %b %Y",
    "date_long": "%A %d %B %Y",
    "date_pretty": "%d %B %Y",
    "date_short_pretty": "%a %d %b",
    "date_long_pretty": "%A %d %B %Y",
    "time": "%H:%M",
    "time_secs": "%H:%M:%S",
}


def slack_date(target: str, tz: str | None) -> str | None:
    """``!date^1773946800^{date_short_pretty} at {time}`` in the reader's zone, or None."""
    parts = target.split("^")
    if len(parts) < 3 or not parts[1].isdigit():
        return None
    zone = ZoneInfo(tz) if tz else UTC
    at = datetime.fromtimestamp(int(parts[1]), UTC).astimezone(zone)

    def token(match: re.Match[str]) -> str:
        fmt = _DATE_TOKENS.get(match.group(1))
        return at.strftime(fmt) if fmt else match.group(0)

    shown = re.sub(r"\{(\w+)\}", token, parts[2])
    return shown if tz else f"{shown} UTC"


def _with(style: Span, text: str, **changes: Any) -> Span:
    return Span(
        text=text,
        bold=changes.get("bold", style.bold),
        italic=changes.get("italic", style.italic),
        strike=changes.get("strike", style.strike),
        code=changes.get("code", style.code),
        link=changes.get("link", style.link),
        mention=changes.get("mention", style.mention),
    )


def _spans(text: str, names: Names, style: Span) -> list[Span]:
    out: list[Span] = []
    position = 0
    for match in _TOKEN.finditer(text):
        if match.start() > position:
            out.append(_with(style, emojize(unescape(text[position : match.start()]))))
        kind = match.lastgroup
        inner = match.group(kind or 0)
        if kind == "entity":
            out.append(_entity(inner, names, style))
        elif kind in ("code", "block"):
            out.append(_with(style, unescape(inner), code=True))
        else:
            out.extend(_spans(inner, names, _with(style, "", **{str(kind): True})))
        position = match.end()
    if position < len(text):
        out.append(_with(style, emojize(unescape(text[position:]))))
    return [s for s in out if s.text]


def parse_mrkdwn(text: str, names: Names | None = None) -> list[Line]:
    """Slack mrkdwn as lines of styled spans: *bold*, _italic_, ~strike~, `code`, > quotes,
    <@U…> mentions, <#C…|name> channels, <url|label> links, :emoji:, &amp; escapes."""
    names = names or Names()
    lines: list[Line] = []
    for raw in text.split("\n"):
        body, quote = raw, False
        for prefix in ("&gt; ", "> ", "&gt;", ">"):
            if raw.startswith(prefix):
                body, quote = raw[len(prefix) :], True
                break
        lines.append(Line(tuple(_spans(body, names, Span(""))), quote))
    return lines


def mrkdwn_plain(text: str, names: Names | None = None) -> str:
    """The words a person reads, without markup (quotes keep a leading "> ")."""
    return "\n".join(("> " if line.quote else "") + line.text for line in parse_mrkdwn(text, names))


def _span_style(span: Span) -> str:
    parts = []
    if span.bold:
        parts.append("bold")
    if span.italic:
        parts.append("italic")
    if span.strike:
        parts.append("strike")
    if span.code:
        parts.append("bright_magenta")
    if span.mention:
        parts.append("bold blue")
    elif span.link:
        parts.append("underline cyan")
    return " ".join(parts)


def mrkdwn_text(text: str, names: Names | None = None, *, style: str = "") -> Text:
    """Slack mrkdwn as a styled rich Text."""
    out = Text(style=style)
    for i, line in enumerate(parse_mrkdwn(text, names)):
        if i:
            out.append("\n")
        if line.quote:
            out.append("▌ ", style="dim")
        for span in line.spans:
            out.append(span.text, style=_span_style(span) + (" italic" if line.quote else ""))
    return out


def _text_of(obj: object, names: Names, *, style: str = "") -> Text:
    """A Block Kit text object (plain_text or mrkdwn)."""
    if not isinstance(obj, Mapping):
        return Text("")
    raw = str(obj.get("text") or "")
    if obj.get("type") == "mrkdwn":
        return mrkdwn_text(raw, names, style=style)
    return Text(emojize(raw), style=style)


def _plain(obj: object) -> str:
    return emojize(str(obj.get("text") or "")) if isinstance(obj, Mapping) else ""


# --------------------------------------------------------------------------------------------
# Elements


def button_label(element: JSONDict) -> str:
    return f"[ {_plain(element.get('text'))} ]"


def _option_label(option: object) -> str:
    return _plain(option.get("text")) if isinstance(option, Mapping) else ""


def _date_label(epoch: object) -> str:
    try:
        return datetime.fromtimestamp(int(str(epoch)), UTC).strftime("%a %d %b %Y, %H:%M UTC")
    except (TypeError, ValueError):
        return "pick a date and time"


def element_text(element: JSONDict, names: Names) -> Text:
    """One interactive element as a person sees it, on one line where possible."""
    kind = str(element.get("type") or "")
    if kind == "button":
        style = {"primary": "bold green", "danger": "bold red"}.get(
            str(element.get("style") or ""), "bold"
        )
        return Text(button_label(element), style=style)
    placeholder = _plain(element.get("placeholder"))
    if kind in ("static_select", "external_select", "conversations_select", "channels_select"):
        chosen = _option_label(element.get("initial_option")) or placeholder or "Choose…"
        return Text(f"[ {chosen} ▾ ]", style="bold")
    if kind in ("users_select",):
        user = str(element.get("initial_user") or "")
        return Text(f"[ {('@' + names.user(user)) if user else placeholder or 'Pick a person'} ▾ ]")
    if kind in ("multi_static_select", "multi_users_select", "multi_external_select"):
        chosen = ", ".join(_option_label(o) for o in element.get("initial_options") or [])
        users = ", ".join("@" + names.user(str(u)) for u in element.get("initial_users") or [])
        return Text(f"[ {chosen or users or placeholder or 'Choose several'} ▾ ]")
    if kind == "overflow":
        return Text("[ ⋯ ]")
    if kind == "datepicker":
        return Text(f"[ 📅 {element.get('initial_date') or placeholder or 'Pick a date'} ]")
    if kind == "timepicker":
        return Text(f"[ 🕒 {element.get('initial_time') or placeholder or 'Pick a time'} ]")
    if kind == "datetimepicker":
        initial = element.get("initial_date_time")
        return Text(f"[ 📅 {_date_label(initial) if initial else 'Pick a date and time'} ]")
    if kind in ("radio_buttons", "checkboxes"):
        chosen_values = {
            str(o.get("value"))
            for o in ([element.get("initial_option")] if kind == "radio_buttons" else [])
            + list(element.get("initial_options") or [])
            if isinstance(o, Mapping)
        }
        on, off = ("◉", "○") if kind == "radio_buttons" else ("☑", "☐")
        out = Text()
        for i, option in enumerate(element.get("options") or []):
            if i:
                out.append("\n")
            mark = on if str(option.get("value")) in chosen_values else off
            out.append(f"{mark} {_option_label(option)}")
        return out
    if kind in ("plain_text_input", "number_input", "email_text_input", "url_text_input"):
        value = str(element.get("initial_value") or "")
        if not value:
            return Text(f"▏{placeholder or ' '}", style="dim")
        out = Text()
        for i, line in enumerate(value.split("\n")):
            if i:
                out.append("\n")
            out.append(f"▏{line}")
        return out
    if kind == "image":
        return Text(f"[image: {element.get('alt_text') or ''}]", style="dim")
    return Text(f"[{kind or 'element'}]", style="dim")


# --------------------------------------------------------------------------------------------
# Blocks


def _rich_text(block: JSONDict) -> str:
    parts: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, Mapping):
            if node.get("type") == "text":
                parts.append(str(node.get("text") or ""))
            for child in node.get("elements") or []:
                walk(child)

    walk(block)
    return "".join(parts)


def block_renderables(block: JSONDict, names: Names) -> list[RenderableType]:
    """One Block Kit block as what Slack would show."""
    kind = str(block.get("type") or "")
    if kind == "header":
        return [_text_of(block.get("text"), names, style="bold")]
    if kind == "divider":
        return [Rule(style="dim")]
    if kind == "context":
        parts = Text(style="dim")
        for i, element in enumerate(block.get("elements") or []):
            if i:
                parts.append("  ·  ")
            if isinstance(element, Mapping) and element.get("type") == "image":
                parts.append(f"[{element.get('alt_text') or 'image'}]")
            else:
                parts.append_text(_text_of(element, names))
        return [parts]
    if kind == "section":
        out: list[RenderableType] = []
        body: RenderableType = _text_of(block.get("text"), names) if block.get("text") else Text()
        accessory = block.get("accessory")
        if isinstance(accessory, Mapping):
            grid = Table.grid(expand=True, padding=(0, 2))
            grid.add_column(ratio=1)
            grid.add_column(justify="right", no_wrap=True)
            grid.add_row(body, element_text(accessory, names))
            out.append(grid)
        elif block.get("text"):
            out.append(body)
        section_fields = list(block.get("fields") or [])
        if section_fields:
            grid = Table.grid(expand=True, padding=(0, 3))
            grid.add_column(ratio=1)
            grid.add_column(ratio=1)
            cells = [_text_of(f, names) for f in section_fields]
            for i in range(0, len(cells), 2):
                grid.add_row(*(cells[i : i + 2] + [Text()] * (2 - len(cells[i : i + 2]))))
            out.append(grid)
        return out
    if kind == "actions":
        row = Text()
        for i, element in enumerate(block.get("elements") or []):
            if i:
                row.append("  ")
            row.append_text(element_text(element, names))
        return [row]
    if kind == "input":
        label = Text(_plain(block.get("label")), style="bold")
        if block.get("optional"):
            label.append(" (optional)", style="dim")
        out = [label]
        element = block.get("element")
        if isinstance(element, Mapping):
            out.append(element_text(element, names))
        if block.get("hint"):
            out.append(_text_of(block.get("hint"), names, style="dim"))
        return out
    if kind == "image":
        return [Text(f"[image: {block.get('alt_text') or ''}]", style="dim")]
    if kind == "rich_text":
        return [mrkdwn_text(_rich_text(block), names)]
    return [Text(f"[{kind or 'unknown'} block]", style="dim")]


def blocks_group(blocks: Sequence[JSONDict], names: Names) -> Group:
    out: list[RenderableType] = []
    for block in blocks:
        out.extend(block_renderables(block, names))
    return Group(*out)


def message_renderable(
    text: str, blocks: Sequence[JSONDict] | None, names: Names
) -> RenderableType:
    """A message: its blocks when it has them, else its text (Slack's own fallback rule)."""
    if blocks:
        return blocks_group(blocks, names)
    return mrkdwn_text(text, names)


def modal_renderable(view: JSONDict, names: Names, *, subtitle: str = "") -> Panel:
    """A modal as a boxed form: title on the frame, fields inside, its buttons at the bottom."""
    footer = Text(justify="right")
    close = _plain(view.get("close"))
    submit = _plain(view.get("submit"))
    if close:
        footer.append(f"[ {close} ]")
    if submit:
        footer.append("  ")
        footer.append(f"[ {submit} ]", style="bold green")
    body = Group(blocks_group(list(view.get("blocks") or []), names), Text(), footer)
    return Panel(
        body,
        title=Text(_plain(view.get("title")) or "Modal", style="bold"),
        subtitle=subtitle or None,
        box=box.DOUBLE,
        border_style="magenta",
        padding=(0, 1),
        width=88,
    )


def home_renderable(view: JSONDict, names: Names, *, who: str) -> Panel:
    return Panel(
        blocks_group(list(view.get("blocks") or []), names),
        title=Text(f"App Home · {who}", style="bold"),
        box=box.ROUNDED,
        border_style="cyan",
        padding=(0, 1),
        width=100,
    )


def to_text(renderable: RenderableType, *, width: int = 100) -> str:
    """What a renderable looks like on a plain terminal (no colour): for tests and logs."""
    console = Console(
        file=io.StringIO(), width=width, color_system=None, force_terminal=False, emoji=False
    )
    with console.capture() as capture:
        console.print(renderable)
    return "\n".join(line.rstrip() for line in capture.get().splitlines())


def blocks_text(blocks: Iterable[JSONDict], names: Names | None = None, *, width: int = 100) -> str:
    return to_text(blocks_group(list(blocks), names or Names()), width=width)
