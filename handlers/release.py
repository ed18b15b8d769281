"""Release to the customer portal (seed step 3) and deleting a serial letter (step 10)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.slack import views
from bot.slack.app import SlackDeps
from bot.slack.flows import announce_later, request_or_run
from bot.slack.ids import Action, Callback
from bot.slack.texts import t
from domain.errors import BriefwerkError
from domain.models import ApprovalKind
from domain.services import approvals, documents, release
from handlers.common import action_value, actor_of, locale_of, meta, push_for_creator_or_admin
from handlers.overview import show_serial


def register(app: App, deps: SlackDeps) -> None:
    def open_release(ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        actor, locale = actor_of(context), locale_of(context)
        with deps.wiring.unit_of_work() as (session, _):
            page = documents.overview_page(session, actor, int(action_value(body)))
            view = views.release_modal(page, approvals.approval_needed(session, actor), locale)
        client.views_push(trigger_id=body["trigger_id"], view=view)

    def submit_release(ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        """Closes the confirmation at once; the outcome appears on the serial letter underneath
        (updating the closed modal could race Slack applying our answer)."""
        actor, locale, info = actor_of(context), locale_of(context), meta(body)
        ack()
        root_id = body["view"].get("root_view_id") or body["view"]["id"]

        def done(text: str) -> None:
            show_serial(deps, client, actor, locale, info.serial_id, view_id=root_id, notice_text=text)

        try:
            request_or_run(deps, ApprovalKind.RELEASE, actor, body["team"]["id"], info.serial_id,
                           {"notify": views.notify_checked(body["view"]), "version": info.version}, locale, done)
        except BriefwerkError as error:
            done("⚠️ " + error.render(locale))

    def open_delete(ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        """Admins, and the creator of a draft."""
        ack()
        push_for_creator_or_admin(deps, client, body, context, views.delete_modal, "delete.admin_only")

    def submit_delete(ack, body: dict[str, Any], context: BoltContext) -> None:
        actor, locale, info = actor_of(context), locale_of(context), meta(body)
        try:
            with deps.wiring.unit_of_work() as (session, ports):
                removed = release.delete_serial_letter(session, ports, actor, info.serial_id, info.version)
                title = documents.get_serial_letter(session, actor, info.serial_id).title
            text = t("delete.done", locale, title=views.escape(title), documents=removed)
        except BriefwerkError as error:
            text = "⚠️ " + error.render(locale)
        ack(response_action="update", view=views.notice(locale, text, "title.delete"))
        announce_later(deps, body["team"]["id"], info.serial_id)

    app.action(Action.OPEN_RELEASE)(open_release)
    app.view(Callback.RELEASE)(submit_release)
    app.action(Action.OPEN_DELETE)(open_delete)
    app.view(Callback.DELETE)(submit_delete)
