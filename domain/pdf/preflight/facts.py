"""What preflight measured in one document, as plain data that survives a restart: stored as JSON
per document hash and profile version (domain.services.preflight), read back without pdfium."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.addresses import normalise
from domain.messages import Message
from domain.pdf.geometry import Rect
from domain.pdf.preflight.findings import Rule
from domain.pdf.profiles import ProviderProfile, Zone

# Raise when the measurement changes what it finds: stored facts of older versions are ignored.
FACTS_VERSION = 2


@dataclass(frozen=True)
class ZoneHit:
    """Something printed in a blank zone: the largest such object, and how many more there are."""

    page_index: int
    zone: Zone
    kind: str  # text, image, path, shading
    rect: Rect
    others: int = 0


class TextLine:
    """A line of text on page 1 and where it sits, kept in its normalised form for comparing
    (domain.addresses.normalise: computed once, and stored, so a restart does not again).

    Read back from storage, a line makes its Rect only when asked: most lines of a page are body
    text that no address test ever places."""

    __slots__ = ("_rect", "_row", "norm", "spaced", "squeezed")
    _rect: Rect | None
    _row: list | None

    def __init__(self, rect: Rect, text: str) -> None:
        self._rect, self._row = rect, None
        self._words(normalise(text))

    @classmethod
    def stored(cls, row: list) -> TextLine:
        """From [left, top, width, height, norm] as `facts_to_json` wrote it."""
        line = cls.__new__(cls)
        line._rect, line._row = None, row
        line._words(row[4])
        return line

    def _words(self, norm: str) -> None:
        self.norm = norm
        self.spaced = f" {norm} "  # " word " in spaced: a whole word of the line
        self.squeezed = norm.replace(" ", "")

    @property
    def rect(self) -> Rect:
        if self._rect is None:
            assert self._row is not None  # made by __init__ (with a rect) or by stored (with a row)
            self._rect = Rect(*self._row[:4])
        return self._rect

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TextLine) and (self.rect, self.norm) == (other.rect, other.norm)

    def __hash__(self) -> int:
        return hash((self.rect, self.norm))

    def __repr__(self) -> str:
        return f"TextLine({self.rect!r}, norm={self.norm!r})"


@dataclass(frozen=True)
class FirstPage:
    """What the envelope window needs from a document's first page."""

    window_text: str  # the text inside the band the window always shows
    lines: tuple[TextLine, ...]  # text lines down to a little below the window, to find the address
    images: tuple[Rect, ...]  # images reaching into the window band
    window_norm: str | None = None  # normalise(window_text), stored with the facts

    def __post_init__(self) -> None:
        if self.window_norm is None:
            object.__setattr__(self, "window_norm", normalise(self.window_text))


@dataclass(frozen=True)
class DocumentFacts:
    size: int
    pages: int = 0
    problem_rule: Rule | None = None  # UNREADABLE or ENCRYPTED: nothing else was inspected
    problem: Message | None = None
    bad_formats: tuple[tuple[int, float, float], ...] = ()  # (page index, width, height in mm)
    zone_hits: tuple[ZoneHit, ...] = ()
    first_page: FirstPage | None = None


def _rect(values: list[float]) -> Rect:
    return Rect(*values)


def _box(rect: Rect) -> list[float]:
    """To a hundredth of a millimetre: finer than any rule's tolerance, and short to store."""
    return [round(rect.left, 2), round(rect.top, 2), round(rect.width, 2), round(rect.height, 2)]


def facts_to_json(facts: DocumentFacts) -> dict[str, Any]:
    data: dict[str, Any] = {"size": facts.size, "pages": facts.pages}
    if facts.problem is not None:
        data["problem"] = [str(facts.problem_rule), facts.problem.to_json()]
    if facts.bad_formats:
        data["formats"] = [list(entry) for entry in facts.bad_formats]
    if facts.zone_hits:
        data["hits"] = [
            [hit.page_index, hit.zone.name, hit.kind, _box(hit.rect), hit.others]
            for hit in facts.zone_hits
        ]
    first = facts.first_page
    if first is not None:
        data["first"] = {
            "window": first.window_text,
            "window_norm": first.window_norm,
            "lines": [[*_box(line.rect), line.norm] for line in first.lines],
            "images": [_box(image) for image in first.images],
        }
    return data


def facts_from_json(data: dict[str, Any], profile: ProviderProfile) -> DocumentFacts:
    """The facts as measured; a zone the profile no longer has cannot occur (its version changed)."""
    zones = {zone.name: zone for zone in profile.blank_zones}
    problem = data.get("problem")
    first = data.get("first")
    return DocumentFacts(
        size=data["size"],
        pages=data["pages"],
        problem_rule=Rule(problem[0]) if problem else None,
        problem=Message.from_json(problem[1]) if problem else None,
        bad_formats=tuple(tuple(entry) for entry in data.get("formats", ())),
        zone_hits=tuple(
            ZoneHit(page, zones[name], kind, _rect(box), others)
            for page, name, kind, box, others in data.get("hits", ())
        ),
        first_page=FirstPage(
            first["window"],
            tuple(map(TextLine.stored, first["lines"])),
            tuple(_rect(box) for box in first["images"]),
            first["window_norm"],
        )
        if first is not None
        else None,
    )
