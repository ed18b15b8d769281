"""API keys in Slack (admins, App Home): list, create (the key is shown this once), revoke."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.slack import intake_views as iv
from bot.slack import views
from bot.slack.app import SlackDeps
from bot.slack.blocks import escape
from bot.slack.ids import Action, Block, Callback
from bot.slack.texts import t
from domain.actors import Actor
from domain.errors import InvalidInput
from domain.models import Role
from domain.services import apikeys
from handlers.common import action_value, actor_of, locale_of, update_view, view_of


def register(app: App, deps: SlackDeps) -> None:
    app.action(Action.OPEN_API_KEYS)(lambda ack, body, context, client: open_keys(deps, ack, body, context, client))
    app.view(Callback.API_KEYS)(lambda ack, body, context: create(deps, ack, body, context))
    app.action(Action.REVOKE_KEY)(lambda ack, body, context, client: revoke(deps, ack, body, context, client))


def keys_view(deps: SlackDeps, actor: Actor, locale: str, notice: str = "") -> dict[str, Any]:
    with deps.wiring.unit_of_work() as (session, _):
        keys = apikeys.keys_of(session, actor.organisation_id)
    return iv.api_keys_modal(keys, deps.wiring.settings.public_url, locale, notice)


def _refusal(locale: str) -> dict[str, Any]:
    return views.notice(locale, t("keys.admin_only", locale), "title.api_keys")


def open_keys(deps: SlackDeps, ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    actor, locale = actor_of(context), locale_of(context)
    view = keys_view(deps, actor, locale) if Role.ADMIN in actor.roles else _refusal(locale)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def create(deps: SlackDeps, ack, body: dict[str, Any], context: BoltContext) -> None:
    actor, locale = actor_of(context), locale_of(context)
    if Role.ADMIN not in actor.roles:
        ack(response_action="update", view=_refusal(locale))
        return
    name = body["view"]["state"]["values"][Block.KEY_NAME]["name"].get("value") or ""
    try:
        with deps.wiring.unit_of_work() as (session, _):
            key, token = apikeys.create_key(session, actor, name)
    except InvalidInput as error:
        ack(response_action="errors", errors={Block.KEY_NAME: error.render(locale)})
        return
    ack(response_action="update", view=keys_view(deps, actor, locale, t("keys.created", locale, name=escape(key.name),
                                                                          token=token)))


def revoke(deps: SlackDeps, ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    actor, locale = actor_of(context), locale_of(context)
    if Role.ADMIN not in actor.roles:
        update_view(client, view_of(body)["id"], _refusal(locale))
        return
    with deps.wiring.unit_of_work() as (session, _):
        key = apikeys.revoke(session, actor, int(action_value(body)))
    update_view(client, view_of(body)["id"], keys_view(deps, actor, locale, t("keys.revoked", locale, name=escape(key.name))))
