"""The text of each page of a PDF that passed the gate (domain.pdf.gate), for splitting."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pypdfium2 as pdfium

from domain.errors import InvalidInput
from domain.messages import Message

Progress = Callable[[int, int], None]


def page_texts(source: bytes | Path, progress: Progress | None = None, every: int = 200) -> Iterator[str]:
    """The text of every page, in page order, one page at a time (pdfium: fast and layout-aware).
    `progress` hears (pages read, pages in all) every `every` pages."""
    document = _open_pdfium(source)
    try:
        total = len(document)
        for index in range(total):
            page = document[index]
            textpage = page.get_textpage()
            yield textpage.get_text_range()
            textpage.close()
            page.close()
            if progress is not None and (index + 1) % every == 0:
                progress(index + 1, total)
    finally:
        document.close()


def _open_pdfium(source: bytes | Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(source)
    except pdfium.PdfiumError as error:
        raise InvalidInput("upload.unreadable", filename="PDF", detail=Message("preflight.detail.damaged")) from error
