"""The front door: a new serial letter with its documents in one step, documents added or replaced
later, general attachments, and the split report. The same use cases serve Slack, the CLI and
the HTTP API.

A serial letter either has its documents or does not exist: creation runs in one unit of work,
and a failure anywhere removes its rows and the files it stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, delete, select

from domain.actors import Actor
from domain.errors import Conflict, InvalidInput, NotFound
from domain.messages import Message
from domain.models import (
    LetterState,
    Property,
    RecipientGroup,
    SerialLetter,
    SourceDocument,
    SourceKind,
    Unit,
    UnitDocument,
)
from domain.pdf.assemble import Pages, PdfSource, write_pdf
from domain.pdf.gate import check_pdf
from domain.pdf.text import page_texts
from domain.ports import FileStore
from domain.services.documents import TITLE_LENGTH, get_serial_letter, new_draft, require_draft, units_of
from domain.services.events import record
from domain.services.lookup import get_owned, key_of
from domain.services.release import require_creator_or_admin
from domain.services.storage import all_or_nothing
from domain.split import ByMarker, ByPageCount, ByRanges, UnitKey, match_files_to_units, split_pages
from domain.storage import sha256_of
from domain.uploads import IntakeLimits, Upload, expand_zip

Rule = ByMarker | ByPageCount | ByRanges
Progress = Callable[[Message], None]


class Mode(StrEnum):
    ADD = "add"  # new units join the assignment; units that have a document are a conflict
    REPLACE = "replace"  # the document type's whole assignment is replaced


class OnConflict(StrEnum):
    """What happens to a unit that already has a document of the type."""

    ASK = "ask"  # refuse and name the units, so the user chooses
    KEEP = "keep"
    REPLACE = "replace"


@dataclass(frozen=True)
class DocumentUpload:
    """One document type's files: parts of one batch PDF cut by `rule`, or, with `rule` None,
    one file per unit (PDFs and ZIPs of PDFs)."""

    document_type: str
    files: Sequence[Upload]
    rule: Rule | None = None


@dataclass(frozen=True)
class NewSerialLetter:
    property_id: int
    title: str
    documents: Sequence[DocumentUpload]
    attachments: Sequence[Upload] = ()
    recipients: RecipientGroup = RecipientGroup.OWNERS


class UnitsConflict(InvalidInput):
    """Units that already have a document of the type: the user chooses keep or replace."""

    def __init__(self, document_type: str, units: list[str], files: list[str]) -> None:
        super().__init__("intake.conflict", document_type=document_type, units=_listed(units), count=len(units),
                         files=_listed(sorted(set(files))))
        self.units = units


# --- what an upload did ------------------------------------------------------------------


@dataclass(frozen=True)
class PageNote:
    """A page that belongs to no unit: its number in the batch, the file and page it came from."""

    page: int  # 1-based in the batch
    filename: str
    file_page: int  # 1-based in that file
    reason: Message

    def message(self) -> Message:
        if self.page == self.file_page:
            return Message("split.unmatched_page", {"page": self.page, "reason": self.reason})
        return Message("split.unmatched_page_in_file", {"page": self.page, "filename": self.filename,
                                                        "file_page": self.file_page, "reason": self.reason})

    def to_json(self) -> dict[str, Any]:
        return {"page": self.page, "filename": self.filename, "file_page": self.file_page,
                "reason": self.reason.to_json()}


@dataclass(frozen=True)
class UnitPages:
    unit_id: int
    unit: str  # label
    pages: int
    filename: str


@dataclass
class UploadOutcome:
    """What one upload of one document type did, in the order of events."""

    document_type: str
    files: list[str]
    assigned: list[UnitPages] = field(default_factory=list)
    unmatched: list[PageNote] = field(default_factory=list)
    rejected_files: list[tuple[str, Message]] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)

    def notes(self) -> list[Message]:
        lines = [note.message() for note in self.unmatched]
        lines += [Message("upload.file_rejected", {"filename": name, "reason": reason}) for name, reason in self.rejected_files]
        if self.kept:
            lines.append(Message("intake.kept", {"units": _listed(self.kept), "count": len(self.kept)}))
        if self.replaced:
            lines.append(Message("intake.replaced", {"units": _listed(self.replaced), "count": len(self.replaced)}))
        return lines + self.warnings


# --- uploading documents -----------------------------------------------------------------


def upload_documents(session: Session, files: FileStore, actor: Actor, serial_id: int, upload: DocumentUpload,
                     limits: IntakeLimits, *, mode: Mode = Mode.ADD, on_conflict: OnConflict = OnConflict.ASK,
                     progress: Progress | None = None) -> UploadOutcome:
    """Adds (or, with `mode` REPLACE, replaces) one document type's documents of a draft, all or
    nothing."""
    serial = get_serial_letter(session, actor, serial_id)
    require_draft(serial)
    with all_or_nothing(session, files):
        outcome = _assign(session, files, actor, serial, upload, limits, mode, on_conflict, progress)
    return outcome


def add_attachments(session: Session, files: FileStore, actor: Actor, serial_id: int, uploads: Sequence[Upload],
                    limits: IntakeLimits) -> list[SourceDocument]:
    """General attachments every recipient gets once; a file of the same name replaces the old one."""
    serial = get_serial_letter(session, actor, serial_id)
    require_draft(serial)
    with all_or_nothing(session, files):
        added = _attach(session, files, actor, serial, uploads, limits)
    return added


def start_serial_letter(session: Session, files: FileStore, actor: Actor, request: NewSerialLetter,
                        limits: IntakeLimits, progress: Progress | None = None,
                        today: date | None = None) -> tuple[SerialLetter, list[UploadOutcome]]:
    """A new draft with every document type's documents and the general attachments, or nothing."""
    prop = get_owned(session, actor, Property, request.property_id, Message("what.property"))
    if not units_of(session, request.property_id):
        raise InvalidInput("create.no_units", property=prop.name)
    for upload in request.documents:
        if not upload.files:
            raise InvalidInput("create.no_files", document_type=upload.document_type)
    with all_or_nothing(session, files):
        serial = new_draft(session, actor, request.property_id, request.title,
                           [u.document_type for u in request.documents], request.recipients, today)
        outcomes = [_assign(session, files, actor, serial, upload, limits, Mode.REPLACE, OnConflict.ASK, progress)
                    for upload in request.documents]
        _attach(session, files, actor, serial, request.attachments, limits)
    return serial, outcomes


def rename_draft(session: Session, actor: Actor, serial_id: int, title: str, expected_version: int | None = None) -> SerialLetter:
    """A draft's creator or an admin gives it another title (compare-and-set on its version)."""
    serial = get_serial_letter(session, actor, serial_id)
    require_draft(serial)
    require_creator_or_admin(actor, serial)
    text = title.strip()
    if not text:
        raise InvalidInput("create.no_title")
    if len(text) > TITLE_LENGTH:
        raise InvalidInput("create.title_too_long", limit=TITLE_LENGTH)
    version = serial.version if expected_version is None else expected_version
    changed = session.exec(update(SerialLetter).where(
        col(SerialLetter.id) == serial.id, col(SerialLetter.version) == version,
        col(SerialLetter.state) == LetterState.DRAFT).values(title=text, version=version + 1))
    if changed.rowcount != 1:
        session.rollback()
        raise Conflict("conflict.changed", title=serial.title)
    record(session, serial, "renamed", actor, before=serial.title, title=text)
    session.commit()
    session.refresh(serial)
    return serial


def remove_attachment(session: Session, actor: Actor, serial_id: int, attachment_id: int) -> None:
    """The row goes; its file stays until the sweep finds no row naming it."""
    serial = get_serial_letter(session, actor, serial_id)
    require_draft(serial)
    attachment = session.get(SourceDocument, attachment_id)
    if attachment is None or attachment.serial_letter_id != serial.id or attachment.kind is not SourceKind.ATTACHMENT:
        raise NotFound("not_found", what=Message("what.attachment"), ref=attachment_id)
    session.delete(attachment)
    record(session, serial, "attachment_removed", actor, filename=attachment.filename)
    session.commit()


def same_title(session: Session, actor: Actor, property_id: int, title: str) -> list[SerialLetter]:
    """Serial letters of the property that already carry this title (a warning, not a refusal)."""
    wanted = title.strip().casefold()
    return [serial for serial in session.exec(select(SerialLetter).where(
        SerialLetter.organisation_id == actor.organisation_id, SerialLetter.property_id == property_id,
        SerialLetter.state != LetterState.DELETED)) if serial.title.casefold() == wanted]


@dataclass
class _Planned:
    """Where each unit's pages come from, before anything is stored."""

    sources: list[tuple[Upload, int]]  # file and its page count
    pages: dict[int, tuple[int, list[int]]]  # unit id -> (index into sources, 0-based pages)
    outcome: UploadOutcome
    split: dict[int, dict[str, Any]] = field(default_factory=dict)  # source index -> stored split facts


def _assign(session: Session, files: FileStore, actor: Actor, serial: SerialLetter, upload: DocumentUpload,
            limits: IntakeLimits, mode: Mode, on_conflict: OnConflict, progress: Progress | None) -> UploadOutcome:
    if upload.document_type not in serial.document_types:
        raise InvalidInput("upload.unknown_type", document_type=upload.document_type,
                           types=", ".join(serial.document_types))
    units = units_of(session, serial.property_id)
    labels = {key_of(unit): unit.label for unit in units}
    with _Staged(files) as staged:
        if upload.rule is None:
            plan = _plan_unit_files(upload, units, limits, staged)
        else:
            plan = _plan_batch(upload, upload.rule, units, limits, staged, progress)
        if not plan.pages:
            raise InvalidInput("intake.nothing_assigned", document_type=upload.document_type,
                               reasons=[note.message() for note in plan.outcome.unmatched[:3]]
                               + [reason for _, reason in plan.outcome.rejected_files[:3]])
        _settle_conflicts(session, serial, upload.document_type, plan, labels, mode, on_conflict)
        _store(session, files, actor, serial, upload.document_type, plan, labels, progress)
    record(session, serial, "documents_uploaded", actor, filename=_names(plan.outcome.files),
           document_type=upload.document_type, units=len(plan.outcome.assigned),
           unmatched_pages=len(plan.outcome.unmatched), kept=len(plan.outcome.kept), replaced=len(plan.outcome.replaced))
    return plan.outcome


def _plan_batch(upload: DocumentUpload, rule: Rule, units: list[Unit], limits: IntakeLimits, staged: _Staged,
                progress: Progress | None) -> _Planned:
    parts = [staged.checked(file, limits) for file in upload.files]
    batch = parts[0] if len(parts) == 1 else staged.concatenated(parts)
    total = batch[1]

    def reading(done: int, of: int) -> None:
        if progress is not None:
            progress(Message("intake.progress_reading", {"done": done, "total": of, "document_type": upload.document_type}))

    texts = page_texts(batch[0].path, reading)  # page counts and ranges are checked against the markers
    keys = [UnitKey(key_of(u), u.label, u.external_id) for u in units]
    result = split_pages(rule, total, texts, keys)
    outcome = UploadOutcome(upload.document_type, [file.name for file, _ in parts], warnings=result.warnings)
    outcome.unmatched = [_note(item.page, item.reason, parts) for item in result.unmatched]
    split = {"rule": rule.model_dump(), "parts": [{"name": f.name, "pages": n} for f, n in parts],
             "unmatched": [note.to_json() for note in outcome.unmatched]}
    return _Planned([batch], {unit_id: (0, pages) for unit_id, pages in result.assignments.items()}, outcome, {0: split})


def _note(page: int, reason: Message, parts: list[tuple[Upload, int]]) -> PageNote:
    offset = 0
    for file, count in parts:
        if page < offset + count:
            return PageNote(page + 1, file.name, page - offset + 1, reason)
        offset += count
    return PageNote(page + 1, parts[-1][0].name, page + 1, reason)


def _plan_unit_files(upload: DocumentUpload, units: list[Unit], limits: IntakeLimits, staged: _Staged) -> _Planned:
    pdfs: list[Upload] = []
    for file in upload.files:
        pdfs += staged.unzipped(file, limits) if file.is_zip else [file]
    checked = [staged.checked(file, limits) for file in pdfs]
    pdfs = [file for file, _ in checked]
    counts = {file.name: pages for file, pages in checked}
    keys = [UnitKey(key_of(u), u.label, u.external_id) for u in units]
    matched, rejected = match_files_to_units([file.name for file in pdfs], keys)
    twice = [(name, reason) for name, reason in rejected if reason.key == "split.file_duplicate"]
    if twice:
        name, reason = twice[0]
        raise InvalidInput("intake.same_unit_twice", document_type=upload.document_type, filename=name,
                           other=reason.facts["other"])
    by_name = {file.name: index for index, file in enumerate(pdfs)}
    outcome = UploadOutcome(upload.document_type, [file.name for file in upload.files], rejected_files=rejected)
    sources = [(file, counts[file.name]) for file in pdfs]
    pages = {unit_id: (by_name[name], list(range(counts[name]))) for unit_id, name in matched.items()}
    return _Planned(sources, pages, outcome)


def _settle_conflicts(session: Session, serial: SerialLetter, document_type: str, plan: _Planned,
                      labels: dict[int, str], mode: Mode, on_conflict: OnConflict) -> None:
    existing = {doc.unit_id: doc for doc in session.exec(select(UnitDocument).where(
        UnitDocument.serial_letter_id == serial.id, UnitDocument.document_type == document_type))}
    if mode is Mode.REPLACE:
        _drop(session, list(existing.values()))
        return
    order = {unit_id: index for index, unit_id in enumerate(labels)}
    clashing = sorted((unit_id for unit_id in plan.pages if unit_id in existing), key=order.__getitem__)
    if not clashing:
        return
    if on_conflict is OnConflict.ASK:
        sources = {doc.source_id for unit_id, doc in existing.items() if unit_id in clashing}
        names = session.exec(select(SourceDocument.filename).where(col(SourceDocument.id).in_(sources))).all()
        raise UnitsConflict(document_type, [labels[unit_id] for unit_id in clashing], list(names))
    if on_conflict is OnConflict.KEEP:
        for unit_id in clashing:
            del plan.pages[unit_id]
        plan.outcome.kept = [labels[unit_id] for unit_id in clashing]
        return
    _drop(session, [existing[unit_id] for unit_id in clashing])
    plan.outcome.replaced = [labels[unit_id] for unit_id in clashing]


def _drop(session: Session, documents: list[UnitDocument]) -> None:
    """Rows only: the blobs stay until the sweep finds no row naming them (never before the
    replacement committed)."""
    ids = [doc.id for doc in documents]
    for start in range(0, len(ids), 500):
        session.exec(delete(UnitDocument).where(col(UnitDocument.id).in_(ids[start:start + 500])))


BATCH_CACHE = 1 << 20  # a batch's pages are copied once: caching them buys nothing
REOPEN_EVERY = 3000  # units; qpdf keeps what it parsed until the file is closed
FLUSH_EVERY = 500  # rows; flushed rows leave the session's memory


def _store(session: Session, files: FileStore, actor: Actor, serial: SerialLetter, document_type: str,
           plan: _Planned, labels: dict[int, str], progress: Progress | None) -> None:
    kind = SourceKind.UNIT_FILE if not plan.split else SourceKind.BATCH
    used = sorted({index for index, _ in plan.pages.values()})
    stored = {index: _store_source(session, files, actor, serial, kind, document_type, *plan.sources[index],
                                   split=plan.split.get(index, {})) for index in used}
    title = f"{serial.title} – {document_type}"
    position = {unit_id: index for index, unit_id in enumerate(labels)}
    order = sorted(plan.pages, key=position.__getitem__)
    serial_id = key_of(serial)
    opened: dict[int, PdfSource] = {}
    try:
        for done, unit_id in enumerate(order, start=1):
            index, pages = plan.pages[unit_id]
            source = stored[index]
            pdf = opened.get(index) or opened.setdefault(
                index, PdfSource(files.local(source.path), name=source.filename, cache_bytes=BATCH_CACHE))
            key, sha, count = _write_unit_document(files, pdf, pages, title)
            session.add(UnitDocument(serial_letter_id=serial_id, unit_id=unit_id, document_type=document_type,
                                     source_id=key_of(source), source_pages=pages, path=key, sha256=sha, page_count=count))
            plan.outcome.assigned.append(UnitPages(unit_id, labels[unit_id], count, source.filename))
            if kind is SourceKind.UNIT_FILE or done % REOPEN_EVERY == 0:
                opened.pop(index).close()
            if done % FLUSH_EVERY == 0:
                session.flush()
            if progress is not None and (done % 100 == 0 or done == len(order)):
                progress(Message("intake.progress_writing", {"done": done, "total": len(order), "document_type": document_type}))
    finally:
        for pdf in opened.values():
            pdf.close()
    session.flush()


def _write_unit_document(files: FileStore, pdf: PdfSource, pages: list[int], title: str) -> tuple[str, str, int]:
    staged = files.staging_file()
    try:
        written = write_pdf([Pages(pdf, first, last) for first, last in _runs(pages)], staged, title=title)
        return files.put_file(staged, written.sha256), written.sha256, written.pages
    finally:
        staged.unlink(missing_ok=True)


def _runs(pages: list[int]) -> list[tuple[int, int]]:
    """[0, 1, 2, 5] -> [(0, 2), (5, 5)]: contiguous runs keep the order given."""
    runs: list[tuple[int, int]] = []
    for page in pages:
        if runs and page == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], page)
        else:
            runs.append((page, page))
    return runs


def _store_source(session: Session, files: FileStore, actor: Actor, serial: SerialLetter, kind: SourceKind,
                  document_type: str | None, upload: Upload, pages: int, *, split: dict[str, Any] | None = None,
                  position: int = 0) -> SourceDocument:
    sha = sha256_of(upload.path)
    source = SourceDocument(
        serial_letter_id=key_of(serial), kind=kind, document_type=document_type, filename=upload.name,
        path=files.put_copy(upload.path, sha), sha256=sha, page_count=pages, uploaded_by=actor.staff_id,
        split=split or {}, position=position,
    )
    session.add(source)
    session.flush()
    return source


def _attach(session: Session, files: FileStore, actor: Actor, serial: SerialLetter, uploads: Sequence[Upload],
            limits: IntakeLimits) -> list[SourceDocument]:
    with _Staged(files) as staged:
        return _attach_checked(session, files, actor, serial, uploads, limits, staged)


def _attach_checked(session: Session, files: FileStore, actor: Actor, serial: SerialLetter, uploads: Sequence[Upload],
                    limits: IntakeLimits, staged: _Staged) -> list[SourceDocument]:
    """Each attachment is rewritten through the page copier, like the units' documents: what the
    portal publishes and the printer gets carries no actions, scripts or embedded files."""
    checked = [staged.checked(upload, limits) for upload in uploads]  # all checked first
    existing = {a.filename: a for a in session.exec(select(SourceDocument).where(
        SourceDocument.serial_letter_id == serial.id, SourceDocument.kind == SourceKind.ATTACHMENT))}
    position = max((a.position for a in existing.values()), default=-1) + 1
    added = []
    for upload, count in checked:
        old = existing.pop(upload.name, None)
        if old is not None:
            session.delete(old)
            session.flush()
        clean = staged.rewritten(upload)
        source = _store_source(session, files, actor, serial, SourceKind.ATTACHMENT, None, clean, count,
                               position=old.position if old else position)
        position += old is None
        record(session, serial, "attachment_added", actor, filename=upload.name, pages=count)
        added.append(source)
    return added


class _Staged:
    """Files one upload unpacks or joins on the store's disk, removed when it is done."""

    def __init__(self, files: FileStore) -> None:
        self.files = files
        self.paths: list[Path] = []

    def __enter__(self) -> _Staged:
        return self

    def __exit__(self, *exc: object) -> None:
        for path in self.paths:
            path.unlink(missing_ok=True)

    def new(self) -> Path:
        path = self.files.staging_file()
        self.paths.append(path)
        return path

    def unzipped(self, upload: Upload, limits: IntakeLimits) -> list[Upload]:
        return expand_zip(upload, self.new, limits)

    def checked(self, upload: Upload, limits: IntakeLimits) -> tuple[Upload, int]:
        """Through the gate; an encrypted file that opens without a password is replaced by its
        decrypted copy."""
        copy = self.new()
        result = check_pdf(upload.path, upload.name, limits.file_bytes, limits.pdf, copy)
        if result.decrypted:
            return Upload(upload.name, copy, copy.stat().st_size), result.pages
        return upload, result.pages

    def rewritten(self, upload: Upload) -> Upload:
        """The file's pages copied into a new PDF (nothing but pages and what they show)."""
        target = self.new()
        with PdfSource(upload.path, name=upload.name) as source:
            write_pdf([Pages(source)], target, title=PurePosixPath(upload.name).stem)
        return Upload(upload.name, target, target.stat().st_size)

    def concatenated(self, parts: list[tuple[Upload, int]]) -> tuple[Upload, int]:
        """Several files of one batch, in the order given, as one PDF."""
        target = self.new()
        sources = [PdfSource(file.path, name=file.name) for file, _ in parts]
        try:
            written = write_pdf([Pages(source) for source in sources], target)
        finally:
            for source in sources:
                source.close()
        name = " + ".join(file.name for file, _ in parts)
        return Upload(name, target, target.stat().st_size), written.pages


def _listed(names: Sequence[str], most: int = 12) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" (+{len(names) - most})" if len(names) > most else "")


def _names(names: list[str]) -> str:
    return ", ".join(names) if len(names) <= 3 else f"{len(names)} Dateien"


# --- the split report --------------------------------------------------------------------


@dataclass
class TypeReport:
    document_type: str
    units: list[UnitPages]
    unmatched: list[PageNote]
    missing: list[str]  # labels of units without a document of this type


@dataclass
class SplitReport:
    """A serial letter's documents as they stand: per type which units have how many pages,
    pages of the current batches that belong to no unit, and units without a document."""

    serial_id: int
    title: str
    property_id: int
    property_name: str
    state: LetterState
    units: int
    types: list[TypeReport]
    attachments: list[tuple[str, int]]

    @property
    def complete(self) -> bool:
        return all(not kind.missing and not kind.unmatched for kind in self.types)

    def to_json(self, locale: str) -> dict[str, Any]:
        return {
            "id": self.serial_id, "title": self.title, "state": self.state.value,
            "property": {"id": self.property_id, "name": self.property_name}, "units": self.units,
            "complete": self.complete,
            "document_types": [{
                "name": kind.document_type,
                "units": [{"unit": u.unit, "pages": u.pages, "file": u.filename} for u in kind.units],
                "unmatched_pages": [{"page": n.page, "file": n.filename, "file_page": n.file_page,
                                     "reason": n.reason.render(locale)} for n in kind.unmatched],
                "units_without_document": kind.missing,
            } for kind in self.types],
            "attachments": [{"file": name, "pages": pages} for name, pages in self.attachments],
        }


def split_report(session: Session, actor: Actor, serial_id: int) -> SplitReport:
    serial = get_serial_letter(session, actor, serial_id)
    prop = session.get(Property, serial.property_id)
    units = units_of(session, serial.property_id)
    labels = {unit.id: unit.label for unit in units}
    sources = {s.id: s for s in session.exec(select(SourceDocument).where(SourceDocument.serial_letter_id == serial.id))}
    documents = session.exec(select(UnitDocument).where(UnitDocument.serial_letter_id == serial.id)).all()
    position = {unit_id: index for index, unit_id in enumerate(labels)}
    types = []
    for document_type in serial.document_types:
        mine = sorted((d for d in documents if d.document_type == document_type), key=lambda d: position[d.unit_id])
        used = sorted({d.source_id for d in mine})
        unmatched = [_stored_note(item) for source_id in used
                     for item in sources[source_id].split.get("unmatched", [])]
        types.append(TypeReport(
            document_type,
            [UnitPages(d.unit_id, labels[d.unit_id], d.page_count, sources[d.source_id].filename) for d in mine],
            unmatched, [labels[u] for u in labels if u not in {d.unit_id for d in mine}]))
    attachments = sorted((s for s in sources.values() if s.kind is SourceKind.ATTACHMENT), key=lambda s: (s.position, s.id))
    return SplitReport(serial_id, serial.title, serial.property_id, prop.name if prop else "", serial.state,
                       len(units), types, [(a.filename, a.page_count) for a in attachments])


def report_lines(report: SplitReport, locale: str, most: int = 20) -> list[str]:
    """The split report in words, a line per fact, long lists cut after `most` entries (the
    JSON form has everything)."""
    lines: list[str] = []
    for kind in report.types:
        pages = sum(u.pages for u in kind.units)
        lines.append(Message("report.type", {"document_type": kind.document_type, "units": len(kind.units),
                                             "of": report.units, "pages": pages}).render(locale))
        if kind.units:
            shown = ", ".join(f"{u.unit} ({u.pages})" for u in kind.units[:most])
            more = len(kind.units) - most
            lines.append(Message("report.pages_per_unit", {"units": shown + (f" … (+{more})" if more > 0 else "")}).render(locale))
        for note in _grouped(kind.unmatched)[:most]:
            lines.append("⚠️ " + note.render(locale))
        if kind.missing:
            lines.append("⚠️ " + Message("report.missing", {"count": len(kind.missing),
                                                           "units": _listed(kind.missing, most)}).render(locale))
    if report.attachments:
        names = ", ".join(f"{name} ({pages})" for name, pages in report.attachments)
        lines.append(Message("report.attachments", {"files": names}).render(locale))
    return lines


def _grouped(notes: list[PageNote]) -> list[Message]:
    """Runs of pages with the same reason as one line: 'Seiten 4–9 gehören zu keiner Einheit …'."""
    runs: list[list[PageNote]] = []
    for note in notes:
        last = runs[-1][-1] if runs else None
        if last and note.page == last.page + 1 and note.filename == last.filename and note.reason == last.reason:
            runs[-1].append(note)
        else:
            runs.append([note])
    lines = []
    for run in runs:
        if len(run) == 1:
            lines.append(run[0].message())
        else:
            lines.append(Message("split.unmatched_pages", {"first": run[0].page, "last": run[-1].page,
                                                           "filename": run[0].filename, "reason": run[0].reason}))
    return lines


def _stored_note(item: dict[str, Any]) -> PageNote:
    return PageNote(item["page"], item["filename"], item["file_page"], Message.from_json(item["reason"]))


def properties(session: Session, organisation_id: int, search: str = "", limit: int = 1000) -> list[tuple[Property, int]]:
    """The organisation's properties with their unit counts; `search` in the name or ERP number."""
    needle = f"%{search.strip().lower()}%"
    return list(session.exec(
        select(Property, func.count(col(Unit.id))).join(Unit, col(Unit.property_id) == Property.id, isouter=True)
        .where(Property.organisation_id == organisation_id,
               or_(func.lower(Property.name).like(needle), func.lower(Property.external_id).like(needle)))
        .group_by(col(Property.id)).order_by(Property.external_id).limit(limit)))


def serial_letters(session: Session, organisation_id: int, limit: int = 500) -> list[tuple[SerialLetter, Property]]:
    """The organisation's serial letters that are not deleted, newest first, with their property."""
    return list(session.exec(
        select(SerialLetter, Property).join(Property, col(Property.id) == SerialLetter.property_id)
        .where(SerialLetter.organisation_id == organisation_id, SerialLetter.state != LetterState.DELETED)
        .order_by(col(SerialLetter.id).desc()).limit(limit)))


def find_property(session: Session, actor: Actor, reference: str) -> Property:
    """A property by the ERP's number (external id) or, failing that, briefwerk's own id."""
    text = reference.strip()
    found = session.exec(select(Property).where(
        Property.organisation_id == actor.organisation_id, Property.external_id == text)).first()
    if found is None and text.isdigit():
        found = session.get(Property, int(text))
    if found is None or found.organisation_id != actor.organisation_id:
        raise NotFound("not_found", what=Message("what.property"), ref=text)
    return found


# --- bytes in hand (tests, the demo's generator) ------------------------------------------


def staged_bytes(files: FileStore, name: str, data: bytes) -> Upload:
    path = files.staging_file()
    path.write_bytes(data)
    return Upload(name, path, len(data))


def upload_batch(session: Session, files: FileStore, actor: Actor, serial_id: int, document_type: str,
                 filename: str, data: bytes, rule: Rule, *, mode: Mode = Mode.ADD,
                 on_conflict: OnConflict = OnConflict.ASK) -> UploadOutcome:
    """One batch PDF in memory, cut by `rule`."""
    upload = staged_bytes(files, filename, data)
    try:
        return upload_documents(session, files, actor, serial_id, DocumentUpload(document_type, [upload], rule),
                                IntakeLimits(), mode=mode, on_conflict=on_conflict)
    finally:
        upload.path.unlink(missing_ok=True)


def upload_unit_files(session: Session, files: FileStore, actor: Actor, serial_id: int, document_type: str,
                      uploads: dict[str, bytes], *, mode: Mode = Mode.ADD,
                      on_conflict: OnConflict = OnConflict.ASK) -> UploadOutcome:
    """One file per unit, in memory, matched by the unit's label or id at the end of the name."""
    staged = [staged_bytes(files, name, data) for name, data in uploads.items()]
    try:
        return upload_documents(session, files, actor, serial_id, DocumentUpload(document_type, staged),
                                IntakeLimits(), mode=mode, on_conflict=on_conflict)
    finally:
        for upload in staged:
            upload.path.unlink(missing_ok=True)


def add_attachment(session: Session, files: FileStore, actor: Actor, serial_id: int, filename: str,
                   data: bytes) -> SourceDocument:
    upload = staged_bytes(files, filename, data)
    try:
        return add_attachments(session, files, actor, serial_id, [upload], IntakeLimits())[0]
    finally:
        upload.path.unlink(missing_ok=True)
