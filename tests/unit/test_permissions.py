"""Every role against every action, plus the cases where ownership and sharing matter.

The org used throughout:

    vp (second-line, "Alex")          vp2 (second-line, another organisation)
    ├── mgr_a ("Sam")                  └── mgr_c
    │   ├── rep_a ("Jordan")               └── rep_c
    │   └── rep_a2
    └── mgr_b
        └── rep_b
    ops (sales ops, "Riley")
"""

from __future__ import annotations

import pytest

from bot.domain.permissions import (
    MIN_GROUP_SIZE,
    POLICY,
    Action,
    Org,
    PermissionDenied,
    Person,
    Relation,
    Role,
    aggregate_visible,
    check,
    require,
    suppress_small_groups,
)

PEOPLE = (
    Person("vp", Role.MANAGER, None, "Alex"),
    Person("mgr_a", Role.MANAGER, "vp", "Sam"),
    Person("mgr_b", Role.MANAGER, "vp"),
    Person("rep_a", Role.REP, "mgr_a", "Jordan"),
    Person("rep_a2", Role.REP, "mgr_a"),
    Person("rep_b", Role.REP, "mgr_b"),
    Person("vp2", Role.MANAGER, None),
    Person("mgr_c", Role.MANAGER, "vp2"),
    Person("rep_c", Role.REP, "mgr_c"),
    Person("ops", Role.SALES_OPS, None, "Riley"),
)
ORG = Org(PEOPLE)


def p(user_id: str) -> Person:
    return ORG.person(user_id)


# (actor, subject) per column, grouped by the actor's role. The groups are:
#   rep:    self, peer, own manager, manager's manager, another team's manager
#   mgr:    self, own rep, another team's rep, peer manager, own manager
#   2nd:    self, own first-line manager, a rep two levels down, other org: manager, rep
#   ops:    self, a rep, a manager
COLUMNS: tuple[tuple[str, str], ...] = (
    ("rep_a", "rep_a"),
    ("rep_a", "rep_a2"),
    ("rep_a", "mgr_a"),
    ("rep_a", "vp"),
    ("rep_a", "mgr_b"),
    ("mgr_a", "mgr_a"),
    ("mgr_a", "rep_a"),
    ("mgr_a", "rep_b"),
    ("mgr_a", "mgr_b"),
    ("mgr_a", "vp"),
    ("vp", "vp"),
    ("vp", "mgr_a"),
    ("vp", "rep_a"),
    ("vp", "mgr_c"),
    ("vp", "rep_c"),
    ("ops", "ops"),
    ("ops", "rep_a"),
    ("ops", "mgr_a"),
)

# Y = allowed, A = allowed as aggregates (counts) only, - = denied.
#                                           rep   mgr   2nd   ops
EXPECTED: dict[Action, str] = {
    Action.VIEW_SIGNALS:                    "Y---- Y---- Y---- Y--",
    Action.EXPLAIN_SIGNAL:                  "Y---- Y---- Y---- Y--",
    Action.VIEW_NUDGES:                     "Y---- Y---- Y---- Y--",
    Action.ACT_ON_NUDGE:                    "Y---- Y---- Y---- Y--",
    Action.VIEW_REFLECTIONS:                "Y---- Y---- Y---- Y--",
    Action.WRITE_REFLECTION:                "Y---- Y---- Y---- Y--",
    Action.SNOOZE_NUDGES:                   "Y---- Y---- Y---- Y--",
    Action.SET_NUDGES_ENABLED:              "Y---- Y---- Y---- Y--",
    Action.MUTE_CHANNEL:                    "Y---- Y---- Y---- Y--",
    Action.VIEW_PRIVACY_SUMMARY:            "Y---- Y---- Y---- Y--",
    Action.VIEW_TEAM_AGGREGATES:            "----- AA--- AAA-- AAA",
    Action.LOG_ONE_ON_ONE:                  "----- -Y--- -Y--- ---",
    Action.VIEW_ONE_ON_ONE_NOTES:           "----- -Y--- -Y--- ---",
    Action.EDIT_ONE_ON_ONE_NOTES:           "----- -Y--- -Y--- ---",
    Action.VIEW_ONE_ON_ONE_SCHEDULE:        "Y---- YY--- YY--- Y--",
    Action.SET_ONE_ON_ONE_CADENCE:          "----- -Y--- -Y--- ---",
    Action.VIEW_ACTION_ITEMS:               "Y---- YY--- YY--- Y--",
    Action.UPDATE_ACTION_ITEM:              "Y---- YY--- YY--- Y--",
    Action.ADD_DEBRIEF_ITEM:                "----- -Y--- -Y--- ---",
    Action.REQUEST_COACHING:                "--Y-- ----Y ----- ---",
    Action.RESPOND_TO_COACHING_REQUEST:     "----- -Y--- -Y--- ---",
    Action.ANSWER_PROPOSED_TIME:            "Y---- Y---- Y---- Y--",
    Action.LOG_COACHING_OUTCOME:            "----- -Y--- -Y--- ---",
    Action.RATE_COACHING_SESSION:           "Y---- Y---- Y---- Y--",
    Action.VIEW_COACHING_REQUEST:           "Y---- YY--- YY--- Y--",
    Action.VIEW_OVERDUE_COACHING_COUNT:     "Y---- YA--- YAA-- YAA",
    Action.VIEW_COVERAGE:                   "Y---- YA--- YAA-- YAA",
    Action.VIEW_DEVELOPMENT_PLAN:           "Y---- YY--- YYA-- YAA",
    Action.EDIT_DEVELOPMENT_PLAN:           "Y---- YY--- YY--- Y--",
    Action.MANAGE_SCHEDULES:                "----- ----- ----- YYY",
    Action.MANAGE_ROSTER:                   "----- ----- ----- YYY",
    Action.MANAGE_CHANNELS:                 "----- ----- ----- YYY",
    Action.MANAGE_RULES:                    "----- ----- ----- YYY",
    Action.TEST_RULES:                      "----- ----- ----- YYY",
    Action.MANAGE_PROMPTS:                  "----- ----- ----- YYY",
    Action.MANAGE_DEFAULTS:                 "----- ----- ----- YYY",
    Action.EXPORT:                          "----- ----- ----- AAA",
    Action.PRIVACY_EXPORT:                  "----- ----- ----- YYY",
    Action.PRIVACY_ERASE:                   "----- ----- ----- YYY",
}  # fmt: skip


def _cells(row: str) -> str:
    return row.replace(" ", "")


def _matrix() -> list[tuple[Action, str, str, str]]:
    return [
        (action, actor, subject, _cells(EXPECTED[action])[i])
        for action in Action
        for i, (actor, subject) in enumerate(COLUMNS)
    ]


def test_the_expected_table_covers_every_action_and_every_column() -> None:
    assert set(EXPECTED) == set(Action) == set(POLICY)
    assert {len(_cells(row)) for row in EXPECTED.values()} == {len(COLUMNS)}


def test_the_columns_cover_every_role() -> None:
    assert {ORG.role_of(actor) for actor, _ in COLUMNS} == set(Role)


@pytest.mark.parametrize(("action", "actor", "subject", "expected"), _matrix())
def test_role_action_matrix(action: Action, actor: str, subject: str, expected: str) -> None:
    decision = check(p(actor), action, subject=p(subject), org=ORG)
    got = "-" if not decision.allowed else ("A" if decision.aggregate_only else "Y")
    assert got == expected, decision.reason


@pytest.mark.parametrize(
    ("user_id", "role"),
    [
        ("vp", Role.SECOND_LINE),  # stored as manager; derived from reports who manage
        ("mgr_a", Role.MANAGER),
        ("rep_a", Role.REP),
        ("ops", Role.SALES_OPS),
        ("vp2", Role.SECOND_LINE),
    ],
)
def test_roles_are_derived_from_the_org_graph(user_id: str, role: Role) -> None:
    assert ORG.role_of(user_id) is role


@pytest.mark.parametrize(
    ("people", "user_id", "role"),
    [
        # A stored "second_line" with only reps under them is a first-line manager.
        ((Person("x", Role.SECOND_LINE), Person("r", Role.REP, "x")), "x", Role.MANAGER),
        # A rep on the roster who has reps reporting to them leads people: a manager.
        ((Person("x", Role.REP), Person("r", Role.REP, "x")), "x", Role.MANAGER),
        # A brand-new manager with no team yet is still a manager...
        ((Person("x", Role.MANAGER),), "x", Role.MANAGER),
        # ...and makes their own manager a second-line leader.
        ((Person("x", Role.MANAGER, "y"), Person("y", Role.REP)), "y", Role.SECOND_LINE),
        # Mixed reports (a manager and a rep): second-line.
        (
            (
                Person("y", Role.MANAGER),
                Person("x", Role.MANAGER, "y"),
                Person("r", Role.REP, "y"),
            ),
            "y",
            Role.SECOND_LINE,
        ),
        # Someone whose manager is not on the roster: the chain just ends.
        ((Person("x", Role.REP, "ghost"),), "x", Role.REP),
    ],
)
def test_role_derivation_edge_cases(people: tuple[Person, ...], user_id: str, role: Role) -> None:
    assert Org(people).role_of(user_id) is role


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("mgr_a", "rep_a", True),
        ("vp", "rep_a", True),
        ("vp", "mgr_a", True),
        ("rep_a", "mgr_a", False),  # the chain runs upwards only
        ("rep_a", "rep_a", False),  # nobody is in their own chain
        ("mgr_b", "rep_a", False),
        ("vp2", "rep_a", False),
        ("ops", "rep_a", False),
        ("vp", "nobody", False),
    ],
)
def test_is_in_chain_of(a: str, b: str, expected: bool) -> None:
    assert ORG.is_in_chain_of(a, b) is expected


@pytest.mark.parametrize(
    ("actor", "subject", "relation"),
    [
        ("rep_a", "rep_a", Relation.SELF),
        ("mgr_a", "rep_a", Relation.MANAGER_OF),
        ("vp", "rep_a", Relation.ABOVE),
        ("rep_a", "mgr_a", Relation.REPORT_OF),
        ("rep_a", "vp", Relation.OTHER),
        ("mgr_b", "rep_a", Relation.OTHER),
    ],
)
def test_relation(actor: str, subject: str, relation: Relation) -> None:
    assert ORG.relation(actor, subject) is relation


def test_org_lookups() -> None:
    assert [x.user_id for x in ORG.direct_reports("mgr_a")] == ["rep_a", "rep_a2"]
    assert ORG.chain_of("rep_a") == ("mgr_a", "vp")
    assert [x.user_id for x in ORG.first_line_managers_under("vp")] == ["mgr_a", "mgr_b"]
    manager = ORG.manager_of("rep_a")
    assert manager is not None
    assert manager.user_id == "mgr_a"
    assert ORG.manager_of("vp") is None
    assert len(ORG) == len(PEOPLE)


@pytest.mark.parametrize(
    "people",
    [
        (Person("a", Role.MANAGER, "b"), Person("b", Role.MANAGER, "a")),
        (Person("a", Role.MANAGER, "a"),),
        (Person("a", Role.REP), Person("a", Role.REP)),
    ],
)
def test_org_rejects_loops_and_duplicates(people: tuple[Person, ...]) -> None:
    with pytest.raises(ValueError, match=r"twice|loop"):
        Org(people)


@pytest.mark.parametrize(
    ("actor", "subject", "owner", "shared", "allowed"),
    [
        ("rep_a", "rep_a", "mgr_a", True, True),  # shared with the rep
        ("rep_a", "rep_a", "mgr_a", False, False),  # private by default
        ("rep_a2", "rep_a", "mgr_a", True, False),  # sharing opens them to the rep only
        ("vp", "rep_a", "mgr_a", True, False),  # second-line never reads 1:1 notes
        ("ops", "rep_a", "mgr_a", True, False),
        ("mgr_a", "rep_a", "mgr_a", False, True),  # the author
        ("mgr_b", "rep_a", "mgr_b", False, True),  # a former manager still sees what they wrote
        ("mgr_a", "rep_a", "mgr_b", False, False),  # ...but the new manager does not
    ],
)
def test_one_on_one_notes_follow_author_and_sharing(
    actor: str, subject: str, owner: str, shared: bool, allowed: bool
) -> None:
    decision = check(
        p(actor),
        Action.VIEW_ONE_ON_ONE_NOTES,
        subject=p(subject),
        org=ORG,
        resource_owner=owner,
        shared=shared,
    )
    assert decision.allowed is allowed


@pytest.mark.parametrize(
    ("action", "actor", "owner", "allowed"),
    [
        # The addressee answers, even if they are not (or no longer) the rep's manager.
        (Action.RESPOND_TO_COACHING_REQUEST, "mgr_b", "mgr_b", True),
        (Action.RESPOND_TO_COACHING_REQUEST, "mgr_a", "mgr_b", False),
        (Action.LOG_COACHING_OUTCOME, "mgr_a", "mgr_a", True),
        (Action.VIEW_COACHING_REQUEST, "mgr_b", "mgr_b", True),
        (Action.VIEW_COACHING_REQUEST, "vp", "mgr_a", False),
        # An action item owned by the manager: the rep cannot tick it, the manager can.
        (Action.UPDATE_ACTION_ITEM, "rep_a", "mgr_a", False),
        (Action.UPDATE_ACTION_ITEM, "mgr_a", "mgr_a", True),
    ],
)
def test_explicit_owner(action: Action, actor: str, owner: str, allowed: bool) -> None:
    decision = check(p(actor), action, subject=p("rep_a"), org=ORG, resource_owner=owner)
    assert decision.allowed is allowed


@pytest.mark.parametrize(
    ("actor", "action", "subject", "message"),
    [
        (
            "mgr_b",
            Action.LOG_ONE_ON_ONE,
            "rep_a",
            "Only Jordan's manager can log a 1:1 with Jordan.",
        ),
        (
            "rep_a",
            Action.REQUEST_COACHING,
            "vp",
            "You can ask your own manager for coaching, and Alex isn't your manager.",
        ),
        ("mgr_a", Action.MANAGE_RULES, None, "Only sales ops can change detection rules."),
        (
            "vp",
            Action.RESPOND_TO_COACHING_REQUEST,
            "rep_a",
            "Only Sam, who was asked, can answer Jordan's coaching request.",
        ),
        # No display name: a Slack mention, which Slack renders as the person's name.
        (
            "mgr_a",
            Action.LOG_ONE_ON_ONE,
            "rep_b",
            "Only <@rep_b>'s manager can log a 1:1 with <@rep_b>.",
        ),
    ],
)
def test_denials_read_as_ephemeral_replies(
    actor: str, action: Action, subject: str | None, message: str
) -> None:
    with pytest.raises(PermissionDenied) as raised:
        require(p(actor), action, subject=None if subject is None else p(subject), org=ORG)
    assert str(raised.value) == message
    assert raised.value.action is action


def test_require_returns_the_decision_when_allowed() -> None:
    decision = require(p("vp"), Action.VIEW_DEVELOPMENT_PLAN, subject=p("rep_a"), org=ORG)
    assert decision.allowed
    assert decision.aggregate_only


def test_the_org_not_the_caller_decides_reporting_lines() -> None:
    forged_subject = Person("rep_a", Role.REP, manager_id="mgr_b")
    decision = check(p("mgr_b"), Action.LOG_ONE_ON_ONE, subject=forged_subject, org=ORG)
    assert not decision.allowed


@pytest.mark.parametrize(
    ("actor", "subject"),
    [
        (Person("stranger", Role.SALES_OPS), Person("rep_a", Role.REP, "mgr_a")),
        (Person("mgr_a", Role.MANAGER, "vp"), Person("someone_elsewhere", Role.REP, "mgr_a")),
    ],
)
def test_people_outside_the_workspace_are_denied(actor: Person, subject: Person) -> None:
    decision = check(actor, Action.PRIVACY_EXPORT, subject=subject, org=ORG)
    assert not decision.allowed
    assert "roster" in decision.reason


def test_actions_about_a_person_need_the_person() -> None:
    with pytest.raises(ValueError, match="subject"):
        check(p("mgr_a"), Action.LOG_ONE_ON_ONE, subject=None, org=ORG)


@pytest.mark.parametrize(
    ("size", "visible"), [(0, False), (1, False), (4, False), (5, True), (9, True)]
)
def test_aggregate_visible(size: int, visible: bool) -> None:
    assert MIN_GROUP_SIZE == 5
    assert aggregate_visible(size) is visible


def test_suppress_small_groups_drops_groups_below_the_minimum() -> None:
    groups = {"east": (5, 12), "west": (4, 30), "north": (7, 0)}
    assert suppress_small_groups(groups, lambda g: g[0]) == {"east": (5, 12), "north": (7, 0)}
    assert suppress_small_groups(groups, lambda g: g[0], min_group=8) == {}
