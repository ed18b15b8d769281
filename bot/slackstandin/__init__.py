"""A local stand-in for Slack: the Web API, response_urls and file uploads on 127.0.0.1,
validating payloads as Slack does, plus signed requests toward the app and plain-text
renderings of what users see. Used by the tests and by `briefwerk demo`."""

from bot.slackstandin.render import render_text
from bot.slackstandin.requests import SlackClientSim, SlackRequest, sign
from bot.slackstandin.server import RecordedCall, SlackStandIn
from bot.slackstandin.validation import Problem, Rejection, Surface, check_message, check_view

__all__ = [
    "Problem",
    "RecordedCall",
    "Rejection",
    "SlackClientSim",
    "SlackRequest",
    "SlackStandIn",
    "Surface",
    "check_message",
    "check_view",
    "render_text",
    "sign",
]
