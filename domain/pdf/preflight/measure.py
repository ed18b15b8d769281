"""Measuring one document with pdfium: is it readable, are its pages A4, what prints into the
profile's blank zones, and what text and pictures sit where the envelope window shows page 1.

Pages are parsed only where something must be looked at (page 1, and every page when the profile
has zones on every page); elsewhere the page size comes from the page tree, which is much faster.
"""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from domain.errors import InvalidInput
from domain.messages import Message
from domain.pdf.geometry import A4_MM, PT_PER_MM, Rect
from domain.pdf.preflight.facts import DocumentFacts, FirstPage, TextLine, ZoneHit
from domain.pdf.preflight.findings import Rule
from domain.pdf.preflight.frame import PageFrame
from domain.pdf.preflight.ink import objects_in_zones
from domain.pdf.profiles import ProviderProfile

Document = Path | bytes
"""A PDF as a file or as its bytes."""

# The address is looked for down to this far below the window's lowest edge: a block further
# down is no window address gone astray (the window shows none, which blocks as well), and the
# body text below is most of a page's lines, to be stored and compared for every letter.
ADDRESS_SEARCH_BELOW_MM = 20.0


def inspect_document(pdf: Document, profile: ProviderProfile) -> DocumentFacts:
    """Everything the profile's rules need from one document, read in one pass."""
    size = pdf.stat().st_size if isinstance(pdf, Path) else len(pdf)
    try:
        document = pdfium.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))
    except pdfium.PdfiumError as error:
        if error.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            return _encrypted(size)
        return DocumentFacts(size, problem_rule=Rule.UNREADABLE, problem=_unreadable(pdf))
    try:
        if pdfium_c.FPDF_GetSecurityHandlerRevision(document) != -1:
            return _encrypted(size)
        if len(document) == 0:
            return DocumentFacts(
                size, problem_rule=Rule.UNREADABLE, problem=_detail("preflight.detail.no_pages")
            )
        return _inspect_pages(document, profile, size)
    finally:
        document.close()


def _inspect_pages(document: pdfium.PdfDocument, profile: ProviderProfile, size: int) -> DocumentFacts:
    every_page = any(zone.pages == "all" for zone in profile.blank_zones)
    bad_formats: list[tuple[int, float, float]] = []
    zone_hits: list[ZoneHit] = []
    first_page = None
    for index in range(len(document)):
        if index and not every_page:
            measured = _page_size(document, index)
            if measured is None:
                return _bad_page(size, index)
            width, height = measured
        else:
            try:
                page = document[index]
            except pdfium.PdfiumError:
                return _bad_page(size, index)
            try:
                frame = PageFrame.of(page)
                width, height = frame.size_mm
                zones = [z for z in profile.blank_zones if z.applies_to(index, first_in_letter=True)]
                window = profile.visible_band if index == 0 else None
                hits, images = objects_in_zones(page, frame, zones, index, window)
                zone_hits += hits
                if index == 0:
                    first_page = _first_page(page, frame, profile, images)
            finally:
                page.close()
        tolerance = profile.page_tolerance_mm
        if abs(width - A4_MM[0]) > tolerance or abs(height - A4_MM[1]) > tolerance:
            bad_formats.append((index, width, height))
    return DocumentFacts(
        size,
        pages=len(document),
        bad_formats=tuple(bad_formats),
        zone_hits=tuple(zone_hits),
        first_page=first_page,
    )


def _page_size(document: pdfium.PdfDocument, index: int) -> tuple[float, float] | None:
    """Width and height in mm as printed (crop box, turned by /Rotate), without parsing the page."""
    size = pdfium_c.FS_SIZEF()
    if not pdfium_c.FPDF_GetPageSizeByIndexF(document, index, size):
        return None
    return size.width / PT_PER_MM, size.height / PT_PER_MM


def _encrypted(size: int) -> DocumentFacts:
    return DocumentFacts(size, problem_rule=Rule.ENCRYPTED, problem=Message("preflight.encrypted"))


def _bad_page(size: int, index: int) -> DocumentFacts:
    problem = _detail("preflight.detail.page", page=index + 1)
    return DocumentFacts(size, problem_rule=Rule.UNREADABLE, problem=problem)


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


def _first_page(
    page: pdfium.PdfPage, frame: PageFrame, profile: ProviderProfile, images: list
) -> FirstPage:
    band = profile.visible_band
    search_bottom = max(band.bottom, profile.address_zone.bottom) + ADDRESS_SEARCH_BELOW_MM
    textpage = page.get_textpage()
    try:
        window = _clean(textpage.get_text_bounded(*frame.to_user(band)))
        fragments = []
        for index in range(textpage.count_rects()):
            box = textpage.get_rect(index)
            rect = frame.to_sheet(*box)
            if rect.top > search_bottom or rect.width <= 0:
                continue
            text = " ".join(textpage.get_text_bounded(*box).split())
            if text:
                fragments.append((rect, text))
    finally:
        textpage.close()
    return FirstPage(window, tuple(_merge_lines(fragments)), tuple(images))


def _clean(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def _merge_lines(fragments: list[tuple[Rect, str]], max_gap_mm: float = 3.0) -> list[TextLine]:
    """Join the pieces pdfium reports (one per text object, often a word in Word exports) into
    lines: same baseline band, small horizontal gaps."""
    lines: list[tuple[Rect, str]] = []
    for rect, text in sorted(fragments, key=lambda f: (round(f[0].top, 1), f[0].left)):
        for index, (line, joined) in enumerate(lines):
            overlap = min(line.bottom, rect.bottom) - max(line.top, rect.top)
            gap = rect.left - line.right
            if overlap >= 0.5 * min(line.height, rect.height) and -1.0 <= gap <= max_gap_mm:
                glue = " " if gap > 0.3 else ""
                lines[index] = (line.union(rect), f"{joined}{glue}{text}")
                break
        else:
            lines.append((rect, text))
    return [TextLine(rect, text) for rect, text in lines]


def open_pdf(pdf: Document) -> pdfium.PdfDocument:
    """The document, or a refusal that says why it cannot be opened."""
    try:
        return pdfium.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))
    except pdfium.PdfiumError as error:
        if error.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise InvalidInput("preflight.encrypted") from error
        raise InvalidInput(
            "preflight.unreadable", detail=Message("preflight.detail.damaged")
        ) from error


def window_text(pdf: Document, profile: ProviderProfile, page_index: int = 0) -> str:
    """The text the envelope window always shows, one line per line."""
    document = open_pdf(pdf)
    try:
        page = document[page_index]
        textpage = page.get_textpage()
        text = textpage.get_text_bounded(*PageFrame.of(page).to_user(profile.visible_band))
        textpage.close()
        page.close()
        return _clean(text)
    finally:
        document.close()
