"""Use cases around a serial letter's documents: create it, upload and split documents, add
general attachments, the overview, and downloads for checking (seed steps 1–2)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, delete, select

from domain.actors import Actor, owned
from domain.dispatch import DocPart, Row
from domain.errors import InvalidInput, NotFound
from domain.messages import Message
from domain.models import (
    Contact,
    Letter,
    LetterState,
    Occupancy,
    Property,
    RecipientGroup,
    SerialLetter,
    SourceDocument,
    SourceKind,
    Unit,
    UnitDocument,
    UnitRelease,
)
from domain.pdf.assemble import Pages, PdfSource, write_pdf
from domain.pdf.text import page_count_of, page_texts
from domain.ports import FileStore
from domain.services.events import record
from domain.split import (
    ByMarker,
    ByPageCount,
    ByRanges,
    SplitResult,
    UnitKey,
    match_files_to_units,
    split_pages,
)


def get_serial_letter(session: Session, actor: Actor, serial_id: int) -> SerialLetter:
    serial = session.get(SerialLetter, serial_id)
    owned(actor, serial, "Serienbrief", serial_id)
    return serial


def create_serial_letter(
    session: Session,
    actor: Actor,
    property_id: int,
    title: str,
    document_types: Sequence[str],
    recipients: RecipientGroup = RecipientGroup.OWNERS,
    today: date | None = None,
) -> SerialLetter:
    """A new draft with one letter per contact and unit of the chosen recipient groups."""
    prop = session.get(Property, property_id)
    owned(actor, prop, "Liegenschaft", property_id)
    types = [t.strip() for t in document_types if t.strip()]
    if not title.strip():
        raise InvalidInput("create.no_title")
    if not types or len(set(types)) != len(types):
        raise InvalidInput("create.document_types", types=", ".join(document_types))
    serial = SerialLetter(
        organisation_id=actor.organisation_id, property_id=property_id, title=title.strip(),
        document_types=types, recipients=recipients, created_by=actor.staff_id,
    )
    session.add(serial)
    session.flush()
    session.add_all(_letters_for(session, serial, today))
    record(session, serial, "created", actor, title=serial.title)
    session.commit()
    return serial


def _letters_for(session: Session, serial: SerialLetter, today: date | None) -> list[Letter]:
    query = (
        select(Occupancy)
        .join(Unit, col(Unit.id) == Occupancy.unit_id)
        .where(Unit.property_id == serial.property_id, Occupancy.current(today or date.today()))
        .order_by(Unit.position, Unit.id, Occupancy.relation, Occupancy.position)
    )
    letters: dict[tuple[int, int], Letter] = {}
    for occupancy in session.exec(query):
        key = (occupancy.contact_id, occupancy.unit_id)
        if serial.recipients.includes(occupancy.relation) and key not in letters:
            letters[key] = Letter(
                serial_letter_id=serial.id, contact_id=occupancy.contact_id,
                unit_id=occupancy.unit_id, relation=occupancy.relation,
            )
    return list(letters.values())


def require_draft(serial: SerialLetter) -> None:
    if serial.state is not LetterState.DRAFT:
        raise InvalidInput("documents.not_draft", state=Message(f"state.{serial.state.value}"))


def units_of(session: Session, property_id: int) -> list[Unit]:
    return list(session.exec(select(Unit).where(Unit.property_id == property_id).order_by(Unit.position, Unit.id)))


@dataclass
class UploadResult:
    document_type: str
    split: SplitResult
    assigned_units: int
    rejected_files: list[tuple[str, Message]] = field(default_factory=list)
    unit_labels: dict[int, str] = field(default_factory=dict)

    def report(self) -> list[Message]:
        """Every page without a unit and every unit without a document, in words."""
        lines = [
            Message("split.unmatched_page", {"page": item.page + 1, "reason": item.reason})
            for item in self.split.unmatched
        ]
        lines += [Message("upload.file_rejected", {"filename": name, "reason": reason}) for name, reason in self.rejected_files]
        lines += [
            Message("split.unit_without_document", {"unit": self.unit_labels.get(unit_id, unit_id), "document_type": self.document_type})
            for unit_id in self.split.units_without_document
        ]
        return lines + self.split.warnings


def upload_batch(
    session: Session,
    files: FileStore,
    actor: Actor,
    serial_id: int,
    document_type: str,
    filename: str,
    data: bytes,
    rule: ByMarker | ByPageCount | ByRanges,
) -> UploadResult:
    """Store one PDF with many units' documents and cut it by `rule`; replaces the previous
    assignment of this document type."""
    serial = get_serial_letter(session, actor, serial_id)
    require_draft(serial)
    _require_type(serial, document_type)
    pages = page_count_of(data, filename)
    units = units_of(session, serial.property_id)
    keys = [UnitKey(u.id, u.label, u.external_id) for u in units]
    result = split_pages(rule, page_texts(data), keys)
    source = _store_source(session, files, actor, serial, SourceKind.BATCH, document_type, filename, data, pages)
    source.split = {"rule": rule.model_dump(), "unmatched_pages": [u.page for u in result.unmatched]}
    _replace_unit_documents(session, files, serial, document_type)
    pdf = PdfSource(files.path(source.path), name=filename)
    try:
        for unit_id, unit_pages in result.assignments.items():
            _store_unit_document(session, files, serial, unit_id, document_type, source, pdf, unit_pages)
    finally:
        pdf.close()
    record(session, serial, "documents_uploaded", actor, filename=filename, document_type=document_type,
           units=len(result.assignments), unmatched_pages=len(result.unmatched))
    session.commit()
    labels = {u.id: u.label for u in units}
    return UploadResult(document_type, result, len(result.assignments), unit_labels=labels)


def upload_unit_files(
    session: Session,
    files: FileStore,
    actor: Actor,
    serial_id: int,
    document_type: str,
    uploads: dict[str, bytes],
) -> UploadResult:
    """One file per unit, matched by the unit label or id at the end of the file name."""
    serial = get_serial_letter(session, actor, serial_id)
    require_draft(serial)
    _require_type(serial, document_type)
    counts = {name: page_count_of(data, name) for name, data in uploads.items()}
    units = units_of(session, serial.property_id)
    keys = [UnitKey(u.id, u.label, u.external_id) for u in units]
    matched, rejected = match_files_to_units(list(uploads), keys)
    _replace_unit_documents(session, files, serial, document_type)
    for unit_id, name in matched.items():
        source = _store_source(session, files, actor, serial, SourceKind.UNIT_FILE, document_type, name, uploads[name], counts[name])
        pdf = PdfSource(files.path(source.path), name=name)
        try:
            _store_unit_document(session, files, serial, unit_id, document_type, source, pdf, list(range(counts[name])))
        finally:
            pdf.close()
    names = list(matched.values())
    record(session, serial, "documents_uploaded", actor, filename=", ".join(names) if len(names) <= 3 else f"{len(names)} Dateien",
           document_type=document_type, units=len(matched), unmatched_pages=0)
    session.commit()
    split = SplitResult(assignments={unit_id: [] for unit_id in matched})
    split.units_without_document = [u.id for u in units if u.id not in matched]
    return UploadResult(document_type, split, len(matched), rejected, {u.id: u.label for u in units})


def _require_type(serial: SerialLetter, document_type: str) -> None:
    if document_type not in serial.document_types:
        raise InvalidInput("upload.unknown_type", document_type=document_type, types=", ".join(serial.document_types))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text.translate(str.maketrans("äöüÄÖÜß", "aouAOUs"))).strip("-").lower() or "x"


def _store_source(session: Session, files: FileStore, actor: Actor, serial: SerialLetter, kind: SourceKind,
                  document_type: str | None, filename: str, data: bytes, pages: int) -> SourceDocument:
    sha = hashlib.sha256(data).hexdigest()
    path = f"letters/{serial.id}/sources/{sha[:16]}-{_slug(filename)}.pdf"
    files.write(path, data)
    source = SourceDocument(
        serial_letter_id=serial.id, kind=kind, document_type=document_type, filename=filename,
        path=path, sha256=sha, page_count=pages, uploaded_by=actor.staff_id,
    )
    session.add(source)
    session.flush()
    return source


def _replace_unit_documents(session: Session, files: FileStore, serial: SerialLetter, document_type: str) -> None:
    old = session.exec(select(UnitDocument).where(
        UnitDocument.serial_letter_id == serial.id, UnitDocument.document_type == document_type
    )).all()
    for document in old:
        files.delete(document.path)
    session.exec(delete(UnitDocument).where(
        UnitDocument.serial_letter_id == serial.id, UnitDocument.document_type == document_type
    ))


def _runs(pages: list[int]) -> list[tuple[int, int]]:
    """[0, 1, 2, 5] -> [(0, 2), (5, 5)]: contiguous runs keep the order given."""
    runs: list[tuple[int, int]] = []
    for page in pages:
        if runs and page == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], page)
        else:
            runs.append((page, page))
    return runs


def _store_unit_document(session: Session, files: FileStore, serial: SerialLetter, unit_id: int,
                         document_type: str, source: SourceDocument, pdf: PdfSource, pages: list[int]) -> None:
    index = serial.document_types.index(document_type)  # two types may share a slug, never an index
    path = f"letters/{serial.id}/units/{unit_id}/{index}-{_slug(document_type)}.pdf"
    target = files.target(path)
    written = write_pdf([Pages(pdf, first, last) for first, last in _runs(pages)], target, title=f"{serial.title} – {document_type}")
    session.add(UnitDocument(
        serial_letter_id=serial.id, unit_id=unit_id, document_type=document_type, source_id=source.id,
        source_pages=pages, path=path, sha256=written.sha256, page_count=written.pages,
    ))


def add_attachment(session: Session, files: FileStore, actor: Actor, serial_id: int, filename: str, data: bytes) -> SourceDocument:
    """A general attachment every recipient gets once; the same file name replaces the old one."""
    serial = get_serial_letter(session, actor, serial_id)
    require_draft(serial)
    pages = page_count_of(data, filename)
    existing = attachments_of(session, serial.id)
    position = max((a.position for a in existing), default=-1) + 1
    for old in existing:
        if old.filename == filename:
            position = old.position
            files.delete(old.path)
            session.delete(old)
    source = _store_source(session, files, actor, serial, SourceKind.ATTACHMENT, None, filename, data, pages)
    source.position = position
    record(session, serial, "attachment_added", actor, filename=filename, pages=pages)
    session.commit()
    return source


def remove_attachment(session: Session, files: FileStore, actor: Actor, serial_id: int, attachment_id: int) -> None:
    serial = get_serial_letter(session, actor, serial_id)
    require_draft(serial)
    attachment = session.get(SourceDocument, attachment_id)
    if attachment is None or attachment.serial_letter_id != serial.id or attachment.kind is not SourceKind.ATTACHMENT:
        raise NotFound("not_found", what="Anhang", ref=attachment_id)
    files.delete(attachment.path)
    session.delete(attachment)
    session.commit()


def attachments_of(session: Session, serial_id: int) -> list[SourceDocument]:
    return list(session.exec(select(SourceDocument).where(
        SourceDocument.serial_letter_id == serial_id, SourceDocument.kind == SourceKind.ATTACHMENT
    ).order_by(SourceDocument.position, SourceDocument.id)))


def attachment_parts(session: Session, serial_id: int) -> list[DocPart]:
    return [DocPart(a.path, a.sha256, a.page_count, a.filename) for a in attachments_of(session, serial_id)]


def unit_document_parts(session: Session, serial: SerialLetter) -> dict[int, dict[str, DocPart]]:
    parts: dict[int, dict[str, DocPart]] = {}
    for doc in session.exec(select(UnitDocument).where(UnitDocument.serial_letter_id == serial.id)):
        parts.setdefault(doc.unit_id, {})[doc.document_type] = DocPart(
            doc.path, doc.sha256, doc.page_count, doc.document_type
        )
    return parts


def overview_rows(session: Session, serial: SerialLetter) -> list[Row]:
    """The overview (seed step 1): one row per contact and unit, in the property's unit order."""
    query = (
        select(Letter, Contact, Unit)
        .join(Contact, col(Contact.id) == Letter.contact_id)
        .join(Unit, col(Unit.id) == Letter.unit_id)
        .where(Letter.serial_letter_id == serial.id)
        .order_by(Unit.position, Unit.id, Letter.relation, Letter.id)
    )
    return [Row(letter.id, contact, unit, letter.relation, letter.downloads) for letter, contact, unit in session.exec(query)]


@dataclass
class OverviewPage:
    """One page of the overview plus the figures shown above it."""

    serial: SerialLetter
    property_name: str
    rows: list[Row]
    page: int
    pages: int
    total_rows: int
    contacts: int
    registered: int
    checked: int  # rows downloaded at least once
    released_units: set[int]
    units_with_documents: set[int]
    attachments: list[str]


def overview_page(session: Session, actor: Actor, serial_id: int, page: int = 0, size: int = 25) -> OverviewPage:
    serial = get_serial_letter(session, actor, serial_id)
    rows = overview_rows(session, serial)
    pages = max(1, -(-len(rows) // size))
    page = min(max(page, 0), pages - 1)
    prop = session.get(Property, serial.property_id)
    released = released_units(session, serial.id)
    with_documents = set(session.exec(select(UnitDocument.unit_id).where(UnitDocument.serial_letter_id == serial.id)))
    return OverviewPage(
        serial=serial, property_name=prop.name if prop else "", rows=rows[page * size:(page + 1) * size],
        page=page, pages=pages, total_rows=len(rows), contacts=len({r.contact.id for r in rows}),
        registered=len({r.contact.id for r in rows if r.contact.portal_registered}),
        checked=sum(1 for r in rows if r.downloads), released_units=released, units_with_documents=with_documents,
        attachments=[a.filename for a in attachments_of(session, serial.id)],
    )


def released_units(session: Session, serial_id: int) -> set[int]:
    """Units whose documents of this serial letter the portal shows now."""
    return set(session.exec(select(UnitRelease.unit_id).where(
        UnitRelease.serial_letter_id == serial_id, col(UnitRelease.withdrawn_at).is_(None))))


def page_of_contact(session: Session, actor: Actor, serial_id: int, contact_id: int, size: int = 25) -> int:
    serial = get_serial_letter(session, actor, serial_id)
    for index, row in enumerate(overview_rows(session, serial)):
        if row.contact.id == contact_id:
            return index // size
    raise NotFound("not_found", what="Kontakt", ref=contact_id)


def search_contacts(session: Session, actor: Actor, serial_id: int, text: str, limit: int = 100) -> list[Row]:
    """Rows whose contact name or unit label contains `text`, one per contact (for pickers)."""
    serial = get_serial_letter(session, actor, serial_id)
    needle = text.casefold().strip()
    seen: set[int] = set()
    found = []
    for row in overview_rows(session, serial):
        if row.contact.id in seen:
            continue
        if not needle or needle in row.contact.name.casefold() or needle in row.unit.label.casefold():
            seen.add(row.contact.id)
            found.append(row)
            if len(found) == limit:
                break
    return found
