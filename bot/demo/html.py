"""The demo as one self-contained HTML page: the week as Slack-like conversations, App Home tabs
per role, and the doing-vs-enabling ledger as an inline SVG chart.

No network: no CDN, no web fonts, no scripts; CSS and SVG are inline. Every piece of text that
came from the run (names, messages, modal values) goes through :func:`html.escape`; links are
shown, not followed (the permalinks point at an emulated workspace).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.demo.record import Conversation, ConvMessage, DemoRecord, Entry, LedgerLine, Step
from bot.demo.render import EMOJI, Line, Names, emojize, parse_mrkdwn

JSONDict = Mapping[str, Any]

ROLE_LABELS = {
    "sales_ops": "Sales ops",
    "second_line": "Second-line leader",
    "manager": "Manager",
    "rep": "Rep",
}
_PALETTE = ("#4a154b", "#1264a3", "#2bac76", "#e01e5a", "#ecb22e", "#0b4c8c", "#9c4221", "#5b3a8c")
ENABLER_COLOUR = "#2bac76"
DOING_COLOUR = "#e8912d"
ENABLING_COLOUR = "#2bac76"
NEEDED_COLOUR = "#a0a0a0"


def e(value: object) -> str:
    return escape(str(value), quote=True)


# --------------------------------------------------------------------------------------------
# mrkdwn and Block Kit -> HTML


def line_html(line: Line) -> str:
    out = []
    for span in line.spans:
        text = e(span.text)
        if span.code:
            text = f"<code>{text}</code>"
        if span.bold:
            text = f"<b>{text}</b>"
        if span.italic:
            text = f"<i>{text}</i>"
        if span.strike:
            text = f"<s>{text}</s>"
        if span.mention:
            text = f'<span class="mention">{text}</span>'
        elif span.link:
            text = f'<span class="link" title="{e(span.link)}">{text}</span>'
        out.append(text)
    return "".join(out)


def mrkdwn_html(text: str, names: Names) -> str:
    parts: list[str] = []
    quote: list[str] = []
    for line in parse_mrkdwn(text, names):
        if line.quote:
            quote.append(line_html(line))
            continue
        if quote:
            parts.append(f"<blockquote>{'<br>'.join(quote)}</blockquote>")
            quote = []
        parts.append(line_html(line) + "<br>")
    if quote:
        parts.append(f"<blockquote>{'<br>'.join(quote)}</blockquote>")
    html = "".join(parts)
    return html.removesuffix("<br>")


def _text(obj: object, names: Names) -> str:
    if not isinstance(obj, Mapping):
        return ""
    raw = str(obj.get("text") or "")
    return mrkdwn_html(raw, names) if obj.get("type") == "mrkdwn" else e(emojize(raw))


def _plain(obj: object) -> str:
    return e(emojize(str(obj.get("text") or ""))) if isinstance(obj, Mapping) else ""


def element_html(element: JSONDict, names: Names) -> str:
    kind = str(element.get("type") or "")
    placeholder = _plain(element.get("placeholder"))
    if kind == "button":
        style = str(element.get("style") or "")
        return f'<span class="btn {e(style)}">{_plain(element.get("text"))}</span>'
    if kind.endswith("select"):
        initial = element.get("initial_option")
        chosen = _plain(initial.get("text")) if isinstance(initial, Mapping) else ""
        if element.get("initial_user"):
            chosen = e("@" + names.user(str(element["initial_user"])))
        return f'<span class="select">{chosen or placeholder or "Choose…"} ▾</span>'
    if kind in ("radio_buttons", "checkboxes"):
        chosen_values = {
            str(o.get("value"))
            for o in [element.get("initial_option"), *(element.get("initial_options") or [])]
            if isinstance(o, Mapping)
        }
        mark_on, mark_off = ("◉", "○") if kind == "radio_buttons" else ("☑", "☐")
        items = "".join(
            f"<li>{mark_on if str(o.get('value')) in chosen_values else mark_off} "
            f"{_plain(o.get('text'))}</li>"
            for o in element.get("options") or []
            if isinstance(o, Mapping)
        )
        return f'<ul class="choices">{items}</ul>'
    if kind in ("datepicker", "timepicker", "datetimepicker"):
        value = element.get("initial_date") or element.get("initial_time") or ""
        return f'<span class="select">📅 {e(value) or placeholder or "Pick"}</span>'
    if kind == "overflow":
        return '<span class="btn">⋯</span>'
    if kind.endswith("input"):
        value = e(element.get("initial_value") or "")
        css = "textarea" if element.get("multiline") else "textinput"
        return f'<div class="{css}">{value or f"<span class=ph>{placeholder}</span>"}</div>'
    return f'<span class="muted">[{e(kind)}]</span>'


def block_html(block: JSONDict, names: Names) -> str:
    kind = str(block.get("type") or "")
    if kind == "header":
        return f'<div class="b-header">{_plain(block.get("text"))}</div>'
    if kind == "divider":
        return "<hr>"
    if kind == "context":
        items = " · ".join(
            _text(el, names)
            if not (isinstance(el, Mapping) and el.get("type") == "image")
            else e(el.get("alt_text") or "")
            for el in block.get("elements") or []
        )
        return f'<div class="b-context">{items}</div>'
    if kind == "section":
        body = f'<div class="b-text">{_text(block.get("text"), names)}</div>'
        accessory = block.get("accessory")
        if isinstance(accessory, Mapping):
            body += f'<div class="b-accessory">{element_html(accessory, names)}</div>'
        section_fields = block.get("fields") or []
        if section_fields:
            cells = "".join(f"<div>{_text(f, names)}</div>" for f in section_fields)
            body += f'<div class="b-fields">{cells}</div>'
        return f'<div class="b-section">{body}</div>'
    if kind == "actions":
        items = " ".join(element_html(el, names) for el in block.get("elements") or [])
        return f'<div class="b-actions">{items}</div>'
    if kind == "input":
        optional = ' <span class="muted">(optional)</span>' if block.get("optional") else ""
        element = block.get("element")
        control = element_html(element, names) if isinstance(element, Mapping) else ""
        return (
            f'<div class="b-input"><label>{_plain(block.get("label"))}{optional}</label>'
            f"{control}</div>"
        )
    return f'<div class="muted">[{e(kind)} block]</div>'


def blocks_html(blocks: Iterable[JSONDict], names: Names) -> str:
    return "".join(block_html(b, names) for b in blocks)


def message_body(text: str, blocks: Sequence[JSONDict] | None, names: Names) -> str:
    return blocks_html(blocks, names) if blocks else mrkdwn_html(text, names)


def modal_html(view: JSONDict, names: Names, *, caption: str = "") -> str:
    close = _plain(view.get("close"))
    submit = _plain(view.get("submit"))
    buttons = (f'<span class="btn">{close}</span>' if close else "") + (
        f'<span class="btn primary">{submit}</span>' if submit else ""
    )
    return (
        '<div class="modal">'
        f'<div class="modal-title">{_plain(view.get("title"))}'
        f'<span class="muted">{e(caption)}</span></div>'
        f'<div class="modal-body">{blocks_html(view.get("blocks") or [], names)}</div>'
        f'<div class="modal-foot">{buttons}</div></div>'
    )


# --------------------------------------------------------------------------------------------
# People, time


def initials(name: str) -> str:
    words = [w for w in name.replace("(", " ").split() if w[:1].isalpha()]
    return "".join(w[0] for w in words[:2]).upper() or "?"


def avatar(name: str, user_id: str | None) -> str:
    if user_id is None:
        return f'<div class="avatar" style="background:{ENABLER_COLOUR}">E</div>'
    digest = hashlib.sha256(user_id.encode()).digest()
    colour = _PALETTE[digest[0] % len(_PALETTE)]
    return f'<div class="avatar" style="background:{colour}">{e(initials(name))}</div>'


def when(at: datetime, tz: str | None) -> str:
    if not tz:
        return f"{at:%a %d %b %H:%M} UTC"
    here = at.astimezone(ZoneInfo(tz))
    city = tz.rsplit("/", 1)[-1].replace("_", " ")
    return f"{here:%a %d %b %H:%M} {city} ({at:%H:%M} UTC)"


# --------------------------------------------------------------------------------------------
# The ledger chart


def ledger_svg(lines: Sequence[LedgerLine]) -> str:
    """Horizontal stacked bars per manager: enabling, doing, "it was needed"."""
    row, label_w, bar_w, top = 44, 230, 420, 34
    height = top + row * len(lines) + 20
    most = max([1, *(line.doing + line.enabling + line.justified for line in lines)])
    unit = bar_w / most
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{label_w + bar_w + 140}" '
        f'height="{height}" viewBox="0 0 {label_w + bar_w + 140} {height}" '
        'aria-label="Doing vs enabling per manager this week" font-family="system-ui, sans-serif" '
        'font-size="13">'
    ]
    legend = [
        ("Enabling", ENABLING_COLOUR),
        ("Doing", DOING_COLOUR),
        ("It was needed", NEEDED_COLOUR),
    ]
    for n, (name, colour) in enumerate(legend):
        lx = label_w + 130 * n
        parts.append(f'<rect x="{lx}" y="8" width="12" height="12" rx="2" fill="{colour}"/>')
        parts.append(f'<text x="{lx + 17}" y="19" fill="#444">{e(name)}</text>')
    for i, line in enumerate(lines):
        y = top + i * row
        parts.append(
            f'<text x="0" y="{y + 17}" fill="#1d1c1d" font-weight="600">{e(line.name)}</text>'
            f'<text x="0" y="{y + 33}" fill="#616061" font-size="11">{e(line.team)} · '
            f"{e(line.tz.rsplit('/', 1)[-1].replace('_', ' '))}</text>"
        )
        x = float(label_w)
        for count, colour, what in (
            (line.enabling, ENABLING_COLOUR, "enabling"),
            (line.doing, DOING_COLOUR, "doing"),
            (line.justified, NEEDED_COLOUR, "it was needed"),
        ):
            if count:
                width = count * unit
                parts.append(
                    f'<rect x="{x:.1f}" y="{y + 6}" width="{width:.1f}" height="24" rx="3" '
                    f'fill="{colour}"><title>{count} {e(what)}</title></rect>'
                )
                parts.append(
                    f'<text x="{x + width / 2:.1f}" y="{y + 23}" fill="#fff" text-anchor="middle" '
                    f'font-weight="700">{count}</text>'
                )
                x += width
        if x == label_w:
            parts.append(f'<text x="{x}" y="{y + 23}" fill="#888">no signals yet</text>')
        total = line.enabling + line.doing
        share = "—" if total == 0 else f"{round(100 * line.enabling / total)}% enabling"
        parts.append(f'<text x="{label_w + bar_w + 8}" y="{y + 23}" fill="#444">{e(share)}</text>')
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------------------------
# Page


def _entry_html(entry: Entry, record: DemoRecord, names: Names) -> str:
    tz = record.timezones.get(entry.viewer_id or "") or record.timezones.get(entry.author_id or "")
    stamp = e(when(entry.at, tz))
    where = e(entry.where.label(dict(record.names)))
    viewer = names.user(entry.viewer_id or "")
    private = (
        f'<span class="private">🔒 only {e(viewer.split()[0] if viewer else "")} sees this</span>'
        if entry.private and entry.kind not in ("modal", "home")
        else ""
    )
    if entry.kind == "setup":
        return (
            f'<div class="setup">{avatar(entry.author, entry.author_id)}<div>'
            f'<div class="meta"><b>{e(entry.author)}</b> · sales ops · {stamp}</div>'
            f"{mrkdwn_html(entry.text, names)}</div></div>"
        )
    if entry.kind in ("post", "huddle", "bot", "edit", "ephemeral"):
        body = message_body(entry.text, entry.blocks, names)
        if entry.kind == "huddle":
            body = f"<i>🎧 {e(entry.text)}</i>"
        edited = '<span class="edited">edited in place</span>' if entry.kind == "edit" else ""
        app = (
            '<span class="app">APP</span>'
            if entry.author_id is None or "via Enabler" in entry.author
            else ""
        )
        css = "msg dm" if entry.where.kind == "dm" else "msg"
        if entry.kind == "ephemeral":
            css += " ephemeral"
        return (
            f'<div class="{css}">{avatar(entry.author, entry.author_id)}<div class="msg-main">'
            f'<div class="meta"><b>{e(entry.author)}</b>{app} <span class="where">{where}</span> '
            f'<span class="time">{stamp}</span> {edited}{private}</div>'
            f'<div class="msg-body">{body}</div></div></div>'
        )
    if entry.kind == "click":
        return (
            f'<div class="action">▸ <b>{e(entry.author)}</b> clicks '
            f'<span class="btn primary">{e(entry.text)}</span> '
            f'<span class="time">{stamp}</span></div>'
        )
    if entry.kind == "command":
        return (
            f'<div class="action">▸ <b>{e(entry.author)}</b> types <code>{e(entry.text)}</code> '
            f'<span class="time">{stamp}</span></div>'
        )
    if entry.kind == "modal" and entry.view is not None:
        return modal_html(
            entry.view, names, caption=f" · opened for {viewer} · {when(entry.at, tz)}"
        )
    if entry.kind == "submit":
        title = _plain((entry.view or {}).get("title"))
        note = f' <span class="muted">({e(entry.note)})</span>' if entry.note else ""
        return (
            f'<div class="action">▸ <b>{e(entry.author)}</b> submits “{title}”{note}'
            f'<div class="answers">{mrkdwn_html(entry.text, names)}</div></div>'
        )
    if entry.kind == "home":
        return f'<div class="action muted">⟳ Enabler refreshed {e(viewer)}\'s App Home</div>'
    return ""


def _step_html(step: Step, record: DemoRecord, names: Names) -> str:
    entries = "".join(
        _entry_html(entry, record, names)
        for entry in step.entries
        if not (step.number == 6 and entry.kind == "home")
    )
    label = f"Step {step.number} · " if step.number else ""
    status = "✓" if step.ok else "✗"
    return (
        f'<section class="step" id="step-{step.number}"><h2>{e(label)}{e(step.title)}</h2>'
        f'<p class="blurb">{e(step.blurb)}</p><div class="feed">{entries}</div>'
        f'<p class="summary {"ok" if step.ok else "bad"}">{status} {e(step.summary)}</p></section>'
    )


def _conversation_html(conversation: Conversation, record: DemoRecord, names: Names) -> str:
    def message(m: ConvMessage, nested: bool = False) -> str:
        tz = record.timezones.get(m.author_id or "") or record.timezones.get(
            conversation.member_id or ""
        )
        at = datetime.fromtimestamp(float(m.ts)).astimezone(ZoneInfo("UTC"))
        replies = ""
        if m.replies:
            replies = (
                '<div class="thread">' + "".join(message(r, True) for r in m.replies) + "</div>"
            )
        edited = ' <span class="edited">(edited)</span>' if m.edited else ""
        app = (
            '<span class="app">APP</span>'
            if m.author_id is None or "via Enabler" in m.author
            else ""
        )
        return (
            f'<div class="msg{" reply" if nested else ""}">{avatar(m.author, m.author_id)}'
            f'<div class="msg-main"><div class="meta"><b>{e(m.author)}</b>{app} '
            f'<span class="time">{e(when(at, tz))}</span>{edited}</div>'
            f'<div class="msg-body">{message_body(m.text, m.blocks, names)}</div>'
            f"{replies}</div></div>"
        )

    title = (
        conversation.label if conversation.kind == "channel" else f"Enabler ↔ {conversation.label}"
    )
    note = (
        "a deal channel"
        if conversation.kind == "channel"
        else "a direct message: only this person and Enabler see it"
    )
    body = "".join(message(m) for m in conversation.messages)
    return (
        f'<details class="conversation"><summary><b>{e(title)}</b> '
        f'<span class="muted">{e(note)} · {len(conversation.messages)} message(s)</span></summary>'
        f"{body}</details>"
    )


def _homes_html(record: DemoRecord, names: Names) -> str:
    tabs, panels = [], []
    for i, (user_id, view) in enumerate(record.homes.items()):
        role = ROLE_LABELS.get(record.roles.get(user_id, ""), "")
        checked = " checked" if i == 0 else ""
        tabs.append(
            f'<input type="radio" name="home" id="home-{i}"{checked}>'
            f'<label for="home-{i}">{e(names.user(user_id))}<small>{e(role)}</small></label>'
        )
        panels.append(
            f'<div class="home-panel" id="panel-{i}"><div class="home-head">'
            f"{avatar(names.user(user_id), user_id)}<b>Enabler</b> · Home · as seen by "
            f"{e(names.user(user_id))} ({e(role)})</div>"
            f'<div class="home-body">{blocks_html(view.get("blocks") or [], names)}</div></div>'
        )
    css = "".join(
        f"#home-{i}:checked ~ .home-panels #panel-{i}{{display:block}}"
        f"#home-{i}:checked + label{{background:#fff;border-color:#1264a3;color:#1264a3}}"
        for i in range(len(panels))
    )
    return (
        f"<style>{css}</style><div class='homes'>{''.join(tabs)}"
        f"<div class='home-panels'>{''.join(panels)}</div></div>"
    )


def _prompts_html(record: DemoRecord) -> str:
    rows = "".join(
        f"<tr><td>{e(p.name)}</td><td>{e(p.tz)}</td><td>{p.local:%a %d %b %H:%M}</td>"
        f"<td>{p.utc:%a %d %b %H:%M} UTC</td><td>{e(p.outcome)}</td></tr>"
        for p in record.prompts
    )
    return (
        "<table><thead><tr><th>Manager</th><th>Time zone</th><th>Local</th><th>UTC instant</th>"
        f"<th>Outcome</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _ledger_table(record: DemoRecord) -> str:
    rows = "".join(
        f"<tr><td>{e(line.name)}</td><td>{e(line.team)}</td><td>{line.doing}</td>"
        f"<td>{line.enabling}</td><td>{line.justified}</td><td>{e(line.one_on_ones)}</td>"
        f"<td>{line.open_requests}</td></tr>"
        for line in record.ledger
    )
    return (
        "<table><thead><tr><th>Manager</th><th>Team</th><th>Doing</th><th>Enabling</th>"
        "<th>It was needed</th><th>1:1s in cadence</th><th>Open coaching requests</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
    )


CSS = """
*{box-sizing:border-box}
body{margin:0;
  font:15px/1.46 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
  color:#1d1c1d;background:#f8f8f8;}
header.top{background:#3f0e40;color:#fff;padding:28px 40px}
header.top h1{margin:0 0 6px;font-size:26px}
header.top p{margin:0;opacity:.85;max-width:900px}
main{max-width:1060px;margin:0 auto;padding:24px}
nav.toc{display:flex;flex-wrap:wrap;gap:8px;margin:0 0 20px}
nav.toc a{background:#fff;border:1px solid #ddd;border-radius:14px;padding:3px 10px;color:#1264a3;
  text-decoration:none;font-size:13px;}
section{background:#fff;border:1px solid #e2e2e2;border-radius:8px;padding:18px 22px;
  margin:0 0 22px;}
h2{margin:0 0 6px;font-size:19px}
.blurb{margin:0 0 14px;color:#454245}
.summary{margin:14px 0 0;padding:8px 12px;border-radius:6px;font-weight:600}
.summary.ok{background:#e8f5ee;color:#006b3c}
.summary.bad{background:#fde8ec;color:#a4001f}
.msg{display:flex;gap:10px;padding:6px 8px;border-radius:6px}
.msg:hover{background:#f8f8f8}
.msg.dm{border-left:3px solid #2bac76;background:#fbfdfc}
.msg.ephemeral{opacity:.85;border-left:3px dashed #aaa}
.avatar{flex:0 0 36px;height:36px;border-radius:6px;color:#fff;font-weight:700;display:flex;
  align-items:center;justify-content:center;font-size:14px;}
.msg-main{flex:1;min-width:0}
.meta{font-size:13px;color:#616061}
.meta b{color:#1d1c1d;font-size:15px}
.where{color:#1264a3;margin-left:4px}
.time{color:#8a8a8a;font-size:12px}
.app{background:#e8e8e8;color:#616061;font-size:10px;font-weight:700;padding:1px 4px;
  border-radius:3px;margin-left:5px;}
.private{color:#616061;font-size:12px;margin-left:6px}
.edited{background:#fff4d6;color:#7a5b00;font-size:11px;padding:1px 5px;border-radius:3px;
  margin-left:5px;}
.msg-body{margin-top:2px;overflow-wrap:anywhere}
blockquote{margin:4px 0;padding-left:10px;border-left:4px solid #ddd;color:#454245}
code{background:#f3f3f3;border:1px solid #e5e5e5;border-radius:3px;padding:0 3px;color:#c01343;
  font-size:13px;}
.mention{background:#e8f5fa;color:#1264a3;border-radius:3px;padding:0 2px}
.link{color:#1264a3;text-decoration:underline}
.b-header{font-weight:800;font-size:17px;margin:6px 0}
.b-section{display:flex;flex-wrap:wrap;gap:8px;margin:4px 0}
.b-text{flex:1 1 300px}
.b-fields{flex-basis:100%;display:grid;grid-template-columns:1fr 1fr;gap:4px 16px}
.b-context{color:#616061;font-size:12.5px;margin:4px 0}
.b-actions{margin:8px 0;display:flex;flex-wrap:wrap;gap:6px}
hr{border:0;border-top:1px solid #e2e2e2;margin:10px 0}
.btn{display:inline-block;border:1px solid #c7c7c7;border-radius:4px;padding:2px 10px;
  font-size:13px;font-weight:700;background:#fff;white-space:nowrap;}
.btn.primary{background:#007a5a;color:#fff;border-color:#007a5a}
.btn.danger{color:#e01e5a;border-color:#e01e5a}
.select{display:inline-block;border:1px solid #c7c7c7;border-radius:4px;padding:2px 8px;
  font-size:13px;background:#fff;}
.b-input{margin:8px 0}
.b-input label{display:block;font-weight:700;margin-bottom:3px}
.textinput,.textarea{border:1px solid #bbb;border-radius:4px;padding:6px 8px;background:#fff;
  white-space:pre-wrap;}
.textarea{min-height:60px}
.ph{color:#999}
.choices{list-style:none;margin:0;padding:0}
.modal{max-width:560px;margin:10px 0 10px 46px;border-radius:8px;
  box-shadow:0 4px 18px rgba(0,0,0,.18);background:#fff;border:1px solid #ddd;}
.modal-title{font-weight:800;font-size:18px;padding:12px 16px;border-bottom:1px solid #eee}
.modal-title .muted{font-weight:400;font-size:12px;margin-left:6px}
.modal-body{padding:8px 16px}
.modal-foot{padding:10px 16px;border-top:1px solid #eee;text-align:right;display:flex;gap:8px;
  justify-content:flex-end;}
.action{margin:4px 0 4px 46px;color:#454245;font-size:14px}
.answers{margin:4px 0 0 14px;color:#1d1c1d}
.setup{display:flex;gap:10px;background:#f4f1f8;padding:10px;border-radius:6px}
.thread{margin:6px 0 0 0;border-left:2px solid #e2e2e2;padding-left:8px}
details.conversation{border:1px solid #e2e2e2;border-radius:6px;margin:8px 0;padding:6px 10px}
details.conversation summary{cursor:pointer}
.muted{color:#8a8a8a}
table{border-collapse:collapse;width:100%;margin:10px 0;font-size:14px}
th,td{border-bottom:1px solid #eee;text-align:left;padding:6px 8px}
th{color:#616061;font-weight:600}
.homes input{display:none}
.homes label{display:inline-block;border:1px solid #ddd;border-bottom:0;border-radius:6px 6px 0 0;
  padding:6px 12px;margin-right:2px;background:#f1f1f1;cursor:pointer;}
.homes label small{display:block;font-size:11px;color:#777}
.home-panels{border:1px solid #ddd;border-radius:0 6px 6px 6px}
.home-panel{display:none;padding:14px 18px}
.home-head{display:flex;gap:8px;align-items:center;color:#616061;border-bottom:1px solid #eee;
  padding-bottom:8px;margin-bottom:8px;}
.chart{overflow-x:auto}
footer{color:#8a8a8a;font-size:12px;text-align:center;padding:10px 0 30px}
"""


def render_report(record: DemoRecord) -> str:
    """The whole page as a string."""
    names = Names(record.names, record.channels)
    toc = "".join(
        f'<a href="#step-{s.number}">{e(f"{s.number}. " if s.number else "")}'
        f"{e(s.title.split(':')[0])}</a>"
        for s in record.steps
    )
    steps = "".join(_step_html(s, record, names) for s in record.steps)
    conversations = "".join(_conversation_html(c, record, names) for c in record.conversations)
    counts = record.counts
    ok = all(s.ok for s in record.steps) and not record.problems
    verdict = (
        f"All {len([s for s in record.steps if s.number])} steps happened"
        if ok
        else "Some steps did not happen"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Enabler demo — a week at a sample sales team</title>
<style>{CSS}</style></head><body>
<header class="top"><h1>Enabler — a week at a sample sales team</h1>
<p>Enabler is a Slack app that helps sales managers coach their reps instead of doing their deals.
This page is a real run of the product (the Slack app over HTTP, its database, scheduler and outbox)
against a built-in Slack emulator, with a made-up company: a sales ops lead, a VP, three managers in
New York, London and Sydney, four reps each. Times are shown in each person's own time zone.
</p></header>
<main>
<nav class="toc"><a href="#glance">The week at a glance</a>{toc}<a href="#homes">App Home tabs</a>
<a href="#conversations">Channels and DMs</a></nav>
<section id="glance"><h2>The week at a glance</h2>
<p class="blurb">Each manager's doing vs enabling this week, as their own App Home counts it.
Only the manager sees their own ledger; their VP sees coverage counts, never messages or nudges.</p>
<div class="chart">{ledger_svg(record.ledger)}</div>{_ledger_table(record)}
<h3>Monday's reflection prompt: 09:00 local, three UTC instants</h3>{_prompts_html(record)}
<p class="summary {"ok" if ok else "bad"}">{"✓" if ok else "✗"} {e(verdict)} ·
{counts.get("signed_requests", 0)} signed requests · {counts.get("web_api_calls", 0)} Web API calls,
all valid · {counts.get("messages", 0)} messages and {counts.get("views", 0)} views,
all valid Block Kit ·
nothing sent twice · {record.wall_seconds:.1f} s wall time · seed {record.seed}</p></section>
{steps}
<section id="homes"><h2>App Home tabs, by role</h2>
<p class="blurb">What each person sees on Enabler's Home tab at the end of the week. Managers see
their own ledger and their reps; the VP sees per-manager coverage; sales ops sees setup.</p>
{_homes_html(record, names)}</section>
<section id="conversations"><h2>Channels and DMs at the end of the week</h2>
<p class="blurb">Every conversation as it stands on Friday, edits applied, threads folded in.</p>
{conversations}</section>
</main><footer>Generated by <code>enabler demo</code>. No data left this machine.</footer>
</body></html>
"""


def write_report(record: DemoRecord, path: Path) -> Path:
    path.write_text(render_report(record), encoding="utf-8")
    return path


__all__ = [
    "EMOJI",
    "avatar",
    "block_html",
    "initials",
    "ledger_svg",
    "mrkdwn_html",
    "render_report",
    "write_report",
]
