"""The checks Slack applies to Block Kit payloads, so that the stand-in refuses what Slack would
refuse: a test that passes against the stand-in then means the payload is valid for Slack.

Every check yields `Problem`s that carry Slack's own wording and JSON pointer
(`must be less than 25 characters [json-pointer:/view/title/text]`) plus a human detail naming
the documented limit and the page it comes from. Limits follow docs.slack.dev; two rules are
deliberately stricter than Slack and say so in their detail: a message with `blocks` must carry
a `text` fallback, and input blocks never go into messages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

DOCS = "https://docs.slack.dev/reference"
BLOCKS_DOC = f"{DOCS}/block-kit/blocks"
ELEMENTS_DOC = f"{DOCS}/block-kit/block-elements"
COMPOSITION_DOC = f"{DOCS}/block-kit/composition-objects"
MODAL_DOC = f"{DOCS}/views/modal-views"
HOME_DOC = f"{DOCS}/views/home-tab-views"
POST_MESSAGE_DOC = f"{DOCS}/methods/chat.postMessage"

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000
MAX_ATTACHMENTS = 100
MAX_VIEW_BYTES = 250_000
MAX_ID = 255


class Surface(StrEnum):
    """Where blocks are shown; some blocks and limits depend on it."""

    MESSAGE = "message"
    MODAL = "modal"
    HOME = "home"


@dataclass(frozen=True)
class Problem:
    """One thing Slack would object to, located by a JSON pointer into the request."""

    pointer: str
    message: str
    detail: str = ""

    def schema_line(self) -> str:
        """The line Slack puts into a response's `errors` list."""
        return f"{self.message} [json-pointer:{self.pointer}]"

    def metadata_line(self) -> str:
        """The line for `response_metadata.messages`, with our human detail appended."""
        line = f"[ERROR] {self.schema_line()}"
        return f"{line} — {self.detail}" if self.detail else line


@dataclass(frozen=True)
class Rejection:
    """Slack's verdict on a request: an error name and the problems behind it."""

    error: str
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    def as_response(self) -> dict[str, Any]:
        """The body Slack answers with (HTTP 200, `ok: false`)."""
        body: dict[str, Any] = {"ok": False, "error": self.error}
        if self.problems:
            body["errors"] = [problem.schema_line() for problem in self.problems]
            body["response_metadata"] = {"messages": [p.metadata_line() for p in self.problems]}
        return body

    def describe(self) -> str:
        """One readable paragraph, for assertion messages and the demo transcript."""
        lines = [self.error] + [f"  {p.metadata_line()}" for p in self.problems]
        return "\n".join(lines)


def rejection(error: str, problems: Iterable[Problem]) -> Rejection | None:
    """A Rejection when there are problems, else None."""
    found = tuple(problems)
    return Rejection(error, found) if found else None


# ---------------------------------------------------------------- small shared checks


def _too_long(at: str, limit: int, what: str, got: int, doc: str) -> Problem:
    return Problem(at, f"must be less than {limit + 1} characters",
                   f"{what}: at most {limit} characters, got {got} ({doc})")


def _too_many(at: str, limit: int, what: str, got: int, doc: str) -> Problem:
    return Problem(at, f"no more than {limit} items allowed",
                   f"{what}: at most {limit}, got {got} ({doc})")


def _string(value: Any, at: str, *, limit: int, what: str, doc: str,
            required: bool = False) -> Iterator[Problem]:
    """A plain string field with a maximum length."""
    if value is None:
        if required:
            yield Problem(at, "must be provided", f"{what} is required ({doc})")
        return
    if not isinstance(value, str):
        yield Problem(at, "must be a string", f"{what} must be a string ({doc})")
    elif required and not value:
        yield Problem(at, "must be more than 0 characters", f"{what} must not be empty ({doc})")
    elif len(value) > limit:
        yield _too_long(at, limit, what, len(value), doc)


def _flag(value: Any, at: str, what: str) -> Iterator[Problem]:
    if value is not None and not isinstance(value, bool):
        yield Problem(at, "must be a boolean", f"{what} must be true or false")


def text_object(obj: Any, at: str, *, limit: int, what: str, doc: str,
                plain_only: bool = False, required: bool = True) -> Iterator[Problem]:
    """A text composition object: `plain_text` or `mrkdwn`, non-empty, within `limit`.

    https://docs.slack.dev/reference/block-kit/composition-objects/text-object
    """
    if obj is None:
        if required:
            yield Problem(at, "must be provided", f"{what} is required ({doc})")
        return
    if not isinstance(obj, Mapping):
        yield Problem(at, "must be an object",
                      f"{what} must be a text object {{'type': 'plain_text', 'text': …}} ({doc})")
        return
    kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    kind = obj.get("type")
    if kind not in kinds:
        yield Problem(f"{at}/type", "must be a valid enum value",
                      f"{what} must be {' or '.join(kinds)}, got {kind!r} ({doc})")
    text = obj.get("text")
    if not isinstance(text, str):
        yield Problem(f"{at}/text", "must be a string", f"{what} needs a string `text` ({doc})")
    elif not text:
        yield Problem(f"{at}/text", "must be more than 0 characters", f"{what} is empty ({doc})")
    elif len(text) > limit:
        yield _too_long(f"{at}/text", limit, what, len(text), doc)
    if kind == "mrkdwn" and "emoji" in obj:
        yield Problem(f"{at}/emoji", "must not be present",
                      f"`emoji` is only allowed on plain_text ({COMPOSITION_DOC}/text-object)")
    if kind == "plain_text" and "verbatim" in obj:
        yield Problem(f"{at}/verbatim", "must not be present",
                      f"`verbatim` is only allowed on mrkdwn ({COMPOSITION_DOC}/text-object)")


def _list(value: Any, at: str, *, what: str, doc: str, low: int, high: int,
          required: bool = True) -> Iterator[Problem]:
    """An array with item-count bounds; yields nothing else about its items."""
    if value is None:
        if required:
            yield Problem(at, "must be provided", f"{what} is required ({doc})")
        return
    if not isinstance(value, list):
        yield Problem(at, "must be an array", f"{what} must be a list ({doc})")
    elif len(value) < low:
        yield Problem(at, f"must provide at least {low} items",
                      f"{what}: at least {low}, got {len(value)} ({doc})")
    elif len(value) > high:
        yield _too_many(at, high, what, len(value), doc)


def _items(value: Any) -> list[tuple[int, Any]]:
    return list(enumerate(value)) if isinstance(value, list) else []


# ---------------------------------------------------------------- composition objects

OPTION_DOC = f"{COMPOSITION_DOC}/option-object"
OPTION_GROUP_DOC = f"{COMPOSITION_DOC}/option-group-object"
CONFIRM_DOC = f"{COMPOSITION_DOC}/confirmation-dialog-object"


def option(obj: Any, at: str, *, plain_only: bool, url_allowed: bool = False) -> Iterator[Problem]:
    """Option object: text ≤ 75, value ≤ 150, description ≤ 75, url only in overflow menus."""
    if not isinstance(obj, Mapping):
        yield Problem(at, "must be an object", f"an option must be an object ({OPTION_DOC})")
        return
    yield from text_object(obj.get("text"), f"{at}/text", limit=75, what="option text",
                           doc=OPTION_DOC, plain_only=plain_only)
    yield from _string(obj.get("value"), f"{at}/value", limit=150, what="option value",
                       doc=OPTION_DOC, required=True)
    yield from text_object(obj.get("description"), f"{at}/description", limit=75,
                           what="option description", doc=OPTION_DOC, plain_only=plain_only,
                           required=False)
    if "url" in obj:
        if url_allowed:
            yield from _string(obj.get("url"), f"{at}/url", limit=3000, what="option url",
                               doc=OPTION_DOC)
        else:
            yield Problem(f"{at}/url", "must not be present",
                          f"option `url` is only available in overflow menus ({OPTION_DOC})")


def options(value: Any, at: str, *, low: int, high: int, what: str, doc: str,
            plain_only: bool, url_allowed: bool = False) -> Iterator[Problem]:
    """A list of options with count bounds and each option checked."""
    yield from _list(value, at, what=what, doc=doc, low=low, high=high)
    for index, item in _items(value):
        yield from option(item, f"{at}/{index}", plain_only=plain_only, url_allowed=url_allowed)


def option_groups(value: Any, at: str, *, doc: str) -> Iterator[Problem]:
    """Option groups: ≤ 100 groups, label plain_text ≤ 75, ≤ 100 options each."""
    yield from _list(value, at, what="option_groups", doc=OPTION_GROUP_DOC, low=1, high=100)
    for index, group in _items(value):
        here = f"{at}/{index}"
        if not isinstance(group, Mapping):
            yield Problem(here, "must be an object", f"an option group must be an object ({doc})")
            continue
        yield from text_object(group.get("label"), f"{here}/label", limit=75,
                               what="option group label", doc=OPTION_GROUP_DOC, plain_only=True)
        yield from options(group.get("options"), f"{here}/options", low=1, high=100,
                           what="options in a group", doc=OPTION_GROUP_DOC, plain_only=True)


def confirm(obj: Any, at: str) -> Iterator[Problem]:
    """Confirmation dialog: title ≤ 100, text ≤ 300, confirm/deny ≤ 30, style primary|danger."""
    if obj is None:
        return
    if not isinstance(obj, Mapping):
        yield Problem(at, "must be an object", f"confirm must be an object ({CONFIRM_DOC})")
        return
    yield from text_object(obj.get("title"), f"{at}/title", limit=100, what="confirm title",
                           doc=CONFIRM_DOC, plain_only=True)
    yield from text_object(obj.get("text"), f"{at}/text", limit=300, what="confirm text",
                           doc=CONFIRM_DOC)
    yield from text_object(obj.get("confirm"), f"{at}/confirm", limit=30,
                           what="confirm button text", doc=CONFIRM_DOC, plain_only=True)
    yield from text_object(obj.get("deny"), f"{at}/deny", limit=30, what="deny button text",
                           doc=CONFIRM_DOC, plain_only=True)
    yield from _style(obj.get("style"), f"{at}/style", CONFIRM_DOC)


def _style(value: Any, at: str, doc: str) -> Iterator[Problem]:
    if value is not None and value not in ("primary", "danger"):
        yield Problem(at, "must be a valid enum value",
                      f"style must be 'primary' or 'danger' (or left out), got {value!r} ({doc})")


def _initial_subset(chosen: Any, available: Any, at: str, doc: str) -> Iterator[Problem]:
    """initial_option(s) must exactly match options the element offers."""
    offered = [o for _, o in _items(available) if isinstance(o, Mapping)]
    picks = chosen if isinstance(chosen, list) else [chosen]
    for index, pick in enumerate(picks):
        if pick is None:
            continue
        here = f"{at}/{index}" if isinstance(chosen, list) else at
        if not isinstance(pick, Mapping) or not any(_same_option(pick, o) for o in offered):
            yield Problem(here, "must match one of the provided options",
                          f"an initial option must exactly match an entry of `options` ({doc})")


def _same_option(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return a.get("value") == b.get("value") and a.get("text") == b.get("text")


# ---------------------------------------------------------------- block elements


@dataclass
class _Ids:
    """Ids seen so far in one surface: block_ids must be unique in it, action_ids in a block."""

    block_ids: set[str] = field(default_factory=set)
    action_ids: set[str] = field(default_factory=set)


def _action_id(element: Mapping[str, Any], at: str, ids: _Ids, doc: str) -> Iterator[Problem]:
    value = element.get("action_id")
    yield from _string(value, f"{at}/action_id", limit=MAX_ID, what="action_id", doc=doc)
    if isinstance(value, str):
        if value in ids.action_ids:
            yield Problem(f"{at}/action_id", "must be unique",
                          f"action_id {value!r} is used twice in this block; action_ids must be "
                          f"unique among the elements of their block ({doc})")
        ids.action_ids.add(value)


def _placeholder(element: Mapping[str, Any], at: str, doc: str) -> Iterator[Problem]:
    yield from text_object(element.get("placeholder"), f"{at}/placeholder", limit=150,
                           what="placeholder", doc=doc, plain_only=True, required=False)


def button(el: Mapping[str, Any], at: str, ids: _Ids) -> Iterator[Problem]:
    """Button: text plain_text ≤ 75, value ≤ 2000, url ≤ 3000, style primary|danger."""
    doc = f"{ELEMENTS_DOC}/button-element"
    yield from text_object(el.get("text"), f"{at}/text", limit=75, what="button text", doc=doc,
                           plain_only=True)
    yield from _action_id(el, at, ids, doc)
    yield from _string(el.get("value"), f"{at}/value", limit=2000, what="button value", doc=doc)
    yield from _string(el.get("url"), f"{at}/url", limit=3000, what="button url", doc=doc)
    yield from _string(el.get("accessibility_label"), f"{at}/accessibility_label", limit=75,
                       what="accessibility_label", doc=doc)
    yield from _style(el.get("style"), f"{at}/style", doc)
    yield from confirm(el.get("confirm"), f"{at}/confirm")


def overflow(el: Mapping[str, Any], at: str, ids: _Ids) -> Iterator[Problem]:
    """Overflow menu: 2 to 5 plain_text options, which may carry a url."""
    doc = f"{ELEMENTS_DOC}/overflow-menu-element"
    yield from _action_id(el, at, ids, doc)
    yield from options(el.get("options"), f"{at}/options", low=2, high=5,
                       what="overflow options", doc=doc, plain_only=True, url_allowed=True)
    yield from confirm(el.get("confirm"), f"{at}/confirm")


def static_select(el: Mapping[str, Any], at: str, ids: _Ids) -> Iterator[Problem]:
    """Static (multi-)select: exactly one of options (≤ 100) or option_groups (≤ 100)."""
    multi = el.get("type", "").startswith("multi_")
    doc = f"{ELEMENTS_DOC}/{'multi-select-menu-element' if multi else 'select-menu-element'}"
    yield from _select_common(el, at, ids, doc, multi)
    has_options, has_groups = "options" in el, "option_groups" in el
    if has_options == has_groups:
        yield Problem(at, "must provide exactly one of `options` or `option_groups`",
                      f"a static select needs `options` or `option_groups`, not both ({doc})")
    if has_options:
        yield from options(el.get("options"), f"{at}/options", low=1, high=100,
                           what="select options", doc=doc, plain_only=True)
    if has_groups:
        yield from option_groups(el.get("option_groups"), f"{at}/option_groups", doc=doc)
    offered = el.get("options") or [o for _, g in _items(el.get("option_groups"))
                                    if isinstance(g, Mapping) for _, o in _items(g.get("options"))]
    key = "initial_options" if multi else "initial_option"
    if key in el:
        yield from _initial_subset(el[key], offered, f"{at}/{key}", doc)


def external_select(el: Mapping[str, Any], at: str, ids: _Ids) -> Iterator[Problem]:
    """External (multi-)select: options come from the app; min_query_length ≥ 0."""
    multi = el.get("type", "").startswith("multi_")
    doc = f"{ELEMENTS_DOC}/{'multi-select-menu-element' if multi else 'select-menu-element'}"
    yield from _select_common(el, at, ids, doc, multi)
    length = el.get("min_query_length")
    if length is not None and (not isinstance(length, int) or isinstance(length, bool)
                               or length < 0):
        yield Problem(f"{at}/min_query_length", "must be a non-negative integer",
                      f"min_query_length must be an integer ≥ 0 ({doc})")
    for key in ("options", "option_groups"):
        if key in el:
            yield Problem(f"{at}/{key}", "must not be present",
                          f"an external select loads its options from the app ({doc})")
    initial = el.get("initial_options" if multi else "initial_option")
    for index, item in enumerate(initial if isinstance(initial, list) else [initial]):
        if item is not None:
            yield from option(item, f"{at}/initial_option{'s/' + str(index) if multi else ''}",
                              plain_only=True)


def conversation_select(el: Mapping[str, Any], at: str, ids: _Ids) -> Iterator[Problem]:
    """users/conversations/channels selects and their multi variants."""
    multi = el.get("type", "").startswith("multi_")
    doc = f"{ELEMENTS_DOC}/{'multi-select-menu-element' if multi else 'select-menu-element'}"
    yield from _select_common(el, at, ids, doc, multi)


def _select_common(el: Mapping[str, Any], at: str, ids: _Ids, doc: str,
                   multi: bool) -> Iterator[Problem]:
    yield from _action_id(el, at, ids, doc)
    yield from _placeholder(el, at, doc)
    yield from confirm(el.get("confirm"), f"{at}/confirm")
    yield from _flag(el.get("focus_on_load"), f"{at}/focus_on_load", "focus_on_load")
    if multi and "max_selected_items" in el:
        count = el["max_selected_items"]
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            yield Problem(f"{at}/max_selected_items", "must be an integer of at least 1",
                          f"max_selected_items must be ≥ 1 ({doc})")


def checkboxes(el: Mapping[str, Any], at: str, ids: _Ids) -> Iterator[Problem]:
    """Checkboxes: 1 to 10 options (mrkdwn allowed); initial_options among them."""
    doc = f"{ELEMENTS_DOC}/checkboxes-element"
    yield from _choice_group(el, at, ids, doc, "checkbox options", "initial_options")


def radio_buttons(el: Mapping[str, Any], at: str, ids: _Ids) -> Iterator[Problem]:
    """Radio buttons: 1 to 10 options (mrkdwn allowed); initial_option among them."""
    doc = f"{ELEMENTS_DOC}/radio-button-group-element"
    yield from _choice_group(el, at, ids, doc, "radio button options", "initial_option")


def _choice_group(el: Mapping[str, Any], at: str, ids: _Ids, doc: str, what: str,
                  initial_key: str) -> Iterator[Problem]:
    yield from _action_id(el, at, ids, doc)
    yield from options(el.get("options"), f"{at}/options", low=1, high=10, what=what, doc=doc,
                       plain_only=False)
    if initial_key in el:
        yield from _initial_subset(el[initial_key], el.get("options"), f"{at}/{initial_key}", doc)
    yield from confirm(el.get("confirm"), f"{at}/confirm")


def plain_text_input(el: Mapping[str, Any], at: str, ids: _Ids) -> Iterator[Problem]:
    """Plain-text input: min_length 0–3000, max_length 1–3000, min ≤ max, placeholder ≤ 150."""
    doc = f"{ELEMENTS_DOC}/plain-text-input-element"
    yield from _action_id(el, at, ids, doc)
    yield from _placeholder(el, at, doc)
    yield from _flag(el.get("multiline"), f"{at}/multiline", "multiline")
    low, high = el.get("min_length"), el.get("max_length")
    yield from _bounded_int(low, f"{at}/min_length", 0, 3000, "min_length", doc)
    yield from _bounded_int(high, f"{at}/max_length", 1, 3000, "max_length", doc)
    if isinstance(low, int) and isinstance(high, int) and low > high:
        yield Problem(f"{at}/min_length", "must not exceed max_length",
                      f"min_length {low} is larger than max_length {high} ({doc})")
    initial = el.get("initial_value")
    if isinstance(initial, str) and isinstance(high, int) and len(initial) > high:
        yield _too_long(f"{at}/initial_value", high, "initial_value", len(initial), doc)


def _bounded_int(value: Any, at: str, low: int, high: int, what: str,
                 doc: str) -> Iterator[Problem]:
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        yield Problem(at, f"must be an integer between {low} and {high}",
                      f"{what} must be between {low} and {high}, got {value!r} ({doc})")


DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def datepicker(el: Mapping[str, Any], at: str, ids: _Ids) -> Iterator[Problem]:
    """Date picker: initial_date as YYYY-MM-DD."""
    doc = f"{ELEMENTS_DOC}/date-picker-element"
    yield from _action_id(el, at, ids, doc)
    yield from _placeholder(el, at, doc)
    yield from confirm(el.get("confirm"), f"{at}/confirm")
    initial = el.get("initial_date")
    if initial is not None and not (isinstance(initial, str) and DATE.match(initial)):
        yield Problem(f"{at}/initial_date", "must match format YYYY-MM-DD",
                      f"initial_date must look like 2024-12-31, got {initial!r} ({doc})")


def timepicker(el: Mapping[str, Any], at: str, ids: _Ids) -> Iterator[Problem]:
    """Time picker: initial_time as HH:mm (24 h)."""
    doc = f"{ELEMENTS_DOC}/time-picker-element"
    yield from _action_id(el, at, ids, doc)
    yield from _placeholder(el, at, doc)
    yield from confirm(el.get("confirm"), f"{at}/confirm")
    initial = el.get("initial_time")
    if initial is not None and not (isinstance(initial, str) and TIME.match(initial)):
        yield Problem(f"{at}/initial_time", "must match format HH:mm",
                      f"initial_time must look like 09:30, got {initial!r} ({doc})")


def datetimepicker(el: Mapping[str, Any], at: str, ids: _Ids) -> Iterator[Problem]:
    """Date-time picker: initial_date_time as a UNIX timestamp in seconds."""
    doc = f"{ELEMENTS_DOC}/datetime-picker-element"
    yield from _action_id(el, at, ids, doc)
    initial = el.get("initial_date_time")
    if initial is not None and (not isinstance(initial, int) or isinstance(initial, bool)):
        yield Problem(f"{at}/initial_date_time", "must be an integer",
                      f"initial_date_time is a UNIX timestamp in seconds ({doc})")


def file_input(el: Mapping[str, Any], at: str, ids: _Ids) -> Iterator[Problem]:
    """File input: max_files 1–10, filetypes a list of extensions."""
    doc = f"{ELEMENTS_DOC}/file-input-element"
    yield from _action_id(el, at, ids, doc)
    yield from _bounded_int(el.get("max_files"), f"{at}/max_files", 1, 10, "max_files", doc)
    types = el.get("filetypes")
    if types is not None and not (isinstance(types, list)
                                  and all(isinstance(t, str) and t for t in types)):
        yield Problem(f"{at}/filetypes", "must be an array of strings",
                      f"filetypes is a list of file extensions like ['pdf'] ({doc})")


def image_element(el: Mapping[str, Any], at: str, ids: _Ids) -> Iterator[Problem]:
    """Image element (context blocks, section accessory): alt_text and one image source."""
    doc = f"{ELEMENTS_DOC}/image-element"
    yield from _string(el.get("alt_text"), f"{at}/alt_text", limit=2000, what="image alt_text",
                       doc=doc, required=True)
    yield from _image_source(el, at, doc)


def _image_source(obj: Mapping[str, Any], at: str, doc: str) -> Iterator[Problem]:
    if ("image_url" in obj) == ("slack_file" in obj):
        yield Problem(at, "must provide exactly one of `image_url` or `slack_file`",
                      f"an image needs either image_url or slack_file ({doc})")
    yield from _string(obj.get("image_url"), f"{at}/image_url", limit=3000, what="image_url",
                       doc=doc)


def loose_input(el: Mapping[str, Any], at: str, ids: _Ids) -> Iterator[Problem]:
    """Email/URL/number/rich-text inputs and workflow buttons: ids and placeholder only."""
    doc = ELEMENTS_DOC
    yield from _action_id(el, at, ids, doc)
    yield from _placeholder(el, at, doc)
    if el.get("type") == "number_input" and not isinstance(el.get("is_decimal_allowed"), bool):
        yield Problem(f"{at}/is_decimal_allowed", "must be provided",
                      f"number_input needs is_decimal_allowed ({doc}/number-input-element)")
    if el.get("type") == "workflow_button":
        yield from text_object(el.get("text"), f"{at}/text", limit=75,
                               what="workflow button text", doc=doc, plain_only=True)


ELEMENT_CHECKS = {
    "button": button,
    "overflow": overflow,
    "static_select": static_select,
    "multi_static_select": static_select,
    "external_select": external_select,
    "multi_external_select": external_select,
    "users_select": conversation_select,
    "multi_users_select": conversation_select,
    "conversations_select": conversation_select,
    "multi_conversations_select": conversation_select,
    "channels_select": conversation_select,
    "multi_channels_select": conversation_select,
    "checkboxes": checkboxes,
    "radio_buttons": radio_buttons,
    "plain_text_input": plain_text_input,
    "datepicker": datepicker,
    "timepicker": timepicker,
    "datetimepicker": datetimepicker,
    "file_input": file_input,
    "image": image_element,
    "email_text_input": loose_input,
    "url_text_input": loose_input,
    "number_input": loose_input,
    "rich_text_input": loose_input,
    "workflow_button": loose_input,
}

SELECTS = {name for name in ELEMENT_CHECKS if name.endswith("_select")}
SECTION_ACCESSORIES = SELECTS | {"button", "checkboxes", "datepicker", "image", "overflow",
                                 "radio_buttons", "timepicker", "workflow_button"}
ACTIONS_ELEMENTS = SELECTS | {"button", "checkboxes", "datepicker", "datetimepicker", "overflow",
                              "plain_text_input", "radio_buttons", "timepicker", "workflow_button",
                              "rich_text_input", "email_text_input", "url_text_input",
                              "number_input"}
INPUT_ELEMENTS = SELECTS | {"checkboxes", "datepicker", "datetimepicker", "email_text_input",
                            "file_input", "number_input", "plain_text_input", "radio_buttons",
                            "rich_text_input", "timepicker", "url_text_input"}


def element(el: Any, at: str, ids: _Ids, *, allowed: set[str], where: str,
            doc: str) -> Iterator[Problem]:
    """Any block element: a known type that the containing block accepts, then its own checks."""
    if not isinstance(el, Mapping):
        yield Problem(at, "must be an object", f"an element must be an object ({doc})")
        return
    kind = el.get("type")
    if kind not in ELEMENT_CHECKS:
        yield Problem(f"{at}/type", f"unsupported type: {kind}",
                      f"{kind!r} is not a Block Kit element ({ELEMENTS_DOC})")
        return
    if kind not in allowed:
        yield Problem(f"{at}/type", f"unsupported type: {kind}",
                      f"a {kind} element cannot be used in {where} ({doc})")
        return
    yield from ELEMENT_CHECKS[kind](el, at, ids)


# ---------------------------------------------------------------- blocks


def section(block: Mapping[str, Any], at: str, ids: _Ids, surface: Surface) -> Iterator[Problem]:
    """Section: text ≤ 3000 and/or fields (≤ 10, each ≤ 2000); optional accessory."""
    doc = f"{BLOCKS_DOC}/section-block"
    if "text" not in block and "fields" not in block:
        yield Problem(at, "must define either `text` or `fields`",
                      f"a section needs text or fields ({doc})")
    yield from text_object(block.get("text"), f"{at}/text", limit=3000, what="section text",
                           doc=doc, required=False)
    if "fields" in block:
        yield from _list(block.get("fields"), f"{at}/fields", what="section fields", doc=doc,
                         low=1, high=10)
        for index, item in _items(block.get("fields")):
            yield from text_object(item, f"{at}/fields/{index}", limit=2000,
                                   what="section field", doc=doc)
    if "accessory" in block:
        yield from element(block["accessory"], f"{at}/accessory", ids,
                           allowed=SECTION_ACCESSORIES, where="a section accessory", doc=doc)
    yield from _flag(block.get("expand"), f"{at}/expand", "expand")


def header(block: Mapping[str, Any], at: str, ids: _Ids, surface: Surface) -> Iterator[Problem]:
    """Header: plain_text only, ≤ 150 characters."""
    doc = f"{BLOCKS_DOC}/header-block"
    yield from text_object(block.get("text"), f"{at}/text", limit=150, what="header text",
                           doc=doc, plain_only=True)


def divider(block: Mapping[str, Any], at: str, ids: _Ids, surface: Surface) -> Iterator[Problem]:
    """Divider: nothing to check beyond block_id."""
    return iter(())


def image_block(block: Mapping[str, Any], at: str, ids: _Ids,
                surface: Surface) -> Iterator[Problem]:
    """Image block: alt_text ≤ 2000, image_url ≤ 3000 or slack_file, title plain_text ≤ 2000."""
    doc = f"{BLOCKS_DOC}/image-block"
    yield from _string(block.get("alt_text"), f"{at}/alt_text", limit=2000,
                       what="image alt_text", doc=doc, required=True)
    yield from _image_source(block, at, doc)
    yield from text_object(block.get("title"), f"{at}/title", limit=2000, what="image title",
                           doc=doc, plain_only=True, required=False)


def actions(block: Mapping[str, Any], at: str, ids: _Ids, surface: Surface) -> Iterator[Problem]:
    """Actions: 1 to 25 interactive elements."""
    doc = f"{BLOCKS_DOC}/actions-block"
    yield from _list(block.get("elements"), f"{at}/elements", what="actions elements", doc=doc,
                     low=1, high=25)
    for index, item in _items(block.get("elements")):
        yield from element(item, f"{at}/elements/{index}", ids, allowed=ACTIONS_ELEMENTS,
                           where="an actions block", doc=doc)


def context(block: Mapping[str, Any], at: str, ids: _Ids, surface: Surface) -> Iterator[Problem]:
    """Context: 1 to 10 image elements or text objects."""
    doc = f"{BLOCKS_DOC}/context-block"
    yield from _list(block.get("elements"), f"{at}/elements", what="context elements", doc=doc,
                     low=1, high=10)
    for index, item in _items(block.get("elements")):
        here = f"{at}/elements/{index}"
        if isinstance(item, Mapping) and item.get("type") == "image":
            yield from image_element(item, here, ids)
        else:
            # Slack documents no length limit for context text; only the item count is checked.
            yield from text_object(item, here, limit=MAX_MESSAGE_TEXT, what="context text",
                                   doc=doc)


def input_block(block: Mapping[str, Any], at: str, ids: _Ids,
                surface: Surface) -> Iterator[Problem]:
    """Input: label plain_text ≤ 2000, one input element, hint ≤ 2000; never in messages here."""
    doc = f"{BLOCKS_DOC}/input-block"
    if surface is Surface.MESSAGE:
        yield Problem(f"{at}/type", "unsupported type: input",
                      "input blocks belong in modals (briefwerk rule, stricter than Slack: "
                      f"nobody can submit an input in a message) ({doc})")
    yield from text_object(block.get("label"), f"{at}/label", limit=2000, what="input label",
                           doc=doc, plain_only=True)
    yield from text_object(block.get("hint"), f"{at}/hint", limit=2000, what="input hint",
                           doc=doc, plain_only=True, required=False)
    if "element" not in block:
        yield Problem(f"{at}/element", "must be provided",
                      f"an input block needs an element ({doc})")
    else:
        yield from element(block["element"], f"{at}/element", ids, allowed=INPUT_ELEMENTS,
                           where="an input block", doc=doc)
    yield from _flag(block.get("optional"), f"{at}/optional", "optional")
    yield from _flag(block.get("dispatch_action"), f"{at}/dispatch_action", "dispatch_action")
    inner = block.get("element")
    if block.get("dispatch_action") and isinstance(inner, Mapping) \
            and inner.get("type") == "file_input":
        yield Problem(f"{at}/dispatch_action", "unsupported type: file_input",
                      f"dispatch_action cannot be used with a file_input element ({doc})")


def loose_block(block: Mapping[str, Any], at: str, ids: _Ids,
                surface: Surface) -> Iterator[Problem]:
    """rich_text, markdown, video, file, table, context_actions: known, checked loosely."""
    kind = block.get("type")
    required = {"rich_text": "elements", "markdown": "text", "file": "external_id",
                "table": "rows", "context_actions": "elements", "video": "video_url"}
    key = required.get(str(kind))
    if key and key not in block:
        page = f"{BLOCKS_DOC}/{str(kind).replace('_', '-')}-block"
        yield Problem(f"{at}/{key}", "must be provided", f"a {kind} block needs `{key}` ({page})")
    if kind == "file" and surface is not Surface.MESSAGE:
        yield Problem(f"{at}/type", "unsupported type: file",
                      f"file blocks only appear in messages ({BLOCKS_DOC}/file-block)")


BLOCK_CHECKS = {
    "section": section,
    "header": header,
    "divider": divider,
    "image": image_block,
    "actions": actions,
    "context": context,
    "input": input_block,
    "rich_text": loose_block,
    "markdown": loose_block,
    "video": loose_block,
    "file": loose_block,
    "table": loose_block,
    "context_actions": loose_block,
}


def check_blocks(blocks: Any, surface: Surface, at: str = "/blocks") -> list[Problem]:
    """All problems in a blocks array for a surface: count, types, fields, limits, ids."""
    limit = MAX_MESSAGE_BLOCKS if surface is Surface.MESSAGE else MAX_VIEW_BLOCKS
    doc = BLOCKS_DOC if surface is Surface.MESSAGE else (MODAL_DOC if surface is Surface.MODAL
                                                        else HOME_DOC)
    where = {Surface.MESSAGE: "blocks in a message", Surface.MODAL: "blocks in a modal",
             Surface.HOME: "blocks in the Home tab"}[surface]
    problems = list(_list(blocks, at, what=where, doc=doc, low=0, high=limit))
    seen_block_ids: set[str] = set()
    for index, block in _items(blocks):
        problems.extend(_block(block, f"{at}/{index}", surface, seen_block_ids))
    return problems


def _block(block: Any, at: str, surface: Surface, seen: set[str]) -> Iterator[Problem]:
    if not isinstance(block, Mapping):
        yield Problem(at, "must be an object", f"a block must be an object ({BLOCKS_DOC})")
        return
    kind = block.get("type")
    if kind not in BLOCK_CHECKS:
        yield Problem(f"{at}/type", f"unsupported type: {kind}",
                      f"{kind!r} is not a known block type ({BLOCKS_DOC})")
        return
    block_id = block.get("block_id")
    yield from _string(block_id, f"{at}/block_id", limit=MAX_ID, what="block_id",
                       doc=BLOCKS_DOC)
    if isinstance(block_id, str):
        if block_id in seen:
            yield Problem(f"{at}/block_id", "must be unique",
                          f"block_id {block_id!r} is used twice; block_ids must be unique within "
                          f"a message or view ({BLOCKS_DOC})")
        seen.add(block_id)
    yield from BLOCK_CHECKS[kind](block, at, _Ids(), surface)


# ---------------------------------------------------------------- messages


def _is_flag_set(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))


def check_message(params: Mapping[str, Any]) -> Rejection | None:
    """A message as sent to chat.postMessage/update/postEphemeral or a response_url.

    Slack requires `text` only without blocks and attachments and merely warns otherwise;
    briefwerk requires the fallback whenever blocks are given, because notifications, screen
    readers and search show `text`, not the blocks.
    """
    text, blocks = params.get("text"), params.get("blocks")
    attachments = params.get("attachments")
    if blocks is not None and not isinstance(blocks, list):
        return Rejection("invalid_blocks_format", (Problem("/blocks", "must be an array",
                         f"blocks must be a JSON array ({POST_MESSAGE_DOC})"),))
    if text is not None and not isinstance(text, str):
        return Rejection("invalid_arguments", (Problem("/text", "must be a string",
                         f"text must be a string ({POST_MESSAGE_DOC})"),))
    has_text = isinstance(text, str) and text.strip() != ""
    if blocks and not has_text:
        return Rejection("no_text", (Problem("/text", "must be provided",
                         "a message with blocks needs a `text` fallback (briefwerk rule, "
                         "stricter than Slack, which only warns): notifications, screen readers "
                         f"and search show `text`, not the blocks ({POST_MESSAGE_DOC})"),))
    if not blocks and not attachments and not has_text:
        return Rejection("no_text", (Problem("/text", "must be provided",
                         f"a message needs text, blocks or attachments ({POST_MESSAGE_DOC})"),))
    if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
        return Rejection("msg_too_long", (_too_long("/text", MAX_MESSAGE_TEXT, "message text",
                                                    len(text), POST_MESSAGE_DOC),))
    if isinstance(attachments, list) and len(attachments) > MAX_ATTACHMENTS:
        return Rejection("too_many_attachments", (_too_many(
            "/attachments", MAX_ATTACHMENTS, "attachments", len(attachments), POST_MESSAGE_DOC),))
    problems = check_blocks(blocks, Surface.MESSAGE) if blocks is not None else []
    for index, item in _items(attachments):
        if isinstance(item, Mapping) and "blocks" in item:
            problems += check_blocks(item["blocks"], Surface.MESSAGE,
                                     at=f"/attachments/{index}/blocks")
    return rejection("invalid_blocks", problems)


def wants_delete(params: Mapping[str, Any]) -> bool:
    """A response_url post that deletes the original needs no content."""
    return _is_flag_set(params.get("delete_original"))


# ---------------------------------------------------------------- views


def view_size(view: Any) -> int:
    """Bytes of the view as JSON, the measure for Slack's 250 KB limit."""
    return len(json.dumps(view, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def check_view(view: Any, *, expected: Surface | None = None,
               at: str = "/view") -> Rejection | None:
    """A view for views.open/push/update (modal) or views.publish (home).

    https://docs.slack.dev/reference/views/modal-views, …/home-tab-views
    """
    if not isinstance(view, Mapping):
        return Rejection("invalid_arguments", (Problem(at, "must be an object",
                         f"view must be a JSON object ({MODAL_DOC})"),))
    size = view_size(view)
    if size > MAX_VIEW_BYTES:
        return Rejection("view_too_large", (Problem(at, "must be smaller than 250kb",
                         f"the view is {size:,} bytes of JSON; Slack refuses views over 250 KB "
                         f"({DOCS}/methods/views.open)"),))
    kind = view.get("type")
    surfaces = {"modal": Surface.MODAL, "home": Surface.HOME}
    if kind not in surfaces or (expected is not None and surfaces[kind] is not expected):
        wanted = expected.value if expected else "modal or home"
        return Rejection("invalid_arguments", (Problem(f"{at}/type", "must be a valid enum value",
                         f"view type must be {wanted!r} here, got {kind!r} ({MODAL_DOC})"),))
    surface = surfaces[kind]
    problems = list(_view_fields(view, at, surface))
    problems += check_blocks(view.get("blocks"), surface, at=f"{at}/blocks")
    return rejection("invalid_arguments", problems)


def _view_fields(view: Mapping[str, Any], at: str, surface: Surface) -> Iterator[Problem]:
    doc = MODAL_DOC if surface is Surface.MODAL else HOME_DOC
    yield from _string(view.get("private_metadata"), f"{at}/private_metadata", limit=3000,
                       what="private_metadata", doc=doc)
    yield from _string(view.get("callback_id"), f"{at}/callback_id", limit=MAX_ID,
                       what="callback_id", doc=doc)
    yield from _string(view.get("external_id"), f"{at}/external_id", limit=MAX_ID,
                       what="external_id", doc=doc)
    if surface is not Surface.MODAL:
        return
    yield from text_object(view.get("title"), f"{at}/title", limit=24, what="modal title",
                           doc=doc, plain_only=True)
    yield from text_object(view.get("submit"), f"{at}/submit", limit=24, what="modal submit",
                           doc=doc, plain_only=True, required=False)
    yield from text_object(view.get("close"), f"{at}/close", limit=24, what="modal close",
                           doc=doc, plain_only=True, required=False)
    yield from _flag(view.get("clear_on_close"), f"{at}/clear_on_close", "clear_on_close")
    yield from _flag(view.get("notify_on_close"), f"{at}/notify_on_close", "notify_on_close")
    has_input = any(isinstance(b, Mapping) and b.get("type") == "input"
                    for _, b in _items(view.get("blocks")))
    if has_input and "submit" not in view:
        yield Problem(f"{at}/submit", "must be provided when the view has input blocks",
                      f"a modal with input blocks needs a submit button ({doc})")


def input_block_ids(view: Mapping[str, Any]) -> set[str]:
    """block_ids of the view's input blocks (those a submission error may point at)."""
    return {b["block_id"] for _, b in _items(view.get("blocks"))
            if isinstance(b, Mapping) and b.get("type") == "input" and "block_id" in b}


# ---------------------------------------------------------------- responses to Slack's requests


def check_options_response(payload: Any) -> Rejection | None:
    """The app's answer to a block_suggestion: options (≤ 100) or option_groups, plain_text."""
    doc = f"{ELEMENTS_DOC}/select-menu-element#external_select"
    if not isinstance(payload, Mapping) or ("options" in payload) == ("option_groups" in payload):
        return Rejection("invalid_arguments", (Problem(
            "", "must provide options or option_groups",
            f"answer {{'options': [...]}} or {{'option_groups': [...]}} ({doc})"),))
    if "options" in payload:
        return rejection("invalid_arguments", options(payload["options"], "/options", low=0,
                         high=100, what="suggested options", doc=doc, plain_only=True))
    return rejection("invalid_arguments", option_groups(payload["option_groups"],
                                                        "/option_groups", doc=doc))


def check_submission_response(payload: Any, current: Mapping[str, Any]) -> Rejection | None:
    """The app's answer to a view_submission: response_action errors/update/push/clear.

    https://docs.slack.dev/surfaces/modals#updating_response
    """
    doc = "https://docs.slack.dev/surfaces/modals"
    if payload in (None, "", {}):
        return None
    if not isinstance(payload, Mapping):
        return Rejection("invalid_arguments", (Problem("", "must be an object",
                         f"a view_submission response is JSON ({doc})"),))
    action = payload.get("response_action")
    if action == "errors":
        return _check_submission_errors(payload.get("errors"), current, doc)
    if action in ("update", "push"):
        return check_view(payload.get("view"), expected=Surface.MODAL)
    if action == "clear":
        return None
    return Rejection("invalid_arguments", (Problem(
        "/response_action", "must be a valid enum value",
        f"response_action must be errors, update, push or clear, got {action!r} ({doc})"),))


def _check_submission_errors(errors: Any, current: Mapping[str, Any],
                             doc: str) -> Rejection | None:
    if not isinstance(errors, Mapping) or not errors:
        return Rejection("invalid_arguments", (Problem("/errors", "must be a non-empty object",
                         f"errors maps input block_ids to messages ({doc})"),))
    known = input_block_ids(current)
    problems = [Problem(f"/errors/{key}", "must name an input block",
                        f"{key!r} is not the block_id of an input block in this view ({doc})")
                for key in errors if key not in known]
    problems += [Problem(f"/errors/{key}", "must be a string",
                         f"error text must be a string ({doc})")
                 for key, text in errors.items() if not isinstance(text, str)]
    return rejection("invalid_arguments", problems)


def all_elements(blocks: Sequence[Any]) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """(block, element) pairs of interactive elements, for finding what a user can click."""
    for block in blocks:
        if not isinstance(block, Mapping):
            continue
        if block.get("type") == "actions":
            for item in block.get("elements") or []:
                if isinstance(item, Mapping):
                    yield block, item
        elif block.get("type") == "section" and isinstance(block.get("accessory"), Mapping):
            yield block, block["accessory"]
        elif block.get("type") == "input" and isinstance(block.get("element"), Mapping):
            yield block, block["element"]
