"""The demo's renderers: Block Kit and mrkdwn as a person reads them, in the terminal and HTML."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.demo.html import avatar, block_html, initials, ledger_svg, mrkdwn_html
from bot.demo.record import LedgerLine
from bot.demo.render import (
    Names,
    blocks_text,
    home_renderable,
    modal_renderable,
    mrkdwn_plain,
    parse_mrkdwn,
    slack_date,
    to_text,
)
from bot.slack.blocks.common import actions, button, context, divider, header, section

NAMES = Names(users={"U1": "Maya Patel", "U2": "Liam O'Brien"}, channels={"C1": "deal-acme"})
# Fri 20 Mar 2026 19:00 UTC = 15:00 in New York, 19:00 in London, Sat 06:00 in Sydney.
FRIDAY = int(datetime(2026, 3, 20, 19, 0, tzinfo=UTC).timestamp())


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("*You took over* Jordan's thread", "You took over Jordan's thread"),
        ("<@U1> owns next steps", "@Maya Patel owns next steps"),
        ("<@U9|sam> hi", "@sam hi"),
        ("in <#C1> and <#C2|deal-globex>", "in #deal-acme and #deal-globex"),
        ("<https://x.example/p1|see the message>", "see the message"),
        ("<https://x.example/p1>", "https://x.example/p1"),
        ("Acme &amp; Co &lt;3 &gt;", "Acme & Co <3 >"),
        (":wave: hi :not_an_emoji:", "👋 hi :not_an_emoji:"),
        ("> _Is it more important?_", "> Is it more important?"),
        ("&gt; quoted", "> quoted"),
        ("snake_case_name and 2*3*4", "snake_case_name and 2*3*4"),
        ("`/enabler why` shows it", "/enabler why shows it"),
        ("<!here> look", "@here look"),
        (f"<!date^{FRIDAY}^{{date_short_pretty}} at {{time}}|fallback>", "Fri 20 Mar at 19:00 UTC"),
    ],
)
def test_mrkdwn_reads_as_plain_words(text: str, shown: str) -> None:
    assert mrkdwn_plain(text, NAMES) == shown


def test_styles_nest_and_mark_mentions_and_links() -> None:
    [line] = parse_mrkdwn("_Is it *more* important_ <@U1> <https://a.example|link>", NAMES)
    styles = [(s.text, s.bold, s.italic, s.mention, s.link) for s in line.spans]
    assert styles == [
        ("Is it ", False, True, False, None),
        ("more", True, True, False, None),
        (" important", False, True, False, None),
        (" ", False, False, False, None),
        ("@Maya Patel", False, False, True, None),
        (" ", False, False, False, None),
        ("link", False, False, False, "https://a.example"),
    ]


@pytest.mark.parametrize(
    ("tz", "shown"),
    [
        ("America/New_York", "Fri 20 Mar at 15:00"),
        ("Europe/London", "Fri 20 Mar at 19:00"),
        ("Australia/Sydney", "Sat 21 Mar at 06:00"),
        (None, "Fri 20 Mar at 19:00 UTC"),
    ],
)
def test_dates_show_in_the_readers_time_zone(tz: str | None, shown: str) -> None:
    assert slack_date(f"!date^{FRIDAY}^{{date_short_pretty}} at {{time}}", tz) == shown


NUDGE: list[dict[str, Any]] = [
    header("Doing vs enabling"),
    section(":wave: *You took over Jordan's Acme thread* · <https://x.example|see the message>"),
    section("Pick one", accessory=button("Open", "open")),
    divider(),
    actions(
        button("Coach instead", "nudge_coach", value="1", style="primary"),
        button("It was needed", "nudge_needed", value="1"),
    ),
    context("*Why?* Rule `takeover.leave_with_me` in <#C1>"),
    {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Doing*\n2"}]},
    {"type": "video", "title": {"type": "plain_text", "text": "x"}},
]


def test_a_message_reads_like_slack_with_buttons_in_brackets_and_no_json() -> None:
    text = blocks_text(NUDGE, NAMES, width=90)
    assert text.splitlines()[:2] == [
        "Doing vs enabling",
        "👋 You took over Jordan's Acme thread · see the message",
    ]
    assert "[ Coach instead ]  [ It was needed ]" in text
    assert "Why? Rule takeover.leave_with_me in #deal-acme" in text
    assert "[ Open ]" in text
    assert "[video block]" in text
    assert "{" not in text
    assert '"type"' not in text


MODAL = {
    "type": "modal",
    "title": {"type": "plain_text", "text": "It was needed"},
    "submit": {"type": "plain_text", "text": "Save"},
    "close": {"type": "plain_text", "text": "Cancel"},
    "blocks": [
        {
            "type": "input",
            "block_id": "reason",
            "label": {"type": "plain_text", "text": "Reason"},
            "element": {
                "type": "radio_buttons",
                "action_id": "reason",
                "initial_option": {
                    "text": {"type": "plain_text", "text": "Customer escalation"},
                    "value": "escalation",
                },
                "options": [
                    {"text": {"type": "plain_text", "text": "An exec asked"}, "value": "exec"},
                    {
                        "text": {"type": "plain_text", "text": "Customer escalation"},
                        "value": "escalation",
                    },
                ],
            },
        },
        {
            "type": "input",
            "block_id": "note",
            "optional": True,
            "label": {"type": "plain_text", "text": "Note"},
            "element": {
                "type": "plain_text_input",
                "action_id": "note",
                "multiline": True,
                "initial_value": "first line\nsecond line",
            },
        },
        {
            "type": "input",
            "block_id": "when",
            "label": {"type": "plain_text", "text": "When will you meet?"},
            "element": {"type": "datetimepicker", "action_id": "when"},
        },
        {
            "type": "input",
            "block_id": "skill",
            "label": {"type": "plain_text", "text": "Skill"},
            "element": {
                "type": "static_select",
                "action_id": "skill",
                "placeholder": {"type": "plain_text", "text": "Pick a skill"},
                "options": [],
            },
        },
    ],
}


def test_a_modal_is_a_boxed_form_with_its_fields_and_buttons() -> None:
    text = to_text(modal_renderable(MODAL, NAMES, subtitle="opened for Oliver"), width=100)
    lines = text.splitlines()
    assert "It was needed" in lines[0]
    assert lines[0].startswith("╔")
    assert "opened for Oliver" in lines[-1]
    assert "○ An exec asked" in text
    assert "◉ Customer escalation" in text
    assert "Note (optional)" in text
    assert "▏first line" in text
    assert "▏second line" in text
    assert "[ 📅 Pick a date and time ]" in text
    assert "[ Pick a skill ▾ ]" in text
    assert "[ Cancel ]  [ Save ]" in text


def test_an_app_home_is_framed_with_who_sees_it() -> None:
    view = {"type": "home", "blocks": [header("Hi Maya"), section("*Your reps*\n• <@U2>")]}
    text = to_text(home_renderable(view, NAMES, who="Maya Patel (manager)"))
    assert "App Home · Maya Patel (manager)" in text.splitlines()[0]
    assert "• @Liam O'Brien" in text


# -- HTML ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("a <b>", 'a <span class="link" title="b">b</span>'),  # Slack reads <…> as a link
        ("&lt;b&gt;not bold&lt;/b&gt;", "&lt;b&gt;not bold&lt;/b&gt;"),
        ("*bold* _it_", "<b>bold</b> <i>it</i>"),
        ("<@U2> hi", '<span class="mention">@Liam O&#x27;Brien</span> hi'),
        (
            '<https://x.example/"onmouseover=alert(1)|label>',
            '<span class="link" title="https://x.example/&quot;onmouseover=alert(1)">label</span>',
        ),
        ("> quote\nplain", "<blockquote>quote</blockquote>plain"),
        ("a\nb", "a<br>b"),
    ],
)
def test_mrkdwn_html_escapes_everything(text: str, html: str) -> None:
    assert mrkdwn_html(text, NAMES) == html


def test_blocks_html_escapes_plain_text_and_labels() -> None:
    html = block_html(
        actions(button("<img src=x onerror=alert(1)>", "x", style="primary")), NAMES
    ) + block_html(header("Tom & <Jerry>"), NAMES)
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Tom &amp; &lt;Jerry&gt;" in html


@pytest.mark.parametrize(
    ("name", "shown"),
    [("Maya Patel", "MP"), ("Liam O'Brien", "LO"), ("Maya Patel (via Enabler)", "MP"), ("", "?")],
)
def test_initials(name: str, shown: str) -> None:
    assert initials(name) == shown


def test_raw_tags_never_reach_the_page() -> None:
    html = mrkdwn_html("<script>alert(1)</script> <img src=x onerror=alert(1)>", NAMES)
    assert "<script" not in html
    assert "<img" not in html


def test_avatar_shows_initials_only_and_enabler_has_its_own() -> None:
    assert "<b>" not in avatar("<b>Maya</b> Patel", "U1")
    assert ">E<" in avatar("Enabler", None)


def test_ledger_chart_is_inline_svg_scaled_to_the_largest_week() -> None:
    lines = [
        LedgerLine("U1", "Maya <Patel>", "Americas", "America/New_York", 2, 1, 0, "4/4", 0),
        LedgerLine("U2", "Oliver", "EMEA", "Europe/London", 0, 0, 1, "4/4", 1),
        LedgerLine("U3", "Noor", "APAC", "Australia/Sydney", 0, 0, 0, "4/4", 0),
    ]
    svg = ledger_svg(lines)
    assert svg.startswith("<svg xmlns=")
    assert "Maya &lt;Patel&gt;" in svg
    assert "33% enabling" in svg
    assert "no signals yet" in svg
    assert "<title>2 doing</title>" in svg
    assert "<title>1 it was needed</title>" in svg
