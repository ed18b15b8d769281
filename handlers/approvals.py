"""Approve / Reject buttons on approval prompts: only a manager, never the requester, and the
first decision wins."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

from bot.slack import views
from bot.slack.app import SlackDeps
from bot.slack.flows import finish_decision
from bot.slack.ids import Action
from domain.errors import BriefwerkError
from domain.services import approvals
from handlers.common import action_value, actor_of, dm_failed, locale_of


def register(app: App, deps: SlackDeps) -> None:
    def decide(approve: bool):
        def listener(ack, body: dict[str, Any], context: BoltContext, respond) -> None:
            ack()
            try:
                with deps.wiring.unit_of_work() as (session, _):
                    approval = approvals.decide(session, actor_of(context), int(action_value(body)), approve)
            except BriefwerkError as error:
                respond(response_type="ephemeral", replace_original=False, **views.ephemeral(error.render(locale_of(context))))
                return
            deps.background.pdf(finish_decision, deps, body["team"]["id"], approval.id,
                                on_failure=dm_failed(deps.client_for(body["team"]["id"]), body["user"]["id"],
                                                     locale_of(context)))
        return listener

    app.action(Action.APPROVE)(decide(True))
    app.action(Action.REJECT)(decide(False))
