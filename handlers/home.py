"""App Home: recent serial letters with their next step; language; settings for admins."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.slack import intake_views, views
from bot.slack.app import SlackDeps, new_staff
from bot.slack.blocks import escape, section
from bot.slack.ids import Action, Block, Callback
from bot.slack.texts import t
from domain.actors import Actor
from domain.errors import InvalidInput
from domain.models import Organisation, Role, Staff
from domain.services import masterdata, organisations
from handlers.commands import recent
from handlers.common import action_value, actor_of, locale_of
from handlers.overview import show_serial


def register(app: App, deps: SlackDeps) -> None:
    def home_opened(body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        publish_home(deps, client, context, body["event"]["user"])

    def open_serial(ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        show_serial(deps, client, actor_of(context), locale_of(context), int(action_value(body)), trigger_id=body["trigger_id"])

    def set_language(ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        with Session(deps.wiring.engine) as session:
            staff = session.get(Staff, actor_of(context).staff_id)
            staff.locale = action_value(body)
            session.add(staff)
            session.commit()
        context["locale"] = action_value(body)
        publish_home(deps, client, context, body["user"]["id"])

    def open_settings(ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        actor, locale = actor_of(context), locale_of(context)
        if Role.ADMIN not in actor.roles:
            client.views_open(trigger_id=body["trigger_id"], view=views.notice(locale, t("settings.admin_only", locale)))
            return
        client.views_open(trigger_id=body["trigger_id"], view=settings_view(deps, actor, locale))

    def save_settings(ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        actor, locale = actor_of(context), locale_of(context)
        if Role.ADMIN not in actor.roles:
            ack(response_action="update", view=views.notice(locale, t("settings.admin_only", locale)))
            return
        values = body["view"]["state"]["values"]
        admins = values[Block.ADMINS]["admins"].get("selected_users") or []
        if not admins:
            ack(response_action="errors", errors={Block.ADMINS: t("settings.need_admin", locale)})
            return
        refused = save_identity(deps, actor, values, locale)
        if refused:
            ack(response_action="errors", errors=refused)
            return
        ack(response_action="update", view=views.notice(locale, t("settings.saved", locale), "title.settings"))
        save(deps, client, actor, values, admins)
        publish_home(deps, client, context, body["user"]["id"])

    app.event("app_home_opened")(home_opened)
    app.action(Action.OPEN_SERIAL)(open_serial)
    app.action(Action.SET_LANGUAGE)(set_language)
    app.action(Action.OPEN_SETTINGS)(open_settings)
    app.view(Callback.SETTINGS)(save_settings)


def publish_home(deps: SlackDeps, client: WebClient, context: BoltContext, user_id: str) -> None:
    actor, locale = actor_of(context), locale_of(context)
    is_admin = Role.ADMIN in actor.roles
    extra = admin_blocks(deps, actor, locale) if is_admin else []
    client.views_publish(user_id=user_id, view=views.home(recent(deps, context, 40), is_admin, locale, extra))


def admin_blocks(deps: SlackDeps, actor: Actor, locale: str) -> list[dict[str, Any]]:
    """What admins see under their buttons: a missing sender identity, the last imports."""
    with deps.wiring.unit_of_work() as (session, _):
        org = session.get(Organisation, actor.organisation_id)
        blocks = [section(t("home.identity_missing", locale, name=escape(org.name), sender=org.sender_email))] \
            if organisations.identity_missing(org) else []
        return blocks + intake_views.recent_imports(masterdata.recent_imports(session, org.id), locale)


IDENTITY_FIELDS = {Block.ORG_NAME: "name", Block.RETURN_LINE: "return_line", Block.SENDER_NAME: "sender_name",
                   Block.SENDER_EMAIL: "sender_email", Block.REPLY_TO: "reply_to"}


def save_identity(deps: SlackDeps, actor: Actor, values: dict[str, Any], locale: str) -> dict[str, str]:
    """The company's name and sender identity; a refusal is returned as the field's error."""
    given = {name: values[block]["value"].get("value") or "" for block, name in IDENTITY_FIELDS.items()}
    try:
        with deps.wiring.unit_of_work() as (session, _):
            organisations.set_identity(session, actor, **given)
    except InvalidInput as error:
        field = error.message.facts.get("field")
        block = Block.REPLY_TO if getattr(field, "key", "") == "org.field.reply_to" else (
            Block.SENDER_EMAIL if field is not None else Block.ORG_NAME)
        return {block: error.render(locale)}
    return {}


def settings_view(deps: SlackDeps, actor: Actor, locale: str) -> dict[str, Any]:
    with Session(deps.wiring.engine) as session:
        org = session.get(Organisation, actor.organisation_id)
        staff = session.exec(select(Staff).where(Staff.organisation_id == org.id)).all()
        admins = [s.slack_user_id for s in staff if s.is_admin]
        managers = [s.slack_user_id for s in staff if s.is_manager]
        return views.settings_modal(org, admins, managers, deps.provider_keys(), locale)


def save(deps: SlackDeps, client: WebClient, actor: Actor, values: dict[str, Any], admins: list[str]) -> None:
    managers = values[Block.MANAGERS]["managers"].get("selected_users") or []
    with Session(deps.wiring.engine) as session:
        org = session.get(Organisation, actor.organisation_id)
        org.notify_channel = values[Block.CHANNEL]["channel"].get("selected_conversation")
        org.manager_approval = bool(values[Block.APPROVAL]["approval"].get("selected_options"))
        org.provider = values[Block.PROVIDER]["provider"]["selected_option"]["value"]
        org.provider_contact_text = values[Block.CONTACT_TEXT]["contact_text"].get("value") or ""
        org.locale = values[Block.LOCALE]["locale"]["selected_option"]["value"]
        session.add(org)
        known = {s.slack_user_id: s for s in session.exec(select(Staff).where(Staff.organisation_id == org.id))}
        for user_id in set(admins) | set(managers) | set(known):
            member = known.get(user_id) or new_staff(session, org, user_id, client, deps)
            if member is None:
                continue  # guests and bots get no role
            member.is_admin, member.is_manager = user_id in admins, user_id in managers
            session.add(member)
        session.commit()
