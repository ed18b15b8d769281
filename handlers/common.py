"""What every listener needs: who acts, in which language, and the modal it acts in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack import views
from bot.slack.app import SlackDeps
from bot.slack.views import ViewMeta, meta_of
from domain.actors import Actor
from domain.services import documents


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


def contact_options(deps: SlackDeps) -> Callable[..., None]:
    """Options listener for every contact picker of a serial letter: search by name or unit."""

    def listener(ack: Callable[..., None], body: dict[str, Any], context: BoltContext) -> None:
        with deps.wiring.unit_of_work() as (session, _):
            rows = documents.search_contacts(session, actor_of(context), meta(body).serial_id, body.get("value", ""))
        ack(views.contact_options(rows, locale_of(context)))

    return listener


def update_view(client: WebClient, view_id: str, view: dict[str, Any]) -> None:
    """A modal the user has closed meanwhile is no error."""
    try:
        client.views_update(view_id=view_id, view=view)
    except SlackApiError as error:
        if error.response.get("error") != "not_found":
            raise
