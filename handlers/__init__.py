"""Thin Slack listeners: parse the payload, call one use case (or flow), render one view."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.app import SlackDeps
from handlers import apikeys, approvals, commands, dispatch, home, intake, masterdata, overview, release


def register_listeners(app: App, deps: SlackDeps) -> None:
    for module in (commands, home, overview, intake, masterdata, apikeys, release, dispatch, approvals):
        module.register(app, deps)
