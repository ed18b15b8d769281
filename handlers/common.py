"""What every listener needs: who acts, in which language, and the modal it acts in."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext

from bot.slack.views import ViewMeta, meta_of
from domain.actors import Actor


def actor_of(context: BoltContext) -> Actor:
    return context["actor"]


def locale_of(context: BoltContext) -> str:
    return context.get("locale") or "de"


def view_of(body: dict[str, Any]) -> dict[str, Any]:
    return body.get("view") or {}


def meta(body: dict[str, Any]) -> ViewMeta:
    return meta_of(view_of(body))


def action_value(body: dict[str, Any]) -> str:
    """The value of the clicked button or chosen option."""
    action = (body.get("actions") or [{}])[0]
    if "selected_option" in action and action["selected_option"]:
        return action["selected_option"]["value"]
    if action.get("selected_date"):
        return action["selected_date"]
    return action.get("value", "")


def selected_values(body: dict[str, Any]) -> list[str]:
    action = (body.get("actions") or [{}])[0]
    return [item["value"] for item in action.get("selected_options") or []]
