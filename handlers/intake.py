"""The front door in Slack: "Neuer Serienbrief" in two steps (property, title and types; then
the files of each type and the attachments), the split report, edit documents with the choice
on units that already have one, renaming a draft."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.slack import intake_views as iv
from bot.slack import views
from bot.slack.app import SlackDeps
from bot.slack.files import SlackFile, fetch, uploaded
from bot.slack.flows import announce_later
from bot.slack.ids import Action, Block, Callback
from bot.slack.texts import t
from domain.actors import Actor
from domain.errors import BriefwerkError, InvalidInput, NotAllowed
from domain.messages import Message
from domain.services import documents, intake
from domain.split import ByMarker, ByPageCount, ByRanges
from domain.uploads import Upload
from handlers.common import (
    ViewJob,
    action_value,
    actor_of,
    locale_of,
    meta,
    push_for_creator_or_admin,
    run_in_view,
    update_view,
    view_of,
)
from handlers.overview import show_serial


def register(app: App, deps: SlackDeps) -> None:
    app.action(Action.NEW_SERIAL)(lambda ack, body, context, client: open_new(deps, ack, body, context, client))
    app.options(Action.PROPERTY)(lambda ack, body, context: property_options(deps, ack, body, context))
    app.view(Callback.NEW_SERIAL)(lambda ack, body, context: submit_basics(deps, ack, body, context))
    app.view(Callback.NEW_SERIAL_FILES)(lambda ack, body, context, client: submit_files(deps, ack, body, context, client))
    app.action(Action.BACK_TO_FILES)(lambda ack, body, context, client: back_to_files(deps, ack, body, context, client))
    app.action(Action.SHOW_OVERVIEW)(lambda ack, body, context, client: show_overview(deps, ack, body, context, client))
    app.action(Action.OPEN_DOCUMENTS)(lambda ack, body, context, client: open_documents(deps, ack, body, context, client))
    app.view(Callback.DOCUMENTS)(lambda ack, body, context, client: submit_documents(deps, ack, body, context, client))
    for choice in (Action.TAKE_NEW, Action.KEEP_EARLIER):
        app.action(choice)(lambda ack, body, context, client: resolve_conflict(deps, ack, body, context, client))
    app.action(Action.OPEN_RENAME)(lambda ack, body, context, client: open_rename(deps, ack, body, context, client))
    app.view(Callback.RENAME)(lambda ack, body, context, client: submit_rename(deps, ack, body, context, client))


# --- step 1: property, title, document types ---------------------------------------------


def open_new_modal(client: WebClient, body: dict[str, Any], locale: str) -> None:
    """From a modal (the picker) the modal becomes the form; elsewhere a new modal opens."""
    view = view_of(body)
    if view.get("type") == "modal":
        update_view(client, view["id"], iv.new_serial_modal(locale))
    else:
        client.views_open(trigger_id=body["trigger_id"], view=iv.new_serial_modal(locale))


def open_new(deps: SlackDeps, ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    open_new_modal(client, body, locale_of(context))


def property_options(deps: SlackDeps, ack, body: dict[str, Any], context: BoltContext) -> None:
    """Properties whose name or ERP number contains what the user typed, with their unit counts."""
    with deps.wiring.unit_of_work() as (session, _):
        rows = intake.properties(session, actor_of(context).organisation_id, body.get("value") or "", limit=100)
    ack(iv.property_options(rows, locale_of(context)))


def submit_basics(deps: SlackDeps, ack, body: dict[str, Any], context: BoltContext) -> None:
    locale, actor, values = locale_of(context), actor_of(context), body["view"]["state"]["values"]
    chosen = values[Block.PROPERTY][Action.PROPERTY].get("selected_option") or {}
    title = (values[Block.TITLE]["title"].get("value") or "").strip()
    types = [line.strip() for line in (values[Block.TYPES]["types"].get("value") or "").replace(",", "\n").splitlines()
             if line.strip()]
    recipients = values[Block.RECIPIENTS]["recipients"]["selected_option"]["value"]
    errors = {}
    if not types or len({kind.casefold() for kind in types}) != len(types) or len(types) > documents.MAX_TYPES \
            or any(len(kind) > documents.TYPE_LENGTH for kind in types):
        errors[Block.TYPES] = InvalidInput("create.too_many_types", most=documents.MAX_TYPES,
                                           length=documents.TYPE_LENGTH).render(locale)
    if not chosen.get("value", "").isdigit():
        errors[Block.PROPERTY] = t("new.no_properties", locale)
    if not title:
        errors[Block.TITLE] = InvalidInput("create.no_title").render(locale)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    meta_ = iv.NewSerialMeta(property_id=int(chosen["value"]), title=title, types=types, recipients=recipients)
    try:
        view = _files_step(deps, actor, meta_, locale)
    except BriefwerkError as error:
        ack(response_action="errors", errors={Block.PROPERTY: error.render(locale)})
        return
    ack(response_action="update", view=view)


def _files_step(deps: SlackDeps, actor: Actor, meta_: iv.NewSerialMeta, locale: str) -> dict[str, Any]:
    """Step 2 for the property chosen; a property without units is refused right away."""
    with deps.wiring.unit_of_work() as (session, _):
        prop = intake.find_property(session, actor, str(meta_.property_id))
        units = len(documents.units_of(session, prop.id))
        if not units:
            raise InvalidInput("create.no_units", property=prop.name)
        taken = intake.same_title(session, actor, prop.id, meta_.title)
    warning = Message("create.title_exists", {"title": meta_.title, "ids": ", ".join(str(s.id) for s in taken)}).render(
        locale) if taken else ""
    return iv.new_serial_files_modal(meta_, prop.name, units, warning, locale)


def back_to_files(deps: SlackDeps, ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    locale, view = locale_of(context), view_of(body)
    meta_ = iv.NewSerialMeta.model_validate_json(view["private_metadata"])
    try:
        update_view(client, view["id"], _files_step(deps, actor_of(context), meta_, locale))
    except BriefwerkError as error:
        update_view(client, view["id"], iv.intake_failed(t("new.failed", locale, reason=error.render(locale)), None, locale))


# --- step 2: the files ---------------------------------------------------------------------


def split_rule(method: str, setting: str) -> ByMarker | ByPageCount | ByRanges | None:
    """The text field read per method: a marker pattern, a page count, or ranges
    'WE 01=1-3; WE 02=4-5'. None: one file per unit. ValueError for what cannot be read."""
    if method == "marker":
        return ByMarker(pattern=setting or iv.DEFAULT_MARKER)
    if method == "pages":
        return ByPageCount(pages_per_unit=int(setting))
    if method == "ranges":
        pairs = [item.split("=", 1) for item in setting.split(";") if item.strip()]
        if not pairs or any(len(pair) != 2 for pair in pairs):
            raise ValueError(setting)
        return ByRanges(ranges={unit.strip(): pages.strip() for unit, pages in pairs})
    return None


def _read_rule(values: dict[str, Any], method_block: str, setting_block: str, files_block: str, files: list[SlackFile],
               locale: str, errors: dict[str, str]) -> tuple[str, str, Any]:
    method = values[method_block]["method"]["selected_option"]["value"]
    setting = (values[setting_block]["value"].get("value") or "").strip()
    rule = None
    try:
        rule = split_rule(method, setting)
    except ValueError:
        errors[setting_block] = t("documents.bad_value", locale)
    if method != "files" and any(f.name.lower().endswith(".zip") for f in files):
        errors[files_block] = t("new.zip_needs_files", locale)
    return method, setting, rule


def submit_files(deps: SlackDeps, ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    locale, actor, view = locale_of(context), actor_of(context), body["view"]
    values, meta_ = view["state"]["values"], iv.NewSerialMeta.model_validate_json(view["private_metadata"])
    errors: dict[str, str] = {}
    wanted = []
    for index, kind in enumerate(meta_.types):
        files = uploaded(values, Block.files_of(index))
        _, _, rule = _read_rule(values, Block.method_of(index), Block.setting_of(index), Block.files_of(index), files,
                                locale, errors)
        wanted.append((kind, files, rule))
    attachments = uploaded(values, Block.ATTACHMENTS)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack(response_action="update", view=iv.working(locale, "title.new_serial", t("new.working", locale)))
    job = ViewJob(client, view["id"], locale, "title.new_serial", t("new.working", locale))

    def create(job: ViewJob) -> dict[str, Any]:
        store = deps.wiring.file_store()
        staged: list[Upload] = []
        try:
            uploads = [intake.DocumentUpload(kind, _fetched(deps, client, files, store, staged), rule)
                       for kind, files, rule in wanted]
            extra = _fetched(deps, client, attachments, store, staged)
            request = intake.NewSerialLetter(meta_.property_id, meta_.title, uploads, extra, meta_.recipients)
            with deps.wiring.unit_of_work() as (session, ports):
                serial, outcomes = intake.start_serial_letter(session, ports.files, actor, request,
                                                              deps.wiring.settings.intake, progress=job.progress)
                report = intake.split_report(session, actor, serial.id)
        finally:
            for upload in staged:
                upload.path.unlink(missing_ok=True)
        announce_later(deps, body["team"]["id"], serial.id)
        headline = t("new.created", locale, id=serial.id, title=views.escape(serial.title),
                     property=views.escape(report.property_name), units=report.units)
        return iv.split_result(report, headline, _notes(outcomes, locale), locale)

    def refused(error: BriefwerkError) -> dict[str, Any]:
        return iv.intake_failed(t("new.failed", locale, reason=error.render(locale)), meta_, locale)

    run_in_view(deps, job, create, refused)


def _fetched(deps: SlackDeps, client: WebClient, files: list[SlackFile], store: Any, staged: list[Upload]) -> list[Upload]:
    settings = deps.wiring.settings
    got = []
    for file in files:
        upload = fetch(client, settings.slack_api_url, file, store.staging_file, settings.intake.file_bytes)
        staged.append(upload)
        got.append(upload)
    return got


def _notes(outcomes: list[intake.UploadOutcome], locale: str) -> list[str]:
    """What the report does not show by itself: rejected files, kept and replaced units, warnings."""
    hidden = ("split.unmatched_page", "split.unmatched_page_in_file")
    return [f"{o.document_type}: {note.render(locale)}" for o in outcomes for note in o.notes() if note.key not in hidden]


def show_overview(deps: SlackDeps, ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    show_serial(deps, client, actor_of(context), locale_of(context), int(action_value(body)), view_id=view_of(body)["id"])


# --- edit documents ------------------------------------------------------------------------


def open_documents(deps: SlackDeps, ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    with deps.wiring.unit_of_work() as (session, _):
        serial = documents.get_serial_letter(session, actor_of(context), int(action_value(body)))
        client.views_push(trigger_id=body["trigger_id"], view=iv.documents_modal(serial, locale_of(context)))


def submit_documents(deps: SlackDeps, ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    locale, view = locale_of(context), body["view"]
    values = view["state"]["values"]
    files = uploaded(values, Block.FILE)
    if not files:
        ack(response_action="errors", errors={Block.FILE: t("documents.no_file", locale)})
        return
    kind = values[Block.DOCUMENT_TYPE]["type"]["selected_option"]["value"]
    errors: dict[str, str] = {}
    method, setting, _ = _read_rule(values, Block.SPLIT_METHOD, Block.SPLIT_VALUE, Block.FILE, files, locale, errors)
    if kind == "attachment" and any(f.name.lower().endswith(".zip") for f in files):
        errors[Block.FILE] = t("new.zip_needs_files", locale)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    mode = values[Block.UPLOAD_MODE]["mode"]["selected_option"]["value"]
    upload = iv.UploadMeta(serial_id=meta(body).serial_id, type_index=-1 if kind == "attachment" else int(kind),
                           method=method, setting=setting, files=files)
    ack(response_action="update", view=iv.working(locale, "title.documents", t("new.working", locale)))
    _upload(deps, client, body, actor_of(context), locale, upload, intake.Mode(mode), intake.OnConflict.ASK)


def resolve_conflict(deps: SlackDeps, ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    locale, view = locale_of(context), view_of(body)
    upload = iv.UploadMeta.model_validate_json(view["private_metadata"])
    update_view(client, view["id"], iv.working(locale, "title.documents", t("new.working", locale)))
    _upload(deps, client, body, actor_of(context), locale, upload, intake.Mode.ADD, intake.OnConflict(action_value(body)))


def _upload(deps: SlackDeps, client: WebClient, body: dict[str, Any], actor: Actor, locale: str, upload: iv.UploadMeta,
            mode: intake.Mode, on_conflict: intake.OnConflict) -> None:
    """Fetches the files and adds them; a conflict asks the user, the result shows the type's
    new state, and the serial letter underneath is shown afresh."""
    view = view_of(body)
    root_id = view.get("root_view_id") or view["id"]
    job = ViewJob(client, view["id"], locale, "title.documents", t("new.working", locale))

    def work(job: ViewJob) -> dict[str, Any]:
        store = deps.wiring.file_store()
        staged: list[Upload] = []
        try:
            got = _fetched(deps, client, upload.files, store, staged)
            with deps.wiring.unit_of_work() as (session, ports):
                serial = documents.get_serial_letter(session, actor, upload.serial_id)
                if upload.type_index < 0:
                    added = intake.add_attachments(session, ports.files, actor, serial.id, got, deps.wiring.settings.intake)
                    headline, notes = t("documents.attachments_stored", locale, count=len(added)), []
                else:
                    kind = serial.document_types[upload.type_index]
                    rule = split_rule(upload.method, upload.setting)
                    outcome = intake.upload_documents(session, ports.files, actor, serial.id,
                                                      intake.DocumentUpload(kind, got, rule), deps.wiring.settings.intake,
                                                      mode=mode, on_conflict=on_conflict, progress=job.progress)
                    headline = t("documents.stored", locale, document_type=views.escape(kind), count=len(outcome.assigned))
                    notes = _notes([outcome], locale)
                report = intake.split_report(session, actor, serial.id)
        except intake.UnitsConflict as error:
            return iv.conflict(error.render(locale), upload, locale)
        finally:
            for item in staged:
                item.path.unlink(missing_ok=True)
        show_serial(deps, client, actor, locale, upload.serial_id, view_id=root_id)
        announce_later(deps, body["team"]["id"], upload.serial_id)
        return iv.split_result(report, headline, notes, locale, overview=False)

    def refused(error: BriefwerkError) -> dict[str, Any]:
        return views.notice(locale, "⚠️ " + error.render(locale), "title.documents")

    run_in_view(deps, job, work, refused)


# --- rename --------------------------------------------------------------------------------


def open_rename(deps: SlackDeps, ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    push_for_creator_or_admin(deps, client, body, context, iv.rename_modal, "rename.not_allowed")


def submit_rename(deps: SlackDeps, ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    actor, locale, info = actor_of(context), locale_of(context), meta(body)
    title = body["view"]["state"]["values"][Block.TITLE]["title"].get("value") or ""
    try:
        with deps.wiring.unit_of_work() as (session, _):
            serial = intake.rename_draft(session, actor, info.serial_id, title, info.version)
    except InvalidInput as error:
        ack(response_action="errors", errors={Block.TITLE: error.render(locale)})
        return
    except NotAllowed:
        ack(response_action="update", view=views.notice(locale, t("rename.not_allowed", locale), "title.rename"))
        return
    except BriefwerkError as error:
        ack(response_action="update", view=views.notice(locale, "⚠️ " + error.render(locale), "title.rename"))
        return
    ack()
    root_id = body["view"].get("root_view_id") or body["view"]["id"]
    show_serial(deps, client, actor, locale, info.serial_id, view_id=root_id,
                notice_text=t("rename.done", locale, title=views.escape(serial.title)))
    announce_later(deps, body["team"]["id"], info.serial_id)
