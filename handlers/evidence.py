"""`/serienbrief <id> protokoll`: the evidence record as CSV and PDF, into the asking user's DM
(personal data stays between the app and the person who asked)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.slack import views
from bot.slack.app import SlackDeps
from bot.slack.texts import t
from domain.actors import Actor
from domain.errors import BriefwerkError
from domain.services import evidence


def post_record(deps: SlackDeps, client: WebClient, actor: Actor, locale: str, serial_id: int, body: dict[str, Any]) -> None:
    user_id = body["user_id"]
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    try:
        with deps.wiring.unit_of_work() as (session, _):
            record = evidence.evidence_record(session, actor, serial_id)
    except BriefwerkError as error:
        client.chat_postMessage(channel=channel, **views.ephemeral("⚠️ " + error.render(locale)))
        return
    name = f"Versendungsprotokoll-{record.serial_id}"
    comment = t("evidence.posted", locale, title=views.escape(record.title), letters=len(record.letters))
    client.files_upload_v2(channel=channel, initial_comment=comment, file_uploads=[
        {"content": evidence.evidence_pdf(record), "filename": f"{name}.pdf", "title": f"{name}.pdf"},
        {"content": evidence.evidence_csv(record), "filename": f"{name}.csv", "title": f"{name}.csv"},
    ])
