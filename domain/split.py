"""Cutting a batch PDF into the units' documents, or matching one file per unit.

Nothing is assigned silently: every page that belongs to no unit and every unit left without a
document is reported with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from domain.errors import InvalidInput
from domain.messages import Message


@dataclass(frozen=True)
class UnitKey:
    id: int
    label: str
    external_id: str

    def identifiers(self) -> set[str]:
        return {name for name in (self.label, self.external_id) if name.strip()}


class ByMarker(BaseModel):
    """A page naming a unit starts that unit's document; pages without a marker continue it."""

    method: Literal["marker"] = "marker"
    pattern: str = "Einheit: {unit}"

    @field_validator("pattern")
    @classmethod
    def _has_placeholder(cls, value: str) -> str:
        if value.count("{unit}") != 1:
            raise ValueError("the pattern needs exactly one {unit} placeholder")
        return value


class ByPageCount(BaseModel):
    """Every `pages_per_unit` pages belong to the next unit, in the property's unit order."""

    method: Literal["pages"] = "pages"
    pages_per_unit: int = Field(ge=1)


class ByRanges(BaseModel):
    """Explicit 1-based page ranges per unit label or id, e.g. {"WE 01": "1-3", "WE 02": "4,5"}."""

    method: Literal["ranges"] = "ranges"
    ranges: dict[str, str]


SplitRule = Annotated[ByMarker | ByPageCount | ByRanges, Field(discriminator="method")]


@dataclass(frozen=True)
class Unmatched:
    page: int  # 0-based
    reason: Message


@dataclass
class SplitResult:
    assignments: dict[int, list[int]] = field(default_factory=dict)  # unit id -> 0-based pages
    unmatched: list[Unmatched] = field(default_factory=list)
    units_without_document: list[int] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.unmatched and not self.units_without_document


DEFAULT_MARKER = "Einheit: {unit}"


def split_pages(rule: ByMarker | ByPageCount | ByRanges, page_count: int, page_texts: Iterable[str] | None,
                units: Sequence[UnitKey]) -> SplitResult:
    """Cuts `page_count` pages by `rule`, reading `page_texts` in one pass (a generator keeps a
    90,000-page batch out of memory). A split by numbers is checked against the markers the
    pages carry, where they carry any (see `_check_against_markers`)."""
    if isinstance(rule, ByMarker):
        result = _split_by_marker(rule.pattern, page_texts or [], units)
    else:
        if isinstance(rule, ByPageCount):
            result = _split_by_count(rule.pages_per_unit, page_count, units)
        else:
            result = _split_by_ranges(rule.ranges, page_count, units)
        if page_texts is not None:
            _check_against_markers(result, page_texts, units)
    result.units_without_document = [u.id for u in units if u.id not in result.assignments]
    return result


# --- by marker ------------------------------------------------------------------------------


def _flexible(text: str) -> str:
    return r"\s*".join(re.escape(part) for part in text.split()) if text.strip() else ""


class _MarkerReader:
    """Finds the units a page's markers name. Unit names are looked up word by word in a table,
    not alternated in one regex: with 10,000 units such a regex would try every name at every
    position of every page."""

    WORDS = 6  # the longest unit name a marker may hold, in words

    def __init__(self, pattern: str, units: Sequence[UnitKey]) -> None:
        before, after = pattern.split("{unit}")
        self.by_name = _units_by_name(units)
        self.prefix = re.compile(rf"(?<!\w){_flexible(before)}", re.IGNORECASE) if before.strip() else None
        self.suffix = re.compile(_flexible(after), re.IGNORECASE) if after.strip() else None
        # With literal text around the placeholder, a marker naming an unknown unit is detectable.
        self.unknown = None
        if before.strip() or after.strip():
            self.unknown = re.compile(
                rf"(?<!\w){_flexible(before)}\s*(?P<unit>[\w./-]+(?:\s\d+)?)\s*{_flexible(after)}", re.IGNORECASE)

    def units_on(self, text: str) -> dict[int, UnitKey]:
        found: dict[int, UnitKey] = {}
        starts = (m.end() for m in self.prefix.finditer(text)) if self.prefix else _word_starts(text)
        for start in starts:
            for unit in self._named_at(text, start):
                found[unit.id] = unit
        return found

    def _named_at(self, text: str, start: int) -> list[UnitKey]:
        """The units named right at `start`: up to the suffix where the pattern has one, else the
        longest run of words that is a unit's name."""
        window = text[start:start + 200]
        if self.suffix is not None:
            end = self.suffix.search(window)
            return self.by_name.get(_fold(window[:end.start()]), []) if end else []
        words = [word.group() for word in _WORD.finditer(window)][: self.WORDS]
        for count in range(len(words), 0, -1):
            name = "".join(words[:count]).casefold()
            named = self.by_name.get(name) or self.by_name.get(name.rstrip(TRAILING))
            if named:
                return named
        return []


TRAILING = ".,;:!?)]}\"'“”„"  # punctuation after a name in running text
_WORD = re.compile(r"\S+")


def _word_starts(text: str) -> Iterator[int]:
    return (m.start() for m in _WORD.finditer(text))


def _units_by_name(units: Sequence[UnitKey]) -> dict[str, list[UnitKey]]:
    """Folded label or id -> the units it names; more than one (one unit's label is another's
    id) makes every page naming it ambiguous, never silently the last one's."""
    by_name: dict[str, list[UnitKey]] = {}
    for unit in units:
        for name in unit.identifiers():
            entries = by_name.setdefault(_fold(name), [])
            if unit not in entries:
                entries.append(unit)
    return by_name


def _split_by_marker(pattern: str, page_texts: Iterable[str], units: Sequence[UnitKey]) -> SplitResult:
    reader = _MarkerReader(pattern, units)
    result = SplitResult()
    current: UnitKey | None = None
    stop_reason = Message("split.before_first_marker", {"pattern": pattern})
    for page, text in enumerate(page_texts):
        found = reader.units_on(text)
        if len(found) > 1:
            labels = ", ".join(sorted(u.label for u in found.values()))
            current, stop_reason = None, Message("split.after_ambiguous_page", {"page": page + 1})
            result.unmatched.append(Unmatched(page, Message("split.ambiguous", {"units": labels})))
            continue
        if found:
            unit = next(iter(found.values()))
            if unit.id in result.assignments and current is not unit:
                result.warnings.append(Message("split.unit_twice", {"unit": unit.label, "page": page + 1}))
            current = unit
        elif reader.unknown is not None and (unknown := reader.unknown.search(text)):
            name = unknown.group("unit")
            current, stop_reason = None, Message("split.after_unknown_marker", {"unit": name, "page": page + 1})
            result.unmatched.append(Unmatched(page, Message("split.unknown_unit", {"unit": name})))
            continue
        if current is None:
            result.unmatched.append(Unmatched(page, stop_reason))
            continue
        result.assignments.setdefault(current.id, []).append(page)
    return result


def _check_against_markers(result: SplitResult, page_texts: Iterable[str], units: Sequence[UnitKey]) -> None:
    """Page counts and ranges trust the numbers; one extra cover page shifts every unit onto its
    neighbour's pages. Where the pages name units ("Einheit: WE 03"), each unit's pages must
    start with its own marker and name no other unit; a unit whose pages disagree loses them to
    `unmatched`, never to a neighbour."""
    reader = _MarkerReader(DEFAULT_MARKER, units)
    named = {page: set(on_page) for page, text in enumerate(page_texts) if (on_page := reader.units_on(text))}
    if not named:
        return  # nothing to check against
    marked_units = {unit_id for ids in named.values() for unit_id in ids}
    labels = {unit.id: unit.label for unit in units}
    for unit_id, pages in list(result.assignments.items()):
        others = {other for page in pages for other in named.get(page, ()) if other != unit_id}
        starts_right = unit_id not in marked_units or unit_id in named.get(pages[0], ())
        if others or not starts_right:
            found = ", ".join(sorted(labels[o] for o in others)) or labels[unit_id]
            reason = Message("split.numbers_disagree", {"unit": labels[unit_id], "first": pages[0] + 1, "found": found})
            result.unmatched += [Unmatched(page, reason) for page in pages]
            del result.assignments[unit_id]
    result.unmatched.sort(key=lambda item: item.page)


def _fold(name: str) -> str:
    return " ".join(name.casefold().split()).replace(" ", "")


# --- by page count and by ranges -------------------------------------------------------------


def _split_by_count(per_unit: int, page_count: int, units: Sequence[UnitKey]) -> SplitResult:
    result = SplitResult()
    for index, unit in enumerate(units):
        pages = list(range(index * per_unit, min((index + 1) * per_unit, page_count)))
        if len(pages) == per_unit:
            result.assignments[unit.id] = pages
        elif pages:
            for page in pages:
                result.unmatched.append(Unmatched(page, Message("split.short_chunk", {"unit": unit.label, "pages": len(pages), "expected": per_unit})))
    for page in range(len(units) * per_unit, page_count):
        result.unmatched.append(Unmatched(page, Message("split.more_pages_than_units", {"units": len(units), "per_unit": per_unit})))
    return result


def parse_page_ranges(text: str, page_count: int) -> list[int]:
    """'1-3, 5' -> [0, 1, 2, 4] (0-based); refuses ranges outside the document."""
    pages: list[int] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = re.fullmatch(r"(\d+)\s*(?:-\s*(\d+))?", part)
        if not match:
            raise InvalidInput("split.bad_range", text=part)
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        if not 1 <= first <= last <= page_count:
            raise InvalidInput("split.range_outside", text=part, pages=page_count)
        pages.extend(range(first - 1, last))
    return pages


def _split_by_ranges(ranges: dict[str, str], page_count: int, units: Sequence[UnitKey]) -> SplitResult:
    by_name = _units_by_name(units)
    result = SplitResult()
    owner: dict[int, str] = {}
    for name, text in ranges.items():
        named = by_name.get(_fold(name), [])
        if not named:
            raise InvalidInput("split.unknown_unit_in_ranges", unit=name)
        if len(named) > 1:
            raise InvalidInput("split.name_ambiguous", unit=name, units=", ".join(u.label for u in named))
        unit = named[0]
        for page in parse_page_ranges(text, page_count):
            if page in owner:
                raise InvalidInput("split.overlap", page=page + 1, first=owner[page], second=unit.label)
            owner[page] = unit.label
            result.assignments.setdefault(unit.id, []).append(page)
    for page in range(page_count):
        if page not in owner:
            result.unmatched.append(Unmatched(page, Message("split.not_in_ranges")))
    return result


# --- one file per unit -----------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    """Words of a name with leading zeros dropped, so 'WE_003' and 'WE 3' agree."""
    return [t.lstrip("0") or "0" if t.isdigit() else t for t in re.findall(r"[a-z]+|\d+", text.casefold())]


def match_files_to_units(filenames: Sequence[str], units: Sequence[UnitKey]) -> tuple[dict[int, str], list[tuple[str, Message]]]:
    """Each file's name must end with exactly one unit's label or id ('Hausgeld_WE_03.pdf'). The
    longest match wins: 'Plan_TG_01' is TG 01's even when another unit's id is '0001'."""
    matched: dict[int, str] = {}
    rejected: list[tuple[str, Message]] = []
    for filename in filenames:
        hits = _longest_matches(_tokens(PurePath(filename).stem), units)
        if len(hits) != 1:
            key = "split.file_no_unit" if not hits else "split.file_several_units"
            rejected.append((filename, Message(key, {"units": ", ".join(sorted(u.label for u in hits.values()))})))
        elif (unit_id := next(iter(hits))) in matched:
            rejected.append((filename, Message("split.file_duplicate", {"other": matched[unit_id]})))
        else:
            matched[unit_id] = filename
    return matched, rejected


def _longest_matches(stem: list[str], units: Sequence[UnitKey]) -> dict[int, UnitKey]:
    """The units whose label or id ends the name in the most words."""
    lengths = {u.id: max((len(t) for name in u.identifiers() if (t := _tokens(name)) and stem[-len(t):] == t), default=0)
               for u in units}
    longest = max(lengths.values(), default=0)
    return {u.id: u for u in units if longest and lengths[u.id] == longest}
