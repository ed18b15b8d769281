"""DIN 5008 page layout with reportlab: the address cover sheet briefwerk adds to a letter, and
plain letters (demo data, test documents). Fonts are embedded so every page is printable and
can become PDF/A."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import reportlab
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from domain.pdf.geometry import A4_MM, mm_to_pt

FONT = "BriefSans"
FONT_BOLD = "BriefSans-Bold"
PAGE_SIZE = (mm_to_pt(A4_MM[0]), mm_to_pt(A4_MM[1]))

# DIN 5008 Form B: window 20 mm from the left, 45 mm from the top; the return line sits in the
# window's upper 17.7 mm, the recipient below it, indented 5 mm from the window edge.
RETURN_LINE_TOP_MM = 58.0
# The first baseline sits low enough for DIN 5008's zone (62.7 mm) and high enough that six
# lines still end inside Pingen's (85.5 mm).
ADDRESS_FIRST_BASELINE_MM = 65.8
ADDRESS_LEFT_MM = 25.0
ADDRESS_LEADING_MM = 4.23
INFO_LEFT_MM = 125.0
SUBJECT_TOP_MM = 98.4
TEXT_LEFT_MM = 25.0
TEXT_RIGHT_MM = 190.0
FOOTER_TOP_MM = 282.0


@lru_cache(maxsize=1)
def register_fonts() -> None:
    """Bitstream Vera ships with reportlab, so letters embed a real font on any machine."""
    fonts = Path(reportlab.__file__).parent / "fonts"
    pdfmetrics.registerFont(TTFont(FONT, str(fonts / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(fonts / "VeraBd.ttf")))


def new_canvas(buffer: io.BytesIO, title: str) -> Canvas:
    register_fonts()
    # reportlab's default initial font is a non-embedded Helvetica that every page names in its
    # resources; PDF/A refuses that even though no text is shown in it.
    canvas = Canvas(
        buffer, pagesize=PAGE_SIZE, invariant=1, pageCompression=1, initialFontName=FONT
    )
    canvas.setTitle(title)
    canvas.setAuthor("briefwerk")
    return canvas


def _y(top_mm: float) -> float:
    """reportlab's y coordinate of a baseline `top_mm` below the top edge."""
    return mm_to_pt(A4_MM[1] - top_mm)


def draw_address_window(canvas: Canvas, return_line: str, address_lines: list[str]) -> None:
    """An empty `return_line` leaves its area free (Pingen prints there itself)."""
    if return_line:
        canvas.setFont(FONT, 7)
        canvas.drawString(mm_to_pt(ADDRESS_LEFT_MM), _y(RETURN_LINE_TOP_MM), return_line)
    canvas.setFont(FONT, 10)
    for index, line in enumerate(address_lines):
        top = ADDRESS_FIRST_BASELINE_MM + index * ADDRESS_LEADING_MM
        canvas.drawString(mm_to_pt(ADDRESS_LEFT_MM), _y(top), line)


def draw_info_block(canvas: Canvas, lines: list[tuple[str, str]]) -> None:
    canvas.setFont(FONT, 8)
    for index, (label, value) in enumerate(lines):
        top = 50 + index * 4.5
        canvas.drawString(mm_to_pt(INFO_LEFT_MM), _y(top), label)
        canvas.drawString(mm_to_pt(INFO_LEFT_MM + 28), _y(top), value)


def draw_footer(canvas: Canvas, text: str) -> None:
    canvas.setFont(FONT, 7)
    canvas.drawString(mm_to_pt(TEXT_LEFT_MM), _y(FOOTER_TOP_MM), text)


@dataclass
class LetterSpec:
    """A plain DIN 5008 letter: address on page 1, then wrapped paragraphs over as many pages as
    they need, or exactly `pages` pages when given (the rest filled with table rows)."""

    return_line: str
    address_lines: list[str]
    subject: str
    paragraphs: list[str]
    info: list[tuple[str, str]] = field(default_factory=list)
    footer: str = ""
    pages: int | None = None
    table_rows: list[tuple[str, str]] = field(default_factory=list)


def render_letter(spec: LetterSpec) -> bytes:
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, spec.subject)
    writer = _TextFlow(canvas, spec)
    writer.first_page()
    for paragraph in spec.paragraphs:
        writer.paragraph(paragraph)
    for label, amount in spec.table_rows:
        writer.row(label, amount)
    if spec.pages is not None:
        writer.fill_to(spec.pages)
    writer.finish()
    canvas.save()
    return buffer.getvalue()


class _TextFlow:
    LEADING_MM = 5.0
    BOTTOM_MM = 270.0

    def __init__(self, canvas: Canvas, spec: LetterSpec) -> None:
        self.canvas, self.spec = canvas, spec
        self.page = 1
        self.top = SUBJECT_TOP_MM

    def first_page(self) -> None:
        draw_address_window(self.canvas, self.spec.return_line, self.spec.address_lines)
        draw_info_block(self.canvas, self.spec.info)
        self.canvas.setFont(FONT_BOLD, 11)
        self.canvas.drawString(mm_to_pt(TEXT_LEFT_MM), _y(self.top), self.spec.subject)
        self.top += 2 * self.LEADING_MM

    def _line(self, text: str, bold: bool = False) -> None:
        if self.top > self.BOTTOM_MM:
            self.new_page()
        self.canvas.setFont(FONT_BOLD if bold else FONT, 10)
        self.canvas.drawString(mm_to_pt(TEXT_LEFT_MM), _y(self.top), text)
        self.top += self.LEADING_MM

    def paragraph(self, text: str) -> None:
        width = mm_to_pt(TEXT_RIGHT_MM - TEXT_LEFT_MM)
        for line in simpleSplit(text, FONT, 10, width):
            self._line(line)
        self.top += self.LEADING_MM / 2

    def row(self, label: str, amount: str) -> None:
        if self.top > self.BOTTOM_MM:
            self.new_page()
        self.canvas.setFont(FONT, 10)
        self.canvas.drawString(mm_to_pt(TEXT_LEFT_MM), _y(self.top), label)
        self.canvas.drawRightString(mm_to_pt(TEXT_RIGHT_MM), _y(self.top), amount)
        self.top += self.LEADING_MM

    def new_page(self) -> None:
        self._page_footer()
        self.canvas.showPage()
        self.page += 1
        self.top = 25.0

    def fill_to(self, pages: int) -> None:
        while self.page < pages:
            self.new_page()
            self._line(f"{self.spec.subject} – Fortsetzung")

    def finish(self) -> None:
        self._page_footer()

    def _page_footer(self) -> None:
        text = f"Seite {self.page}"
        if self.spec.footer:
            text = f"{self.spec.footer} · {text}"
        draw_footer(self.canvas, text)


def render_cover_sheet(return_line: str, address_lines: list[str], note_lines: list[str]) -> bytes:
    """One page that puts the recipient's address in the window in front of documents that are
    addressed to someone else (a co-owner's copy, a tenant's copy)."""
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, "Adressblatt")
    draw_address_window(canvas, return_line, address_lines)
    canvas.setFont(FONT, 10)
    for index, line in enumerate(note_lines):
        canvas.drawString(mm_to_pt(TEXT_LEFT_MM), _y(SUBJECT_TOP_MM + index * 5), line)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
