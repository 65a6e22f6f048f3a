"""Every table, one module per area. Import from here; Alembic reads `Base.metadata`.

Where is table X? `grep -n "__tablename__ = \"X\"" bot/db/rows/`.
"""

from bot.db.base import Base
from bot.db.rows.core import (
    ChannelRow,
    DealChannelRow,
    InboxEventRow,
    PersonRow,
    WorkspaceRow,
)
from bot.db.rows.delivery import DeliveryRow

__all__ = [
    "Base",
    "ChannelRow",
    "DealChannelRow",
    "DeliveryRow",
    "InboxEventRow",
    "PersonRow",
    "WorkspaceRow",
]
