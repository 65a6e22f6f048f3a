"""Every table, one module per area. Import from here; Alembic reads `Base.metadata`.

Where is table X? `grep -n "__tablename__ = \"X\"" bot/db/rows/`.
"""

from bot.db.base import Base
from bot.db.rows.coaching import (
    ActionItemRow,
    CoachingRequestRow,
    DebriefItemRow,
    DevelopmentPlanRow,
    OneOnOneRow,
    PlanSnapshotRow,
    RepCadenceRow,
)
from bot.db.rows.core import (
    ChannelRow,
    DealChannelRow,
    InboxEventRow,
    PersonRow,
    WorkspaceRow,
)
from bot.db.rows.delivery import DeliveryRow
from bot.db.rows.nudges import NudgeActionRow, NudgeRow
from bot.db.rows.schedules import (
    CustomPromptRow,
    PersonPrefsRow,
    PromptOccurrenceRow,
    ReflectionRow,
    RetiredPromptRow,
    ScheduleRow,
)
from bot.db.rows.signals import SignalRow, ThreadPostRow

__all__ = [
    "ActionItemRow",
    "Base",
    "ChannelRow",
    "CoachingRequestRow",
    "CustomPromptRow",
    "DealChannelRow",
    "DebriefItemRow",
    "DeliveryRow",
    "DevelopmentPlanRow",
    "InboxEventRow",
    "NudgeActionRow",
    "NudgeRow",
    "OneOnOneRow",
    "PersonPrefsRow",
    "PersonRow",
    "PlanSnapshotRow",
    "PromptOccurrenceRow",
    "ReflectionRow",
    "RepCadenceRow",
    "RetiredPromptRow",
    "ScheduleRow",
    "SignalRow",
    "ThreadPostRow",
    "WorkspaceRow",
]
