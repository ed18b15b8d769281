"""Recording what happened to a serial letter, and moving its state with compare-and-set."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from domain.actors import Actor
from domain.errors import Conflict
from domain.models import Event, LetterState, SerialLetter
from domain.services.lookup import key_of
from domain.states import check_move


def record(
    session: Session,
    serial: SerialLetter,
    kind: str,
    actor: Actor | None = None,
    *,
    who: str = "",
    shipment_id: int | None = None,
    **data: Any,
) -> Event:
    event = Event(
        organisation_id=serial.organisation_id,
        serial_letter_id=key_of(serial),
        shipment_id=shipment_id,
        kind=kind,
        actor_id=actor.staff_id if actor else None,
        actor=actor.name if actor else who,
        data=data,
    )
    session.add(event)
    return event


def move(session: Session, serial: SerialLetter, target: LetterState, action: str, expected_version: int | None = None) -> None:
    """Change state only if nobody else changed the letter since it was read (or since the
    user's modal showed `expected_version`); a second click or a stale view gets a Conflict."""
    check_move(serial, target, action)
    version = serial.version if expected_version is None else expected_version
    result = session.exec(
        update(SerialLetter)
        .where(col(SerialLetter.id) == serial.id, col(SerialLetter.version) == version, col(SerialLetter.state) == serial.state)
        .values(state=target, version=version + 1)
    )
    if result.rowcount != 1:
        session.rollback()
        raise Conflict("conflict.changed", title=serial.title)
    serial.state, serial.version = target, version + 1
