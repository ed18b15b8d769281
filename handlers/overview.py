"""The serial letter modal: overview rows page by page, downloads for checking, window previews
(seed steps 1–2)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from sqlmodel import Session

from bot.slack import views
from bot.slack.app import SlackDeps
from bot.slack.flows import announce, dm
from bot.slack.ids import Action
from bot.slack.texts import t
from bot.slack.views import ROWS_PER_PAGE
from domain.actors import Actor
from domain.errors import BriefwerkError
from domain.models import Letter, Organisation, Unit
from domain.pdf.preflight import render_window_preview
from domain.ports import Ports
from domain.services import dispatch, documents, release
from domain.services.preflight import profile_for
from handlers.common import (
    action_value,
    actor_of,
    contact_options,
    dm_failed,
    locale_of,
    meta,
    update_view,
    view_failed,
    view_of,
)


def register(app: App, deps: SlackDeps) -> None:
    def pick(ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        show_serial(deps, client, actor_of(context), locale_of(context), int(action_value(body)), view_id=view_of(body)["id"])

    def page(ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        show_serial(deps, client, actor_of(context), locale_of(context), meta(body).serial_id,
                    page=int(action_value(body)), view_id=view_of(body)["id"])

    def find(ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        serial_id = meta(body).serial_id
        with deps.wiring.unit_of_work() as (session, _):
            number = documents.page_of_contact(session, actor_of(context), serial_id, int(action_value(body)), ROWS_PER_PAGE)
        show_serial(deps, client, actor_of(context), locale_of(context), serial_id, page=number, view_id=view_of(body)["id"])

    def row_menu(ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        deps.background.pdf(row_action, deps, client, body, actor_of(context), locale_of(context),
                            on_failure=dm_failed(client, body["user"]["id"], locale_of(context)))

    def previews(ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        deps.background.pdf(post_previews, deps, client, actor_of(context), locale_of(context), int(action_value(body)),
                            body["user"]["id"], on_failure=dm_failed(client, body["user"]["id"], locale_of(context)))

    app.action(Action.PICK_SERIAL)(pick)
    app.action(Action.PAGE_PREVIOUS)(page)
    app.action(Action.PAGE_NEXT)(page)
    app.options(Action.FIND_CONTACT)(contact_options(deps))
    app.action(Action.FIND_CONTACT)(find)
    app.action(Action.ROW_MENU)(row_menu)
    app.action(Action.SHOW_PREVIEWS)(previews)


def show_serial(deps: SlackDeps, client: WebClient, actor: Actor, locale: str, serial_id: int, *, page: int = 0,
                view_id: str | None = None, trigger_id: str | None = None, notice_text: str = "") -> None:
    """Opens (with a loading view at once) or updates the serial letter modal."""
    if trigger_id:
        view_id = client.views_open(trigger_id=trigger_id, view=views.loading(locale))["view"]["id"]
    deps.background.render(view_id, _fill_serial, deps, client, actor, locale, serial_id, page, view_id, notice_text,
                           on_failure=view_failed(client, view_id, locale))


def _fill_serial(deps: SlackDeps, client: WebClient, actor: Actor, locale: str, serial_id: int, page: int,
                 view_id: str, notice_text: str) -> None:
    try:
        with deps.wiring.unit_of_work() as (session, _):
            overview = documents.overview_page(session, actor, serial_id, page, ROWS_PER_PAGE)
            view = views.serial_modal(overview, actor, locale, notice_text)
    except BriefwerkError as error:
        view = views.notice(locale, error.render(locale))
    update_view(client, view_id, view)


def row_action(deps: SlackDeps, client: WebClient, body: dict[str, Any], actor: Actor, locale: str) -> None:
    kind, letter_id, *rest = action_value(body).split(":")
    info = meta(body)
    notice_text = ""
    try:
        with deps.wiring.unit_of_work() as (session, ports):
            if kind == "unrelease":
                notice_text = _unrelease(session, ports, actor, info.serial_id, int(letter_id), locale)
            else:
                serial = documents.get_serial_letter(session, actor, info.serial_id)
                if kind == "print":
                    name, data = dispatch.download_print_file(session, ports, actor, int(letter_id))
                    what = t("row.print_file", locale)
                else:
                    document_type = serial.document_types[int(rest[0])]
                    name, data = dispatch.download_document(session, ports, actor, int(letter_id), document_type)
                    what = document_type
                _send_file(client, body["user"]["id"], name, data, t("download.sent", locale, name=name, what=what))
    except BriefwerkError as error:
        notice_text = "⚠️ " + error.render(locale)
    if kind == "unrelease":
        announce(deps, body.get("team", {}).get("id"), info.serial_id)
    _fill_serial(deps, client, actor, locale, info.serial_id, info.page, view_of(body)["id"], notice_text)


def _unrelease(session: Session, ports: Ports, actor: Actor, serial_id: int, letter_id: int, locale: str) -> str:
    letter = session.get(Letter, letter_id)
    removed = release.unrelease_unit(session, ports, actor, serial_id, letter.unit_id)
    unit = session.get(Unit, letter.unit_id)
    return t("unrelease.done", locale, unit=unit.label, documents=removed)


def _send_file(client: WebClient, user_id: str, filename: str, data: bytes, comment: str) -> None:
    """Into the user's DM: personal data stays between the app and the person checking it."""
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    client.files_upload_v2(channel=channel, content=data, filename=filename, title=filename, initial_comment=comment)


SAMPLES = 2
MOST_PREVIEWS = 20


def post_previews(deps: SlackDeps, client: WebClient, actor: Actor, locale: str, serial_id: int, user_id: str) -> None:
    """Page 1 as the envelope window shows it, for two sample letters and every failing one."""
    with deps.wiring.unit_of_work() as (session, ports):
        serial = documents.get_serial_letter(session, actor, serial_id)
        plan = dispatch.build_plan(session, ports, serial)
        organisation = session.get(Organisation, serial.organisation_id)
        profile = profile_for(dispatch.capabilities_of(ports, organisation))
        home_country = organisation.home_country
        letters = [letter for letter in plan.letters if letter.documents]
        worth_a_look = plan.failing + plan.advised  # held back, or going with a note
        chosen = (letters[:SAMPLES] + [letter for letter in worth_a_look if letter not in letters[:SAMPLES]])[:MOST_PREVIEWS]
        if not chosen:
            dm(client, user_id, views.ephemeral(t("preview.none", locale)))
            return
        for letter in chosen:
            if letter.first_document is None:  # no page to show: say why instead
                problems = " ".join(p.message.render(locale) for p in letter.problems)
                dm(client, user_id, views.ephemeral(f"⚠️ {letter.contact.name}: {problems}"))
                continue
            png = render_window_preview(ports.files.local(letter.first_document.path), profile,
                                        recipient=letter.contact.address, home_country=home_country)
            result = (t("preview.cover", locale) if letter.cover else "") + (
                " ".join(p.message.render(locale) for p in letter.problems) if letter.fails else t("preview.ok", locale))
            if letter.advisories and not letter.fails:
                result += " " + " ".join(p.message.render(locale) for p in letter.advisories)
            caption = t("preview.caption", locale, name=letter.contact.name, units=", ".join(letter.unit_labels), result=result)
            caption += "\n" + t("preview.legend", locale)
            _send_file(client, user_id, f"Fenster-{letter.contact.name}.png", png, caption)
