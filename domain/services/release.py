"""Release to the customer portal (seed step 3), withdrawal per unit, and deleting a serial
letter (step 10), with the optional email to registered contacts."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from domain.actors import Actor
from domain.errors import Conflict, InvalidInput
from domain.messages import Message
from domain.models import (
    Contact,
    Letter,
    LetterState,
    Organisation,
    Role,
    SerialLetter,
    Unit,
    UnitDocument,
    UnitRelease,
    utcnow,
)
from domain.notifications import new_documents_email
from domain.ports import PortalDoc, Ports
from domain.services.documents import attachments_of, get_serial_letter, released_units, units_of
from domain.services.events import move, record
from domain.services.lookup import get_row


@dataclass
class ReleaseResult:
    units: int
    contacts: int  # distinct contacts who can now see the documents
    emailed: int = 0
    email_failures: list[tuple[str, str]] = field(default_factory=list)  # (contact, reason)
    units_without_documents: list[str] = field(default_factory=list)


def release(session: Session, ports: Ports, actor: Actor, serial_id: int, notify: bool, expected_version: int | None = None) -> ReleaseResult:
    """Publish every unit's documents plus the general attachments; a draft becomes released.

    On an already released letter this publishes only units withdrawn meanwhile."""
    serial = get_serial_letter(session, actor, serial_id)
    documents = _documents_by_unit(session, serial)
    if not documents:
        raise InvalidInput("release.no_documents", title=serial.title)
    released = released_units(session, serial_id)
    to_publish = sorted(set(documents) - released)
    if not to_publish:
        raise Conflict("release.already", title=serial.title)
    if serial.state is LetterState.DRAFT:
        move(session, serial, LetterState.RELEASED, "release", expected_version)
        serial.released_at = ports.clock()
    elif serial.state is not LetterState.RELEASED:
        move(session, serial, LetterState.RELEASED, "release", expected_version)  # raises: explains why
    attachments = [PortalDoc(a.filename, a.path, a.sha256) for a in attachments_of(session, serial_id)]
    for unit_id in to_publish:
        ports.portal.publish(serial.organisation_id, unit_id, serial_id, documents[unit_id] + attachments)
        _mark_released(session, serial_id, unit_id, actor)
    contacts = _contacts_of_units(session, serial_id, to_publish)
    result = ReleaseResult(units=len(to_publish), contacts=len(contacts))
    result.units_without_documents = _units_without_documents(session, serial, documents)
    record(session, serial, "released", actor, units=len(to_publish), contacts=len(contacts), notify=notify)
    session.commit()
    if notify:
        _notify(session, ports, serial, contacts, result)
        record(session, serial, "notified", actor, emailed=result.emailed, failures=len(result.email_failures))
        session.commit()
    return result


def _documents_by_unit(session: Session, serial: SerialLetter) -> dict[int, list[PortalDoc]]:
    by_unit: dict[int, list[PortalDoc]] = {}
    order = {kind: index for index, kind in enumerate(serial.document_types)}
    docs = session.exec(select(UnitDocument).where(UnitDocument.serial_letter_id == serial.id)).all()
    for doc in sorted(docs, key=lambda d: order.get(d.document_type, 99)):
        by_unit.setdefault(doc.unit_id, []).append(PortalDoc(f"{serial.title} – {doc.document_type}", doc.path, doc.sha256))
    return by_unit


def _mark_released(session: Session, serial_id: int, unit_id: int, actor: Actor) -> None:
    row = session.exec(select(UnitRelease).where(UnitRelease.serial_letter_id == serial_id, UnitRelease.unit_id == unit_id)).first()
    if row is None:
        row = UnitRelease(serial_letter_id=serial_id, unit_id=unit_id)
    row.released_at, row.released_by, row.withdrawn_at, row.withdrawn_by = utcnow(), actor.staff_id, None, None
    session.add(row)


def _contacts_of_units(session: Session, serial_id: int, unit_ids: list[int]) -> list[Contact]:
    query = (
        select(Contact).join(Letter, col(Letter.contact_id) == Contact.id)
        .where(Letter.serial_letter_id == serial_id, col(Letter.unit_id).in_(unit_ids))
        .distinct().order_by(col(Contact.name), col(Contact.id))
    )
    return list(session.exec(query))


def _units_without_documents(session: Session, serial: SerialLetter, documents: dict[int, list[PortalDoc]]) -> list[str]:
    return [unit.label for unit in units_of(session, serial.property_id) if unit.id not in documents]


def _notify(session: Session, ports: Ports, serial: SerialLetter, contacts: list[Contact], result: ReleaseResult) -> None:
    """Only registered contacts with an email hear of it; one bad address never stops the rest."""
    organisation = get_row(session, Organisation, serial.organisation_id, Message("what.organisation"))
    for contact in contacts:
        if not (contact.portal_registered and contact.email):
            continue
        try:
            ports.mailer.send(new_documents_email(organisation, serial, contact, ports.portal_url))
            result.emailed += 1
        except (ValueError, OSError) as error:
            result.email_failures.append((contact.name, str(error)))


def unrelease_unit(session: Session, ports: Ports, actor: Actor, serial_id: int, unit_id: int) -> int:
    """Withdraw one unit's documents from the portal; the last one withdrawn makes it a draft."""
    serial = get_serial_letter(session, actor, serial_id)
    row = session.exec(select(UnitRelease).where(
        UnitRelease.serial_letter_id == serial.id, UnitRelease.unit_id == unit_id, col(UnitRelease.withdrawn_at).is_(None)
    )).first()
    if row is None:
        raise Conflict("release.unit_not_released", title=serial.title)
    removed = ports.portal.withdraw(unit_id, serial_id)
    row.withdrawn_at, row.withdrawn_by = utcnow(), actor.staff_id
    session.add(row)
    unit = session.get(Unit, unit_id)
    record(session, serial, "unit_withdrawn", actor, unit=unit.label if unit else unit_id, documents=removed)
    session.flush()
    if serial.state is LetterState.RELEASED and not released_units(session, serial_id):
        move(session, serial, LetterState.DRAFT, "unrelease")
    session.commit()
    return removed


def require_creator_or_admin(actor: Actor, serial: SerialLetter) -> None:
    """A draft is its creator's to rename or delete; anything else needs an admin."""
    if serial.state is LetterState.DRAFT and serial.created_by == actor.staff_id:
        return
    actor.require(Role.ADMIN)


def delete_serial_letter(session: Session, ports: Ports, actor: Actor, serial_id: int, expected_version: int | None = None) -> int:
    """Admins, and the creator of a draft: remove every released document from all units, then
    mark it deleted."""
    serial = get_serial_letter(session, actor, serial_id)
    require_creator_or_admin(actor, serial)
    move(session, serial, LetterState.DELETED, "delete", expected_version)
    removed = 0
    for unit_id in released_units(session, serial_id):
        removed += ports.portal.withdraw(unit_id, serial_id)
    for row in session.exec(select(UnitRelease).where(UnitRelease.serial_letter_id == serial.id, col(UnitRelease.withdrawn_at).is_(None))):
        row.withdrawn_at, row.withdrawn_by = utcnow(), actor.staff_id
        session.add(row)
    serial.deleted_at = ports.clock()
    session.add(serial)
    record(session, serial, "deleted", actor, documents_removed=removed)
    session.commit()
    return removed
