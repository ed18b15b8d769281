"""A serial letter's draft and what it holds: the overview of letters, the units' documents and
the general attachments (seed steps 1–2). Uploading documents is the intake's (services.intake)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, distinct, func
from sqlmodel import Session, col, select

from domain.actors import Actor
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
from domain.services.events import record
from domain.services.lookup import get_owned, key_of


def get_serial_letter(session: Session, actor: Actor, serial_id: int) -> SerialLetter:
    return get_owned(session, actor, SerialLetter, serial_id, Message("what.serial_letter"))


def create_serial_letter(
    session: Session,
    actor: Actor,
    property_id: int,
    title: str,
    document_types: Sequence[str],
    recipients: RecipientGroup = RecipientGroup.OWNERS,
    today: date | None = None,
) -> SerialLetter:
    """A new draft without documents yet (the intake adds them in the same step)."""
    serial = new_draft(session, actor, property_id, title, document_types, recipients, today)
    session.commit()
    return serial


def new_draft(session: Session, actor: Actor, property_id: int, title: str, document_types: Sequence[str],
              recipients: RecipientGroup = RecipientGroup.OWNERS, today: date | None = None) -> SerialLetter:
    """A draft with one letter per contact and unit of the chosen recipient groups, flushed but
    not committed."""
    get_owned(session, actor, Property, property_id, Message("what.property"))
    types = [t.strip() for t in document_types if t.strip()]
    if not title.strip():
        raise InvalidInput("create.no_title")
    if len(title.strip()) > TITLE_LENGTH:
        raise InvalidInput("create.title_too_long", limit=TITLE_LENGTH)
    if not types or len({t.casefold() for t in types}) != len(types):
        raise InvalidInput("create.document_types", types=", ".join(document_types))
    if len(types) > MAX_TYPES or any(len(t) > TYPE_LENGTH for t in types):
        raise InvalidInput("create.too_many_types", most=MAX_TYPES, length=TYPE_LENGTH)
    serial = SerialLetter(
        organisation_id=actor.organisation_id, property_id=property_id, title=title.strip(),
        document_types=types, recipients=recipients, created_by=actor.staff_id,
    )
    session.add(serial)
    session.flush()
    session.add_all(_letters_for(session, serial, today))
    record(session, serial, "created", actor, title=serial.title)
    return serial


TITLE_LENGTH = 150
MAX_TYPES = 10
TYPE_LENGTH = 80


def _letters_for(session: Session, serial: SerialLetter, today: date | None) -> list[Letter]:
    query = (
        select(Occupancy)
        .join(Unit, col(Unit.id) == Occupancy.unit_id)
        .where(Unit.property_id == serial.property_id, Occupancy.current(today or date.today()))
        .order_by(col(Unit.position), col(Unit.id), col(Occupancy.relation), col(Occupancy.position))
    )
    letters: dict[tuple[int, int], Letter] = {}
    serial_id = key_of(serial)
    for occupancy in session.exec(query):
        key = (occupancy.contact_id, occupancy.unit_id)
        if serial.recipients.includes(occupancy.relation) and key not in letters:
            letters[key] = Letter(
                serial_letter_id=serial_id, contact_id=occupancy.contact_id,
                unit_id=occupancy.unit_id, relation=occupancy.relation,
            )
    return list(letters.values())


def require_draft(serial: SerialLetter) -> None:
    if serial.state is not LetterState.DRAFT:
        raise InvalidInput("documents.not_draft", state=Message(f"state.{serial.state.value}"))


def units_of(session: Session, property_id: int) -> list[Unit]:
    query = select(Unit).where(Unit.property_id == property_id).order_by(col(Unit.position), col(Unit.id))
    return list(session.exec(query))


def attachments_of(session: Session, serial_id: int) -> list[SourceDocument]:
    return list(session.exec(select(SourceDocument).where(
        SourceDocument.serial_letter_id == serial_id, SourceDocument.kind == SourceKind.ATTACHMENT
    ).order_by(col(SourceDocument.position), col(SourceDocument.id))))


def attachment_parts(session: Session, serial_id: int) -> list[DocPart]:
    return [DocPart(a.path, a.sha256, a.page_count, a.filename) for a in attachments_of(session, serial_id)]


def unit_document_parts(session: Session, serial: SerialLetter) -> dict[int, dict[str, DocPart]]:
    parts: dict[int, dict[str, DocPart]] = {}
    for doc in session.exec(select(UnitDocument).where(UnitDocument.serial_letter_id == serial.id)):
        parts.setdefault(doc.unit_id, {})[doc.document_type] = DocPart(
            doc.path, doc.sha256, doc.page_count, doc.document_type
        )
    return parts


def overview_rows(session: Session, serial: SerialLetter, offset: int = 0, limit: int | None = None) -> list[Row]:
    """The overview (seed step 1): one row per contact and unit, in the property's unit order;
    `offset` and `limit` load one page only."""
    query = (
        select(Letter, Contact, Unit)
        .join(Contact, col(Contact.id) == Letter.contact_id)
        .join(Unit, col(Unit.id) == Letter.unit_id)
        .where(Letter.serial_letter_id == serial.id)
        .order_by(col(Unit.position), col(Unit.id), col(Letter.relation), col(Letter.id))
        .offset(offset).limit(limit)
    )
    return [Row(key_of(letter), contact, unit, letter.relation, letter.downloads)
            for letter, contact, unit in session.exec(query)]


@dataclass(frozen=True)
class OverviewFigures:
    rows: int
    contacts: int
    registered: int  # contacts registered in the portal
    checked: int  # rows downloaded at least once


def overview_figures(session: Session, serial_id: int) -> OverviewFigures:
    """The counts above the overview, counted by the database: a page of a 5,000-contact letter
    need not load every row."""
    registered = case((col(Contact.portal_registered), Letter.contact_id))
    rows, contacts, with_portal, checked = session.exec(
        select(func.count(col(Letter.id)), func.count(distinct(col(Letter.contact_id))), func.count(distinct(registered)),
               func.count(case((col(Letter.downloads) > 0, 1))))
        .join(Contact, col(Contact.id) == Letter.contact_id)
        .where(Letter.serial_letter_id == serial_id)).one()
    return OverviewFigures(rows, contacts, with_portal, checked)


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
    figures = overview_figures(session, serial_id)
    pages = max(1, -(-figures.rows // size))
    page = min(max(page, 0), pages - 1)
    prop = session.get(Property, serial.property_id)
    released = released_units(session, serial_id)
    with_documents = set(session.exec(select(UnitDocument.unit_id).where(UnitDocument.serial_letter_id == serial_id)))
    return OverviewPage(
        serial=serial, property_name=prop.name if prop else "", rows=overview_rows(session, serial, page * size, size),
        page=page, pages=pages, total_rows=figures.rows, contacts=figures.contacts, registered=figures.registered,
        checked=figures.checked, released_units=released, units_with_documents=with_documents,
        attachments=[a.filename for a in attachments_of(session, serial_id)],
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
    raise NotFound("not_found", what=Message("what.contact"), ref=contact_id)


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
            seen.add(key_of(row.contact))
            found.append(row)
            if len(found) == limit:
                break
    return found
