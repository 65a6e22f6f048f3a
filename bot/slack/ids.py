"""Every action_id, callback_id and command name, in one place.

To find who handles something: `grep -rn ACTION_NAME bot/slack/listeners/`.
"""

from __future__ import annotations

from typing import Final

COMMAND: Final = "/enabler"

# Global and message shortcuts (manifest.yaml declares the same callback_ids).
SHORTCUT_REQUEST_COACHING: Final = "request_coaching"
SHORTCUT_LOG_ONE_ON_ONE: Final = "log_one_on_one"

# App Home buttons.
ACTION_HOME_HELP: Final = "home_help"
ACTION_HOME_REFRESH: Final = "home_refresh"
