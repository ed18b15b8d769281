"""Cutting batch PDFs into unit documents: by marker, by page count, by ranges, one file per unit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.split import ByMarker, ByPageCount, ByRanges, UnitKey, match_files_to_units, parse_page_ranges, split_pages

UNITS = [UnitKey(i, f"WE {i:02d}", f"E{i}") for i in range(1, 6)]


def split(rule, texts, units):
    """The texts as a one-pass generator, as the pipeline hands them over."""
    return split_pages(rule, len(texts), iter(texts), units)


def test_marker_starts_a_unit_and_unmarked_pages_continue_it() -> None:
    texts = ["Einheit: WE 01", "Seite 2", "Einheit: WE 02", "Einheit: WE 03", "Seite 2", "Seite 3"]
    result = split(ByMarker(), texts, UNITS)
    assert result.assignments == {1: [0, 1], 2: [2], 3: [3, 4, 5]}
    assert result.units_without_document == [4, 5]
    assert result.unmatched == []


def test_pages_before_the_first_marker_are_reported() -> None:
    result = split(ByMarker(), ["Deckblatt", "Einheit: WE 01"], UNITS)
    assert [u.page for u in result.unmatched] == [0]
    assert "ersten Seite mit einer Einheits-Markierung" in result.unmatched[0].reason.render("de")


def test_unknown_unit_pages_are_never_glued_to_the_previous_unit() -> None:
    texts = ["Einheit: WE 01", "Einheit: WE 99", "Seite 2 von WE 99", "Einheit: WE 02"]
    result = split(ByMarker(), texts, UNITS)
    assert result.assignments == {1: [0], 2: [3]}
    assert [u.page for u in result.unmatched] == [1, 2]
    assert "WE 99" in result.unmatched[0].reason.render("en")


def test_a_page_naming_two_units_is_ambiguous() -> None:
    result = split(ByMarker(pattern="{unit}"), ["WE 01 und WE 02"], UNITS)
    assert result.assignments == {}
    assert "WE 01, WE 02" in result.unmatched[0].reason.render("de")


def test_marker_matches_whole_labels_only() -> None:
    units = [UnitKey(1, "WE 1", "a"), UnitKey(11, "WE 11", "b")]
    result = split(ByMarker(), ["Einheit: WE 11", "Einheit: WE 1"], units)
    assert result.assignments == {11: [0], 1: [1]}


def test_pattern_needs_exactly_one_placeholder() -> None:
    with pytest.raises(ValueError):
        ByMarker(pattern="Einheit")


def test_fixed_page_count_reports_leftovers_and_short_chunks() -> None:
    result = split(ByPageCount(pages_per_unit=2), [""] * 9, UNITS[:4])
    assert result.assignments == {1: [0, 1], 2: [2, 3], 3: [4, 5], 4: [6, 7]}
    assert [u.page for u in result.unmatched] == [8]
    short = split(ByPageCount(pages_per_unit=3), [""] * 7, UNITS[:3])
    assert short.assignments == {1: [0, 1, 2], 2: [3, 4, 5]}
    assert [u.page for u in short.unmatched] == [6]
    assert short.units_without_document == [3]


def test_ranges_assign_exactly_and_refuse_overlaps() -> None:
    result = split(ByRanges(ranges={"WE 01": "1-2", "E2": "3, 5"}), [""] * 5, UNITS)
    assert result.assignments == {1: [0, 1], 2: [2, 4]}
    assert [u.page for u in result.unmatched] == [3]
    with pytest.raises(InvalidInput) as raised:
        split(ByRanges(ranges={"WE 01": "1-3", "WE 02": "3-4"}), [""] * 5, UNITS)
    assert "Seite 3" in raised.value.render("de")
    with pytest.raises(InvalidInput):
        parse_page_ranges("4-9", 5)
    with pytest.raises(InvalidInput):
        parse_page_ranges("drei", 5)


def test_files_match_units_by_their_name_ending() -> None:
    matched, rejected = match_files_to_units(
        ["Abrechnung_WE_01.pdf", "we2.pdf", "WE_003.pdf", "Sammel.pdf", "Kopie WE 01.pdf"], UNITS)
    assert matched == {1: "Abrechnung_WE_01.pdf", 2: "we2.pdf", 3: "WE_003.pdf"}
    assert [name for name, _ in rejected] == ["Sammel.pdf", "Kopie WE 01.pdf"]


def test_the_longest_name_ending_wins_over_a_numeric_id() -> None:
    units = [UnitKey(1, "WE 01", "0001"), UnitKey(2, "TG 01", "T01")]  # ERPs number units 0001, 0002, …
    matched, rejected = match_files_to_units(["Wirtschaftsplan_TG_01.pdf", "Plan_T01.pdf", "Plan_WE_01.pdf"], units)
    assert matched == {2: "Wirtschaftsplan_TG_01.pdf", 1: "Plan_WE_01.pdf"}
    assert [name for name, _ in rejected] == ["Plan_T01.pdf"]  # TG 01 has its file already
    matched, rejected = match_files_to_units(["Plan_01.pdf"], units)
    assert matched == {1: "Plan_01.pdf"} and rejected == []  # only the id 0001 ends in 01 alone
    same_length = [UnitKey(1, "WE 1", "A1"), UnitKey(2, "WE 01", "B1")]  # two labels, one ending
    assert match_files_to_units(["Plan_WE_1.pdf"], same_length)[0] == {}


@given(st.lists(st.one_of(st.sampled_from(UNITS), st.none()), max_size=30))
def test_every_page_is_assigned_or_reported_exactly_once(pages) -> None:
    texts = [f"Einheit: {unit.label}" if unit else "Fortsetzung" for unit in pages]
    result = split(ByMarker(), texts, UNITS)
    assigned = [page for unit_pages in result.assignments.values() for page in unit_pages]
    reported = [item.page for item in result.unmatched]
    assert sorted(assigned + reported) == list(range(len(texts)))
    assert set(result.units_without_document).isdisjoint(result.assignments)


@given(st.integers(1, 5), st.integers(0, 40))
def test_page_count_split_covers_every_page(per_unit, page_count) -> None:
    result = split(ByPageCount(pages_per_unit=per_unit), [""] * page_count, UNITS)
    assigned = [page for unit_pages in result.assignments.values() for page in unit_pages]
    assert sorted(assigned + [u.page for u in result.unmatched]) == list(range(page_count))
    assert all(len(p) == per_unit for p in result.assignments.values())


def test_an_identifier_naming_two_units_is_never_guessed() -> None:
    units = [UnitKey(1, "7", "101"), UnitKey(2, "101", "E2")]  # one unit's id is another's label
    result = split(ByMarker(), ["Einheit: 101", "Einheit: 7"], units)
    assert result.assignments == {1: [1]} and [u.page for u in result.unmatched] == [0]
    with pytest.raises(InvalidInput):
        split(ByRanges(ranges={"101": "1"}), ["", ""], units)


def test_punctuation_after_a_name_in_running_text_still_marks_it() -> None:
    texts = ["Abrechnung für die Einheit: WE 03, Erdgeschoss links", "Einheit: WE 04.", "Seite 2"]
    assert split(ByMarker(), texts, UNITS).assignments == {3: [0], 4: [1, 2]}


def test_a_suffix_closes_the_name() -> None:
    result = split(ByMarker(pattern="[{unit}]"), ["Kopf [WE 02] Text", "[E3]", "[WE 9]"], UNITS)
    assert result.assignments == {2: [0], 3: [1]} and "WE 9" in result.unmatched[0].reason.render("de")


def test_ten_thousand_units_are_looked_up_not_scanned() -> None:
    units = [UnitKey(i, f"WE {i:05d}", f"E{i}") for i in range(1, 10001)]
    texts = [f"Einheit: WE {i:05d}" for i in range(1, 10001)]
    result = split(ByMarker(), texts, units)
    assert len(result.assignments) == 10000 and not result.unmatched


def test_a_cover_page_that_shifts_a_page_count_split_assigns_nothing_wrong() -> None:
    texts = ["Deckblatt"] + [text for n in (1, 2, 3) for text in (f"Einheit: WE 0{n}", "Seite 2", "Seite 3")]
    result = split(ByPageCount(pages_per_unit=3), texts, UNITS[:3])
    assert result.assignments == {}  # every chunk starts one page early: none is trusted
    assert "stimmt die Seitenzahl" in result.unmatched[0].reason.render("de")
    assert sorted(item.page for item in result.unmatched) == list(range(10))


def test_page_counts_that_agree_with_the_markers_pass() -> None:
    texts = [text for n in (1, 2, 3) for text in (f"Einheit: WE 0{n}", f"Seite 2 – Einheit: WE 0{n}")]
    result = split(ByPageCount(pages_per_unit=2), texts, UNITS[:3])
    assert result.assignments == {1: [0, 1], 2: [2, 3], 3: [4, 5]} and not result.unmatched


def test_ranges_that_take_a_neighbours_page_lose_only_the_units_concerned() -> None:
    texts = ["Einheit: WE 01", "Seite 2", "Einheit: WE 02", "Seite 2", "Einheit: WE 03"]
    result = split(ByRanges(ranges={"WE 01": "1-3", "WE 02": "4", "WE 03": "5"}), texts, UNITS[:3])
    assert result.assignments == {3: [4]}
    assert sorted(item.page for item in result.unmatched) == [0, 1, 2, 3]
    assert result.units_without_document == [1, 2]


def test_pages_without_any_marker_are_split_by_the_numbers_alone() -> None:
    result = split(ByPageCount(pages_per_unit=2), ["a", "b", "c", "d"], UNITS[:2])
    assert result.assignments == {1: [0, 1], 2: [2, 3]}
