"""Preflight: checks a letter's print file against the postal rules of the provider's profile
before anything is ordered, and names for every failure the rule and what was measured.

A serial letter's print files are concatenations of a few documents (the unit's own PDFs, the
shared general attachments, blank pages), so `Preflight` inspects each distinct document once
(readability, page format, blank zones, the text on its first page) and keeps the facts; the
letter-level checks (address in the window, page and size limits, registered mail) then work on
those facts and cost next to nothing.
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import math
import os
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageDraw

from domain.addresses import (
    HOME_COUNTRY,
    PostalAddress,
    address_mismatches,
    country_name,
    normalise,
)
from domain.errors import InvalidInput
from domain.messages import DEFAULT_LOCALE, Message
from domain.pdf.geometry import A4_MM, PT_PER_MM, Rect
from domain.pdf.profiles import ProviderProfile, Zone

Document = Path | bytes
"""A PDF as a file or as its bytes."""


class Rule(StrEnum):
    UNREADABLE = "unreadable"
    ENCRYPTED = "encrypted"
    PAGE_FORMAT = "page_format"
    RECIPIENT_MISSING = "recipient_missing"
    ADDRESS_MISSING = "address_missing"
    ADDRESS_IMAGE = "address_image"
    ADDRESS_OUTSIDE_ZONE = "address_outside_zone"
    ADDRESS_MISMATCH = "address_mismatch"
    BLANK_ZONE = "blank_zone"
    PAGE_LIMIT = "page_limit"
    FILE_SIZE = "file_size"
    REGISTERED_ABROAD = "registered_abroad"


# What an address cover sheet in front of the letter fixes: it brings its own, correct address.
COVER_SHEET_RULES = frozenset(
    {Rule.ADDRESS_MISSING, Rule.ADDRESS_IMAGE, Rule.ADDRESS_OUTSIDE_ZONE, Rule.ADDRESS_MISMATCH}
)


@dataclass(frozen=True)
class Finding:
    """One broken rule. `page` is 1-based within the letter (or the document, for
    `check_document`); `document` is the index of the document in the letter it comes from."""

    rule: Rule
    message: Message
    page: int | None = None
    document: int | None = None

    @property
    def cover_sheet_fixes(self) -> bool:
        return self.rule in COVER_SHEET_RULES

    def render(self, locale: str = DEFAULT_LOCALE) -> str:
        return self.message.render(locale)


@dataclass(frozen=True)
class PreflightReport:
    findings: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def needs_cover_sheet(self) -> bool:
        """An address finding that an address cover sheet in front of the letter would fix."""
        return any(finding.cover_sheet_fixes for finding in self.findings)

    @property
    def blocking(self) -> tuple[Finding, ...]:
        """The findings a cover sheet does not fix: the letter cannot go out until they are."""
        return tuple(finding for finding in self.findings if not finding.cover_sheet_fixes)

    @property
    def rules(self) -> set[Rule]:
        return {finding.rule for finding in self.findings}

    def render(self, locale: str = DEFAULT_LOCALE) -> list[str]:
        return [finding.render(locale) for finding in self.findings]


# --- facts that read differently per language ------------------------------------------------


@dataclass(frozen=True)
class MessageList(Message):
    """Several messages as one fact, e.g. the differing parts of an address: "Name, Straße"."""

    key: str = "preflight.list"
    items: tuple[Message, ...] = ()

    def render(self, locale: str = DEFAULT_LOCALE) -> str:
        return ", ".join(item.render(locale) for item in self.items)


@dataclass(frozen=True)
class CountryName(Message):
    """A country by its ISO code, named in the reader's language."""

    key: str = "preflight.country"
    code: str = ""

    def render(self, locale: str = DEFAULT_LOCALE) -> str:
        return country_name(self.code, locale)


# --- page geometry ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PageFrame:
    """How a page's PDF coordinates (points, origin bottom-left, unrotated) map onto the sheet as
    printed (mm from the top-left): the crop box is what prints, /Rotate turns it clockwise."""

    box: tuple[float, float, float, float]  # crop box: left, bottom, right, top in points
    rotation: int = 0

    @classmethod
    def of(cls, page: pdfium.PdfPage) -> PageFrame:
        return cls(tuple(page.get_cropbox()), page.get_rotation() % 360)

    @property
    def size_mm(self) -> tuple[float, float]:
        left, bottom, right, top = self.box
        width, height = (right - left) / PT_PER_MM, (top - bottom) / PT_PER_MM
        return (height, width) if self.rotation in (90, 270) else (width, height)

    def to_sheet(self, left: float, bottom: float, right: float, top: float) -> Rect:
        x0, y0, x1, y1 = self.box
        width, height = x1 - x0, y1 - y0
        # Unrotated, from the top-left, in points.
        l, r, t, b = left - x0, right - x0, y1 - top, y1 - bottom
        if self.rotation == 90:
            l, r, t, b = height - b, height - t, l, r
        elif self.rotation == 180:
            l, r, t, b = width - r, width - l, height - b, height - t
        elif self.rotation == 270:
            l, r, t, b = t, b, width - r, width - l
        return Rect(l / PT_PER_MM, t / PT_PER_MM, (r - l) / PT_PER_MM, (b - t) / PT_PER_MM)

    def to_user(self, rect: Rect) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in the page's PDF coordinates."""
        x0, y0, x1, y1 = self.box
        width, height = x1 - x0, y1 - y0
        l, r = rect.left * PT_PER_MM, rect.right * PT_PER_MM
        t, b = rect.top * PT_PER_MM, rect.bottom * PT_PER_MM
        if self.rotation == 90:
            l, r, t, b = t, b, height - r, height - l
        elif self.rotation == 180:
            l, r, t, b = width - r, width - l, height - b, height - t
        elif self.rotation == 270:
            l, r, t, b = width - b, width - t, l, r
        return (x0 + l, y1 - b, x0 + r, y1 - t)


def _overlap(a: Rect, b: Rect) -> Rect | None:
    left, top = max(a.left, b.left), max(a.top, b.top)
    right, bottom = min(a.right, b.right), min(a.bottom, b.bottom)
    if right <= left or bottom <= top:
        return None
    return Rect(left, top, right - left, bottom - top)


def _area(rect: Rect) -> float:
    return rect.width * rect.height


def _area_fact(rect: Rect) -> Message:
    return Message(
        "preflight.area",
        {
            "left": float(rect.left),
            "right": float(rect.right),
            "top": float(rect.top),
            "bottom": float(rect.bottom),
        },
    )


# --- what one document is made of --------------------------------------------------------------


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

    # Normalised once per document (the facts are cached), not once per letter.
    @cached_property
    def words(self) -> frozenset[str]:
        return frozenset(normalise(self.text).split())

    @cached_property
    def squeezed(self) -> str:
        return normalise(self.text).replace(" ", "")


@dataclass(frozen=True)
class FirstPage:
    """What the envelope window needs from a document's first page."""

    window_text: str  # the text inside the profile's address zone
    lines: tuple[TextLine, ...]  # text lines in the upper half of the page, to find the address
    images: tuple[Rect, ...]  # images reaching into the address zone


@dataclass(frozen=True)
class DocumentFacts:
    size: int
    pages: int = 0
    problem_rule: Rule | None = None  # UNREADABLE or ENCRYPTED: nothing else was inspected
    problem: Message | None = None
    bad_formats: tuple[tuple[int, float, float], ...] = ()  # (page index, width, height in mm)
    zone_hits: tuple[ZoneHit, ...] = ()
    first_page: FirstPage | None = None


# Rendering at 144 dpi (0.18 mm a pixel) proves whether an object really puts ink in a zone.
_INK_SCALE = 2.0
_INK_THRESHOLD = 250  # darkest grey level that still counts as blank paper
_ADDRESS_SEARCH_BOTTOM_MM = A4_MM[1] / 2  # the address is looked for in the upper half only
_IMAGE_SHARE_OF_ZONE = 0.1
_OBJECT_KINDS = {
    pdfium_c.FPDF_PAGEOBJ_TEXT: "text",
    pdfium_c.FPDF_PAGEOBJ_PATH: "path",
    pdfium_c.FPDF_PAGEOBJ_IMAGE: "image",
    pdfium_c.FPDF_PAGEOBJ_SHADING: "shading",
}
_Matrix = tuple[float, float, float, float, float, float]


def inspect_document(pdf: Document, profile: ProviderProfile) -> DocumentFacts:
    """Everything the profile's rules need from one document, read in one pass."""
    size = pdf.stat().st_size if isinstance(pdf, Path) else len(pdf)
    try:
        document = pdfium.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))
    except pdfium.PdfiumError as error:
        if error.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            return DocumentFacts(
                size, problem_rule=Rule.ENCRYPTED, problem=Message("preflight.encrypted")
            )
        return DocumentFacts(size, problem_rule=Rule.UNREADABLE, problem=_unreadable(pdf))
    try:
        if pdfium_c.FPDF_GetSecurityHandlerRevision(document) != -1:
            return DocumentFacts(
                size, problem_rule=Rule.ENCRYPTED, problem=Message("preflight.encrypted")
            )
        if len(document) == 0:
            return DocumentFacts(
                size, problem_rule=Rule.UNREADABLE, problem=_detail("preflight.detail.no_pages")
            )
        bad_formats: list[tuple[int, float, float]] = []
        zone_hits: list[ZoneHit] = []
        first_page = None
        for index in range(len(document)):
            try:
                page = document[index]
            except pdfium.PdfiumError:
                return DocumentFacts(
                    size,
                    problem_rule=Rule.UNREADABLE,
                    problem=_detail("preflight.detail.page", page=index + 1),
                )
            try:
                frame = PageFrame.of(page)
                width, height = frame.size_mm
                tolerance = profile.page_tolerance_mm
                if abs(width - A4_MM[0]) > tolerance or abs(height - A4_MM[1]) > tolerance:
                    bad_formats.append((index, width, height))
                hits, images = _inspect_objects(page, frame, profile, index)
                zone_hits += hits
                if index == 0:
                    first_page = _first_page(page, frame, profile, images)
            finally:
                page.close()
        return DocumentFacts(
            size,
            pages=len(document),
            bad_formats=tuple(bad_formats),
            zone_hits=tuple(zone_hits),
            first_page=first_page,
        )
    finally:
        document.close()


def _detail(key: str, **facts: object) -> Message:
    return Message("preflight.unreadable", {"detail": Message(key, facts)})


def _unreadable(pdf: Document) -> Message:
    """Why pdfium gave up: a PDF that starts right but lacks its end marker was cut short."""
    if isinstance(pdf, Path):
        try:
            with pdf.open("rb") as file:
                head = file.read(1024)
                file.seek(max(0, pdf.stat().st_size - 1024))
                tail = file.read()
        except OSError:
            return _detail("preflight.detail.damaged")
    else:
        head, tail = pdf[:1024], pdf[-1024:]
    if b"%PDF-" in head and b"%%EOF" not in tail:
        return _detail("preflight.detail.truncated")
    return _detail("preflight.detail.damaged")


def _inspect_objects(
    page: pdfium.PdfPage, frame: PageFrame, profile: ProviderProfile, index: int
) -> tuple[list[ZoneHit], list[Rect]]:
    """Objects that print into the page's blank zones (every zone that may apply to this page),
    and on page 1 the images in the address zone."""
    zones = [zone for zone in profile.blank_zones if zone.applies_to(index, first_in_letter=True)]
    address_zone = profile.address_zone if index == 0 else None
    targets = [zone.rect for zone in zones] + ([address_zone] if address_zone else [])
    if not targets:
        return [], []

    def wanted(rect: Rect) -> bool:
        return any(rect.intersects(target) for target in targets)

    ink = _Ink(page)
    found: dict[str, ZoneHit] = {}
    images: list[Rect] = []
    for obj, kind, rect in _page_objects(page, frame, wanted):
        if address_zone is not None and kind == "image":
            inside = _overlap(rect, address_zone)
            if inside and _area(inside) >= _IMAGE_SHARE_OF_ZONE * _area(address_zone):
                images.append(rect)
        reached = [(zone, inside) for zone in zones if (inside := _overlap(rect, zone.rect))]
        if not reached or not _may_show(obj, kind):
            continue
        for zone, inside in reached:
            if not ink.on(inside):
                continue
            seen = found.get(zone.name)
            if seen is None:
                found[zone.name] = ZoneHit(index, zone, kind, rect)
            elif _area(inside) > _area(_overlap(seen.rect, zone.rect) or inside):
                found[zone.name] = ZoneHit(index, zone, kind, rect, seen.others + 1)
            else:
                found[zone.name] = ZoneHit(index, zone, seen.kind, seen.rect, seen.others + 1)
    ink.close()
    return list(found.values()), images


def _page_objects(
    page: pdfium.PdfPage, frame: PageFrame, wanted: Callable[[Rect], bool]
) -> Iterator[tuple[object, str, Rect]]:
    """The page's drawing objects (descending into form XObjects) whose bounds pass `wanted`, with
    their bounds on the sheet. Works on raw handles: a page may hold thousands of objects."""
    bounds = [ctypes.c_float() for _ in range(4)]

    def walk(parent, count, get, matrix: _Matrix | None, depth: int):
        for i in range(count(parent)):
            obj = get(parent, i)
            if not obj or not pdfium_c.FPDFPageObj_GetBounds(obj, *bounds):
                continue
            box = tuple(value.value for value in bounds)
            if matrix is not None:
                box = _transform(matrix, box)
            rect = frame.to_sheet(*box)
            if not wanted(rect):
                continue
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
                if depth < 12:
                    inner = _form_matrix(obj)
                    yield from walk(
                        obj,
                        pdfium_c.FPDFFormObj_CountObjects,
                        pdfium_c.FPDFFormObj_GetObject,
                        inner if matrix is None else _concat(inner, matrix),
                        depth + 1,
                    )
            elif kind in _OBJECT_KINDS:
                yield obj, _OBJECT_KINDS[kind], rect

    yield from walk(page.raw, pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, None, 0)


def _form_matrix(obj) -> _Matrix:
    matrix = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, matrix):
        return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    return (matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f)


def _concat(first: _Matrix, then: _Matrix) -> _Matrix:
    """The matrix that applies `first`, then `then` (PDF row-vector convention)."""
    a1, b1, c1, d1, e1, f1 = first
    a2, b2, c2, d2, e2, f2 = then
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )


def _transform(matrix: _Matrix, box: tuple[float, ...]) -> tuple[float, float, float, float]:
    a, b, c, d, e, f = matrix
    left, bottom, right, top = box
    xs, ys = [], []
    for x, y in ((left, bottom), (right, bottom), (right, top), (left, top)):
        xs.append(a * x + c * y + e)
        ys.append(b * x + d * y + f)
    return min(xs), min(ys), max(xs), max(ys)


def _may_show(obj, kind: str) -> bool:
    """False for objects that print nothing: invisible or clip-only text, white or unpainted
    paths (Word exports are full of white rectangles). Whatever remains is proven by rendering."""
    if kind == "text":
        mode = pdfium_c.FPDFTextObj_GetTextRenderMode(obj)
        if mode in (pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE, pdfium_c.FPDF_TEXTRENDERMODE_CLIP):
            return False
        if mode == pdfium_c.FPDF_TEXTRENDERMODE_FILL:
            return _colour_shows(pdfium_c.FPDFPageObj_GetFillColor, obj)
        return True
    if kind == "path":
        fill_mode, stroke = ctypes.c_int(), ctypes.c_int()
        if not pdfium_c.FPDFPath_GetDrawMode(obj, fill_mode, stroke):
            return True
        fills = fill_mode.value != pdfium_c.FPDF_FILLMODE_NONE and _colour_shows(
            pdfium_c.FPDFPageObj_GetFillColor, obj
        )
        strokes = bool(stroke.value) and _colour_shows(pdfium_c.FPDFPageObj_GetStrokeColor, obj)
        return fills or strokes
    return True


def _colour_shows(get_colour, obj) -> bool:
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    if not get_colour(obj, r, g, b, a):
        return True  # patterns and the like: let the rendering decide
    return a.value > 0 and min(r.value, g.value, b.value) < _INK_THRESHOLD


class _Ink:
    """The page rendered in grey, once and only when an object reaches into a zone."""

    def __init__(self, page: pdfium.PdfPage) -> None:
        self.page = page
        self.image: Image.Image | None = None

    def on(self, rect: Rect) -> bool:
        scale = clamped_scale(self.page, _INK_SCALE)
        if self.image is None:
            bitmap = self.page.render(scale=scale, grayscale=True, draw_annots=False)
            self.image = bitmap.to_pil()
            bitmap.close()
        px = scale * PT_PER_MM
        width, height = self.image.size
        box = (
            max(0, math.floor(rect.left * px)),
            max(0, math.floor(rect.top * px)),
            min(width, math.ceil(rect.right * px)),
            min(height, math.ceil(rect.bottom * px)),
        )
        if box[2] <= box[0] or box[3] <= box[1]:
            return False
        return self.image.crop(box).getextrema()[0] < _INK_THRESHOLD

    def close(self) -> None:
        self.image = None


def _first_page(
    page: pdfium.PdfPage, frame: PageFrame, profile: ProviderProfile, images: list[Rect]
) -> FirstPage:
    textpage = page.get_textpage()
    try:
        window = _clean(textpage.get_text_bounded(*frame.to_user(profile.address_zone)))
        fragments = []
        for index in range(textpage.count_rects()):
            box = textpage.get_rect(index)
            rect = frame.to_sheet(*box)
            if rect.top > _ADDRESS_SEARCH_BOTTOM_MM or rect.width <= 0:
                continue
            text = " ".join(textpage.get_text_bounded(*box).split())
            if text:
                fragments.append(TextLine(rect, text))
    finally:
        textpage.close()
    return FirstPage(window, tuple(_merge_lines(fragments)), tuple(images))


def _clean(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def _merge_lines(fragments: list[TextLine], max_gap_mm: float = 3.0) -> list[TextLine]:
    """Join the pieces pdfium reports (one per text object, often a word in Word exports) into
    lines: same baseline band, small horizontal gaps."""
    lines: list[TextLine] = []
    for fragment in sorted(fragments, key=lambda f: (round(f.rect.top, 1), f.rect.left)):
        for index, line in enumerate(lines):
            overlap = min(line.rect.bottom, fragment.rect.bottom) - max(
                line.rect.top, fragment.rect.top
            )
            gap = fragment.rect.left - line.rect.right
            if (
                overlap >= 0.5 * min(line.rect.height, fragment.rect.height)
                and -1.0 <= gap <= max_gap_mm
            ):
                glue = " " if gap > 0.3 else ""
                lines[index] = TextLine(
                    line.rect.union(fragment.rect), f"{line.text}{glue}{fragment.text}"
                )
                break
        else:
            lines.append(fragment)
    return lines


# --- finding the recipient's address on page 1 ------------------------------------------------


def _squeezed(text: str) -> str:
    return normalise(text).replace(" ", "")


def _address_parts(
    address: PostalAddress, home_country: str
) -> dict[str, Callable[[TextLine], bool]]:
    """A test per part of the address: does this line spell it?"""

    def words_of(value: str) -> Callable[[TextLine], bool]:
        wanted = frozenset(normalise(value).split())
        return lambda line: wanted <= line.words

    def holds(*values: str) -> Callable[[TextLine], bool]:
        wanted = [_squeezed(value) for value in values]
        return lambda line: all(value in line.squeezed for value in wanted)

    def any_of(*values: str) -> Callable[[TextLine], bool]:
        wanted = [_squeezed(value) for value in values]
        return lambda line: any(value in line.squeezed for value in wanted)

    parts = {"name": words_of(address.name), "street": holds(address.street)}
    if address.addition:
        parts["addition"] = holds(address.addition)
    parts["city_line"] = holds(address.postcode, address.city)
    if address.country != home_country:
        parts["country"] = any_of(
            country_name(address.country, "de"), country_name(address.country, "en")
        )
    return parts


def locate_address(
    lines: Sequence[TextLine], address: PostalAddress, home_country: str = HOME_COUNTRY
) -> Rect | None:
    """The block of lines on the page that spells `address`, wherever it is, or None.

    Anchored on the postcode/city line (or the street): the other lines are taken from just
    above it (the country just below), left-aligned with it, so a street named again in the
    letter's text does not count.
    """
    parts = _address_parts(address, home_country)
    candidates = {name: [line for line in lines if test(line)] for name, test in parts.items()}
    anchors = candidates["city_line"] or candidates["street"]
    best: tuple[int, float, Rect] | None = None
    for anchor in anchors:
        block, found = anchor.rect, 1
        for name, matches in candidates.items():
            near = [
                line
                for line in matches
                if line is not anchor
                and abs(line.rect.left - anchor.rect.left) <= 15.0
                and (
                    0.0 < line.rect.top - anchor.rect.top <= 12.0
                    if name == "country"
                    else -40.0 <= line.rect.top - anchor.rect.top < 0.0
                )
            ]
            if near:
                closest = min(near, key=lambda line: abs(line.rect.top - anchor.rect.top))
                block, found = block.union(closest.rect), found + 1
        if best is None or (found, -block.height) > (best[0], -best[1]):
            best = (found, block.height, block)
    if best is None or best[0] < 2:
        return None
    return best[2]


def _address_findings(
    first: FirstPage, recipient: PostalAddress | None, profile: ProviderProfile, home_country: str
) -> list[Finding]:
    zone = profile.address_zone
    block = locate_address(first.lines, recipient, home_country) if recipient else None
    if block is not None and not zone.contains(block, tolerance=0.05):
        return _outside_findings(block, zone)
    if not first.window_text:
        if first.images:
            image = max(first.images, key=lambda rect: _area(_overlap(rect, zone) or rect))
            return [
                Finding(
                    Rule.ADDRESS_IMAGE,
                    Message(
                        "preflight.address_image",
                        {"zone": _area_fact(zone), "width": image.width, "height": image.height},
                    ),
                    page=1,
                    document=0,
                )
            ]
        return [
            Finding(
                Rule.ADDRESS_MISSING,
                Message("preflight.address_missing", {"zone": _area_fact(zone)}),
                1,
                0,
            )
        ]
    if recipient is None:
        return []
    missing = address_mismatches(first.window_text, recipient, home_country)
    if not missing:
        return []
    facts = {
        "recipient": ", ".join(recipient.window_lines(home_country)),
        "parts": MessageList(items=tuple(Message(f"preflight.part.{part}") for part in missing)),
        "window": first.window_text.replace("\n", " / "),
    }
    return [
        Finding(
            Rule.ADDRESS_MISMATCH, Message("preflight.address_mismatch", facts), page=1, document=0
        )
    ]


def _outside_findings(block: Rect, zone: Rect) -> list[Finding]:
    edges = (
        ("top", block.top, zone.top, block.top < zone.top - 0.05),
        ("bottom", block.bottom, zone.bottom, block.bottom > zone.bottom + 0.05),
        ("left", block.left, zone.left, block.left < zone.left - 0.05),
        ("right", block.right, zone.right, block.right > zone.right + 0.05),
    )
    return [
        Finding(
            Rule.ADDRESS_OUTSIDE_ZONE,
            Message(f"preflight.address_outside.{edge}", {"measured": measured, "limit": limit}),
            page=1,
            document=0,
        )
        for edge, measured, limit, exceeded in edges
        if exceeded
    ]


# --- the checks -------------------------------------------------------------------------------


class Preflight:
    """Checks documents and letters against one provider profile, inspecting each distinct
    document once (keyed by its bytes' hash, or a file's path, size and mtime).

    Not thread-safe (neither is pdfium): use one per worker.
    """

    def __init__(
        self, profile: ProviderProfile, home_country: str = HOME_COUNTRY, cache_size: int = 4096
    ) -> None:
        self.profile = profile
        self.home_country = home_country
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple, DocumentFacts] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def inspect(self, pdf: Document) -> DocumentFacts:
        key = _cache_key(pdf)
        facts = self._cache.get(key)
        if facts is not None:
            self.hits += 1
            self._cache.move_to_end(key)
            return facts
        self.misses += 1
        facts = inspect_document(pdf, self.profile)
        self._cache[key] = facts
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return facts

    def check_document(self, pdf: Document, *, first_in_letter: bool) -> list[Finding]:
        """Readability, encryption, page format and blank zones of one document; the first-page
        zones (e.g. Pingen's postage area) only when it opens a letter. Page numbers are the
        document's own. The address is a letter's matter: see `check_letter`."""
        return self._document_findings(self.inspect(pdf), first_in_letter, 0, None)

    def check_letter(
        self,
        documents: Sequence[Document],
        *,
        recipient: PostalAddress | None,
        registered: bool = False,
        pages: int | None = None,
        size: int | None = None,
        cover_pages: int = 0,
    ) -> PreflightReport:
        """One letter: `documents` in print order (the first carries the address on its page 1,
        blank padding pages included). `pages` and `size` describe the print file if it exists
        already; otherwise they are summed from the documents.

        `cover_pages` > 0: our own address cover sheet (and its blank back) comes first. It
        carries the recipient's address, so the documents' windows and first-page zones no
        longer matter; page numbers count from the cover."""
        if not documents:
            raise ValueError("a letter needs at least one document")
        facts = [self.inspect(document) for document in documents]
        findings: list[Finding] = []
        offset = cover_pages
        for index, document_facts in enumerate(facts):
            first_in_letter = index == 0 and not cover_pages
            findings += self._document_findings(document_facts, first_in_letter, offset, index)
            offset += document_facts.pages
        if recipient is None:
            findings.append(Finding(Rule.RECIPIENT_MISSING, Message("preflight.recipient_missing")))
        first = facts[0].first_page
        if first is not None and not cover_pages:
            findings += _address_findings(first, recipient, self.profile, self.home_country)
        findings += self._letter_limits(
            recipient, registered, pages if pages is not None else offset, size, facts
        )
        return PreflightReport(tuple(findings))

    def _letter_limits(
        self,
        recipient: PostalAddress | None,
        registered: bool,
        pages: int,
        size: int | None,
        facts: list[DocumentFacts],
    ) -> list[Finding]:
        profile, findings = self.profile, []
        country = recipient.country if recipient else self.home_country
        limit = profile.page_limit(country)
        if limit is not None and pages > limit:
            facts_ = {
                "pages": pages,
                "limit": limit,
                "provider": profile.display_name,
                "country": CountryName(code=country),
            }
            findings.append(Finding(Rule.PAGE_LIMIT, Message("preflight.page_limit", facts_)))
        size = size if size is not None else sum(document.size for document in facts)
        if profile.max_file_bytes is not None and size > profile.max_file_bytes:
            facts_ = {
                "size": size / 1e6,
                "limit": profile.max_file_bytes / 1e6,
                "provider": profile.display_name,
            }
            findings.append(Finding(Rule.FILE_SIZE, Message("preflight.file_size", facts_)))
        if (
            registered
            and recipient is not None
            and recipient.country not in profile.registered_countries
        ):
            allowed = MessageList(
                items=tuple(CountryName(code=code) for code in sorted(profile.registered_countries))
            )
            facts_ = {
                "provider": profile.display_name,
                "allowed": allowed,
                "country": CountryName(code=recipient.country),
            }
            findings.append(
                Finding(Rule.REGISTERED_ABROAD, Message("preflight.registered_abroad", facts_))
            )
        return findings

    def _document_findings(
        self, facts: DocumentFacts, first_in_letter: bool, offset: int, document: int | None
    ) -> list[Finding]:
        if facts.problem is not None:
            return [Finding(facts.problem_rule, facts.problem, None, document)]
        findings = []
        for index, width, height in facts.bad_formats:
            orientation = "landscape" if width > height else "portrait"
            message = Message(
                "preflight.page_format",
                {
                    "page": offset + index + 1,
                    "width": width,
                    "height": height,
                    "orientation": Message(f"preflight.orientation.{orientation}"),
                    "tolerance": self.profile.page_tolerance_mm,
                },
            )
            findings.append(Finding(Rule.PAGE_FORMAT, message, offset + index + 1, document))
        for hit in facts.zone_hits:
            if hit.zone.applies_to(hit.page_index, first_in_letter):
                findings.append(_zone_finding(hit, offset, document))
        return findings


def _zone_finding(hit: ZoneHit, offset: int, document: int | None) -> Finding:
    page = offset + hit.page_index + 1
    facts = {
        "page": page,
        "kind": Message(f"preflight.kind.{hit.kind}"),
        "left": hit.rect.left,
        "top": hit.rect.top,
        "width": hit.rect.width,
        "height": hit.rect.height,
        "zone": hit.zone.label,
        "area": _area_fact(hit.zone.rect),
    }
    key = "preflight.blank_zone"
    if hit.others:
        key, facts["others"] = "preflight.blank_zone.more", hit.others
    return Finding(Rule.BLANK_ZONE, Message(key, facts), page, document)


def _cache_key(pdf: Document) -> tuple:
    if isinstance(pdf, Path):
        stat = pdf.stat()
        return ("file", os.fspath(pdf.resolve()), stat.st_size, stat.st_mtime_ns)
    return ("bytes", len(pdf), hashlib.blake2b(pdf, digest_size=16).digest())


# --- looking at page 1 as the envelope will show it --------------------------------------------


def _open(pdf: Document) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))
    except pdfium.PdfiumError as error:
        if error.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise InvalidInput("preflight.encrypted") from error
        raise InvalidInput(
            "preflight.unreadable", detail=Message("preflight.detail.damaged")
        ) from error


def window_text(pdf: Document, profile: ProviderProfile, page_index: int = 0) -> str:
    """The text inside the profile's address zone, one line per line, as the envelope shows it."""
    document = _open(pdf)
    try:
        page = document[page_index]
        textpage = page.get_textpage()
        text = textpage.get_text_bounded(*PageFrame.of(page).to_user(profile.address_zone))
        textpage.close()
        page.close()
        return _clean(text)
    finally:
        document.close()


PREVIEW_ADDRESS_COLOUR = (0, 170, 0, 255)
PREVIEW_BLANK_COLOUR = (230, 0, 0, 90)
MAX_PIXELS = 16_000_000  # one rendered picture: 64 MB in RGBA, whatever the page claims to measure


def clamped_scale(page: pdfium.PdfPage, scale: float) -> float:
    """`scale`, or less where the page is so large the picture would pass MAX_PIXELS."""
    width, height = page.get_size()
    pixels = width * height * scale * scale
    return scale if pixels <= MAX_PIXELS else scale * math.sqrt(MAX_PIXELS / pixels)


def render_window_preview(
    pdf: Document, profile: ProviderProfile, page_index: int = 0, scale: float = 1.5
) -> bytes:
    """The page as a PNG (scale 1 = 72 dpi) with the address zone outlined in green and the
    blank zones laid over in translucent red: what the envelope window will show, for Slack."""
    document = _open(pdf)
    try:
        page = document[page_index]
        scale = clamped_scale(page, scale)
        bitmap = page.render(scale=scale)
        image = bitmap.to_pil().convert("RGBA")
        bitmap.close()
        page.close()
    finally:
        document.close()
    px = scale * PT_PER_MM

    def box(rect: Rect) -> tuple[int, int, int, int]:
        return (
            round(rect.left * px),
            round(rect.top * px),
            round(rect.right * px) - 1,
            round(rect.bottom * px) - 1,
        )

    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for zone in profile.blank_zones:
        if zone.applies_to(page_index, first_in_letter=True):
            draw.rectangle(box(zone.rect), fill=PREVIEW_BLANK_COLOUR)
    if page_index == 0:
        draw.rectangle(
            box(profile.address_zone), outline=PREVIEW_ADDRESS_COLOUR, width=max(2, round(0.5 * px))
        )
    image = Image.alpha_composite(image, overlay).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class PreflightCache:
    """One `Preflight` per profile and home country; pdfium is not thread-safe, so the app keeps
    one cache per worker process and uses it from one thread at a time."""

    def __init__(self) -> None:
        self._checks: dict[tuple[str, str], Preflight] = {}

    def get(self, profile: ProviderProfile, home_country: str) -> Preflight:
        key = (profile.key, home_country)
        if key not in self._checks:
            self._checks[key] = Preflight(profile, home_country)
        return self._checks[key]
