"""One gate for every PDF from outside (uploads, batch parts, per-unit files, attachments). It
opens the file with the libraries the pipeline uses — qpdf (pikepdf) copies pages, pdfium reads
text and draws pictures — and accepts only what both read the same way (page count, page sizes,
encryption) within bounds: page size, pages, decompressed bytes per stream and per document,
image pixels, page-tree depth. The checking runs in a separate process with an address-space
limit and a time limit, so a bomb costs a refusal, not the server.

An encrypted file is refused, unless it opens with an empty user password in both libraries
(restrictions set by the producer, as ERPs do): then a decrypted copy takes its place.
"""

from __future__ import annotations

import math
import resource
import threading
import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from domain.errors import InvalidInput
from domain.messages import Message

HEADER_WINDOW = 1024  # the PDF header may follow a little junk (ISO 32000-1, annex H.3)
PT_PER_MM = 72 / 25.4
SPECIALISED = frozenset({"/DCTDecode", "/JPXDecode", "/JBIG2Decode", "/CCITTFaxDecode"})  # left encoded by qpdf


class PdfLimits(BaseModel):
    """Bounds for one PDF from outside; each is a setting (BRIEFWERK_INTAKE__PDF__…)."""

    max_side_mm: int = 1200  # A0 is 1189 mm
    max_pages: int = 100_000
    max_stream_mb: int = 256  # one stream, decompressed
    max_document_mb: int = 2048  # every stream together, decompressed
    max_image_megapixels: int = 150
    max_depth: int = 32  # nesting of the page tree
    memory_mb: int = 1536  # address space of the checking process
    seconds: int = 180


@dataclass(frozen=True)
class Checked:
    pages: int
    decrypted: bool = False  # the copy the caller named holds the file without encryption


def check_pdf(path: Path, filename: str, max_bytes: int, limits: PdfLimits, decrypted_copy: Path | None = None) -> Checked:
    """The file's pages, or a refusal naming the file (and the page, where one is at fault)."""
    size = path.stat().st_size
    if size > max_bytes:
        raise InvalidInput("upload.too_large", filename=filename, limit=max_bytes >> 20)
    if size == 0:
        raise InvalidInput("upload.empty_file", filename=filename)
    with open(path, "rb") as handle:
        if b"%PDF-" not in handle.read(HEADER_WINDOW):
            raise InvalidInput("upload.not_pdf", filename=filename)
    answer = _GATE.run(str(path), limits.model_dump(), str(decrypted_copy) if decrypted_copy else None, limits.seconds)
    if answer[0] == "refused":
        _, key, facts = answer
        raise InvalidInput(key, filename=filename, **facts)
    return Checked(pages=answer[1], decrypted=answer[2])


class _Gate:
    """One checking process, reused; replaced when a check killed it or ran out of time."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._memory = 0
        self._lock = threading.Lock()

    def _current(self, memory: int) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None or self._memory != memory:
                if self._pool is not None:
                    self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = ProcessPoolExecutor(1, mp_context=get_context("forkserver"), initializer=_bounded,
                                                 initargs=(memory,))
                self._memory = memory
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        for process in list(getattr(pool, "_processes", {}).values()):  # the executor offers no kill
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    def run(self, path: str, limits: dict[str, Any], copy_to: str | None, seconds: float) -> tuple:
        pool = self._current(limits["memory_mb"] << 20)
        try:
            return pool.submit(_inspect, path, limits, copy_to).result(timeout=seconds)
        except FutureTimeout:
            self._discard(pool)
            return ("refused", "pdf.too_slow", {"seconds": int(seconds)})
        except BrokenProcessPool:  # the library crashed or the memory cap ended it
            self._discard(pool)
            return ("refused", "upload.unreadable", {"detail": Message("pdf.detail.crashed")})


_GATE = _Gate()


def _bounded(memory: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


# --- in the checking process -------------------------------------------------------------------


class _Refusal(Exception):
    def __init__(self, key: str, **facts: Any) -> None:
        super().__init__(key)
        self.key, self.facts = key, facts


def _inspect(path: str, limits: dict[str, Any], copy_to: str | None) -> tuple:
    try:
        pages, decrypted = _qpdf_view(Path(path), limits, copy_to)
        _pdfium_agrees(Path(copy_to if decrypted and copy_to else path), pages, limits)
        return ("ok", len(pages), decrypted)
    except _Refusal as refusal:
        return ("refused", refusal.key, refusal.facts)
    except MemoryError:
        return ("refused", "pdf.too_much_memory", {"limit": limits["memory_mb"]})
    except RecursionError:
        return ("refused", "pdf.too_deep", {"limit": limits["max_depth"]})
    except Exception as error:  # noqa: BLE001 - every library's way of saying "broken" is a refusal
        if "bad_alloc" in str(error):  # qpdf ran into the memory cap
            return ("refused", "pdf.too_much_memory", {"limit": limits["memory_mb"]})
        return ("refused", "upload.unreadable", {"detail": _detail(error)})


def _detail(error: BaseException) -> Message:
    text = " ".join(str(error).split())[:200] or type(error).__name__
    return Message("pdf.detail.library", {"text": text})


def _qpdf_view(path: Path, limits: dict[str, Any], copy_to: str | None) -> tuple[list[tuple[float, float]], bool]:
    """Page sizes as qpdf reads them (after the structural checks), and whether it was decrypted."""
    import pikepdf

    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        raise _Refusal("upload.encrypted") from None
    except pikepdf.PdfError as error:  # qpdf walks the page tree on opening and names these two itself
        if "Loop detected in /Pages" in str(error):
            raise _Refusal("pdf.cyclic") from None
        if "/Pages structure too deeply nested" in str(error):
            raise _Refusal("pdf.too_deep", limit=limits["max_depth"]) from None
        raise
    with pdf:
        _check_tree(pdf, limits)
        count = len(pdf.pages)
        if count == 0:
            raise _Refusal("upload.no_pages")
        if count > limits["max_pages"]:
            raise _Refusal("pdf.too_many_pages", pages=count, limit=limits["max_pages"])
        sizes = [_size(page.cropbox, int(page.obj.get("/Rotate", 0) or 0), number, limits)
                 for number, page in enumerate(pdf.pages, start=1)]
        _check_streams(pdf, limits)
        decrypted = pdf.is_encrypted
        if decrypted:
            if copy_to is None:
                raise _Refusal("upload.encrypted")
            pdf.save(copy_to, encryption=False)
    return sizes, decrypted


def _check_tree(pdf: Any, limits: dict[str, Any]) -> None:
    """The page tree's depth, walked without recursion. qpdf has already refused loops on opening;
    the depth limit would end one anyway."""
    root = pdf.Root.get("/Pages")
    if root is None:
        raise _Refusal("upload.no_pages")
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limits["max_depth"]:
            raise _Refusal("pdf.too_deep", limit=limits["max_depth"])
        kids = node.get("/Kids")
        if kids is not None:
            stack.extend((kid, depth + 1) for kid in kids)


def _size(box: Any, rotate: int, number: int, limits: dict[str, Any]) -> tuple[float, float]:
    """The page as shown (a page turned by 90° has its sides swapped, as pdfium reports them)."""
    width, height = abs(float(box[2]) - float(box[0])), abs(float(box[3]) - float(box[1]))
    if rotate % 180 == 90:
        width, height = height, width
    if not (math.isfinite(width) and math.isfinite(height)) or width < 1 or height < 1:
        raise _Refusal("pdf.bad_page_size", page=number)
    largest = max(width, height) / PT_PER_MM
    if largest > limits["max_side_mm"]:
        raise _Refusal("pdf.page_too_large", page=number, size=round(largest), limit=limits["max_side_mm"])
    return width, height


def _check_streams(pdf: Any, limits: dict[str, Any]) -> None:
    """Decompresses every stream (one at a time, under the process's memory cap) and counts what
    it unpacks to; images are measured by their declared pixels instead."""
    import pikepdf

    total = 0
    per_stream = limits["max_stream_mb"] << 20
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        if obj.get("/Subtype") == pikepdf.Name.Image:
            pixels = int(obj.get("/Width", 0) or 0) * int(obj.get("/Height", 0) or 0)
            if pixels > limits["max_image_megapixels"] * 1_000_000:
                raise _Refusal("pdf.image_too_large", megapixels=pixels // 1_000_000,
                               limit=limits["max_image_megapixels"])
        size = _stream_size(obj, per_stream)
        if size is None:
            continue
        if size > per_stream:
            raise _Refusal("pdf.stream_too_large", limit=limits["max_stream_mb"])
        total += size
        if total > limits["max_document_mb"] << 20:
            raise _Refusal("pdf.document_too_large", limit=limits["max_document_mb"])


def _stream_size(stream: Any, limit: int) -> int | None:
    """What a stream unpacks to. Flate layers (one or several: a bomb may be packed twice) are
    unpacked piece by piece and stopped past the limit; rarer filters are unpacked whole, under
    the process's memory cap. None for data left encoded (images: bounded by their pixels)."""
    import pikepdf

    filters = stream.get("/Filter")
    names = [str(f) for f in filters] if isinstance(filters, pikepdf.Array) else [str(filters)] if filters else []
    layers = next((i for i, name in enumerate(names) if name != "/FlateDecode"), len(names))
    rest = set(names[layers:])
    if layers and rest <= SPECIALISED:
        return _inflated_size(stream.read_raw_bytes(), layers, limit)
    if rest & SPECIALISED:
        return None
    return len(stream.read_bytes())


def _inflated_size(data: bytes, layers: int, limit: int) -> int:
    pieces: Iterable[bytes] = (data,)
    for _ in range(layers):
        pieces = _inflate(pieces)
    size = 0
    for piece in pieces:
        size += len(piece)
        if size > limit:
            break
    return size


def _inflate(pieces: Iterable[bytes]) -> Iterator[bytes]:
    unpacker = zlib.decompressobj()
    for piece in pieces:
        pending = piece
        while pending and not unpacker.eof:
            yield unpacker.decompress(pending, 1 << 20)
            pending = unpacker.unconsumed_tail
        if unpacker.eof:
            break
    yield unpacker.flush()


def _pdfium_agrees(path: Path, sizes: list[tuple[float, float]], limits: dict[str, Any]) -> None:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as error:
        raise _Refusal("upload.unreadable", detail=_detail(error)) from None
    try:
        if len(document) != len(sizes):
            raise _Refusal("pdf.disagree", qpdf=len(sizes), pdfium=len(document))
        for index, (width, height) in enumerate(sizes):
            seen = document.get_page_size(index)
            if abs(seen[0] - width) > 1 or abs(seen[1] - height) > 1:
                raise _Refusal("pdf.sizes_disagree", page=index + 1)
    finally:
        document.close()
