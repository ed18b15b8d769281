"""Manager approval: release, order and download-link requests wait for a manager's decision.
Only a manager may decide, never the requester; the first decision wins."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from domain.actors import Actor
from domain.errors import Conflict, NotAllowed
from domain.messages import Message
from domain.models import (
    Approval,
    ApprovalKind,
    ApprovalState,
    Organisation,
    Role,
    SerialLetter,
    Staff,
    utcnow,
)
from domain.services.documents import get_serial_letter
from domain.services.events import record
from domain.services.lookup import get_owned, get_row


def approval_needed(session: Session, actor: Actor) -> bool:
    organisation = session.get(Organisation, actor.organisation_id)
    return bool(organisation and organisation.manager_approval)


def request_approval(session: Session, actor: Actor, serial_id: int, kind: ApprovalKind, payload: dict[str, Any]) -> Approval:
    serial = get_serial_letter(session, actor, serial_id)
    pending = session.exec(select(Approval).where(
        Approval.serial_letter_id == serial.id, Approval.kind == kind, Approval.state == ApprovalState.PENDING)).first()
    if pending is not None:
        raise Conflict("approval.pending_exists", title=serial.title)
    approval = Approval(organisation_id=serial.organisation_id, serial_letter_id=serial_id, kind=kind,
                        payload=payload, requested_by=actor.staff_id)
    session.add(approval)
    session.flush()
    record(session, serial, "approval_requested", actor, approval=approval.id, request=kind.value)
    session.commit()
    return approval


def decide(session: Session, actor: Actor, approval_id: int, approve: bool) -> Approval:
    """Compare-and-set from pending: a second click, a second manager or a stale prompt gets a
    Conflict naming the decision already taken."""
    approval = get_owned(session, actor, Approval, approval_id, Message("what.approval"))
    actor.require(Role.MANAGER)
    if approval.requested_by == actor.staff_id:
        raise NotAllowed("approval.own_request")
    state = ApprovalState.APPROVED if approve else ApprovalState.REJECTED
    result = session.exec(
        update(Approval).where(col(Approval.id) == approval_id, col(Approval.state) == ApprovalState.PENDING)
        .values(state=state, decided_by=actor.staff_id, decided_at=utcnow())
    )
    if result.rowcount != 1:
        session.rollback()
        session.refresh(approval)
        raise Conflict("approval.decided", state=Message(f"approval.state.{approval.state.value}"))
    session.commit()
    session.refresh(approval)
    serial = get_row(session, SerialLetter, approval.serial_letter_id, Message("what.serial_letter"))
    record(session, serial, "approval_decided", actor, approval=approval.id, request=approval.kind.value,
           decision=state.value)
    session.commit()
    return approval


def requester_of(session: Session, approval: Approval) -> Actor:
    staff = session.get(Staff, approval.requested_by)
    assert staff is not None
    return Actor.of(staff)


def set_outcome(session: Session, approval: Approval, outcome: str) -> None:
    approval.outcome = outcome[:500]
    session.add(approval)
    session.commit()


def managers_of(session: Session, organisation_id: int) -> list[Staff]:
    return list(session.exec(select(Staff).where(Staff.organisation_id == organisation_id, Staff.is_manager)))
