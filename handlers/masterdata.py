"""Master data in Slack (admins, App Home): upload the ERP's CSV or JSON, see a preview with every
rejected row, confirm to import all or nothing."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.slack import intake_views as iv
from bot.slack import views
from bot.slack.app import SlackDeps
from bot.slack.files import SlackFile, fetch, uploaded
from bot.slack.ids import Action, Block, Callback
from bot.slack.texts import t
from domain.actors import Actor
from domain.errors import BriefwerkError
from domain.models import Organisation, Role
from domain.services import masterdata
from handlers.common import ViewJob, actor_of, locale_of, run_in_view


def register(app: App, deps: SlackDeps) -> None:
    app.action(Action.OPEN_IMPORT)(lambda ack, body, context, client: open_import(ack, body, context, client))
    app.view(Callback.IMPORT)(lambda ack, body, context, client: check(deps, ack, body, context, client))
    app.view(Callback.IMPORT_CONFIRM)(lambda ack, body, context, client: confirm(deps, ack, body, context, client))


def open_import(ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    locale = locale_of(context)
    view = iv.import_modal(locale) if Role.ADMIN in actor_of(context).roles else views.notice(
        locale, t("import.admin_only", locale), "title.import")
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _read(deps: SlackDeps, client: WebClient, file: SlackFile) -> bytes:
    settings = deps.wiring.settings
    upload = fetch(client, settings.slack_api_url, file, deps.wiring.file_store().staging_file, settings.intake.file_bytes)
    try:
        return upload.path.read_bytes()
    finally:
        upload.path.unlink(missing_ok=True)


def _admin_only(ack, actor: Actor, locale: str) -> bool:
    if Role.ADMIN in actor.roles:
        return False
    ack(response_action="update", view=views.notice(locale, t("import.admin_only", locale), "title.import"))
    return True


def check(deps: SlackDeps, ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """The preview: what would change, and every rejected row with its line; nothing stored."""
    actor, locale, view = actor_of(context), locale_of(context), body["view"]
    if _admin_only(ack, actor, locale):
        return
    [file] = uploaded(view["state"]["values"], Block.IMPORT_FILE)
    ack(response_action="update", view=iv.working(locale, "title.import", t("import.working", locale)))

    def preview(job: ViewJob) -> dict[str, Any]:
        data = _read(deps, client, file)
        with deps.wiring.unit_of_work() as (session, _):
            org = session.get(Organisation, actor.organisation_id)
            report = masterdata.preview(session, org, file.name, data, date.today(),
                                        deps.wiring.settings.intake.imports)
            return iv.import_preview(report, iv.ImportMeta(file=file, sha256=hashlib.sha256(data).hexdigest()), org.name,
                                     locale)

    run_in_view(deps, ViewJob(client, view["id"], locale, "title.import", t("import.working", locale)), preview,
                lambda error: _refused(error, locale))


def confirm(deps: SlackDeps, ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """Imports exactly the file previewed (same checksum), all or nothing."""
    actor, locale, view = actor_of(context), locale_of(context), body["view"]
    if _admin_only(ack, actor, locale):
        return
    meta = iv.ImportMeta.model_validate_json(view["private_metadata"])
    ack(response_action="update", view=iv.working(locale, "title.import", t("import.working", locale)))

    def apply(job: ViewJob) -> dict[str, Any]:
        data = _read(deps, client, meta.file)
        if hashlib.sha256(data).hexdigest() != meta.sha256:
            return views.notice(locale, "⚠️ " + t("import.changed_meanwhile", locale), "title.import")
        with deps.wiring.unit_of_work() as (session, _):
            org = session.get(Organisation, actor.organisation_id)
            report = masterdata.run_import(session, org, meta.file.name, data, date.today(), actor, "slack",
                                           deps.wiring.settings.intake.imports)
            if not report.ok:
                return iv.import_preview(report, meta, org.name, locale)
        from handlers.home import publish_home

        publish_home(deps, client, context, body["user"]["id"])
        return views.notice(locale, iv.import_done(report, meta.file.name, locale), "title.import")

    run_in_view(deps, ViewJob(client, view["id"], locale, "title.import", t("import.working", locale)), apply,
                lambda error: _refused(error, locale))


def _refused(error: BriefwerkError, locale: str) -> dict[str, Any]:
    return views.notice(locale, "⚠️ " + error.render(locale), "title.import")
