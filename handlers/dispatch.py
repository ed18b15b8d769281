"""The dispatch modal (seed steps 5–11): filter, individual selection, options, live summary,
order / cancel, download link. Every change is saved at once against the version the modal
showed; the summary is computed in the background and the modal updated."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.slack import views
from bot.slack.app import SlackDeps
from bot.slack.flows import announce, request_or_run
from bot.slack.ids import Action
from bot.slack.texts import t
from bot.slack.views import OPTION_KEYS, ViewMeta
from domain.actors import Actor
from domain.errors import BriefwerkError, Conflict
from domain.models import ApprovalKind
from domain.services import dispatch, documents
from handlers.common import (
    view_failed,
    action_value,
    actor_of,
    contact_options,
    locale_of,
    meta,
    selected_values,
    update_view,
    view_of,
)

SHOWN = 100  # multi-selects show at most this many chosen contacts


def register(app: App, deps: SlackDeps) -> None:
    def open_dispatch(ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        actor, locale, serial_id = actor_of(context), locale_of(context), int(action_value(body))
        with deps.wiring.unit_of_work() as (session, _):
            serial = documents.get_serial_letter(session, actor, serial_id)
            placeholder = views.dispatch_modal(None, serial, None, locale)
        view_id = client.views_push(trigger_id=body["trigger_id"], view=placeholder)["view"]["id"]
        deps.background.pdf(refresh, deps, client, actor, locale, ViewMeta(serial_id=serial_id), view_id, "",
                            on_failure=view_failed(client, view_id, locale))

    def change(changes_of):
        def listener(ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
            ack()
            deps.background.pdf(apply, deps, client, body, actor_of(context), locale_of(context), changes_of(body),
                                on_failure=view_failed(client, view_of(body)["id"], locale_of(context)))
        return listener

    def why(ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        info = meta(body).model_copy(update={"why": int(action_value(body))})
        deps.background.pdf(refresh, deps, client, actor_of(context), locale_of(context), info, view_of(body)["id"], "",
                            on_failure=view_failed(client, view_of(body)["id"], locale_of(context)))

    def order(ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        start(deps, client, body, actor_of(context), locale_of(context), ApprovalKind.ORDER, t("order.started", locale_of(context), letters="…"))

    def request_link(ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        start(deps, client, body, actor_of(context), locale_of(context), ApprovalKind.DOWNLOAD_LINK, t("loading", locale_of(context)))

    def cancel(ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        deps.background.io(cancel_now, deps, client, body, actor_of(context), locale_of(context),  # not behind an order
                           on_failure=view_failed(client, view_of(body)["id"], locale_of(context)))

    def unavailable(ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        deps.background.pdf(refresh_with_reasons, deps, client, actor_of(context), locale_of(context), meta(body),
                            view_of(body)["id"], on_failure=view_failed(client, view_of(body)["id"], locale_of(context)))

    app.action(Action.OPEN_DISPATCH)(open_dispatch)
    app.action(Action.FILTER)(change(lambda body: {"filter": action_value(body)}))
    app.action(Action.OPTIONS)(change(options_changes))
    app.action(Action.TICK)(change(lambda body: {"__tick": [int(v) for v in selected_values(body)]}))
    app.action(Action.UNTICK)(change(lambda body: {"__untick": [int(v) for v in selected_values(body)]}))
    app.action(Action.WHY)(why)
    app.action(Action.SEND_ON)(change(lambda body: {"send_on": action_value(body) or None}))
    app.action(Action.SEND_NOW)(change(lambda body: {"send_on": None}))
    for action_id in (Action.TICK, Action.UNTICK, Action.WHY):
        app.options(action_id)(contact_options(deps))
    app.action(Action.ORDER)(order)
    app.action(Action.REQUEST_LINK)(request_link)
    app.action(Action.CANCEL)(cancel)
    app.action(Action.UNAVAILABLE)(unavailable)


def options_changes(body: dict[str, Any]) -> dict[str, bool]:
    """Checked boxes are on, unchecked ones off; options not shown (registered mail without
    the contract) stay as they are."""
    chosen = set(selected_values(body))
    return {key: key in chosen for key in _shown_options(body)}


def _shown_options(body: dict[str, Any]) -> list[str]:
    for block in view_of(body).get("blocks", []):
        if block.get("block_id") == "options":
            return [item["value"] for item in block["elements"][0]["options"] if item["value"] in OPTION_KEYS]
    return []


def _selection(current: list[int], chosen: list[int]) -> list[int]:
    """The multi-select shows only the first SHOWN choices; those beyond stay chosen."""
    return sorted(set(current[SHOWN:]) | set(chosen))


def apply(deps: SlackDeps, client: WebClient, body: dict[str, Any], actor: Actor, locale: str, changes: dict[str, Any]) -> None:
    info, notice_text = meta(body), ""
    try:
        with deps.wiring.unit_of_work() as (session, ports):
            options = dispatch.options_of(documents.get_serial_letter(session, actor, info.serial_id))
            if "__tick" in changes:
                ticked = _selection(options.ticked, changes.pop("__tick"))
                changes = {"ticked": ticked, "unticked": sorted(set(options.unticked) - set(ticked))}
            if "__untick" in changes:
                unticked = _selection(options.unticked, changes.pop("__untick"))
                changes = {"unticked": unticked, "ticked": sorted(set(options.ticked) - set(unticked))}
            summary = dispatch.configure_dispatch(session, ports, actor, info.serial_id, changes, expected_version=info.version)
        refresh(deps, client, actor, locale, info, view_of(body)["id"], notice_text, summary)
        return
    except Conflict:
        notice_text = t("dispatch.changed", locale)
    except BriefwerkError as error:
        notice_text = "⚠️ " + error.render(locale)
    refresh(deps, client, actor, locale, info, view_of(body)["id"], notice_text)


def refresh(deps: SlackDeps, client: WebClient, actor: Actor, locale: str, info: ViewMeta, view_id: str,
            notice_text: str, summary: dispatch.DispatchSummary | None = None) -> None:
    """Shows the plan with preflight; computed here unless the caller has it already."""
    try:
        if summary is None:
            with deps.wiring.unit_of_work() as (session, ports):
                summary = dispatch.dispatch_summary(session, ports, actor, info.serial_id)
        view = views.dispatch_modal(summary, summary.serial, info.why, locale, notice_text)
    except BriefwerkError as error:
        view = views.notice(locale, "⚠️ " + error.render(locale), "title.dispatch")
    update_view(client, view_id, view)


def refresh_with_reasons(deps: SlackDeps, client: WebClient, actor: Actor, locale: str, info: ViewMeta, view_id: str) -> None:
    """The yellow button: say plainly which feature is missing and whom to ask."""
    with deps.wiring.unit_of_work() as (session, ports):
        summary = dispatch.dispatch_summary(session, ports, actor, info.serial_id)
    text = " ".join(reason.render(locale) for reason in summary.reasons)
    refresh(deps, client, actor, locale, info, view_id, f"🟡 {text}", summary)


def start(deps: SlackDeps, client: WebClient, body: dict[str, Any], actor: Actor, locale: str, kind: ApprovalKind, waiting: str) -> None:
    info, view_id, team_id = meta(body), view_of(body)["id"], body["team"]["id"]
    # what the user saw goes to the managers with the request
    payload: dict[str, Any] = {"version": info.version, "letters": info.letters, "cost_cents": info.cost_cents}

    def done(text: str) -> None:
        deps.background.pdf(refresh, deps, client, actor, locale, info.model_copy(update={"version": None}), view_id, text,
                            on_failure=view_failed(client, view_id, locale))

    def progress(text: str) -> None:
        client.views_update(view_id=view_id, view=views.notice(locale, text, "title.dispatch"))

    try:
        progress(waiting)
        request_or_run(deps, kind, actor, team_id, info.serial_id, payload, locale, done, progress)
    except BriefwerkError as error:
        done("⚠️ " + error.render(locale))


def cancel_now(deps: SlackDeps, client: WebClient, body: dict[str, Any], actor: Actor, locale: str) -> None:
    info = meta(body)
    try:
        with deps.wiring.unit_of_work() as (session, ports):
            outcome = dispatch.cancel_dispatch(session, ports, actor, info.serial_id)
        text = t("cancel.done", locale, cancelled=outcome.cancelled, late=len(outcome.not_cancellable))
        if outcome.requested:
            text += " " + t("cancel.requested", locale, count=outcome.requested)
    except BriefwerkError as error:
        text = "⚠️ " + error.render(locale)
    announce(deps, body["team"]["id"], info.serial_id)
    deps.background.pdf(refresh, deps, client, actor, locale, info, view_of(body)["id"], text,
                        on_failure=view_failed(client, view_of(body)["id"], locale))
