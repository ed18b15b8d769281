"""The dispatch plan's rules as properties: merging, attachments once, blank pages, costs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.costs import PriceTable, letter_cost, sheets_for
from domain.dispatch import (
    BlankPage,
    ButtonState,
    CoverSheet,
    DispatchOptions,
    DocPart,
    PlanInputs,
    Row,
    button_state,
    pad_for_duplex,
    plan_dispatch,
)
from domain.models import Contact, LetterState, Preference, Relation, Unit
from domain.ports import Capabilities
from domain.recipients import RecipientFilter

ATTACHMENTS = (DocPart("a1.pdf", "s1", 2, "Einladung"), DocPart("a2.pdf", "s2", 3, "Hausordnung"))


def contact(index: int) -> Contact:
    return Contact(id=index, organisation_id=1, external_id=f"K{index}", name=f"Kontakt {index}", street="Weg 1",
                   postcode="10115", city="Berlin", portal_registered=index % 3 == 0,
                   preference=Preference.ONLINE if index % 2 else Preference.LETTER)


def unit(index: int) -> Unit:
    return Unit(id=index, property_id=1, external_id=f"E{index}", label=f"WE {index:02d}", position=index)


rows_strategy = st.lists(st.tuples(st.integers(1, 12), st.integers(1, 20)), unique=True, max_size=40).map(
    lambda pairs: [Row(n, contact(c), unit(u), Relation.OWNER) for n, (c, u) in enumerate(sorted(pairs, key=lambda p: p[1]))]
)
pages = st.integers(1, 5)


def inputs_for(rows: list[Row], doc_pages: int = 3) -> PlanInputs:
    documents = {row.unit.id: {"Abrechnung": DocPart(f"u{row.unit.id}.pdf", f"h{row.unit.id}", doc_pages, "Abrechnung")}
                 for row in rows}
    return PlanInputs(rows=rows, document_types=["Abrechnung"], unit_documents=documents, attachments=ATTACHMENTS,
                      capabilities=Capabilities(), prices=PriceTable())


@given(rows_strategy, st.sampled_from(RecipientFilter), st.booleans())
def test_merged_letters_are_one_per_contact_with_each_attachment_once(rows, filter_, merge) -> None:
    plan = plan_dispatch(inputs_for(rows), DispatchOptions(filter=filter_, merge=merge))
    contacts = [letter.contact.id for letter in plan.letters]
    if merge:
        assert len(contacts) == len(set(contacts))
    for letter in plan.letters:
        assert letter.attachments == ATTACHMENTS
        assert [p for p in letter.parts if isinstance(p, DocPart) and p in ATTACHMENTS] == list(ATTACHMENTS)
    papered = {row.contact.id for row in rows if plan.decisions[row.contact.id].gets_paper}
    assert set(contacts) == papered
    units_sent = sorted(u for letter in plan.letters for u in letter.unit_ids)
    assert units_sent == sorted(row.unit.id for row in rows if row.contact.id in papered)


@given(st.lists(pages, max_size=12))
def test_padding_keeps_order_and_starts_every_part_on_a_new_sheet(counts) -> None:
    parts = [DocPart(f"p{i}", f"h{i}", n, "x") for i, n in enumerate(counts)]
    padded = pad_for_duplex(parts)
    assert [p for p in padded if isinstance(p, DocPart)] == parts
    page = 0
    for part in padded:
        if isinstance(part, DocPart):
            assert page % 2 == 0  # starts on a front side
        page += part.page_count
    assert sum(isinstance(p, BlankPage) for p in padded) == sum(n % 2 for n in counts)


@given(rows_strategy, st.booleans(), st.booleans())
def test_sheets_pages_and_blanks_add_up(rows, duplex, optimise) -> None:
    plan = plan_dispatch(inputs_for(rows), DispatchOptions(filter=RecipientFilter.ALL, duplex=duplex, optimise_duplex=optimise))
    for letter in plan.letters:
        body = sum(p.page_count for p in letter.parts if isinstance(p, DocPart))
        assert letter.pages == body + letter.blank_pages
        assert letter.cost.sheets == sheets_for(letter.pages, duplex)
        if not (duplex and optimise):
            assert letter.blank_pages == 0


def test_cover_sheet_in_duplex_gets_a_blank_back_and_costs_a_sheet() -> None:
    rows = [Row(1, contact(1), unit(1), Relation.OWNER)]

    def needs_cover(letter, options):
        class Report:
            findings = () if letter.cover else ("address",)
            needs_cover_sheet = not letter.cover
        return Report()

    plan = plan_dispatch(inputs_for(rows, doc_pages=2), DispatchOptions(filter=RecipientFilter.ALL, duplex=True), needs_cover)
    [letter] = plan.letters
    assert isinstance(letter.parts[0], CoverSheet) and isinstance(letter.parts[1], BlankPage)
    assert letter.pages == 2 + 2 + 2 + 3 + 1 and letter.cost.sheets == 5


def test_costs_follow_the_price_table() -> None:
    prices = PriceTable()
    standard = letter_cost(prices, pages=6, duplex=True, colour=False, registered=False, abroad=False)
    assert (standard.sheets, standard.envelope) == (3, "Standardbrief")
    assert standard.cents == prices.handling_cents + 95 + 6 * prices.page_bw_cents
    thick = letter_cost(prices, pages=20, duplex=False, colour=True, registered=True, abroad=True)
    assert thick.envelope == "Großbrief" and thick.cents == prices.handling_cents + 330 + 20 * 25 + 350
    assert letter_cost(prices, pages=400, duplex=False, colour=False, registered=False, abroad=False).envelope is None


def test_button_states() -> None:
    rows = [Row(1, contact(1), unit(1), Relation.OWNER)]
    plan = plan_dispatch(inputs_for(rows), DispatchOptions(filter=RecipientFilter.ALL))
    assert button_state(LetterState.RELEASED, plan, Capabilities())[0] is ButtonState.GREEN
    assert button_state(LetterState.DISPATCH_ORDERED, plan, Capabilities())[0] is ButtonState.RED
    assert button_state(LetterState.RELEASED, plan, Capabilities(available=False), "Frau Roth")[0] is ButtonState.YELLOW
    state, reasons = button_state(LetterState.DRAFT, plan, Capabilities())
    assert state is ButtonState.DISABLED and "Freigabe" in reasons[0].render("de")
    empty = plan_dispatch(inputs_for(rows), DispatchOptions(filter=RecipientFilter.ALL, unticked=[1]))
    state, reasons = button_state(LetterState.RELEASED, empty, Capabilities())
    assert state is ButtonState.DISABLED and reasons[0].render("en") == "The filters leave no letter to post."
