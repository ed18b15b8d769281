"""`/serienbrief <id> protokoll`: the evidence record of a serial letter."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.slack.app import SlackDeps
from domain.actors import Actor


def post_record(deps: SlackDeps, client: WebClient, actor: Actor, locale: str, serial_id: int, body: dict[str, Any]) -> None:
    raise NotImplementedError("the evidence record arrives with the PDF/A download links")
