"""Reading what people typed into a submitted modal: one parser for every surface.

Slack sends a view's inputs as ``view.state.values[block_id][action_id]``. Each surface used to
walk that dict itself; these helpers are total (a missing block, an element of the wrong shape
or a value Slack did not send reads as empty) so a forged or stale submission becomes a field
error in the service rather than a KeyError in a listener.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

State = Mapping[str, Any]
"""One input element's state: ``{"type": ..., "value" | "selected_option" | ...: ...}``."""

_EMPTY: State = {}


def metadata(view: Mapping[str, Any]) -> dict[str, Any]:
    """The view's ``private_metadata`` as a JSON object; {} when absent or not an object."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except (json.JSONDecodeError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


class Form:
    """A submitted view's inputs by block id.

    ``action_id`` names the element to read in a block (given per call, or for every block by
    the constructor's function); without one, a block's first element is read, which is the
    only one an input block has.
    """

    def __init__(
        self, view: Mapping[str, Any], *, action_id: Callable[[str], str] | None = None
    ) -> None:
        values = (view.get("state") or {}).get("values") or {}
        self._values: Mapping[str, Any] = values if isinstance(values, Mapping) else {}
        self._action_id = action_id

    def __iter__(self) -> Iterator[str]:
        """The block ids that have an input."""
        return iter(self._values)

    def state(self, block_id: str, action_id: str | None = None) -> State:
        block = self._values.get(block_id)
        if not isinstance(block, Mapping) or not block:
            return _EMPTY
        name = action_id or (self._action_id(block_id) if self._action_id else None)
        found = block.get(name) if name is not None else next(iter(block.values()))
        return found if isinstance(found, Mapping) else _EMPTY

    def text(self, block_id: str, action_id: str | None = None) -> str:
        """A text input's value ("" when empty)."""
        return str(self.state(block_id, action_id).get("value") or "")

    def number(self, block_id: str, action_id: str | None = None) -> int | None:
        """A text input holding a whole number; None when empty or not a number."""
        raw = self.text(block_id, action_id).strip()
        try:
            return int(raw) if raw else None
        except ValueError:
            return None

    def selected(self, block_id: str, action_id: str | None = None) -> str | None:
        """The value of the picked option of a select or radio group."""
        option = self.state(block_id, action_id).get("selected_option")
        value = option.get("value") if isinstance(option, Mapping) else None
        return str(value) if value is not None else None

    def selected_many(self, block_id: str, action_id: str | None = None) -> list[str]:
        """The values of the picked options of a multi-select or checkboxes."""
        options = self.state(block_id, action_id).get("selected_options") or []
        return [str(o["value"]) for o in options if isinstance(o, Mapping) and "value" in o]

    def day(self, block_id: str, action_id: str | None = None) -> date | None:
        """A date picker's day."""
        raw = self.state(block_id, action_id).get("selected_date")
        try:
            return date.fromisoformat(str(raw)) if raw else None
        except ValueError:
            return None

    def moment(self, block_id: str, action_id: str | None = None) -> datetime | None:
        """A date-time picker's instant (Slack sends Unix seconds)."""
        raw = self.state(block_id, action_id).get("selected_date_time")
        try:
            return datetime.fromtimestamp(int(raw), UTC) if raw is not None else None
        except (TypeError, ValueError, OverflowError):
            return None

    def user(self, block_id: str, action_id: str | None = None) -> str | None:
        """A user picker's user id."""
        raw = self.state(block_id, action_id).get("selected_user")
        return str(raw) if raw else None
