"""Who gets paper: the recipient filter of the dispatch step (seed step 5) and the individual
ticks and unticks on top of it (step 6), each decision with its reason in words."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from domain.messages import Message
from domain.models import Contact, Preference


class RecipientFilter(StrEnum):
    ALL = "all"
    BY_PREFERENCE = "preference"
    UNREGISTERED = "unregistered"


class PaperReason(StrEnum):
    ALL_CONTACTS = "all_contacts"
    REGISTERED_PREFERS_ONLINE = "registered_prefers_online"
    REGISTERED_PREFERS_LETTER = "registered_prefers_letter"
    NOT_REGISTERED = "not_registered"
    REGISTERED_FILTERED_OUT = "registered_filtered_out"
    TICKED = "ticked"
    UNTICKED = "unticked"
    NO_POSTAL_ADDRESS = "no_postal_address"


@dataclass(frozen=True)
class PaperDecision:
    contact_id: int
    gets_paper: bool
    reason: PaperReason

    @property
    def message(self) -> Message:
        return Message(f"paper.{self.reason.value}")


def filter_decision(filter_: RecipientFilter, contact: Contact) -> tuple[bool, PaperReason]:
    """The filter alone, as PRODUCT.md step 5 defines it."""
    if filter_ is RecipientFilter.ALL:
        return True, PaperReason.ALL_CONTACTS
    if not contact.portal_registered:
        return True, PaperReason.NOT_REGISTERED
    if filter_ is RecipientFilter.UNREGISTERED:
        return False, PaperReason.REGISTERED_FILTERED_OUT
    if contact.preference is Preference.ONLINE:
        return False, PaperReason.REGISTERED_PREFERS_ONLINE
    return True, PaperReason.REGISTERED_PREFERS_LETTER


def paper_decision(
    filter_: RecipientFilter, contact: Contact, ticked: frozenset[int], unticked: frozenset[int]
) -> PaperDecision:
    """An untick beats a tick (a stale form cannot re-add a contact the user removed), and no
    tick can make a letter for a contact without a postal address."""
    assert contact.id is not None
    if contact.id in unticked:
        return PaperDecision(contact.id, False, PaperReason.UNTICKED)
    if contact.address is None:
        return PaperDecision(contact.id, False, PaperReason.NO_POSTAL_ADDRESS)
    if contact.id in ticked:
        return PaperDecision(contact.id, True, PaperReason.TICKED)
    gets_paper, reason = filter_decision(filter_, contact)
    return PaperDecision(contact.id, gets_paper, reason)


def recipients_for_post(
    filter_: RecipientFilter,
    contacts: Iterable[Contact],
    ticked: Iterable[int] = (),
    unticked: Iterable[int] = (),
) -> dict[int, PaperDecision]:
    """One decision per distinct contact, keyed by contact id."""
    ticked, unticked = frozenset(ticked), frozenset(unticked)
    decisions: dict[int, PaperDecision] = {}
    for contact in contacts:
        if contact.id not in decisions:
            decision = paper_decision(filter_, contact, ticked, unticked)
            decisions[decision.contact_id] = decision
    return decisions
