"""Rows asked for by their key: one that does not exist, or whose key is past any database's
integer, is reported as not found, in the reader's language (another organisation's rows:
test_workflow)."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from domain.actors import Actor
from domain.errors import NotFound
from domain.models import Unit
from domain.services import apikeys, approvals, documents, portal
from domain.services.lookup import key_of


def test_a_key_past_any_database_integer_is_not_found(session: Session, admin: Actor, manager: Actor) -> None:
    with pytest.raises(NotFound) as refused:
        apikeys.revoke(session, admin, 2**63)
    assert refused.value.render("en") == f"API key {2**63} was not found."
    assert refused.value.render("de") == f"API-Schlüssel {2**63} wurde nicht gefunden."
    with pytest.raises(NotFound):
        approvals.decide(session, manager, 2**63, approve=True)
    with pytest.raises(NotFound):
        documents.get_serial_letter(session, admin, 0)


def test_a_preference_for_a_contact_that_does_not_exist_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound) as refused:
        portal.set_preference(session, 999, "online")
    assert refused.value.render("en") == "Contact 999 was not found."


def test_a_row_never_flushed_has_no_key_yet() -> None:
    with pytest.raises(ValueError, match="Unit has no key yet"):
        key_of(Unit(property_id=1, external_id="WE 01", label="WE 01"))
    assert key_of(Unit(id=7, property_id=1, external_id="WE 01", label="WE 01")) == 7
