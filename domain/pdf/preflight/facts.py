"""What preflight measured in one document, as plain data that survives a restart: stored as JSON
per document hash and profile version (domain.services.preflight), read back without pdfium."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from domain.addresses import normalise
from domain.messages import Message
from domain.pdf.geometry import Rect
from domain.pdf.preflight.findings import Rule
from domain.pdf.profiles import ProviderProfile, Zone

# Raise when the measurement changes what it finds: stored facts of older versions are ignored.
FACTS_VERSION = 1


@dataclass(frozen=True)
class ZoneHit:
    """Something printed in a blank zone: the largest such object, and how many more there are."""

    page_index: int
    zone: Zone
    kind: str  # text, image, path, shading
    rect: Rect
    others: int = 0


@dataclass(frozen=True)
class TextLine:
    rect: Rect
    text: str
    stored_norm: str | None = field(default=None, compare=False, repr=False)  # read back

    @cached_property
    def norm(self) -> str:
        """normalise(text), stored with the facts so a restart does not compute it again."""
        return self.stored_norm if self.stored_norm is not None else normalise(self.text)

    @cached_property
    def words(self) -> frozenset[str]:
        return frozenset(self.norm.split())

    @cached_property
    def squeezed(self) -> str:
        return self.norm.replace(" ", "")


@dataclass(frozen=True)
class FirstPage:
    """What the envelope window needs from a document's first page."""

    window_text: str  # the text inside the band the window always shows
    lines: tuple[TextLine, ...]  # text lines in the upper half of the page, to find the address
    images: tuple[Rect, ...]  # images reaching into the window band


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
    return [rect.left, rect.top, rect.width, rect.height]


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
            "lines": [[*_box(line.rect), line.text, line.norm] for line in first.lines],
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
            tuple(TextLine(Rect(l, t, w, h), text, norm) for l, t, w, h, text, norm in first["lines"]),
            tuple(_rect(box) for box in first["images"]),
        )
        if first is not None
        else None,
    )
