"""Block Kit views of the front door: the new serial letter (two steps), the split report, edit
documents with its conflict choice, renaming a draft, the master-data import and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from bot.slack.blocks import (
    Block,
    actions,
    button,
    confirm_dialog,
    context,
    cut,
    divider,
    escape,
    input_block,
    modal,
    option,
    plain,
    section,
)
from bot.slack.files import SlackFile
from bot.slack.ids import Action, Callback
from bot.slack.ids import Block as B
from bot.slack.texts import t
from bot.slack.views import ViewMeta
from domain.importer import ImportReport
from domain.models import ApiKey, ImportRun, Property, RecipientGroup, SerialLetter
from domain.services.intake import SplitReport, report_lines

METHODS = ("marker", "pages", "ranges", "files")
DEFAULT_MARKER = "Einheit: {unit}"
SECTION = 2900  # a section's text stays below Slack's 3,000 characters


class NewSerialMeta(BaseModel):
    """Step 1's answers, carried by step 2 and by the views after it."""

    property_id: int
    title: str
    types: list[str]
    recipients: RecipientGroup = RecipientGroup.OWNERS


class UploadMeta(BaseModel):
    """An edit-documents upload waiting for the user's choice on conflicting units."""

    serial_id: int
    type_index: int  # -1: general attachments
    method: str
    setting: str = ""
    files: list[SlackFile]


class ImportMeta(BaseModel):
    file: SlackFile
    sha256: str


def _recipient_options(locale: str) -> list[dict[str, Any]]:
    return [option(t(f"recipients.{group.value}", locale), group.value) for group in RecipientGroup]


def new_serial_modal(locale: str) -> dict[str, Any]:
    """Step 1: the property (searchable), the title, the document types, the recipients."""
    recipients = _recipient_options(locale)
    blocks = [
        input_block(t("new.property", locale), {"type": "external_select", "action_id": Action.PROPERTY,
                                                "min_query_length": 0,
                                                "placeholder": plain(t("new.property_placeholder", locale), 150)}, B.PROPERTY),
        input_block(t("new.title", locale), {"type": "plain_text_input", "action_id": "title", "max_length": 150,
                                             "placeholder": plain(t("new.title_placeholder", locale), 150)}, B.TITLE),
        input_block(t("new.types", locale), {"type": "plain_text_input", "action_id": "types", "multiline": True,
                                             "initial_value": "Hausgeldabrechnung", "max_length": 900},
                    B.TYPES, hint=t("new.types_hint", locale)),
        input_block(t("new.recipients", locale), {"type": "radio_buttons", "action_id": "recipients",
                                                  "options": recipients, "initial_option": recipients[0]}, B.RECIPIENTS),
    ]
    return modal(t("title.new_serial", locale), blocks, callback_id=Callback.NEW_SERIAL, close=t("cancel", locale),
                 submit=t("submit.next", locale))


def property_options(properties: list[tuple[Property, int]], locale: str) -> dict[str, Any]:
    return {"options": [option(f"{prop.external_id} · {prop.name}", str(prop.id), t("new.property_units", locale, units=units))
                        for prop, units in properties[:100]]}


def new_serial_files_modal(meta: NewSerialMeta, property_name: str, units: int, warning: str, locale: str) -> dict[str, Any]:
    """Step 2: per document type its files and how to split them; the general attachments."""
    methods = [option(t(f"split.{m}", locale), m) for m in METHODS]
    facts = t("new.facts", locale, title=escape(meta.title), property=escape(property_name), units=units,
              recipients=t(f"recipients.{meta.recipients.value}", locale))
    blocks: list[Block] = [section(facts)]
    if warning:
        blocks.append(section(f"⚠️ {escape(warning)}"))
    blocks.append(context(t("new.files_intro", locale)))
    for index, kind in enumerate(meta.types):
        blocks += [
            divider(),
            input_block(t("new.type_files", locale, type=kind), {"type": "file_input", "action_id": "file",
                                                                 "filetypes": ["pdf", "zip"], "max_files": 10},
                        B.files_of(index)),
            input_block(t("new.type_method", locale, type=kind), {"type": "static_select", "action_id": "method",
                                                                  "options": methods, "initial_option": methods[0]},
                        B.method_of(index)),
            input_block(t("new.type_setting", locale, type=kind), {"type": "plain_text_input", "action_id": "value",
                                                                   "initial_value": DEFAULT_MARKER},
                        B.setting_of(index), optional=True, hint=t("documents.value_hint", locale)),
        ]
    blocks += [divider(), input_block(t("new.attachments", locale), {"type": "file_input", "action_id": "file",
                                                                     "filetypes": ["pdf"], "max_files": 10},
                                      B.ATTACHMENTS, optional=True)]
    return modal(t("title.new_serial", locale), blocks, callback_id=Callback.NEW_SERIAL_FILES, close=t("cancel", locale),
                 submit=t("submit.create", locale), metadata=meta)


def working(locale: str, title_key: str, text: str, progress: str = "") -> dict[str, Any]:
    """Work in progress, with its newest progress line."""
    blocks = [section(text)]
    if progress:
        blocks.append(context(escape(progress)))
    return modal(t(title_key, locale), blocks, callback_id=Callback.NOTICE, close=t("close", locale))


def _lines_as_sections(lines: list[str], locale: str, most: int = 60) -> list[Block]:
    shown = lines[:most]
    if len(lines) > most:
        shown.append(t("new.more_lines", locale, count=len(lines) - most))
    blocks: list[Block] = []
    chunk = ""
    for line in shown:
        line = escape(cut(line, 1000))
        if chunk and len(chunk) + len(line) + 1 > SECTION:
            blocks.append(section(chunk))
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
    if chunk:
        blocks.append(section(chunk))
    return blocks


def split_result(report: SplitReport, headline: str, notes: list[str], locale: str, overview: bool = True) -> dict[str, Any]:
    """What went where: units and their pages, pages without a unit, units without a document,
    then the way on to the overview (`overview` False: it lies underneath, closing returns to it)."""
    blocks: list[Block] = [section(headline)]
    blocks += _lines_as_sections(report_lines(report, locale), locale)
    if notes:
        blocks += _lines_as_sections([f"ℹ️ {note}" for note in notes], locale, most=20)
    if overview:
        blocks.append(actions(button(t("button.to_overview", locale), Action.SHOW_OVERVIEW, str(report.serial_id),
                                     style="primary"), block_id="result_actions"))
    return modal(t("title.intake_result", locale), blocks[:100], callback_id=Callback.INTAKE_RESULT,
                 close=t("close", locale))


def intake_failed(text: str, meta: NewSerialMeta | None, locale: str) -> dict[str, Any]:
    """Nothing was created: why, and the way back to the files (they must be chosen again)."""
    blocks: list[Block] = [section(escape(text))]
    if meta is not None:
        blocks.append(actions(button(t("button.back_to_files", locale), Action.BACK_TO_FILES, style="primary"),
                              block_id="failed_actions"))
    return modal(t("title.new_serial", locale), blocks, callback_id=Callback.INTAKE_RESULT, close=t("close", locale),
                 metadata=meta)


def conflict(text: str, meta: UploadMeta, locale: str) -> dict[str, Any]:
    blocks = [section(escape(text)), section(t("documents.conflict_choose", locale)),
              actions(button(t("button.take_new", locale), Action.TAKE_NEW, "replace", style="primary"),
                      button(t("button.keep_earlier", locale), Action.KEEP_EARLIER, "keep"), block_id="conflict")]
    return modal(t("title.documents", locale), blocks, callback_id=Callback.INTAKE_RESULT, close=t("close", locale),
                 metadata=meta)


def documents_modal(serial: SerialLetter, locale: str) -> dict[str, Any]:
    types = [option(kind, str(index)) for index, kind in enumerate(serial.document_types)]
    types.append(option(t("documents.attachment", locale), "attachment"))
    methods = [option(t(f"split.{m}", locale), m) for m in METHODS]
    modes = [option(t("documents.mode_add", locale), "add"), option(t("documents.mode_replace", locale), "replace")]
    blocks: list[Block] = [
        input_block(t("documents.file", locale), {"type": "file_input", "action_id": "file", "filetypes": ["pdf", "zip"],
                                                  "max_files": 10}, B.FILE, hint=t("documents.file_hint", locale)),
        input_block(t("documents.type", locale), {"type": "static_select", "action_id": "type", "options": types,
                                                  "initial_option": types[0]}, B.DOCUMENT_TYPE),
        input_block(t("documents.method", locale), {"type": "static_select", "action_id": "method", "options": methods,
                                                    "initial_option": methods[0]}, B.SPLIT_METHOD),
        input_block(t("documents.value", locale), {"type": "plain_text_input", "action_id": "value",
                                                   "initial_value": DEFAULT_MARKER}, B.SPLIT_VALUE,
                    optional=True, hint=t("documents.value_hint", locale)),
        input_block(t("documents.mode", locale), {"type": "radio_buttons", "action_id": "mode", "options": modes,
                                                  "initial_option": modes[0]}, B.UPLOAD_MODE),
    ]
    return modal(t("title.documents", locale), blocks, callback_id=Callback.DOCUMENTS, close=t("close", locale),
                 submit=t("submit.upload", locale), metadata=ViewMeta(serial_id=serial.id, version=serial.version))


def rename_modal(serial: SerialLetter, locale: str) -> dict[str, Any]:
    blocks = [input_block(t("rename.label", locale), {"type": "plain_text_input", "action_id": "title", "max_length": 150,
                                                      "initial_value": serial.title}, B.TITLE)]
    return modal(t("title.rename", locale), blocks, callback_id=Callback.RENAME, close=t("cancel", locale),
                 submit=t("submit.save", locale), metadata=ViewMeta(serial_id=serial.id, version=serial.version))


# --- master data ------------------------------------------------------------------------


def import_modal(locale: str) -> dict[str, Any]:
    blocks = [input_block(t("import.file", locale), {"type": "file_input", "action_id": "file",
                                                     "filetypes": ["csv", "json", "txt"], "max_files": 1},
                          B.IMPORT_FILE, hint=t("import.hint", locale))]
    return modal(t("title.import", locale), blocks, callback_id=Callback.IMPORT, close=t("cancel", locale),
                 submit=t("submit.check", locale))


def _counts(counts: dict[str, int], locale: str) -> str:
    return t("import.counts", locale, **counts)


def import_preview(report: ImportReport, meta: ImportMeta, organisation: str, locale: str) -> dict[str, Any]:
    text = t("import.preview", locale, file=escape(meta.file.name), org=escape(organisation), rows=report.rows,
             created=_counts(report.created, locale), updated=_counts(report.updated, locale), ended=report.ended_links)
    blocks: list[Block] = [section(text)]
    if report.ok:
        blocks.append(context(t("import.preview_ok", locale)))
        return modal(t("title.import", locale), blocks, callback_id=Callback.IMPORT_CONFIRM, close=t("cancel", locale),
                     submit=t("submit.import", locale), metadata=meta)
    blocks.append(section(t("import.preview_rejected", locale, count=len(report.rejected))))
    blocks += _lines_as_sections([r.message.render(locale) for r in report.rejected], locale, most=80)
    return modal(t("title.import", locale), blocks[:100], callback_id=Callback.NOTICE, close=t("close", locale))


def import_done(report: ImportReport, filename: str, locale: str) -> str:
    return t("import.done", locale, file=escape(filename), rows=report.rows, created=_counts(report.created, locale),
             updated=_counts(report.updated, locale), ended=report.ended_links)


def recent_imports(runs: list[ImportRun], locale: str) -> list[Block]:
    if not runs:
        return []
    lines = [t("home.import_row", locale, at=_when(run.at), file=escape(run.filename), by=escape(run.by_name),
               route=run.route, rows=run.rows) for run in runs]
    return [section(t("home.imports", locale) + "\n" + "\n".join(lines))]


def _when(moment: datetime | None) -> str:
    return f"{moment:%d.%m.%Y %H:%M} UTC" if moment else "–"


# --- API keys ---------------------------------------------------------------------------


def api_keys_modal(keys: list[ApiKey], public_url: str, locale: str, notice: str = "") -> dict[str, Any]:
    blocks: list[Block] = []
    if notice:
        blocks.append(section(notice))
    blocks.append(context(t("keys.intro", locale, url=public_url.rstrip("/") + "/")))
    for key in keys[-40:]:
        if key.revoked_at is not None:
            blocks.append(section(t("keys.revoked_row", locale, name=escape(key.name), prefix=key.prefix,
                                    revoked=_when(key.revoked_at))))
            continue
        revoke = button(t("button.revoke", locale), Action.REVOKE_KEY, str(key.id), style="danger", confirm=confirm_dialog(
            t("button.revoke", locale), t("keys.revoke_confirm", locale), t("button.revoke", locale), t("cancel", locale),
            danger=True))
        blocks.append(section(t("keys.row", locale, name=escape(key.name), prefix=key.prefix, created=_when(key.created_at),
                                used=_when(key.last_used_at) if key.last_used_at else t("keys.never", locale)),
                              accessory=revoke, block_id=f"key_{key.id}"))
    if not keys:
        blocks.append(section(t("keys.none", locale)))
    blocks.append(input_block(t("keys.name", locale), {"type": "plain_text_input", "action_id": "name", "max_length": 80,
                                                       "placeholder": plain(t("keys.name_placeholder", locale), 150)},
                              B.KEY_NAME))
    return modal(t("title.api_keys", locale), blocks, callback_id=Callback.API_KEYS, close=t("close", locale),
                 submit=t("submit.create_key", locale))
