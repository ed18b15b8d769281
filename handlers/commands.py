"""`/serienbrief`: the picker, help, one serial letter, or its evidence record."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.slack import views
from bot.slack.app import SlackDeps
from bot.slack.ids import Command
from bot.slack.texts import t
from domain.models import LetterState, SerialLetter
from handlers.common import actor_of, dm_failed, locale_of
from handlers.evidence import post_record
from handlers.intake import open_new_modal
from handlers.overview import show_serial

SERIAL = re.compile(r"#?(\d+)(?:\s+(\w+))?")


def register(app: App, deps: SlackDeps) -> None:
    def command(ack, body: dict[str, Any], context: BoltContext, client: WebClient, respond) -> None:
        text = (body.get("text") or "").strip()
        locale = locale_of(context)
        if text.lower() in ("help", "hilfe", "?"):
            ack(response_type="ephemeral", **views.help_message(locale))
            return
        if text.lower() in ("neu", "new"):
            ack()
            open_new_modal(client, body, locale)
            return
        match = SERIAL.fullmatch(text)
        if text and match is None:
            ack(response_type="ephemeral", **views.ephemeral(t("unknown_command", locale, text=views.escape(text))))
            return
        ack()
        if match is None:
            client.views_open(trigger_id=body["trigger_id"], view=views.picker(recent(deps, context), locale))
            return
        serial_id, word = int(match.group(1)), (match.group(2) or "").lower()
        if word in ("protokoll", "record"):
            respond(response_type="ephemeral", **views.ephemeral(t("evidence.sending", locale)))
            deps.background.pdf(post_record, deps, client, actor_of(context), locale, serial_id, body,
                                on_failure=dm_failed(client, body["user_id"], locale))
            return
        if word:
            respond(response_type="ephemeral", **views.ephemeral(t("unknown_command", locale, text=views.escape(text))))
            return
        show_serial(deps, client, actor_of(context), locale, serial_id, trigger_id=body["trigger_id"])

    app.command(Command.SERIENBRIEF)(command)


def recent(deps: SlackDeps, context: BoltContext, limit: int = 100) -> list[SerialLetter]:
    """A plain read (no unit of work to commit): it runs on every `/serienbrief`."""
    with Session(deps.wiring.engine, expire_on_commit=False) as session:
        return list(session.exec(select(SerialLetter).where(
            SerialLetter.organisation_id == actor_of(context).organisation_id,
            SerialLetter.state != LetterState.DELETED).order_by(SerialLetter.id.desc()).limit(limit)))
