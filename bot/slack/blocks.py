"""Block Kit building blocks that respect Slack's limits where they are set: texts are cut to
their maximum length here, so no view builder can exceed them by accident."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

Block = dict[str, Any]

LIMITS = {
    "title": 24, "button": 75, "option": 75, "option_value": 150, "section": 3000, "header": 150,
    "context": 2000, "field": 2000, "value": 2000, "metadata": 3000, "label": 2000,
}
MESSAGE_BLOCKS, VIEW_BLOCKS = 50, 100


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str, limit: int = 3000) -> dict[str, Any]:
    return {"type": "plain_text", "text": cut(text, limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = LIMITS["section"]) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": cut(text, limit) or " "}


def escape(text: str) -> str:
    """User data inside mrkdwn: no accidental formatting, mentions or links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, LIMITS["header"])}


def section(text: str, *, accessory: dict[str, Any] | None = None, block_id: str | None = None,
            fields: list[str] | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if fields:
        block["fields"] = [mrkdwn(field, LIMITS["field"]) for field in fields[:10]]
    if accessory:
        block["accessory"] = accessory
    if block_id:
        block["block_id"] = block_id
    return block


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text, LIMITS["context"]) for text in texts[:10]]}


def divider() -> Block:
    return {"type": "divider"}


def actions(*elements: dict[str, Any], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)[:25]}
    if block_id:
        block["block_id"] = block_id
    return block


def button(text: str, action_id: str, value: str = "", *, style: str | None = None,
           confirm: dict[str, Any] | None = None, url: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "text": plain(text, LIMITS["button"]), "action_id": action_id}
    if value:
        element["value"] = cut(value, LIMITS["value"])
    if style in ("primary", "danger"):
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    if url:
        element["url"] = url
    return element


def confirm_dialog(title: str, text: str, confirm: str, deny: str, danger: bool = False) -> dict[str, Any]:
    dialog = {"title": plain(title, 100), "text": mrkdwn(text, 300), "confirm": plain(confirm, 30), "deny": plain(deny, 30)}
    if danger:
        dialog["style"] = "danger"
    return dialog


def option(text: str, value: str, description: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"text": plain(text, LIMITS["option"]), "value": cut(value, LIMITS["option_value"])}
    if description:
        item["description"] = plain(description, LIMITS["option"])
    return item


def input_block(label: str, element: dict[str, Any], block_id: str, *, optional: bool = False,
                hint: str | None = None, dispatch: bool = False) -> Block:
    block: Block = {"type": "input", "block_id": block_id, "label": plain(label, LIMITS["label"]),
                    "element": element, "optional": optional}
    if hint:
        block["hint"] = plain(hint, LIMITS["label"])
    if dispatch:
        block["dispatch_action"] = True
    return block


def modal(title: str, blocks: list[Block], *, callback_id: str, close: str, submit: str | None = None,
          metadata: BaseModel | None = None) -> dict[str, Any]:
    """No external_id: Slack reserves one across the workspace while its view lives, so two people
    (or one reopening) could not open the same letter's modal; the letter travels in the metadata."""
    view: dict[str, Any] = {
        "type": "modal", "callback_id": callback_id, "title": plain(title, LIMITS["title"]),
        "close": plain(close, LIMITS["title"]), "blocks": blocks[:VIEW_BLOCKS],
    }
    if submit:
        view["submit"] = plain(submit, LIMITS["title"])
    if metadata is not None:
        view["private_metadata"] = metadata.model_dump_json(exclude_none=True)
    return view


def message(text: str, blocks: list[Block]) -> dict[str, Any]:
    """A message's arguments: the fallback `text` Slack shows in notifications, and the blocks."""
    return {"text": cut(text, 3000), "blocks": blocks[:MESSAGE_BLOCKS]}
