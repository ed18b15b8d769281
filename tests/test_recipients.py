"""Who gets paper: the filter table of PRODUCT.md step 5, ticks and unticks of step 6."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.models import Contact, Preference
from domain.recipients import PaperReason, RecipientFilter, paper_decision, recipients_for_post


def contact(id_: int, registered: bool, preference: Preference, address: bool = True) -> Contact:
    street = "Lindenstraße 12" if address else ""
    return Contact(id=id_, organisation_id=1, external_id=f"K{id_}", name=f"Kontakt {id_}", street=street,
                   postcode="10115", city="Berlin", portal_registered=registered, preference=preference)


NONE: frozenset[int] = frozenset()


@pytest.mark.parametrize(
    ("filter_", "registered", "preference", "paper", "reason"),
    [
        (RecipientFilter.ALL, True, Preference.ONLINE, True, PaperReason.ALL_CONTACTS),
        (RecipientFilter.ALL, False, Preference.LETTER, True, PaperReason.ALL_CONTACTS),
        (RecipientFilter.BY_PREFERENCE, True, Preference.ONLINE, False, PaperReason.REGISTERED_PREFERS_ONLINE),
        (RecipientFilter.BY_PREFERENCE, True, Preference.LETTER, True, PaperReason.REGISTERED_PREFERS_LETTER),
        (RecipientFilter.BY_PREFERENCE, False, Preference.ONLINE, True, PaperReason.NOT_REGISTERED),
        (RecipientFilter.BY_PREFERENCE, False, Preference.LETTER, True, PaperReason.NOT_REGISTERED),
        (RecipientFilter.UNREGISTERED, False, Preference.ONLINE, True, PaperReason.NOT_REGISTERED),
        (RecipientFilter.UNREGISTERED, True, Preference.LETTER, False, PaperReason.REGISTERED_FILTERED_OUT),
        (RecipientFilter.UNREGISTERED, True, Preference.ONLINE, False, PaperReason.REGISTERED_FILTERED_OUT),
    ],
)
def test_filter_table(filter_, registered, preference, paper, reason) -> None:
    decision = paper_decision(filter_, contact(1, registered, preference), NONE, NONE)
    assert (decision.gets_paper, decision.reason) == (paper, reason)


def test_reasons_read_as_words_in_both_languages() -> None:
    decision = paper_decision(RecipientFilter.BY_PREFERENCE, contact(1, True, Preference.ONLINE), NONE, NONE)
    assert decision.message.render("de") == "registriert, Präferenz Online – keine Post"
    assert decision.message.render("en") == "registered, prefers online – no letter"
    unticked = paper_decision(RecipientFilter.ALL, contact(1, False, Preference.LETTER), NONE, frozenset({1}))
    assert unticked.message.render("en") == "unticked by you – no letter"


def test_tick_adds_a_contact_the_filter_left_out() -> None:
    decision = paper_decision(RecipientFilter.BY_PREFERENCE, contact(7, True, Preference.ONLINE), frozenset({7}), NONE)
    assert decision.gets_paper and decision.reason is PaperReason.TICKED


def test_no_tick_makes_paper_without_a_postal_address() -> None:
    decision = paper_decision(RecipientFilter.ALL, contact(3, False, Preference.LETTER, address=False), frozenset({3}), NONE)
    assert not decision.gets_paper and decision.reason is PaperReason.NO_POSTAL_ADDRESS


contacts_strategy = st.lists(
    st.builds(contact, st.integers(1, 40), st.booleans(), st.sampled_from(Preference), st.booleans()), max_size=60
)
ids = st.frozensets(st.integers(1, 40))


@given(st.sampled_from(RecipientFilter), contacts_strategy, ids, ids)
def test_every_contact_decided_once_and_ticks_win_over_the_filter(filter_, contacts, ticked, unticked) -> None:
    decisions = recipients_for_post(filter_, contacts, ticked, unticked)
    assert set(decisions) == {c.id for c in contacts}
    for c in contacts:
        decision = decisions[c.id]
        if c.id in unticked or decisions[c.id].reason is PaperReason.NO_POSTAL_ADDRESS:
            assert not decision.gets_paper
        elif c.id in ticked:
            assert decision.gets_paper


@given(contacts_strategy)
def test_unregistered_filter_is_a_subset_of_by_preference(contacts) -> None:
    """Every contact the 'unregistered' filter posts to also gets paper 'by preference'."""
    unregistered = recipients_for_post(RecipientFilter.UNREGISTERED, contacts)
    preference = recipients_for_post(RecipientFilter.BY_PREFERENCE, contacts)
    everyone = recipients_for_post(RecipientFilter.ALL, contacts)
    for contact_id, decision in unregistered.items():
        if decision.gets_paper:
            assert preference[contact_id].gets_paper
        if preference[contact_id].gets_paper:
            assert everyone[contact_id].gets_paper
