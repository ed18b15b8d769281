"""Reading uploaded PDFs: refuse what cannot be used, and the text of each page for splitting."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from domain.errors import InvalidInput


def page_count_of(data: bytes, filename: str) -> int:
    """Pages of an uploaded PDF; unreadable or encrypted files are refused with the reason."""
    if not data.startswith(b"%PDF"):
        raise InvalidInput("upload.not_pdf", filename=filename)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise InvalidInput("upload.encrypted", filename=filename)
        count = len(reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        raise InvalidInput("upload.unreadable", filename=filename, detail=str(error)) from error
    if count == 0:
        raise InvalidInput("upload.no_pages", filename=filename)
    return count


def page_texts(data: bytes) -> list[str]:
    """The text of every page, in page order (pdfium: fast and layout-aware)."""
    document = pdfium.PdfDocument(data)
    try:
        texts = []
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return texts
    finally:
        document.close()

