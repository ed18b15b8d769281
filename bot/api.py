"""The intake API for ERPs that push: master data and new serial letters, authenticated by the
organisation's API keys (Authorization: Bearer …), answered in JSON, refused as RFC 9457
problem+json naming the field. Described at /api/v1/openapi.json."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.api_spec import openapi
from bot.slack.app import SlackDeps
from domain.actors import Actor
from domain.errors import BriefwerkError, InvalidInput, NotFound
from domain.messages import CATALOG, render
from domain.models import Organisation, RecipientGroup
from domain.services import apikeys, intake, masterdata
from domain.split import ByMarker, ByPageCount, ByRanges
from domain.uploads import IntakeLimits, Upload, copy_limited

log = logging.getLogger(__name__)

WORDS = {
    "unauthorized": {"de": "Ein gültiger API-Schlüssel fehlt (Authorization: Bearer bw_…).",
                     "en": "A valid API key is missing (Authorization: Bearer bw_…)."},
    "too_large": {"de": "Die Anfrage ist größer als {limit} MB.", "en": "The request is larger than {limit} MB."},
    "not_multipart": {"de": "Erwartet wird multipart/form-data.", "en": "multipart/form-data is expected."},
    "bad_form": {"de": "Der Inhalt lässt sich nicht lesen: {detail}", "en": "The body cannot be read: {detail}"},
    "missing": {"de": "Angabe fehlt.", "en": "Required."},
    "bad_json": {"de": "Kein gültiges JSON: {detail}", "en": "Not valid JSON: {detail}"},
    "no_such_file": {"de": "Keine hochgeladene Datei heißt „{name}“ (Teile „files“: {names}).",
                     "en": "No uploaded file is called “{name}” (parts “files”: {names})."},
    "file_twice": {"de": "Die Datei „{name}“ ist mehrfach verwendet.", "en": "The file “{name}” is used more than once."},
    "bad_value": {"de": "{detail}", "en": "{detail}"},
    "not_found": {"de": "Nicht gefunden.", "en": "Not found."},
    "rejected_rows": {"de": "Nichts importiert, abgelehnte Zeilen: {count}.", "en": "Nothing imported, rows rejected: {count}."},
    "unexpected": {"de": "Unerwarteter Fehler; er wurde protokolliert.", "en": "Unexpected error; it was logged."},
}
CATALOG.update({f"api.{key}": texts for key, texts in WORDS.items()})


def _say(key: str, locale: str, **facts: Any) -> str:
    return render(f"api.{key}", locale, **facts)


TITLES = {
    "unauthorized": {"de": "Nicht angemeldet", "en": "Unauthorized"},
    "too-large": {"de": "Zu groß", "en": "Too large"},
    "not-multipart": {"de": "Falsches Format", "en": "Unsupported media type"},
    "bad-body": {"de": "Unlesbarer Inhalt", "en": "Unreadable body"},
    "invalid-input": {"de": "Ungültige Angaben", "en": "Invalid input"},
    "rejected-rows": {"de": "Zeilen abgelehnt", "en": "Rows rejected"},
    "not-found": {"de": "Nicht gefunden", "en": "Not found"},
    "unexpected": {"de": "Unerwarteter Fehler", "en": "Unexpected error"},
}
CATALOG.update({f"api.title.{slug}": texts for slug, texts in TITLES.items()})


@dataclass
class Problem(Exception):
    """An RFC 9457 problem: `slug` names its type and title, `errors` the fields at fault."""

    status: int
    slug: str
    locale: str
    detail: str = ""
    errors: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"type": f"urn:briefwerk:problem:{self.slug}",
                                "title": _say(f"title.{self.slug}", self.locale), "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if self.errors:
            body["errors"] = self.errors
        return JSONResponse(body, status_code=self.status, media_type="application/problem+json", headers=self.headers)


def _locale(request: Request) -> str:
    first = request.headers.get("accept-language", "de").split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "de"


# --- request plumbing --------------------------------------------------------------------


Handler = Callable[[Request, str], Awaitable[Response]]


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        locale = _locale(request)
        try:
            return await handler(request, locale)
        except Problem as problem:
            return problem.response()
        except Exception:  # the caller hears something; the details go to the log
            log.exception("intake API %s %s failed", request.method, request.url.path)
            return Problem(500, "unexpected", locale, _say("unexpected", locale)).response()

    return endpoint


class _TooLarge(Exception):
    pass


async def _form(request: Request, limits: IntakeLimits, locale: str) -> FormData:
    """The multipart body, refused unread when its declared size is over the limit and cut off
    as soon as an undeclared one grows beyond it."""
    limit = limits.request_mb << 20
    too_large = Problem(413, "too-large", locale, _say("too_large", locale, limit=limits.request_mb))
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise too_large
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise Problem(415, "not-multipart", locale, _say("not_multipart", locale))
    received = 0
    receive = request.receive

    async def limited() -> dict[str, Any]:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise _TooLarge
        return message

    try:
        return await Request(request.scope, limited).form(max_files=1000, max_fields=100)
    except _TooLarge:
        raise too_large from None
    except (HTTPException, ClientDisconnect, ValueError) as error:
        raise Problem(400, "bad-body", locale, _say("bad_form", locale, detail=getattr(error, "detail", None) or error)) from error


class Context:
    """One authenticated request: the key's organisation and the staff member it acts as."""

    def __init__(self, deps: SlackDeps, request: Request, locale: str) -> None:
        self.deps, self.request, self.locale = deps, request, locale
        self.organisation: Organisation | None = None
        self.actor: Actor | None = None

    async def authenticate(self) -> None:
        header = self.request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")

        def check() -> tuple[Organisation, Actor] | None:
            with self.deps.wiring.unit_of_work() as (session, _):
                return apikeys.authenticate(session, token.strip())

        found = await run_in_threadpool(check) if scheme.lower() == "bearer" else None
        if found is None:
            raise Problem(401, "unauthorized", self.locale, _say("unauthorized", self.locale),
                          headers={"WWW-Authenticate": 'Bearer realm="briefwerk"'})
        self.organisation, self.actor = found

    async def on_pdf_lane(self, work: Callable[[], Any]) -> Any:
        """PDF libraries are not thread-safe: work on documents queues on the app's PDF lane."""
        return await asyncio.wrap_future(self.deps.background.pdf(work))


def _domain_problem(error: BriefwerkError, locale: str, fields: dict[str, str]) -> Problem:
    """A refusal of a use case, naming the field of the file or document type it concerns."""
    facts = error.message.facts
    where = next((fields[str(facts[name])] for name in ("filename", "document_type") if str(facts.get(name)) in fields), None)
    detail = error.render(locale)
    return Problem(422, "invalid-input", locale, detail, [{"field": where, "detail": detail}] if where else [])


# --- serial letters ----------------------------------------------------------------------


class SplitSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["marker", "pages", "ranges", "files"] = "marker"
    pattern: str = "Einheit: {unit}"
    pages_per_unit: int | None = Field(default=None, ge=1)
    ranges: dict[str, str] | None = None


class DocumentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(min_length=1, max_length=80)
    files: list[str] = Field(min_length=1)
    split: SplitSpec = SplitSpec()


class SerialLetterSpec(BaseModel):
    property: str = Field(min_length=1)
    title: str = Field(min_length=1, max_length=150)
    recipients: RecipientGroup = RecipientGroup.OWNERS
    documents: list[DocumentSpec] = Field(min_length=1, max_length=10)
    attachments: list[str] = []


def _spec(form: FormData, locale: str) -> SerialLetterSpec:
    values: dict[str, Any] = {}
    errors = []
    for name in ("property", "title", "recipients", "documents", "attachments"):
        raw = form.get(name)
        if raw is None or isinstance(raw, UploadFile):
            continue
        if name in ("documents", "attachments"):
            try:
                values[name] = json.loads(raw)
            except json.JSONDecodeError as error:
                errors.append({"field": name, "detail": _say("bad_json", locale, detail=error.msg)})
                continue
        else:
            values[name] = raw
    if errors:
        raise Problem(422, "invalid-input", locale, errors=errors)
    try:
        spec = SerialLetterSpec.model_validate(values)
    except ValidationError as error:
        raise Problem(422, "invalid-input", locale, errors=[
            {"field": _field(item["loc"]), "detail": _say("missing", locale) if item["type"] == "missing" else item["msg"]}
            for item in error.errors()]) from None
    return spec


def _field(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _rule(spec: SplitSpec, where: str, locale: str) -> ByMarker | ByPageCount | ByRanges | None:
    try:
        if spec.method == "files":
            return None
        if spec.method == "pages":
            return ByPageCount(pages_per_unit=spec.pages_per_unit or 0)
        if spec.method == "ranges":
            return ByRanges(ranges=spec.ranges or {})
        return ByMarker(pattern=spec.pattern)
    except ValidationError:
        name = {"pages": "pages_per_unit", "ranges": "ranges", "marker": "pattern"}[spec.method]
        detail = render("split.bad_marker", locale, pattern=spec.pattern) if spec.method == "marker" else _say(
            "missing", locale)
        raise Problem(422, "invalid-input", locale,
                      errors=[{"field": f"{where}.split.{name}", "detail": detail}]) from None


def _uploads(form: FormData, files: Any, limits: IntakeLimits, locale: str) -> dict[str, Upload]:
    """Every part named `files`, copied to the store's staging folder under its file name."""
    staged: dict[str, Upload] = {}
    for part in form.getlist("files"):
        if not isinstance(part, UploadFile) or not part.filename:
            continue
        name = part.filename.replace("\\", "/").rsplit("/", 1)[-1]
        if name in staged:
            raise Problem(422, "invalid-input", locale,
                          errors=[{"field": "files", "detail": _say("file_twice", locale, name=name)}])
        path = files.staging_file()
        try:
            size = copy_limited(part.file, path, name, limits.file_bytes)
        except BriefwerkError as error:
            path.unlink(missing_ok=True)
            raise Problem(422, "invalid-input", locale,
                          errors=[{"field": "files", "detail": error.render(locale)}]) from None
        staged[name] = Upload(name, path, size)
    return staged


def _pick(staged: dict[str, Upload], name: str, where: str, used: set[str], locale: str) -> Upload:
    if name not in staged:
        raise Problem(422, "invalid-input", locale, errors=[{"field": where, "detail": _say(
            "no_such_file", locale, name=name, names=", ".join(staged) or "–")}])
    if name in used:
        raise Problem(422, "invalid-input", locale,
                      errors=[{"field": where, "detail": _say("file_twice", locale, name=name)}])
    used.add(name)
    return staged[name]


def _request(spec: SerialLetterSpec, staged: dict[str, Upload], locale: str) -> tuple[list[intake.DocumentUpload], list[Upload], dict[str, str]]:
    used: set[str] = set()
    fields: dict[str, str] = {}
    documents = []
    for i, document in enumerate(spec.documents):
        where = f"documents[{i}]"
        fields[document.type] = where
        rule = _rule(document.split, where, locale)
        uploads = []
        for j, name in enumerate(document.files):
            uploads.append(_pick(staged, name, f"{where}.files[{j}]", used, locale))
            fields[name] = f"{where}.files[{j}]"
        documents.append(intake.DocumentUpload(document.type, uploads, rule))
    attachments = []
    for j, name in enumerate(spec.attachments):
        attachments.append(_pick(staged, name, f"attachments[{j}]", used, locale))
        fields[name] = f"attachments[{j}]"
    return documents, attachments, fields


def routes(deps: SlackDeps) -> list[BaseRoute]:
    limits = deps.wiring.settings.intake

    async def create_serial_letter(request: Request, locale: str) -> Response:
        context = Context(deps, request, locale)
        await context.authenticate()
        form = await _form(request, limits, locale)
        try:
            spec = _spec(form, locale)
            staged = await run_in_threadpool(_uploads, form, deps.wiring.file_store(), limits, locale)
            try:
                documents, attachments, fields = _request(spec, staged, locale)
                return await context.on_pdf_lane(lambda: _create(context, spec, documents, attachments, fields))
            finally:
                for upload in staged.values():
                    upload.path.unlink(missing_ok=True)
        finally:
            await form.close()

    def _create(context: Context, spec: SerialLetterSpec, documents: list[intake.DocumentUpload],
                attachments: list[Upload], fields: dict[str, str]) -> Response:
        locale, actor = context.locale, context.actor
        try:
            with deps.wiring.unit_of_work() as (session, ports):
                try:
                    prop = intake.find_property(session, actor, spec.property)
                except NotFound as error:
                    raise Problem(422, "invalid-input", locale,
                                  errors=[{"field": "property", "detail": error.render(locale)}]) from None
                taken = intake.same_title(session, actor, prop.id, spec.title)
                request = intake.NewSerialLetter(prop.id, spec.title, documents, attachments, spec.recipients)
                serial, outcomes = intake.start_serial_letter(session, ports.files, actor, request, limits)
                report = intake.split_report(session, actor, serial.id)
        except Problem as problem:
            return problem.response()
        except BriefwerkError as error:
            return _domain_problem(error, locale, fields).response()
        warnings = [render("create.title_exists", locale, title=spec.title, ids=", ".join(str(s.id) for s in taken))] if taken else []
        notes = {o.document_type: [n.render(locale) for n in o.notes()] for o in outcomes}
        return JSONResponse({"id": serial.id, "report": report.to_json(locale), "notes": notes, "warnings": warnings},
                            status_code=201, headers={"Location": f"/api/v1/serial-letters/{serial.id}"})

    async def get_serial_letter(request: Request, locale: str) -> Response:
        context = Context(deps, request, locale)
        await context.authenticate()
        raw = request.path_params["serial_id"]
        if not raw.isdigit() or len(raw) > 18:
            raise Problem(404, "not-found", locale, _say("not_found", locale))

        def read() -> dict[str, Any]:
            with deps.wiring.unit_of_work() as (session, _):
                return intake.split_report(session, context.actor, int(raw)).to_json(locale)

        try:
            return JSONResponse(await run_in_threadpool(read))
        except NotFound as error:
            raise Problem(404, "not-found", locale, error.render(locale)) from None

    async def list_serial_letters(request: Request, locale: str) -> Response:
        context = Context(deps, request, locale)
        await context.authenticate()

        def read() -> list[dict[str, Any]]:
            with deps.wiring.unit_of_work() as (session, _):
                return [{"id": s.id, "title": s.title, "property": p.external_id, "state": s.state.value,
                         "created_at": s.created_at.isoformat()}
                        for s, p in intake.serial_letters(session, context.organisation.id)]

        return JSONResponse(await run_in_threadpool(read))

    async def list_properties(request: Request, locale: str) -> Response:
        context = Context(deps, request, locale)
        await context.authenticate()

        def read() -> list[dict[str, Any]]:
            with deps.wiring.unit_of_work() as (session, _):
                return [{"id": p.id, "ref": p.external_id, "name": p.name, "units": n}
                        for p, n in intake.properties(session, context.organisation.id)]

        return JSONResponse(await run_in_threadpool(read))

    async def create_import(request: Request, locale: str) -> Response:
        context = Context(deps, request, locale)
        await context.authenticate()
        form = await _form(request, limits, locale)
        try:
            part = form.get("file")
            if not isinstance(part, UploadFile):
                raise Problem(422, "invalid-input", locale,
                              errors=[{"field": "file", "detail": _say("missing", locale)}])
            data = await part.read(limits.file_bytes + 1)
            if len(data) > limits.file_bytes:
                raise Problem(413, "too-large", locale, InvalidInput("upload.too_large", filename=part.filename,
                                                             limit=limits.file_mb).render(locale))
            dry_run = str(form.get("dry_run", "")).lower() in ("1", "true", "yes", "ja")
            name = (part.filename or "import.csv").rsplit("/", 1)[-1]
        finally:
            await form.close()

        def run() -> Response:
            try:
                with deps.wiring.unit_of_work() as (session, _):
                    organisation = session.get(Organisation, context.organisation.id)
                    if dry_run:
                        report = masterdata.preview(session, organisation, name, data, date.today(), limits.imports)
                    else:
                        report = masterdata.run_import(session, organisation, name, data, date.today(), context.actor, "api",
                                                             limits.imports)
            except BriefwerkError as error:
                return Problem(422, "invalid-input", locale, error.render(locale),
                               [{"field": "file", "detail": error.render(locale)}]).response()
            if not report.ok:
                return Problem(422, "rejected-rows", locale,
                               _say("rejected_rows", locale, count=len(report.rejected)),
                               [{"field": "file", "line": r.line, "detail": r.render(locale)} for r in report.rejected]).response()
            return JSONResponse({"applied": not dry_run, "file": name, "rows": report.rows, "created": report.created,
                                 "updated": report.updated, "ended_links": report.ended_links})

        return await run_in_threadpool(run)

    async def spec(_: Request) -> Response:
        return JSONResponse(openapi(limits))

    return [
        Route("/api/v1/openapi.json", spec, methods=["GET"]),
        Route("/api/v1/imports", _endpoint(create_import), methods=["POST"]),
        Route("/api/v1/properties", _endpoint(list_properties), methods=["GET"]),
        Route("/api/v1/serial-letters", _endpoint(create_serial_letter), methods=["POST"]),
        Route("/api/v1/serial-letters", _endpoint(list_serial_letters), methods=["GET"]),
        Route("/api/v1/serial-letters/{serial_id}", _endpoint(get_serial_letter), methods=["GET"]),
    ]

