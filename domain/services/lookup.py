"""Rows by their key. A row that does not exist (any more), or belongs to another organisation, is
NotFound for the caller, named in the domain's words ("Serial letter 12 was not found")."""

from __future__ import annotations

from typing import Protocol, TypeVar

from sqlmodel import Session

from domain.actors import Actor
from domain.errors import NotFound
from domain.messages import Message

MAX_ID = 2**63 - 1  # a number past any database's integer key is simply no row


class Keyed(Protocol):
    @property
    def id(self) -> int | None: ...


class Owned(Protocol):
    @property
    def organisation_id(self) -> int: ...


RowT = TypeVar("RowT")
OwnedT = TypeVar("OwnedT", bound=Owned)


def key_of(row: Keyed) -> int:
    """The primary key of a row read from the database or flushed (only a new row has none)."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no key yet: it was never flushed")
    return row.id


def get_row(session: Session, model: type[RowT], key: int, what: Message) -> RowT:
    """The row, or NotFound naming `what`, e.g. Message("what.contact")."""
    row = session.get(model, key) if 0 < key <= MAX_ID else None
    if row is None:
        raise NotFound("not_found", what=what, ref=key)
    return row


def get_owned(session: Session, actor: Actor, model: type[OwnedT], key: int, what: Message) -> OwnedT:
    """The row if it belongs to the actor's organisation: another organisation's does not exist
    for them."""
    row = session.get(model, key) if 0 < key <= MAX_ID else None
    if row is None or row.organisation_id != actor.organisation_id:
        raise NotFound("not_found", what=what, ref=key)
    return row
