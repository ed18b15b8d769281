"""Reading uploaded PDFs: refuse what cannot be used, and the text of each page for splitting."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from domain.errors import InvalidInput
from domain.messages import Message

HEADER_WINDOW = 1024  # the PDF header may follow a little junk (ISO 32000-1, annex H.3)


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


def inspect_pdf(path: Path, filename: str, max_bytes: int) -> int:
    """Pages of an uploaded PDF file, as the page copier (qpdf) reads it; refuses files over the
    size limit, files that are no PDF, encrypted ones, unreadable ones and empty ones, naming the
    file. The whole file is never loaded into memory."""
    size = path.stat().st_size
    if size > max_bytes:
        raise InvalidInput("upload.too_large", filename=filename, limit=max_bytes >> 20)
    with open(path, "rb") as handle:
        if b"%PDF-" not in handle.read(HEADER_WINDOW):
            raise InvalidInput("upload.not_pdf", filename=filename)
    try:
        with pikepdf.open(path) as pdf:
            if pdf.is_encrypted:
                raise InvalidInput("upload.encrypted", filename=filename)
            count = len(pdf.pages)
    except pikepdf.PasswordError:
        raise InvalidInput("upload.encrypted", filename=filename) from None
    except InvalidInput:
        raise
    except Exception as error:  # noqa: BLE001 - qpdf reports damage in many shapes
        raise InvalidInput("upload.unreadable", filename=filename,
                           detail=Message("preflight.detail.damaged")) from error
    if count == 0:
        raise InvalidInput("upload.no_pages", filename=filename)
    return count


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
