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

# --- One-on-ones, coaching requests, development plans (issue 6) -----------------------------
# Modals (callback_id).
VIEW_COACH_REQUEST: Final = "coach_request"
VIEW_COACH_ACCEPT: Final = "coach_accept"
VIEW_COACH_PROPOSE: Final = "coach_propose"
VIEW_COACH_DECLINE: Final = "coach_decline"
VIEW_COACH_OUTCOME: Final = "coach_outcome"
VIEW_ONE_ON_ONE: Final = "one_on_one"
VIEW_PLAN: Final = "development_plan"
VIEW_COACHING_DEFAULTS: Final = "coaching_defaults"
# Buttons in the manager's / rep's DMs (value: the request id).
ACTION_COACH_ACCEPT: Final = "coach_accept"
ACTION_COACH_PROPOSE: Final = "coach_propose"
ACTION_COACH_DECLINE: Final = "coach_decline"
ACTION_COACH_TAKE_TIME: Final = "coach_take_time"
ACTION_COACH_LOG_OUTCOME: Final = "coach_log_outcome"
# "Was it helpful?": one button per score, coach_rate_1 .. coach_rate_5 (value: the request id).
ACTION_COACH_RATE_PREFIX: Final = "coach_rate_"
# Buttons repeated per row on App Home carry the row id after the colon (action_ids must be
# unique within a view): action_item_done:42, home_log_1on1:U123, plan_edit:U123 ...
ACTION_ITEM_DONE: Final = "action_item_done"
ACTION_HOME_REQUEST_COACHING: Final = "home_request_coaching"
ACTION_HOME_LOG_ONE_ON_ONE: Final = "home_log_1on1"
ACTION_PLAN_EDIT: Final = "plan_edit"
ACTION_SET_CADENCE: Final = "set_cadence"
ACTION_EDIT_COACHING_DEFAULTS: Final = "edit_coaching_defaults"
# Picking the rep in the 1:1 modal refreshes its agenda (carried items, debriefs).
ACTION_ONE_ON_ONE_REP: Final = "one_on_one_rep"

# --- Reflection prompts and schedules (issue 5) ------------------------------------------------
# Buttons on a prompt DM (value: "<occurrence id>|<outbox key of that message>").
ACTION_PROMPT_ANSWER: Final = "prompt_answer"
ACTION_PROMPT_SKIP: Final = "prompt_skip"
ACTION_PROMPT_LATER: Final = "prompt_later"
# The reflection modal (private_metadata: the same value as the button).
VIEW_REFLECTION: Final = "reflection"
# Sales ops' App Home: one button per schedule carries its id after the colon
# (schedule_edit:3, schedule_pause:3, schedule_resume:3, schedule_delete:3).
ACTION_SCHEDULE_NEW: Final = "schedule_new"
ACTION_SCHEDULE_EDIT: Final = "schedule_edit"
ACTION_SCHEDULE_PAUSE: Final = "schedule_pause"
ACTION_SCHEDULE_RESUME: Final = "schedule_resume"
ACTION_SCHEDULE_DELETE: Final = "schedule_delete"
# The schedule modal (private_metadata: the schedule id, empty for a new one).
VIEW_SCHEDULE: Final = "schedule"

# --- Nudges (issue 4) -----------------------------------------------------------------------
# Buttons on a nudge DM (value: the nudge id). Handled in bot/slack/listeners/nudges.py.
ACTION_NUDGE_COACH: Final = "nudge_coach"
ACTION_NUDGE_HAND_BACK: Final = "nudge_hand_back"
ACTION_NUDGE_NEEDED: Final = "nudge_needed"
ACTION_NUDGE_REFLECT: Final = "nudge_reflect"
ACTION_NUDGE_DEBRIEF: Final = "nudge_debrief"
# The nudge's "More" menu (an overflow); the three below are its options' keys.
ACTION_NUDGE_MORE: Final = "nudge_more"
ACTION_NUDGE_SNOOZE_TODAY: Final = "nudge_snooze_today"
ACTION_NUDGE_SNOOZE_WEEK: Final = "nudge_snooze_week"
ACTION_NUDGE_MUTE: Final = "nudge_mute"
# Modals (private_metadata: {"nudge": id}).
VIEW_NUDGE_COACH: Final = "nudge_coach"
VIEW_NUDGE_NEEDED: Final = "nudge_needed"
VIEW_NUDGE_REFLECT: Final = "nudge_reflect"
