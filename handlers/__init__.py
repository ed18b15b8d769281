"""Thin Slack listeners: parse the payload, call one use case (or flow), render one view."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.app import SlackDeps
from handlers import approvals, commands, dispatch, documents, home, overview, release


def register_listeners(app: App, deps: SlackDeps) -> None:
    for module in (commands, home, overview, documents, release, dispatch, approvals):
        module.register(app, deps)
