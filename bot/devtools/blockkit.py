"""Block Kit validation that fails where Slack would answer ``invalid_blocks``.

Slack rejects a whole message or view for one bad block, and only at runtime, so the emulator
(and the Block Kit builders' unit tests) run every payload through these checks. Two layers:

* our own structural walk, which knows Slack's documented limits (50 blocks per message, 100
  per view, 24-character modal titles, 75-character button labels, unique ``action_id`` per
  view, unique ``block_id``, ``plain_text`` where Slack insists on it, ...) and reports every
  problem with a path such as ``blocks[2].elements[0].text``;
* slack_sdk's own models (``Block.parse(...).to_dict()`` runs their validators), for the
  limits it knows and we did not repeat. It only runs on blocks our walk found clean, so a
  problem is not reported twice.

Both functions are pure: they take JSON-shaped data and return a list of human-readable
problems, empty when the payload is fine.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any, Final

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

MAX_MESSAGE_BLOCKS: Final = 50
MAX_VIEW_BLOCKS: Final = 100
MAX_MODAL_TITLE: Final = 24
MAX_MODAL_BUTTON: Final = 24
MAX_PRIVATE_METADATA: Final = 3000
MAX_ID: Final = 255  # block_id, action_id, callback_id, external_id
MAX_SECTION_TEXT: Final = 3000
MAX_SECTION_FIELDS: Final = 10
MAX_FIELD_TEXT: Final = 2000
MAX_HEADER_TEXT: Final = 150
MAX_BUTTON_TEXT: Final = 75
MAX_BUTTON_VALUE: Final = 2000
MAX_URL: Final = 3000
MAX_LABEL: Final = 2000
MAX_PLACEHOLDER: Final = 150
MAX_OPTION_TEXT: Final = 75
MAX_OPTION_VALUE: Final = 150
MAX_SELECT_OPTIONS: Final = 100
MAX_OVERFLOW_OPTIONS: Final = 5
MAX_CHOICE_OPTIONS: Final = 10  # checkboxes, radio_buttons
MAX_ACTIONS_ELEMENTS: Final = 25
MAX_CONTEXT_ELEMENTS: Final = 10
MAX_MARKDOWN_TEXT: Final = 12000
MAX_ALT_TEXT: Final = 2000

BLOCK_TYPES: Final = frozenset(
    {
        "actions",
        "call",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "table",
        "video",
    }
)
TEXT_TYPES: Final = frozenset({"plain_text", "mrkdwn"})
SELECT_TYPES: Final = frozenset(
    {
        "static_select",
        "multi_static_select",
        "external_select",
        "multi_external_select",
        "users_select",
        "multi_users_select",
        "conversations_select",
        "multi_conversations_select",
        "channels_select",
        "multi_channels_select",
    }
)
# Interactive elements (they carry an action_id) that Slack documents for actions/section/input.
ELEMENT_TYPES: Final = SELECT_TYPES | frozenset(
    {
        "button",
        "checkboxes",
        "datepicker",
        "datetimepicker",
        "email_text_input",
        "file_input",
        "image",
        "number_input",
        "overflow",
        "plain_text_input",
        "radio_buttons",
        "rich_text_input",
        "timepicker",
        "url_text_input",
        "workflow_button",
    }
)
VIEW_TYPES: Final = frozenset({"modal", "home"})


class _Walk:
    """Accumulates problems and the ids seen so far within one message or view."""

    def __init__(self, *, view_wide_action_ids: bool) -> None:
        self.problems: list[str] = []
        self.block_ids: set[str] = set()
        self.view_wide_action_ids = view_wide_action_ids
        self.action_ids: set[str] = set()

    def add(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    # -- text objects -------------------------------------------------------------------------

    def text(
        self,
        path: str,
        value: object,
        *,
        max_length: int,
        plain_only: bool = False,
        required: bool = True,
    ) -> None:
        if value is None:
            if required:
                self.add(path, "is required")
            return
        if not isinstance(value, Mapping):
            self.add(path, "must be a text object like {'type': 'plain_text', 'text': '...'}")
            return
        kind = value.get("type")
        if kind not in TEXT_TYPES:
            self.add(path, f"text object type must be plain_text or mrkdwn, not {kind!r}")
        elif plain_only and kind != "plain_text":
            self.add(path, "must be plain_text here (mrkdwn is not allowed)")
        body = value.get("text")
        if not isinstance(body, str) or body == "":
            self.add(path, "text must be a non-empty string")
        elif len(body) > max_length:
            self.add(path, f"text is {len(body)} characters; the limit is {max_length}")

    def string(self, path: str, value: object, *, max_length: int, required: bool) -> None:
        if value is None:
            if required:
                self.add(path, "is required")
            return
        if not isinstance(value, str):
            self.add(path, "must be a string")
        elif value == "" and required:
            self.add(path, "must not be empty")
        elif len(value) > max_length:
            self.add(path, f"is {len(value)} characters; the limit is {max_length}")

    # -- ids ----------------------------------------------------------------------------------

    def block_id(self, path: str, value: object) -> None:
        if value is None:
            return
        self.string(path, value, max_length=MAX_ID, required=True)
        if isinstance(value, str):
            if value in self.block_ids:
                self.add(path, f"duplicate block_id {value!r}")
            self.block_ids.add(value)

    def action_id(self, path: str, value: object, seen_in_block: set[str]) -> None:
        if value is None:
            return  # Slack generates one
        self.string(path, value, max_length=MAX_ID, required=True)
        if not isinstance(value, str):
            return
        seen = self.action_ids if self.view_wide_action_ids else seen_in_block
        if value in seen:
            where = "view" if self.view_wide_action_ids else "block"
            self.add(path, f"duplicate action_id {value!r} in this {where}")
        seen.add(value)

    # -- options ------------------------------------------------------------------------------

    def options(self, path: str, value: object, *, limit: int, plain_only: bool) -> None:
        if not isinstance(value, list) or not value:
            self.add(path, "must be a non-empty list")
            return
        if len(value) > limit:
            self.add(path, f"has {len(value)} options; the limit is {limit}")
        values: set[str] = set()
        for i, option in enumerate(value):
            opath = f"{path}[{i}]"
            if not isinstance(option, Mapping):
                self.add(opath, "must be an option object")
                continue
            self.text(
                f"{opath}.text",
                option.get("text"),
                max_length=MAX_OPTION_TEXT,
                plain_only=plain_only,
            )
            self.string(
                f"{opath}.value", option.get("value"), max_length=MAX_OPTION_VALUE, required=True
            )
            if isinstance(option.get("value"), str):
                if option["value"] in values:
                    self.add(f"{opath}.value", f"duplicate option value {option['value']!r}")
                values.add(option["value"])

    def confirm(self, path: str, value: object) -> None:
        if value is None:
            return
        if not isinstance(value, Mapping):
            self.add(path, "must be a confirmation dialog object")
            return
        for key in ("title", "confirm", "deny"):
            self.text(f"{path}.{key}", value.get(key), max_length=100, plain_only=True)
        self.text(f"{path}.text", value.get("text"), max_length=300)

    # -- elements -----------------------------------------------------------------------------

    def element(self, path: str, element: object, seen_in_block: set[str]) -> None:
        if not isinstance(element, Mapping):
            self.add(path, "must be an element object")
            return
        kind = element.get("type")
        if kind not in ELEMENT_TYPES:
            self.add(path, f"unknown element type {kind!r}")
            return
        if kind == "image":
            self.string(
                f"{path}.alt_text", element.get("alt_text"), max_length=MAX_ALT_TEXT, required=True
            )
            if element.get("image_url") is None and element.get("slack_file") is None:
                self.add(path, "image needs image_url or slack_file")
            return
        self.action_id(f"{path}.action_id", element.get("action_id"), seen_in_block)
        self.confirm(f"{path}.confirm", element.get("confirm"))
        if kind == "button":
            self.text(
                f"{path}.text", element.get("text"), max_length=MAX_BUTTON_TEXT, plain_only=True
            )
            self.string(
                f"{path}.value", element.get("value"), max_length=MAX_BUTTON_VALUE, required=False
            )
            self.string(f"{path}.url", element.get("url"), max_length=MAX_URL, required=False)
            style = element.get("style")
            if style is not None and style not in ("primary", "danger"):
                self.add(f"{path}.style", f"must be 'primary' or 'danger', not {style!r}")
            return
        if "placeholder" in element:
            self.text(
                f"{path}.placeholder",
                element.get("placeholder"),
                max_length=MAX_PLACEHOLDER,
                plain_only=True,
            )
        if kind in ("static_select", "multi_static_select"):
            if "option_groups" in element:
                groups = element["option_groups"]
                if not isinstance(groups, list) or not groups:
                    self.add(f"{path}.option_groups", "must be a non-empty list")
                else:
                    for g, group in enumerate(groups):
                        if isinstance(group, Mapping):
                            self.options(
                                f"{path}.option_groups[{g}].options",
                                group.get("options"),
                                limit=MAX_SELECT_OPTIONS,
                                plain_only=True,
                            )
            else:
                self.options(
                    f"{path}.options",
                    element.get("options"),
                    limit=MAX_SELECT_OPTIONS,
                    plain_only=True,
                )
        elif kind == "overflow":
            self.options(
                f"{path}.options",
                element.get("options"),
                limit=MAX_OVERFLOW_OPTIONS,
                plain_only=True,
            )
        elif kind in ("checkboxes", "radio_buttons"):
            self.options(
                f"{path}.options",
                element.get("options"),
                limit=MAX_CHOICE_OPTIONS,
                plain_only=False,
            )

    # -- blocks -------------------------------------------------------------------------------

    def block(self, path: str, block: object) -> None:
        if not isinstance(block, Mapping):
            self.add(path, "must be a block object")
            return
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            self.add(path, f"unknown block type {kind!r}")
            return
        before = len(self.problems)
        self.block_id(f"{path}.block_id", block.get("block_id"))
        seen_in_block: set[str] = set()
        if kind == "section":
            if block.get("text") is None and block.get("fields") is None:
                self.add(path, "section needs text or fields")
            self.text(
                f"{path}.text", block.get("text"), max_length=MAX_SECTION_TEXT, required=False
            )
            fields = block.get("fields")
            if fields is not None:
                if not isinstance(fields, list) or not fields:
                    self.add(f"{path}.fields", "must be a non-empty list")
                else:
                    if len(fields) > MAX_SECTION_FIELDS:
                        self.add(
                            f"{path}.fields",
                            f"has {len(fields)} fields; the limit is {MAX_SECTION_FIELDS}",
                        )
                    for i, field in enumerate(fields):
                        self.text(f"{path}.fields[{i}]", field, max_length=MAX_FIELD_TEXT)
            if block.get("accessory") is not None:
                self.element(f"{path}.accessory", block["accessory"], seen_in_block)
        elif kind == "header":
            self.text(
                f"{path}.text", block.get("text"), max_length=MAX_HEADER_TEXT, plain_only=True
            )
        elif kind == "actions":
            self._elements(path, block.get("elements"), MAX_ACTIONS_ELEMENTS, seen_in_block)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.add(f"{path}.elements", "must be a non-empty list")
            else:
                if len(elements) > MAX_CONTEXT_ELEMENTS:
                    self.add(
                        f"{path}.elements",
                        f"has {len(elements)} elements; the limit is {MAX_CONTEXT_ELEMENTS}",
                    )
                for i, element in enumerate(elements):
                    epath = f"{path}.elements[{i}]"
                    if isinstance(element, Mapping) and element.get("type") == "image":
                        self.element(epath, element, seen_in_block)
                    else:
                        self.text(epath, element, max_length=MAX_SECTION_TEXT)
        elif kind == "input":
            self.text(f"{path}.label", block.get("label"), max_length=MAX_LABEL, plain_only=True)
            self.text(
                f"{path}.hint",
                block.get("hint"),
                max_length=MAX_LABEL,
                plain_only=True,
                required=False,
            )
            if block.get("element") is None:
                self.add(f"{path}.element", "is required")
            else:
                self.element(f"{path}.element", block["element"], seen_in_block)
        elif kind == "image":
            self.element(path, {**block, "type": "image"}, seen_in_block)
            self.text(
                f"{path}.title",
                block.get("title"),
                max_length=MAX_ALT_TEXT,
                plain_only=True,
                required=False,
            )
        elif kind == "markdown":
            self.string(
                f"{path}.text", block.get("text"), max_length=MAX_MARKDOWN_TEXT, required=True
            )
        if len(self.problems) == before:
            self._sdk_check(path, block)

    def _elements(self, path: str, elements: object, limit: int, seen: set[str]) -> None:
        if not isinstance(elements, list) or not elements:
            self.add(f"{path}.elements", "must be a non-empty list")
            return
        if len(elements) > limit:
            self.add(f"{path}.elements", f"has {len(elements)} elements; the limit is {limit}")
        for i, element in enumerate(elements):
            self.element(f"{path}.elements[{i}]", element, seen)

    def _sdk_check(self, path: str, block: Mapping[str, Any]) -> None:
        """Let slack_sdk's validators look at a block our walk found clean."""
        try:
            parsed = Block.parse(copy.deepcopy(dict(block)))
            if parsed is not None:
                parsed.to_dict()
        except SlackObjectFormationError as error:
            self.add(path, str(error))
        except (TypeError, ValueError, KeyError, AttributeError) as error:
            self.add(path, f"slack_sdk could not read this block ({type(error).__name__}: {error})")

    def blocks(self, path: str, blocks: object, *, limit: int) -> None:
        if not isinstance(blocks, list):
            self.add(path, "must be a list of blocks")
            return
        if len(blocks) > limit:
            self.add(path, f"has {len(blocks)} blocks; the limit is {limit}")
        for i, block in enumerate(blocks):
            self.block(f"{path}[{i}]", block)


def validate_message_blocks(blocks: object) -> list[str]:
    """Problems with a message's ``blocks`` (chat.postMessage/update/postEphemeral); [] if fine.

    ``action_id`` must be unique within each block (Slack's rule for messages); ``block_id``
    within the message.
    """
    walk = _Walk(view_wide_action_ids=False)
    walk.blocks("blocks", blocks, limit=MAX_MESSAGE_BLOCKS)
    return walk.problems


def validate_view(view: object) -> list[str]:
    """Problems with a view payload (views.open/push/update/publish); [] if fine."""
    walk = _Walk(view_wide_action_ids=True)
    if not isinstance(view, Mapping):
        return ["view: must be an object"]
    kind = view.get("type")
    if kind not in VIEW_TYPES:
        walk.add("view.type", f"must be 'modal' or 'home', not {kind!r}")
    if kind == "modal":
        walk.text("view.title", view.get("title"), max_length=MAX_MODAL_TITLE, plain_only=True)
        for key in ("submit", "close"):
            walk.text(
                f"view.{key}",
                view.get(key),
                max_length=MAX_MODAL_BUTTON,
                plain_only=True,
                required=False,
            )
        if view.get("submit") is None and any(_input_blocks(view.get("blocks"))):
            walk.add("view.submit", "a modal with input blocks needs a submit button")
    elif kind == "home":
        for key in ("submit", "close"):
            if view.get(key) is not None:
                walk.add(f"view.{key}", "a home tab cannot have submit or close")
        walk.text(
            "view.title",
            view.get("title"),
            max_length=MAX_MODAL_TITLE,
            plain_only=True,
            required=False,
        )
    walk.string(
        "view.private_metadata",
        view.get("private_metadata"),
        max_length=MAX_PRIVATE_METADATA,
        required=False,
    )
    for key in ("callback_id", "external_id"):
        walk.string(f"view.{key}", view.get(key), max_length=MAX_ID, required=False)
    if "blocks" not in view:
        walk.add("view.blocks", "is required")
    else:
        walk.blocks("view.blocks", view["blocks"], limit=MAX_VIEW_BLOCKS)
    return walk.problems


def _input_blocks(blocks: object) -> Iterator[bool]:
    if isinstance(blocks, list):
        for block in blocks:
            yield isinstance(block, Mapping) and block.get("type") == "input"
