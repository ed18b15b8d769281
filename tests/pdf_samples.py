"""Real PDFs for tests: good letters from `domain.pdf.layout`, and pages that break one postal
rule each (wrong format, address in the wrong place or as an image, ink in a blank zone …)."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from functools import cache

from PIL import Image, ImageDraw
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.pagesizes import letter as US_LETTER
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from domain.addresses import PostalAddress
from domain.pdf import layout
from domain.pdf.geometry import A4_MM, mm_to_pt

RETURN_LINE = "Hausverwaltung Beispiel GmbH · Hauptstr. 1 · 10115 Berlin"
ANNA = PostalAddress(
    name="Anna Müller", street="Musterstraße 5", postcode="12345", city="Musterstadt"
)
MAX = PostalAddress(
    name="Max Mustermann", street="Andere Straße 9", postcode="54321", city="Anderswo"
)
FONT_SIZE = 10
LEADING_MM = layout.ADDRESS_LEADING_MM


def letter(address: PostalAddress = ANNA, pages: int = 1, return_line: str = RETURN_LINE) -> bytes:
    """A DIN 5008 letter as `domain.pdf.layout` makes it."""
    return layout.render_letter(
        layout.LetterSpec(
            return_line=return_line,
            address_lines=address.window_lines(),
            subject="Hausgeldabrechnung 2024",
            paragraphs=["Sehr geehrte Damen und Herren, anbei erhalten Sie die Abrechnung. " * 6],
            info=[("Datum", "03.02.2025"), ("Einheit", "WE 03")],
            footer="Hausverwaltung Beispiel GmbH",
            pages=pages,
        )
    )


def cover_sheet(address: PostalAddress = ANNA) -> bytes:
    return layout.render_cover_sheet(RETURN_LINE, address.window_lines(), ["Anlage: Abrechnung"])


def _y(top_mm: float) -> float:
    return mm_to_pt(A4_MM[1] - top_mm)


def document(
    pages: int = 1,
    draw: Callable[[Canvas, int], None] | None = None,
    page_sizes: dict[int, tuple[float, float]] | None = None,
    text: bool = True,
) -> bytes:
    """A plain document (a general attachment): a line of text on every page, no address;
    `draw(canvas, page_index)` adds whatever a test needs, `page_sizes` changes single pages."""
    buffer = io.BytesIO()
    canvas = layout.new_canvas(buffer, "Anlage")
    for index in range(pages):
        size = (page_sizes or {}).get(index, A4)
        canvas.setPageSize(size)
        if text:
            canvas.setFont(layout.FONT, 10)
            canvas.drawString(
                mm_to_pt(25), size[1] - mm_to_pt(120), f"Hausordnung, Seite {index + 1}"
            )
        if draw is not None:
            draw(canvas, index)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def address_at(lines: list[str], top_mm: float, left_mm: float = 25.0) -> bytes:
    """A first page with the address lines' first baseline `top_mm` below the top edge."""

    def draw(canvas: Canvas, index: int) -> None:
        canvas.setFont(layout.FONT, FONT_SIZE)
        for number, line in enumerate(lines):
            canvas.drawString(mm_to_pt(left_mm), _y(top_mm + number * LEADING_MM), line)

    return document(draw=draw)


def address_as_image(top_mm: float = 67.5, left_mm: float = 25.0) -> bytes:
    """A scanned address: dark strokes in a picture, no text, inside the window."""
    picture = Image.new("RGB", (600, 200), "white")
    pen = ImageDraw.Draw(picture)
    for row in range(3):
        pen.rectangle((10, 20 + row * 60, 400 - row * 60, 50 + row * 60), fill="black")

    def draw(canvas: Canvas, index: int) -> None:
        width, height = mm_to_pt(60), mm_to_pt(20)
        canvas.drawImage(
            ImageReader(picture),
            mm_to_pt(left_mm),
            _y(top_mm) - height + mm_to_pt(3),
            width,
            height,
        )

    return document(draw=draw)


def landscape_attachment() -> bytes:
    """Two pages, the second one A4 landscape."""
    return document(pages=2, page_sizes={1: landscape(A4)})


def us_letter_attachment() -> bytes:
    return document(pages=1, page_sizes={0: US_LETTER})


def rotated(pdf: bytes, degrees: int, page_index: int = 0) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    writer.pages[page_index].rotate(degrees)
    return _written(writer)


def encrypted(pdf: bytes, user_password: str = "") -> bytes:
    """RC4 (pypdf encrypts it without the `cryptography` package); an empty user password makes
    an owner-password-only PDF that every reader opens."""
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    return _written(writer)


def truncated(pdf: bytes, keep: float = 0.6) -> bytes:
    return pdf[: int(len(pdf) * keep)]


def with_embedded_file(pdf: bytes, size: int) -> bytes:
    """The same PDF, `size` bytes heavier: an incompressible embedded file."""
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    writer.add_attachment("daten.bin", os.urandom(size))
    return _written(writer)


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def _written(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# Drawings that put something into a blank zone (or seem to, and must not count).


def line_in_left_border(canvas: Canvas, index: int) -> None:
    """A fold mark as Word templates draw them: 3 mm from the left edge, 100 mm down."""
    if index == 1:
        canvas.setLineWidth(0.5)
        canvas.line(mm_to_pt(2), _y(100), mm_to_pt(8), _y(100))


def image_in_postage_area(canvas: Canvas, index: int) -> None:
    """A logo 30 mm from the left, 45 mm down: inside Pingen's postage area."""
    if index == 0:
        logo = Image.new("RGB", (100, 50), (20, 60, 160))
        canvas.drawImage(ImageReader(logo), mm_to_pt(30), _y(55), mm_to_pt(20), mm_to_pt(10))


def white_box_in_border(canvas: Canvas, index: int) -> None:
    """A white, unstroked rectangle over the whole page, as Word exports put behind the text."""
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(0, 0, mm_to_pt(A4_MM[0]), mm_to_pt(A4_MM[1]), stroke=0, fill=1)
    canvas.restoreState()


def boxed_form_in_bottom_border(canvas: Canvas, index: int) -> None:
    """A footer kept in a form XObject and placed with a transformation, 2 mm above the bottom
    edge: only the form's matrix puts its rectangle into the bottom border."""
    name = f"footer{index}"
    canvas.beginForm(name)
    canvas.rect(0, 0, mm_to_pt(40), mm_to_pt(4), stroke=1, fill=0)
    canvas.endForm()
    canvas.saveState()
    canvas.translate(mm_to_pt(60), mm_to_pt(2))
    canvas.scale(0.5, 0.5)
    canvas.doForm(name)
    canvas.restoreState()


@cache
def cached(name: str) -> bytes:
    """Samples that several tests share, made once per test run."""
    makers: dict[str, Callable[[], bytes]] = {
        "letter": letter,
        "letter_pingen": lambda: letter(return_line=""),
        "attachment": lambda: document(pages=3),
        "attachment_50": lambda: document(pages=50),
        "blank_page": lambda: document(pages=1, text=False),
    }
    return makers[name]()


def scan_with_text_layer(lines: list[str], top_mm: float = 67.5, left_mm: float = 25.0) -> bytes:
    """A scanned letter after OCR: the address as a picture, the recognised text invisible on top
    of it (render mode 3), and an invisible OCR line in the bottom border."""
    image_pdf = address_as_image(top_mm, left_mm)

    def text_layer(canvas: Canvas, index: int) -> None:
        text = canvas.beginText()
        text.setTextRenderMode(3)
        text.setFont(layout.FONT, FONT_SIZE)
        for number, line in enumerate(lines):
            text.setTextOrigin(mm_to_pt(left_mm), _y(top_mm + number * LEADING_MM))
            text.textLine(line)
        text.setTextOrigin(mm_to_pt(30), mm_to_pt(1.5))
        text.textLine("Seite 1 von 1")
        canvas.drawText(text)

    overlay = PdfReader(io.BytesIO(document(draw=text_layer, text=False)))
    writer = PdfWriter(clone_from=io.BytesIO(image_pdf))
    writer.pages[0].merge_page(overlay.pages[0])
    return _written(writer)


def clipped_background(canvas: Canvas, index: int) -> None:
    """A dark picture as large as the page, clipped to the text area, as Word exports
    background pictures: its bounds reach every border, its ink none."""
    canvas.saveState()
    clip = canvas.beginPath()
    clip.rect(mm_to_pt(20), mm_to_pt(20), mm_to_pt(170), mm_to_pt(200))
    canvas.clipPath(clip, stroke=0, fill=0)
    picture = Image.new("RGB", (50, 70), (90, 90, 90))
    canvas.drawImage(ImageReader(picture), 0, 0, mm_to_pt(A4_MM[0]), mm_to_pt(A4_MM[1]))
    canvas.restoreState()
