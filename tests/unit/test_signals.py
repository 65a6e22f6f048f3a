"""Behaviour of the default rules: one table row per behaviour the issue names."""

from __future__ import annotations

import pytest

from bot.domain.rules import default_rules
from bot.domain.signals import (
    ChannelKind,
    MessageContext,
    Role,
    classify_huddle_join,
    classify_message,
    classify_reaction,
)
from bot.domain.text import normalize


def types(
    text: str,
    author: Role | None = "manager",
    owner: Role | None = "rep",
    channel: ChannelKind = "deal",
    *,
    is_reply: bool = True,
) -> set[str]:
    ctx = MessageContext(text, author, owner, channel, is_reply=is_reply)
    return {m.type for m in classify_message(ctx, default_rules())}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # commitments that take the thread over
        ("Leave it with me, I'll handle the CFO.", {"thread_takeover"}),
        ("I'll reach out to their VP directly", {"thread_takeover"}),
        ("let me deal with their procurement team", {"thread_takeover"}),
        # negation
        ("I won't jump in, it's yours", {"hand_back"}),
        ("I'm not going to call them, you should", {"hand_back"}),
        ("don't leave it with me, you've got this", {"hand_back"}),
        # offers are not commitments
        ("happy to help if you want?", set()),
        ("I can join the call if you want", set()),
        ("want me to reach out to their VP?", set()),
        ("should I call their CFO?", set()),
        # past tense counts
        ("I already sent them the redlines", {"deal_commitment"}),
        ("I already called their CFO and calmed her down", {"thread_takeover"}),
        ("I jumped on the demo and walked them through security", {"call_join"}),
        # questions that are really directives
        ("can you send me the contract and I'll handle it", {"thread_takeover", "deal_commitment"}),
        ("why don't I just call them?", {"thread_takeover"}),
        ("why don't I just send them the proposal?", {"deal_commitment"}),
        # pure information questions are not coaching
        ("what time is the call?", set()),
        ("did you send the proposal?", set()),
        ("how many seats are they looking at?", set()),
        # coaching and hand-back
        ("What do you think the CFO cares about most?", {"coaching_question"}),
        ("what's your read on the champion?", {"coaching_question"}),
        ("happy to prep with you before the call, you lead it", {"hand_back"}),
        ("It's your deal - what do you want to do?", {"hand_back", "coaching_question"}),
        # call join and close language
        ("joining your call, I'll lead", {"call_join"}),
        ("I'll sit in and listen, you drive the meeting", {"hand_back"}),
        ("Closing this out :white_check_mark:", {"thread_close"}),
        ("is this resolved?", set()),
        ("congrats on closing it!", set()),
        ("Not done yet - waiting on their legal", set()),
        # Slack markup
        ("<@U04REP> I'll take it from here", {"thread_takeover"}),
        ("*I'll handle it* - please don't email them", {"thread_takeover"}),
        ("I’ll send <https://docs.example.com/d/1|the proposal> tonight", {"deal_commitment"}),
        ("```I'll handle the CFO``` <- is this what they wrote?", set()),
        ('they said "leave it with me" and went quiet', set()),
        ("`I'll send the contract` is their template line", set()),
        # non-English
        ("Déjalo conmigo, yo me encargo", {"thread_takeover"}),
        ("Je vais appeler leur directeur financier", {"thread_takeover"}),
        ("Ich schicke das Angebot heute Abend", {"deal_commitment"}),
        ("O que você acha que mais importa para o CFO?", {"coaching_question"}),
        ("C'est ton deal, c'est toi qui décides", {"hand_back"}),
        # typos tolerated through patterns
        ("ill hanlde it", {"thread_takeover"}),
        ("I'll send teh porposal tonight", {"deal_commitment"}),
    ],
)
def test_manager_in_reps_deal_thread(text: str, expected: set[str]) -> None:
    assert types(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # told the customer what we will do (past tense, reported commitment)
        ("I told their buyer we can include onboarding at 8%", {"deal_commitment"}),
        ("promised them the revised order form by friday", {"deal_commitment"}),
        ("I told them we can't do 20%", set()),
        # deliverables beyond the obvious nouns: fees, trials, questionnaires, payment terms
        ("I'll extend their pilot by two weeks", {"deal_commitment"}),
        ("I'm working on the security questionnaire for them", {"deal_commitment"}),
        ("I agreed net 45 with their AP team", {"deal_commitment"}),
        ("the renewal quote is on me", {"deal_commitment"}),
        # handing the work to the rep is not doing it
        ("I'll send you last quarter's pricing so you can build the quote", set()),
        ("I'll help you draft the proposal tomorrow", set()),
        # contacting or arranging in the rep's place, now or later
        ("I'm calling their procurement lead right now", {"thread_takeover"}),
        ("looping in <@U0SE> for the security questions", set()),
        ("I'll book a dinner with their COO next week", {"thread_takeover"}),
        ("let me take the legal back-and-forth from here", {"thread_takeover"}),
        ("consider it done", {"thread_takeover"}),
        # joining and leading a call
        ("I'll attend the QBR and do the talking", {"call_join"}),
        ("putting myself on the Friday call with their VP", {"call_join"}),
        ("I'll be on the call, but only to listen - you run it", {"hand_back"}),
        # closing language with emoji and trailers
        (":white_check_mark: sorted", {"thread_close"}),
        ("all resolved on our side :heavy_check_mark:", {"thread_close"}),
        ("everything's wrapped up, they countersigned", {"thread_close"}),
        ("I'm wrapped up in meetings all day", set()),
        # coaching: "walk me thru", "in your view", "what would need to be true"
        ("walk me thru your mutual plan", {"coaching_question"}),
        ("who really signs off here, in your opinion?", {"coaching_question"}),
        ("what has to be true for them to sign this month?", {"coaching_question"}),
        ("thoughts on how to get procurement moving?", {"coaching_question"}),
        # hand-back: back seat, follow your lead; refusal that only waits on someone else
        ("I'll take a back seat on this one", {"hand_back"}),
        ("I won't send anything until legal signs off", set()),
        # French clitics and "me encargo del contrato" (deliverable, not a takeover)
        ("Je leur envoie la proposition demain", {"deal_commitment"}),
        ("Me encargo de la propuesta", {"deal_commitment"}),
        ("pues dejalo conmigo", {"thread_takeover"}),  # not only at a sentence start
    ],
)
def test_grammar_generalises(text: str, expected: set[str]) -> None:
    """Wordings the rules were not written from: grammar, not sentences."""
    assert types(text) == expected


@pytest.mark.parametrize(
    ("author", "owner", "channel", "is_reply"),
    [
        ("rep", "rep", "deal", True),  # a rep saying the same words
        ("sales_ops", "rep", "deal", True),
        ("manager", "manager", "deal", True),  # manager's own thread
        ("manager", "manager", "deal", False),  # manager's own root post
        ("manager", "rep", "other", True),  # not a deal channel
        ("manager", "rep", "dm", True),  # DMs are never evaluated
        ("manager", None, "deal", True),  # owner unknown yet (reply before root)
        (None, "rep", "deal", True),
    ],
)
def test_same_words_outside_a_reps_deal_context_are_not_signals(
    author: Role | None, owner: Role | None, channel: ChannelKind, is_reply: bool
) -> None:
    for text in (
        "Leave it with me, I'll handle the CFO.",
        "I'll send the proposal tonight",
        "What do you think the CFO cares about?",
        "it's your deal, you run it",
    ):
        assert types(text, author, owner, channel, is_reply=is_reply) == set()


@pytest.mark.parametrize(
    ("author_posts", "owner_posts", "expected"),
    [
        (0, 1, set()),
        (1, 1, set()),  # 2 posts, fewer than 3
        (2, 2, {"thread_takeover"}),  # 3rd post out-posts the rep's 2
        (2, 3, set()),  # the rep is still ahead
        (5, 1, {"thread_takeover"}),
    ],
)
def test_out_posting_the_rep_is_a_takeover(
    author_posts: int, owner_posts: int, expected: set[str]
) -> None:
    ctx = MessageContext(
        "sounds good",
        "manager",
        "rep",
        "deal",
        author_posts_in_thread=author_posts,
        owner_posts_in_thread=owner_posts,
    )
    assert {m.type for m in classify_message(ctx)} == expected


@pytest.mark.parametrize(
    ("reaction", "reactor", "owner", "channel", "root", "expected"),
    [
        ("white_check_mark", "manager", "rep", "deal", True, ["thread_close"]),
        ("heavy_check_mark::skin-tone-3", "manager", "rep", "deal", True, ["thread_close"]),
        (":lock:", "manager", "rep", "deal", True, ["thread_close"]),
        ("white_check_mark", "manager", "rep", "deal", False, []),  # on a reply, not the root
        ("white_check_mark", "rep", "rep", "deal", True, []),
        ("white_check_mark", "manager", "manager", "deal", True, []),
        ("white_check_mark", "manager", "rep", "other", True, []),
        ("thumbsup", "manager", "rep", "deal", True, []),
    ],
)
def test_closing_reactions(
    reaction: str,
    reactor: Role,
    owner: Role,
    channel: ChannelKind,
    root: bool,
    expected: list[str],
) -> None:
    got = classify_reaction(
        reaction,
        reactor_role=reactor,
        item_owner_role=owner,
        channel_kind=channel,
        on_thread_root=root,
        rules=default_rules(),
    )
    assert [m.type for m in got] == expected


@pytest.mark.parametrize(
    ("joiner", "host", "channel", "expected"),
    [
        ("manager", "rep", "deal", ["call_join"]),
        ("rep", "rep", "deal", []),
        ("manager", "manager", "deal", []),
        ("manager", "rep", "other", []),
        ("manager", "rep", "dm", []),
    ],
)
def test_huddle_join(joiner: Role, host: Role, channel: ChannelKind, expected: list[str]) -> None:
    got = classify_huddle_join(
        joiner_role=joiner, host_role=host, channel_kind=channel, rules=default_rules()
    )
    assert [m.type for m in got] == expected


def test_output_is_deterministic_ordered_and_one_per_type() -> None:
    ctx = MessageContext(
        "leave it with me, I'll call their CFO and send the revised pricing tonight. "
        "it's your deal though - what do you think they need?",
        "manager",
        "rep",
        "deal",
    )
    first = classify_message(ctx)
    assert [m.type for m in first] == [
        "thread_takeover",
        "deal_commitment",
        "coaching_question",
        "hand_back",
    ]
    assert all(classify_message(ctx) == first for _ in range(5))


def test_span_points_into_the_normalised_text() -> None:
    ctx = MessageContext("OK <@U1> — Leave it with me!", "manager", "rep", "deal")
    (match,) = classify_message(ctx)
    start, end = match.span
    assert normalize(ctx.text)[start:end] == "leave it with me"
    assert match.span_length == len("leave it with me")
    assert (match.rule, match.kind, match.weight) == ("takeover.leave_with_me", "doing", 1.0)
