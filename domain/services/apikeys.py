"""API keys for ERPs that push master data and serial letters: created by an admin and shown
once, stored as a hash, revocable, and bound to one organisation."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from domain.actors import Actor
from domain.errors import InvalidInput
from domain.messages import Message
from domain.models import ApiKey, Organisation, Role, Staff, utcnow
from domain.services import organisations
from domain.services.lookup import get_owned, get_row

PREFIX = "bw_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_key(session: Session, actor: Actor, name: str) -> tuple[ApiKey, str]:
    """A new key; the token is returned this once and never stored."""
    actor.require(Role.ADMIN)
    label = " ".join(name.split())
    if not label:
        raise InvalidInput("apikey.no_name")
    if len(label) > 80:
        raise InvalidInput("apikey.name_too_long", limit=80)
    organisation = get_row(session, Organisation, actor.organisation_id, Message("what.organisation"))
    token = PREFIX + secrets.token_urlsafe(32)
    acting = organisations.system_staff(session, organisation, f"api:{secrets.token_hex(8)}", f"API: {label}")
    key = ApiKey(organisation_id=actor.organisation_id, staff_id=acting.staff_id, name=label, prefix=token[:10],
                 token_sha256=_digest(token), created_by=actor.staff_id)
    session.add(key)
    session.commit()
    return key, token


def revoke(session: Session, actor: Actor, key_id: int) -> ApiKey:
    actor.require(Role.ADMIN)
    key = get_owned(session, actor, ApiKey, key_id, Message("what.api_key"))
    if key.revoked_at is None:
        key.revoked_at, key.revoked_by = utcnow(), actor.staff_id
        session.add(key)
        session.commit()
    return key


def keys_of(session: Session, organisation_id: int) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).where(ApiKey.organisation_id == organisation_id).order_by(col(ApiKey.id))))


def authenticate(session: Session, token: str, now: datetime | None = None) -> tuple[Organisation, Actor] | None:
    """The organisation and the acting staff member of a live key; None for anything else."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    key = session.exec(select(ApiKey).where(ApiKey.token_sha256 == _digest(token))).first()
    if key is None or key.revoked_at is not None:
        return None
    session.exec(update(ApiKey).where(col(ApiKey.id) == key.id).values(last_used_at=now or utcnow()))
    session.commit()
    organisation, staff = session.get(Organisation, key.organisation_id), session.get(Staff, key.staff_id)
    if organisation is None or staff is None:
        return None
    return organisation, Actor.of(staff)
