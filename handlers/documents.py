"""Edit documents (seed step 2): upload replacement or additional PDFs, choose how to split
them, and see the assignment result."""

from __future__ import annotations

from typing import Any

import httpx
from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.slack import views
from bot.slack.app import SlackDeps
from bot.slack.flows import announce_later
from bot.slack.ids import Action, Block, Callback
from bot.slack.texts import t
from domain.actors import Actor
from domain.errors import BriefwerkError
from domain.messages import Message
from domain.pdf.assemble import concatenate
from domain.services import documents, intake
from domain.split import ByMarker, ByPageCount, ByRanges
from handlers.common import action_value, actor_of, locale_of, meta
from handlers.overview import show_serial


def register(app: App, deps: SlackDeps) -> None:
    def open_documents(ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        with deps.wiring.unit_of_work() as (session, _):
            serial = documents.get_serial_letter(session, actor_of(context), int(action_value(body)))
            client.views_push(trigger_id=body["trigger_id"], view=views.documents_modal(serial, locale_of(context)))

    def submit(ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        locale, values = locale_of(context), body["view"]["state"]["values"]
        files = values[Block.FILE]["file"].get("files") or []
        if not files:
            ack(response_action="errors", errors={Block.FILE: t("documents.no_file", locale)})
            return
        method = values[Block.SPLIT_METHOD]["method"]["selected_option"]["value"]
        setting = (values[Block.SPLIT_VALUE]["value"].get("value") or "").strip()
        try:
            rule = split_rule(method, setting)
        except ValueError:
            ack(response_action="errors", errors={Block.SPLIT_VALUE: t("documents.bad_value", locale)})
            return
        ack()  # the result appears on the serial letter underneath
        kind = values[Block.DOCUMENT_TYPE]["type"]["selected_option"]["value"]
        deps.background.pdf(upload, deps, client, body, actor_of(context), locale, files, kind, method, rule)

    app.action(Action.OPEN_DOCUMENTS)(open_documents)
    app.view(Callback.DOCUMENTS)(submit)


def split_rule(method: str, setting: str) -> ByMarker | ByPageCount | ByRanges | None:
    """The modal's text field read per method: a marker pattern, a page count, or ranges
    'WE 01=1-3; WE 02=4-5'. None: one file per unit."""
    if method == "marker":
        return ByMarker(pattern=setting or "Einheit: {unit}")
    if method == "pages":
        return ByPageCount(pages_per_unit=int(setting))
    if method == "ranges":
        pairs = [item.split("=", 1) for item in setting.split(";") if item.strip()]
        if not pairs or any(len(pair) != 2 for pair in pairs):
            raise ValueError(setting)
        return ByRanges(ranges={unit.strip(): pages.strip() for unit, pages in pairs})
    return None


def download(client: WebClient, file: dict[str, Any]) -> bytes:
    """A file the user uploaded into the modal, fetched with the bot token as Slack requires."""
    url = file.get("url_private_download") or file["url_private"]
    response = httpx.get(url, headers={"Authorization": f"Bearer {client.token}"}, follow_redirects=True, timeout=60)
    response.raise_for_status()
    return response.content


def upload(deps: SlackDeps, client: WebClient, body: dict[str, Any], actor: Actor, locale: str,
           files: list[dict[str, Any]], kind: str, method: str, rule: Any) -> None:
    info = meta(body)
    lines: list[str] = []
    try:
        contents = {file["name"]: download(client, file) for file in files}
        with deps.wiring.unit_of_work() as (session, ports):
            serial = documents.get_serial_letter(session, actor, info.serial_id)
            if kind == "attachment":
                for name, data in contents.items():
                    added = intake.add_attachment(session, ports.files, actor, serial.id, name, data)
                    lines.append(t("documents.attachment_done", locale, filename=name, pages=added.page_count))
            else:
                document_type = serial.document_types[int(kind)]
                lines += _split(session, ports, actor, serial.id, document_type, contents, method, rule, locale)
    except (BriefwerkError, httpx.HTTPError) as error:
        lines = ["⚠️ " + (error.render(locale) if isinstance(error, BriefwerkError) else str(error))]
    root_id = body["view"].get("root_view_id") or body["view"]["id"]
    show_serial(deps, client, actor, locale, info.serial_id, view_id=root_id, notice_text="\n".join(lines))
    announce_later(deps, body["team"]["id"], info.serial_id)


def _split(session, ports, actor: Actor, serial_id: int, document_type: str, contents: dict[str, bytes],
           method: str, rule: Any, locale: str) -> list[str]:
    if method == "files":
        result = intake.upload_unit_files(session, ports.files, actor, serial_id, document_type, contents,
                                          mode=intake.Mode.REPLACE)
        lines = [t("documents.done", locale, filename=", ".join(contents), assigned=len(result.assigned))]
    else:  # several files are parts of one batch, in the order uploaded: split them together
        name = " + ".join(contents)
        data = next(iter(contents.values())) if len(contents) == 1 else concatenate(list(contents.values()), title=name)
        result = intake.upload_batch(session, ports.files, actor, serial_id, document_type, name, data, rule,
                                     mode=intake.Mode.REPLACE)
        lines = [t("documents.done", locale, filename=name, assigned=len(result.assigned))]
    report = intake.split_report(session, actor, serial_id)
    missing = next(kind.missing for kind in report.types if kind.document_type == document_type)
    return lines + [line.render(locale) for line in result.notes()] + [
        Message("split.unit_without_document", {"unit": unit, "document_type": document_type}).render(locale)
        for unit in missing]
