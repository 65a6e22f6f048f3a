"""Who may see or do what in Enabler: the one place visibility is decided.

Every listener, service and export asks :func:`check` (or :func:`require`) before showing or
changing anything. The rules live in one table, :data:`POLICY`, so a reviewer can read the whole
privacy model on one screen and the tests can cover every role against every action.

Two ideas carry the model:

* **Relationships, not just roles.** "Only Jordan's manager can log a 1:1 with Jordan" is a fact
  about the org graph, not about the word "manager" on someone's roster row. A grant therefore
  names the *relation* between actor and subject (self, direct manager, higher in the chain...),
  optionally narrowed by the actor's role.
* **Second-line is derived.** A manager whose reports are themselves managers is a second-line
  leader. We derive it from the graph (:meth:`Org.role_of`) so a promotion or re-org never leaves
  a stale stored role granting the wrong view.

Aggregates are guarded by k-anonymity: nothing about a group smaller than
:data:`MIN_GROUP_SIZE` people is shown, see :func:`aggregate_visible`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from types import MappingProxyType
from typing import TypeVar

__all__ = [
    "MIN_GROUP_SIZE",
    "POLICY",
    "Action",
    "Decision",
    "Org",
    "PermissionDenied",
    "Person",
    "Relation",
    "Role",
    "aggregate_visible",
    "check",
    "require",
    "suppress_small_groups",
]

MIN_GROUP_SIZE = 5
"""Smallest group whose aggregates may be shown (issue 4: "groups of at least 5 people")."""


class Role(StrEnum):
    """A person's effective role. The roster stores rep, manager or sales_ops; second_line is
    always derived from the org graph by :meth:`Org.role_of`."""

    REP = "rep"
    MANAGER = "manager"
    SECOND_LINE = "second_line"
    SALES_OPS = "sales_ops"


@dataclass(frozen=True)
class Person:
    """Someone on the roster. ``role`` is the roster role; use :meth:`Org.role_of` for the
    effective one."""

    user_id: str
    role: Role
    manager_id: str | None = None
    display_name: str | None = None

    @property
    def label(self) -> str:
        """How to name the person in a message: their name, or a Slack mention Slack renders."""
        return self.display_name or f"<@{self.user_id}>"


class Relation(StrEnum):
    """How the actor stands to the subject, read from the actor's side."""

    NO_SUBJECT = "no_subject"  # workspace-wide actions (schedules, rules, exports...)
    SELF = "self"
    MANAGER_OF = "manager_of"  # actor is the subject's direct manager
    ABOVE = "above"  # actor is higher up the subject's chain than the direct manager
    REPORT_OF = "report_of"  # the subject is the actor's direct manager
    OTHER = "other"  # peers, other teams, the boss's boss: no standing


class Org:
    """A read-only view of one workspace's reporting lines.

    Built once per request from the roster; every lookup is a dict access. Unknown manager ids
    (someone's manager is not on the roster) simply end the chain. Cycles are rejected because
    they would make "is in the chain of" meaningless.
    """

    __slots__ = ("_people", "_reports", "_roles")

    def __init__(self, people: Iterable[Person]) -> None:
        by_id: dict[str, Person] = {}
        for person in people:
            if person.user_id in by_id:
                raise ValueError(f"{person.user_id} appears twice in the org")
            by_id[person.user_id] = person
        reports: dict[str, list[str]] = {uid: [] for uid in by_id}
        for person in by_id.values():
            if person.manager_id is not None and person.manager_id in by_id:
                reports[person.manager_id].append(person.user_id)
        self._people: Mapping[str, Person] = MappingProxyType(by_id)
        self._reports: Mapping[str, tuple[str, ...]] = MappingProxyType(
            {uid: tuple(sorted(ids)) for uid, ids in reports.items()}
        )
        for uid in by_id:
            self._check_no_cycle(uid)
        self._roles: Mapping[str, Role] = MappingProxyType(
            {uid: self._derive_role(uid) for uid in by_id}
        )

    def _check_no_cycle(self, user_id: str) -> None:
        seen = {user_id}
        current = self._people[user_id].manager_id
        while current is not None and current in self._people:
            if current in seen:
                raise ValueError(f"reporting lines loop through {current}")
            seen.add(current)
            current = self._people[current].manager_id

    def _leads_people(self, user_id: str) -> bool:
        return bool(self._reports[user_id]) or self._people[user_id].role in (
            Role.MANAGER,
            Role.SECOND_LINE,
        )

    def _derive_role(self, user_id: str) -> Role:
        person = self._people[user_id]
        if person.role is Role.SALES_OPS:
            return Role.SALES_OPS
        if any(self._leads_people(r) for r in self._reports[user_id]):
            return Role.SECOND_LINE
        if self._leads_people(user_id):
            return Role.MANAGER
        return Role.REP

    def __contains__(self, user_id: object) -> bool:
        return user_id in self._people

    def __iter__(self) -> Iterator[Person]:
        return iter(self._people.values())

    def __len__(self) -> int:
        return len(self._people)

    def get(self, user_id: str) -> Person | None:
        return self._people.get(user_id)

    def person(self, user_id: str) -> Person:
        """The person, or KeyError: callers that reach here already know the id is on the roster."""
        return self._people[user_id]

    def role_of(self, user_id: str) -> Role:
        return self._roles[user_id]

    def manager_of(self, user_id: str) -> Person | None:
        manager_id = self._people[user_id].manager_id
        return None if manager_id is None else self._people.get(manager_id)

    def direct_reports(self, user_id: str) -> tuple[Person, ...]:
        return tuple(self._people[r] for r in self._reports.get(user_id, ()))

    def chain_of(self, user_id: str) -> tuple[str, ...]:
        """Everyone above ``user_id``, nearest first."""
        chain: list[str] = []
        current = self._people[user_id].manager_id
        while current is not None and current in self._people:
            chain.append(current)
            current = self._people[current].manager_id
        return tuple(chain)

    def is_in_chain_of(self, a: str, b: str) -> bool:
        """True when ``a`` is one of ``b``'s managers, at any level (never ``b`` itself)."""
        return b in self._people and a in self.chain_of(b)

    def everyone_under(self, user_id: str) -> tuple[Person, ...]:
        """All direct and indirect reports, breadth first."""
        found: list[Person] = []
        queue = list(self._reports.get(user_id, ()))
        while queue:
            uid = queue.pop(0)
            found.append(self._people[uid])
            queue.extend(self._reports[uid])
        return tuple(found)

    def first_line_managers_under(self, user_id: str) -> tuple[Person, ...]:
        """The first-line managers in ``user_id``'s organisation: what a second-line home lists."""
        return tuple(
            p for p in self.everyone_under(user_id) if self._roles[p.user_id] is Role.MANAGER
        )

    def relation(self, actor_id: str, subject_id: str | None) -> Relation:
        if subject_id is None:
            return Relation.NO_SUBJECT
        if actor_id == subject_id:
            return Relation.SELF
        subject = self._people[subject_id]
        if subject.manager_id == actor_id:
            return Relation.MANAGER_OF
        if self.is_in_chain_of(actor_id, subject_id):
            return Relation.ABOVE
        if self._people[actor_id].manager_id == subject_id:
            return Relation.REPORT_OF
        return Relation.OTHER


class Action(StrEnum):
    """Every action and view in the product. Each one has exactly one row in :data:`POLICY`."""

    # A manager's own signals, nudges and reflections: private to them, always.
    VIEW_SIGNALS = "view_signals"
    EXPLAIN_SIGNAL = "explain_signal"  # /enabler why
    VIEW_NUDGES = "view_nudges"
    ACT_ON_NUDGE = "act_on_nudge"  # coach instead, hand back, it was needed, reflect
    VIEW_REFLECTIONS = "view_reflections"
    WRITE_REFLECTION = "write_reflection"
    SNOOZE_NUDGES = "snooze_nudges"
    SET_NUDGES_ENABLED = "set_nudges_enabled"  # /enabler nudges off|on
    MUTE_CHANNEL = "mute_channel"
    VIEW_PRIVACY_SUMMARY = "view_privacy_summary"  # /enabler privacy
    # Counts per team, never text, and only for groups of MIN_GROUP_SIZE or more.
    VIEW_TEAM_AGGREGATES = "view_team_aggregates"
    # One-on-ones.
    LOG_ONE_ON_ONE = "log_one_on_one"
    VIEW_ONE_ON_ONE_NOTES = "view_one_on_one_notes"
    EDIT_ONE_ON_ONE_NOTES = "edit_one_on_one_notes"  # includes sharing them with the rep
    VIEW_ONE_ON_ONE_SCHEDULE = "view_one_on_one_schedule"  # last / next 1:1, cadence
    SET_ONE_ON_ONE_CADENCE = "set_one_on_one_cadence"
    VIEW_ACTION_ITEMS = "view_action_items"
    UPDATE_ACTION_ITEM = "update_action_item"
    ADD_DEBRIEF_ITEM = "add_debrief_item"
    # Coaching requests.
    REQUEST_COACHING = "request_coaching"
    RESPOND_TO_COACHING_REQUEST = "respond_to_coaching_request"  # accept / propose / decline
    ANSWER_PROPOSED_TIME = "answer_proposed_time"  # the rep takes the manager's new time
    LOG_COACHING_OUTCOME = "log_coaching_outcome"
    RATE_COACHING_SESSION = "rate_coaching_session"
    VIEW_COACHING_REQUEST = "view_coaching_request"
    VIEW_OVERDUE_COACHING_COUNT = "view_overdue_coaching_count"
    VIEW_COVERAGE = "view_coverage"  # 1:1 coverage, requests met on time, reps with a plan
    # Development plans.
    VIEW_DEVELOPMENT_PLAN = "view_development_plan"
    EDIT_DEVELOPMENT_PLAN = "edit_development_plan"
    # Sales ops administration.
    MANAGE_SCHEDULES = "manage_schedules"
    MANAGE_ROSTER = "manage_roster"
    MANAGE_CHANNELS = "manage_channels"
    MANAGE_RULES = "manage_rules"
    TEST_RULES = "test_rules"
    MANAGE_PROMPTS = "manage_prompts"
    MANAGE_DEFAULTS = "manage_defaults"  # cadence, reminder timings, skills taxonomy, policy
    EXPORT = "export"
    PRIVACY_EXPORT = "privacy_export"
    PRIVACY_ERASE = "privacy_erase"


class Condition(Enum):
    """An extra test a grant may need beyond role and relation."""

    ALWAYS = "always"
    ACTOR_IS_OWNER = "actor_is_owner"  # wrote the notes / was asked for the coaching
    SHARED = "shared"  # the owner shared it (1:1 notes shared with the rep)


class OwnerDefault(Enum):
    """Who owns the resource when the caller does not say: keeps common calls short."""

    NONE = "none"
    SUBJECT = "subject"
    SUBJECT_MANAGER = "subject_manager"


@dataclass(frozen=True)
class Grant:
    """One way to be allowed. ``None`` for relations or roles means "any"."""

    relations: frozenset[Relation] | None = None
    roles: frozenset[Role] | None = None
    condition: Condition = Condition.ALWAYS
    aggregate_only: bool = False
    because: str = ""

    def matches(self, role: Role, relation: Relation, *, is_owner: bool, shared: bool) -> bool:
        if self.relations is not None and relation not in self.relations:
            return False
        if self.roles is not None and role not in self.roles:
            return False
        if self.condition is Condition.ACTOR_IS_OWNER:
            return is_owner
        if self.condition is Condition.SHARED:
            return shared
        return True


@dataclass(frozen=True)
class Rule:
    """The grants for one action and the message shown to anyone they do not cover.

    ``denial`` may use ``{subject}`` and ``{owner}``; it is written to be shown as-is in an
    ephemeral Slack reply.
    """

    grants: tuple[Grant, ...]
    denial: str
    needs_subject: bool = True
    owner_default: OwnerDefault = OwnerDefault.NONE


def _rel(*relations: Relation) -> frozenset[Relation]:
    return frozenset(relations)


_SELF = Grant(relations=_rel(Relation.SELF), because="it is your own")
_MANAGER = Grant(relations=_rel(Relation.MANAGER_OF), because="you are their manager")
_OWNER = Grant(condition=Condition.ACTOR_IS_OWNER, because="it is yours")
_OPS = Grant(roles=frozenset({Role.SALES_OPS}), because="you are sales ops")
_OPS_AGGREGATE = Grant(
    roles=frozenset({Role.SALES_OPS}), aggregate_only=True, because="sales ops sees totals only"
)
_CHAIN_AGGREGATE = Grant(
    relations=_rel(Relation.MANAGER_OF, Relation.ABOVE),
    aggregate_only=True,
    because="you lead their organisation; totals only",
)

_PRIVATE_TO_MANAGER = (
    "Only {subject} can see this. Signals, nudges and reflections are private to the manager "
    "they are about; their leaders and sales ops see team totals at most."
)


def _self_only(denial: str) -> Rule:
    return Rule(grants=(_SELF,), denial=denial)


def _ops_only(what: str) -> Rule:
    return Rule(grants=(_OPS,), denial=f"Only sales ops can {what}.", needs_subject=False)


POLICY: Mapping[Action, Rule] = MappingProxyType(
    {
        Action.VIEW_SIGNALS: _self_only(_PRIVATE_TO_MANAGER),
        Action.EXPLAIN_SIGNAL: _self_only(_PRIVATE_TO_MANAGER),
        Action.VIEW_NUDGES: _self_only(_PRIVATE_TO_MANAGER),
        Action.ACT_ON_NUDGE: _self_only("Only {subject} can act on this nudge."),
        Action.VIEW_REFLECTIONS: _self_only(_PRIVATE_TO_MANAGER),
        Action.WRITE_REFLECTION: _self_only("You can only write your own reflections."),
        Action.SNOOZE_NUDGES: _self_only("You can only snooze your own nudges."),
        Action.SET_NUDGES_ENABLED: _self_only("You can only turn your own nudges on or off."),
        Action.MUTE_CHANNEL: _self_only("You can only mute a channel for yourself."),
        Action.VIEW_PRIVACY_SUMMARY: _self_only(
            "/enabler privacy shows only what Enabler stores about you."
        ),
        Action.VIEW_TEAM_AGGREGATES: Rule(
            grants=(
                Grant(
                    relations=_rel(Relation.SELF),
                    roles=frozenset({Role.MANAGER, Role.SECOND_LINE}),
                    aggregate_only=True,
                    because="your own team; totals only",
                ),
                _CHAIN_AGGREGATE,
                _OPS_AGGREGATE,
            ),
            denial="Team totals for {subject}'s team are visible to {subject}, the leaders "
            "above them and sales ops.",
        ),
        Action.LOG_ONE_ON_ONE: Rule(
            grants=(_MANAGER,), denial="Only {subject}'s manager can log a 1:1 with {subject}."
        ),
        Action.VIEW_ONE_ON_ONE_NOTES: Rule(
            grants=(
                _OWNER,
                Grant(
                    relations=_rel(Relation.SELF),
                    condition=Condition.SHARED,
                    because="your manager shared them with you",
                ),
            ),
            denial="These 1:1 notes are visible only to {owner}, who wrote them, and to "
            "{subject} if {owner} shares them.",
            owner_default=OwnerDefault.SUBJECT_MANAGER,
        ),
        Action.EDIT_ONE_ON_ONE_NOTES: Rule(
            grants=(_OWNER,),
            denial="Only {owner}, who wrote these 1:1 notes, can change or share them.",
            owner_default=OwnerDefault.SUBJECT_MANAGER,
        ),
        Action.VIEW_ONE_ON_ONE_SCHEDULE: Rule(
            grants=(_SELF, _MANAGER),
            denial="{subject}'s 1:1 schedule is visible to {subject} and their manager.",
        ),
        Action.SET_ONE_ON_ONE_CADENCE: Rule(
            grants=(_MANAGER,),
            denial="Only {subject}'s manager can change how often they meet.",
        ),
        Action.VIEW_ACTION_ITEMS: Rule(
            grants=(_SELF, _MANAGER),
            denial="{subject}'s action items are visible to {subject} and their manager.",
        ),
        Action.UPDATE_ACTION_ITEM: Rule(
            grants=(_OWNER, _MANAGER),
            denial="Only {owner}, who owns this action item, or {subject}'s manager can update it.",
            owner_default=OwnerDefault.SUBJECT,
        ),
        Action.ADD_DEBRIEF_ITEM: Rule(
            grants=(_MANAGER,),
            denial="Only {subject}'s manager can add to {subject}'s 1:1 agenda.",
        ),
        Action.REQUEST_COACHING: Rule(
            grants=(Grant(relations=_rel(Relation.REPORT_OF), because="they are your manager"),),
            denial="You can ask your own manager for coaching, and {subject} isn't your manager.",
        ),
        Action.RESPOND_TO_COACHING_REQUEST: Rule(
            grants=(_OWNER,),
            denial="Only {owner}, who was asked, can answer {subject}'s coaching request.",
            owner_default=OwnerDefault.SUBJECT_MANAGER,
        ),
        Action.ANSWER_PROPOSED_TIME: _self_only(
            "Only {subject}, who asked for the coaching, can take the proposed time."
        ),
        Action.LOG_COACHING_OUTCOME: Rule(
            grants=(_OWNER,),
            denial="Only {owner}, who coached {subject}, can log how the session went.",
            owner_default=OwnerDefault.SUBJECT_MANAGER,
        ),
        Action.RATE_COACHING_SESSION: _self_only(
            "Only {subject}, who asked for the coaching, can rate it."
        ),
        Action.VIEW_COACHING_REQUEST: Rule(
            grants=(_SELF, _OWNER),
            denial="A coaching request is visible only to {subject}, who asked, and {owner}, "
            "who was asked.",
            owner_default=OwnerDefault.SUBJECT_MANAGER,
        ),
        Action.VIEW_OVERDUE_COACHING_COUNT: Rule(
            grants=(_SELF, _CHAIN_AGGREGATE, _OPS_AGGREGATE),
            denial="Only {subject} and the leaders above them can see how many of {subject}'s "
            "coaching requests are overdue.",
        ),
        Action.VIEW_COVERAGE: Rule(
            grants=(_SELF, _CHAIN_AGGREGATE, _OPS_AGGREGATE),
            denial="Only {subject} and the leaders above them can see {subject}'s 1:1 and "
            "coaching coverage.",
        ),
        Action.VIEW_DEVELOPMENT_PLAN: Rule(
            grants=(_SELF, _MANAGER, _CHAIN_AGGREGATE, _OPS_AGGREGATE),
            denial="{subject}'s development plan is visible to {subject} and their manager.",
        ),
        Action.EDIT_DEVELOPMENT_PLAN: Rule(
            grants=(_SELF, _MANAGER),
            denial="Only {subject} and their manager can edit {subject}'s development plan.",
        ),
        Action.MANAGE_SCHEDULES: _ops_only("change schedules"),
        Action.MANAGE_ROSTER: _ops_only("change the roster"),
        Action.MANAGE_CHANNELS: _ops_only("choose which channels Enabler watches"),
        Action.MANAGE_RULES: _ops_only("change detection rules"),
        Action.TEST_RULES: _ops_only("test detection rules"),
        Action.MANAGE_PROMPTS: _ops_only("change reflection prompts"),
        Action.MANAGE_DEFAULTS: _ops_only("change workspace defaults"),
        Action.EXPORT: Rule(
            grants=(
                Grant(
                    roles=frozenset({Role.SALES_OPS}),
                    aggregate_only=True,
                    because="sales ops; privacy filtering applies",
                ),
            ),
            denial="Only sales ops can export data.",
            needs_subject=False,
        ),
        Action.PRIVACY_EXPORT: Rule(
            grants=(_OPS,),
            denial="Only sales ops can export a person's data. /enabler privacy shows what "
            "Enabler stores about you.",
        ),
        Action.PRIVACY_ERASE: Rule(
            grants=(_OPS,),
            denial="Only sales ops can erase a person's data.",
        ),
    }
)

# A missing row would be a silent "deny everyone"; fail at import instead.
if set(POLICY) != set(Action):  # pragma: no cover - guarded by the tests too
    raise RuntimeError(f"actions without a policy: {sorted(set(Action) - set(POLICY))}")


@dataclass(frozen=True)
class Decision:
    """The answer to "may this person do this?".

    ``aggregate_only`` means: allowed, but show counts only — no text, no names of the people
    counted, and only groups of at least :data:`MIN_GROUP_SIZE`.
    ``reason`` is a human sentence; for a denial it is fit to send as an ephemeral reply.
    """

    allowed: bool
    reason: str
    aggregate_only: bool = False


class PermissionDenied(Exception):  # noqa: N818 - the name the brief and callers use
    """Raised by :func:`require`; ``str(exc)`` is the message to show the user."""

    def __init__(self, message: str, *, action: Action) -> None:
        super().__init__(message)
        self.message = message
        self.action = action


def _resolve_owner(rule: Rule, subject: Person | None, org: Org) -> str | None:
    if rule.owner_default is OwnerDefault.SUBJECT and subject is not None:
        return subject.user_id
    if rule.owner_default is OwnerDefault.SUBJECT_MANAGER and subject is not None:
        return org.person(subject.user_id).manager_id
    return None


def check(
    actor: Person,
    action: Action,
    *,
    subject: Person | None,
    org: Org,
    resource_owner: str | None = None,
    shared: bool = False,
) -> Decision:
    """Decide whether ``actor`` may perform ``action`` on data about ``subject``.

    ``subject`` is the person the data is about (the rep of a 1:1, the requester of a coaching
    request, the manager whose signals or coverage are shown). Workspace-wide actions take
    ``subject=None`` and ignore one if given. ``resource_owner`` is who owns the item (author of
    1:1 notes, addressee of a coaching request, owner of an action item); when omitted the rule's
    default applies (for notes and requests: the subject's current manager). ``shared`` says the
    owner shared the item with the subject.

    Reporting lines and roles are read from ``org``, never from the passed objects, so a stale
    ``Person`` cannot widen access; anyone not in ``org`` (another workspace) is denied.
    """
    rule = POLICY[action]
    if actor.user_id not in org:
        return Decision(
            False,
            "You're not on Enabler's roster for this workspace yet. Ask sales ops to add you.",
        )
    if rule.needs_subject:
        if subject is None:
            raise ValueError(f"{action} is about a person: pass subject=")
        if subject.user_id not in org:
            return Decision(False, "That person isn't on Enabler's roster for this workspace.")
        subject_id: str | None = subject.user_id
    else:
        subject_id = None
    role = org.role_of(actor.user_id)
    relation = org.relation(actor.user_id, subject_id)
    owner = resource_owner
    if owner is None and subject_id is not None:
        owner = _resolve_owner(rule, org.person(subject_id), org)
    is_owner = owner is not None and owner == actor.user_id
    for grant in rule.grants:
        if grant.matches(role, relation, is_owner=is_owner, shared=shared):
            return Decision(True, f"Allowed: {grant.because}.", grant.aggregate_only)
    return Decision(False, _denial(rule, subject_id, owner, org))


def _denial(rule: Rule, subject_id: str | None, owner: str | None, org: Org) -> str:
    def label(user_id: str | None, fallback: str) -> str:
        if user_id is None:
            return fallback
        person = org.get(user_id)
        return person.label if person is not None else f"<@{user_id}>"

    return rule.denial.format(
        subject=label(subject_id, "this person"), owner=label(owner, "their manager")
    )


def require(
    actor: Person,
    action: Action,
    *,
    subject: Person | None,
    org: Org,
    resource_owner: str | None = None,
    shared: bool = False,
) -> Decision:
    """Like :func:`check`, but raise :class:`PermissionDenied` instead of returning a denial."""
    decision = check(
        actor, action, subject=subject, org=org, resource_owner=resource_owner, shared=shared
    )
    if not decision.allowed:
        raise PermissionDenied(decision.reason, action=action)
    return decision


def aggregate_visible(group_size: int, *, min_group: int = MIN_GROUP_SIZE) -> bool:
    """May an aggregate over ``group_size`` people be shown? (k-anonymity, k = min_group)."""
    return group_size >= min_group


K = TypeVar("K")
V = TypeVar("V")


def suppress_small_groups(
    groups: Mapping[K, V],
    size_of: Callable[[V], int],
    *,
    min_group: int = MIN_GROUP_SIZE,
) -> dict[K, V]:
    """Keep only the groups big enough to show.

    Callers must compute any total over the *returned* groups only: a grand total that still
    includes a suppressed group would let a reader recover it by subtraction.
    """
    return {
        key: value
        for key, value in groups.items()
        if aggregate_visible(size_of(value), min_group=min_group)
    }
