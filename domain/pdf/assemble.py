"""Print files for postal letters: pages of source PDFs copied into new PDFs by a small streaming
writer, so attachments shared by thousands of letters are parsed once and, in the combined file,
stored once.

Sources are read with pikepdf (qpdf): opening and parsing a 3-page letter takes ~0.3 ms there,
~2.7 ms in pypdf. Each source object is unparsed once into byte chunks with its references cut
out; every output file only renumbers those references. Stream data is copied still encoded,
never recompressed.
"""

from __future__ import annotations

import hashlib
import io
import re
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from multiprocessing import get_context
from os import PathLike
from pathlib import Path
from typing import BinaryIO, Self

import pikepdf

from domain.errors import InvalidInput
from domain.messages import Message
from domain.pdf.geometry import A4_MM, mm_to_pt

__all__ = [
    "BLANK",
    "Blank",
    "CombinedPdfWriter",
    "FilePages",
    "Pages",
    "Part",
    "PdfSource",
    "PrintJob",
    "SourceRefused",
    "WrittenPdf",
    "concatenate",
    "pad_for_duplex",
    "write_combined_pdf",
    "write_pdf",
    "write_print_files",
]

PRODUCER = "briefwerk"
PAGES_PER_NODE = 64
A4_WIDTH, A4_HEIGHT = (Decimal(f"{mm_to_pt(mm):.4f}") for mm in A4_MM)  # 595.2756 x 841.8898
A4_MEDIABOX = pikepdf.Array([0, 0, A4_WIDTH, A4_HEIGHT])
A4_MEDIABOX_BYTES = A4_MEDIABOX.unparse()

# Keys that only matter on screen or point back into the source's structure. /Trans: reportlab
# writes an empty one that Ghostscript and PDF/A checks dislike; /Parent is rewritten. /AA and
# /Annots go too: what is printed or published carries no actions (JavaScript, launching
# programs, links) — the catalog, with /OpenAction and embedded files, is never copied at all.
DROPPED_PAGE_KEYS = frozenset(
    {"/Parent", "/Trans", "/B", "/PieceInfo", "/StructParents", "/AA", "/Dur", "/Thumb", "/Annots"}
)


class SourceRefused(InvalidInput):
    """A source PDF whose pages cannot be copied: encrypted, unreadable or without pages."""


# --- sources ------------------------------------------------------------------------------

Ref = tuple[int, int]  # (object number, generation) inside one source
_PARENT: Ref = (0, -1)  # placeholder for a page's /Parent, filled in per output


@dataclass(frozen=True, slots=True)
class _Body:
    """One object's bytes with its references cut out: chunks[0] ref[0] chunks[1] ... chunks[-1]."""

    chunks: tuple[bytes, ...]
    refs: tuple[Ref, ...]

    @property
    def size(self) -> int:
        return sum(map(len, self.chunks))


# qpdf's unparse separates tokens with single spaces and escapes every parenthesis inside literal
# strings: outside strings, " R" only ever ends a reference "N G R".
_STRING_OR_REF = re.compile(rb"\((?:[^\\)]|\\.)*\)|(?<![^\s\[\]<>{}()])(\d+) (\d+) R", re.DOTALL)
_AFTER_REF = frozenset({b"", b" ", b"]", b">", b"/", b"[", b"<"})


def _cut_refs(data: bytes, page_tree: frozenset[Ref], tail: bytes = b"") -> _Body:
    """References into the source's page tree become null: following them would drag the whole
    source document along (an annotation's /P, a link's destination page)."""
    if b" R" not in data:
        return _Body((data + tail,), ())
    cut = None if b"(" in data else _cut_at_r(data)  # a string may hold " R": scan properly
    chunks, refs = cut or _cut_scanning(data)
    if page_tree.isdisjoint(refs):
        chunks[-1] += tail
        return _Body(tuple(chunks), tuple(refs))
    return _nulled(chunks, refs, page_tree, tail)


def _cut_at_r(data: bytes) -> tuple[list[bytes], list[Ref]] | None:
    """The fast way: split at every " R" (a Widths array holds hundreds of numbers, a regex
    looking for "N G R" would try each). None if the text does not look as qpdf writes it."""
    pieces = data.split(b" R")
    chunks: list[bytes] = []
    refs: list[Ref] = []
    for piece, following in pairwise(pieces):
        rest, _, generation = piece.rpartition(b" ")
        number = rest.rpartition(b" ")[2]
        if not (number.isdigit() and generation.isdigit() and following[:1] in _AFTER_REF):
            return None
        chunks.append(piece[: len(piece) - len(number) - len(generation) - 1])
        refs.append((int(number), int(generation)))
    chunks.append(pieces[-1])
    return chunks, refs


def _cut_scanning(data: bytes) -> tuple[list[bytes], list[Ref]]:
    chunks: list[bytes] = []
    refs: list[Ref] = []
    start = 0
    for match in _STRING_OR_REF.finditer(data):
        if match[1] is not None:  # not a string that merely looks like it holds a reference
            chunks.append(data[start : match.start()])
            refs.append((int(match[1]), int(match[2])))
            start = match.end()
    chunks.append(data[start:])
    return chunks, refs


def _nulled(chunks: list[bytes], refs: list[Ref], page_tree: frozenset[Ref], tail: bytes) -> _Body:
    kept_chunks, kept_refs = [chunks[0]], []
    for ref, chunk in zip(refs, chunks[1:]):
        if ref in page_tree:
            kept_chunks[-1] += b"null" + chunk
        else:
            kept_chunks.append(chunk)
            kept_refs.append(ref)
    kept_chunks[-1] += tail
    return _Body(tuple(kept_chunks), tuple(kept_refs))


def _open_pdf(source: Path | str | bytes, name: str) -> pikepdf.Pdf:
    try:
        pdf = pikepdf.open(io.BytesIO(source) if isinstance(source, bytes) else source)
    except pikepdf.PasswordError:
        raise SourceRefused("upload.encrypted", filename=name) from None
    except (pikepdf.PdfError, OSError) as error:
        damaged = Message("preflight.detail.damaged")
        raise SourceRefused("upload.unreadable", filename=name, detail=damaged) from error
    if pdf.is_encrypted:  # opened with the empty user password, still not ours to copy
        pdf.close()
        raise SourceRefused("upload.encrypted", filename=name)
    if not pdf.pages:
        pdf.close()
        raise SourceRefused("upload.no_pages", filename=name)
    return pdf


def _page_tree_refs(pages: Sequence[pikepdf.Object]) -> frozenset[Ref]:
    found: set[Ref] = set()
    for page in pages:
        node: pikepdf.Object | None = page
        while node is not None and node.objgen not in found:
            found.add(node.objgen)
            node = node.get("/Parent")
    found.discard((0, 0))
    return frozenset(found)


def _unparse(obj: object) -> bytes:
    """pikepdf hands out null, numbers and booleans as Python values, even indirect ones."""
    if isinstance(obj, pikepdf.Object):
        return obj.unparse(resolved=True)
    return pikepdf.Array([obj]).unparse()[2:-2]


class PdfSource:
    """One source PDF, opened once and reused by many letters. Objects are serialized on first
    use and cached up to `cache_bytes`, so a shared attachment costs its parsing once while a
    huge scan cannot fill the memory."""

    def __init__(
        self, source: Path | str | bytes, name: str = "", *, cache_bytes: int = 64 << 20
    ) -> None:
        self.name = name or (Path(source).name if isinstance(source, (str, PathLike)) else "PDF")
        self._pdf: pikepdf.Pdf | None = _open_pdf(source, self.name)
        self._pages = [page.obj for page in self._pdf.pages]
        self._page_tree = _page_tree_refs(self._pages)
        self.page_count = len(self._pages)
        self.version = tuple(int(part) for part in self._pdf.pdf_version.split(".")[:2])
        self._cache: OrderedDict[object, _Body] = OrderedDict()
        self._cached_bytes = 0
        self._cache_limit = cache_bytes

    def __repr__(self) -> str:
        return f"PdfSource({self.name!r}, pages={self.page_count})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pdf is not None:
            self._pdf.close()
        self._pdf = None
        self._pages = []
        self._cache.clear()
        self._cached_bytes = 0

    def page_body(self, index: int) -> _Body:
        """The page dict with inherited attributes resolved and a /Parent placeholder first."""
        return self._cached(("page", index), lambda: self._read_page(index))

    def object_body(self, ref: Ref) -> _Body:
        return self._cached(ref, lambda: self._read_object(ref))

    def _cached(self, key: object, read: Callable[[], _Body]) -> _Body:
        body = self._cache.get(key)
        if body is not None:
            self._cache.move_to_end(key)
            return body
        if self._pdf is None:
            raise ValueError(f"{self.name} is closed")
        body = read()
        size = body.size
        if size <= self._cache_limit:
            self._cache[key] = body
            self._cached_bytes += size
            while self._cached_bytes > self._cache_limit:
                _, evicted = self._cache.popitem(last=False)
                self._cached_bytes -= evicted.size
        return body

    def _read_page(self, index: int) -> _Body:
        page = self._pages[index]
        # qpdf has pushed inherited /Resources, /MediaBox, /CropBox, /Rotate down to the page
        entries: dict[str, object] = {
            key: value for key, value in page.items() if key not in DROPPED_PAGE_KEYS
        }
        entries["/Type"] = pikepdf.Name.Page
        entries.setdefault("/Resources", pikepdf.Dictionary())
        entries.setdefault("/MediaBox", A4_MEDIABOX)  # required, but some producers forget it
        body = _cut_refs(pikepdf.Dictionary(entries).unparse(), self._page_tree)
        first = body.chunks[0][2:]  # drop "<<": the dict opens with our /Parent
        return _Body((b"<< /Parent ", first, *body.chunks[1:]), (_PARENT, *body.refs))

    def _read_object(self, ref: Ref) -> _Body:
        assert self._pdf is not None
        obj = self._pdf.get_object(ref)
        if isinstance(obj, pikepdf.Stream):
            raw = obj.read_raw_bytes()
            entries: dict[str, object] = dict(obj.stream_dict.items())
            entries["/Length"] = len(raw)  # direct, whatever it was
            head = pikepdf.Dictionary(entries).unparse()
            return _cut_refs(head, self._page_tree, b"\nstream\n" + raw + b"\nendstream")
        return _cut_refs(_unparse(obj), self._page_tree)


# --- parts of a letter --------------------------------------------------------------------


@dataclass(frozen=True)
class Pages:
    """A PDF part: pages `first`..`last` (0-based, inclusive) of a source."""

    source: PdfSource
    first: int = 0
    last: int | None = None

    def __post_init__(self) -> None:
        last = self.source.page_count - 1 if self.last is None else self.last
        if not 0 <= self.first <= last < self.source.page_count:
            raise ValueError(
                f"pages {self.first}..{last} do not exist in {self.source.name} "
                f"({self.source.page_count} pages)"
            )
        object.__setattr__(self, "last", last)

    @property
    def page_count(self) -> int:
        assert self.last is not None
        return self.last - self.first + 1

    @property
    def indexes(self) -> range:
        assert self.last is not None
        return range(self.first, self.last + 1)


@dataclass(frozen=True)
class Blank:
    """Empty A4 pages, e.g. so the next part starts on a new sheet in duplex printing."""

    page_count: int = 1

    def __post_init__(self) -> None:
        if self.page_count < 1:
            raise ValueError("a blank part has at least one page")


BLANK = Blank()
Part = Pages | Blank


def pad_for_duplex(parts: Sequence[Part]) -> list[Part]:
    """Every part starts on the front of a sheet: a blank page follows each odd-length part."""
    padded: list[Part] = []
    for part in parts:
        padded.append(part)
        if part.page_count % 2:
            padded.append(BLANK)
    return padded


# --- writing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrittenPdf:
    pages: int
    size: int
    sha256: str


HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


class _PdfFile:
    """Numbered objects written to a sink in the order they come, buffered and hashed on the
    way; only their offsets stay in memory for the xref table."""

    def __init__(self, sink: BinaryIO, flush_bytes: int = 4 << 20) -> None:
        self._sink = sink
        self._buffer: list[bytes] = []
        self._buffered = 0
        self._flush_bytes = flush_bytes
        self._sha256 = hashlib.sha256()
        self._offsets = array("Q", [0])  # index: object number; 0 until written
        self.position = 0
        self._emit([HEADER])

    def reserve(self) -> int:
        self._offsets.append(0)
        return len(self._offsets) - 1

    def write_object(self, number: int, pieces: list[bytes]) -> None:
        self._offsets[number] = self.position
        self._emit([b"%d 0 obj\n" % number, *pieces, b"\nendobj\n"])

    def add_object(self, body: bytes) -> int:
        number = self.reserve()
        self.write_object(number, [body])
        return number

    def finish(self, root: int, info: int) -> tuple[int, str]:
        """Writes xref and trailer; returns (size, sha256) of everything written."""
        if self._offsets.count(0) > 1:
            unwritten = [number for number, offset in enumerate(self._offsets) if not offset]
            raise RuntimeError(f"objects reserved but never written: {unwritten[1:11]}")
        file_id = self._sha256.copy().hexdigest()[:32].encode()  # deterministic, content-based
        xref_at = self.position
        count = len(self._offsets)
        self._emit([b"xref\n0 %d\n0000000000 65535 f\r\n" % count])
        for start in range(1, count, 4096):  # in slices: 10,000 letters make ~250,000 rows
            rows = self._offsets[start : start + 4096]
            self._emit([b"".join([b"%010d 00000 n\r\n" % offset for offset in rows])])
        self._emit(
            [
                b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [ <%s> <%s> ] >>\n"
                b"startxref\n%d\n%%%%EOF\n" % (count, root, info, file_id, file_id, xref_at)
            ]
        )
        self.flush()
        return self.position, self._sha256.hexdigest()

    def flush(self) -> None:
        data = b"".join(self._buffer)
        self._sha256.update(data)
        self._sink.write(data)
        self._buffer = []
        self._buffered = 0

    def _emit(self, pieces: list[bytes]) -> None:
        size = sum(map(len, pieces))
        self._buffer += pieces
        self._buffered += size
        self.position += size
        if self._buffered >= self._flush_bytes:
            self.flush()


class _ObjectCopier:
    """Copies source objects into one output file, each object once per source. The numbers
    given to a source's objects are remembered for the `remembered_sources` most recently used
    sources: shared attachments stay, one-off letters are forgotten."""

    def __init__(self, file: _PdfFile, remembered_sources: int = 256) -> None:
        self._file = file
        self._numbers: OrderedDict[PdfSource, dict[Ref, int]] = OrderedDict()
        self._remembered = remembered_sources
        self._queue: list[tuple[PdfSource, dict[Ref, int], Ref, int]] = []

    def copy_page(self, source: PdfSource, index: int, parent: int) -> int:
        """Writes the page, then whatever it references that this file does not have yet."""
        page = self._file.reserve()
        body = source.page_body(index)
        self._file.write_object(page, self._pieces(source, self._numbers_for(source), body, parent))
        while self._queue:
            owner, numbers, ref, number = self._queue.pop()
            body = owner.object_body(ref)
            self._file.write_object(number, self._pieces(owner, numbers, body, parent=0))
        return page

    def _numbers_for(self, source: PdfSource) -> dict[Ref, int]:
        numbers = self._numbers.get(source)
        if numbers is None:
            numbers = self._numbers[source] = {}
            if len(self._numbers) > self._remembered:
                self._numbers.popitem(last=False)
        else:
            self._numbers.move_to_end(source)
        return numbers

    def _pieces(
        self, source: PdfSource, numbers: dict[Ref, int], body: _Body, parent: int
    ) -> list[bytes]:
        pieces = [body.chunks[0]]
        for ref, chunk in zip(body.refs, body.chunks[1:]):
            if ref is _PARENT:
                number = parent
            elif (number := numbers.get(ref)) is None:  # type: ignore[assignment]
                number = numbers[ref] = self._file.reserve()
                self._queue.append((source, numbers, ref, number))
            pieces += (b"%d 0 R" % number, chunk)
        return pieces


class _PageTree:
    """A balanced page tree. Leaf nodes are reserved as pages arrive, so every page can name its
    /Parent when it is written; the levels above are built when the file is finished."""

    def __init__(self, file: _PdfFile) -> None:
        self._file = file
        self._pages = array("Q")
        self._leaves = array("Q")

    def __len__(self) -> int:
        return len(self._pages)

    def parent_of_next_page(self) -> int:
        if len(self._pages) % PAGES_PER_NODE == 0:
            self._leaves.append(self._file.reserve())
        return self._leaves[-1]

    def append(self, page: int) -> None:
        self._pages.append(page)

    def write(self) -> int:
        """Writes every /Pages node, level by level from the leaves up; returns the root."""
        if not self._leaves:
            self._leaves.append(self._file.reserve())
        level: list[tuple[int, Sequence[int], int]] = [
            (leaf, kids, len(kids))
            for i, leaf in enumerate(self._leaves)
            for kids in [self._pages[i * PAGES_PER_NODE : (i + 1) * PAGES_PER_NODE]]
        ]
        while len(level) > 1:
            upper: list[tuple[int, Sequence[int], int]] = []
            for start in range(0, len(level), PAGES_PER_NODE):
                group = level[start : start + PAGES_PER_NODE]
                parent = self._file.reserve()
                for node in group:
                    self._file.write_object(node[0], [_pages_node(*node, parent)])
                upper.append((parent, [node[0] for node in group], sum(n[2] for n in group)))
            level = upper
        self._file.write_object(level[0][0], [_pages_node(*level[0], None)])
        return level[0][0]


def _pages_node(number: int, kids: Sequence[int], count: int, parent: int | None) -> bytes:
    refs = b" ".join(b"%d 0 R" % kid for kid in kids)
    up = b"" if parent is None else b" /Parent %d 0 R" % parent
    return b"<< /Type /Pages%s /Kids [ %s ] /Count %d >>" % (up, refs, count)


def _blank_page(parent: int) -> bytes:
    """No /Contents at all: a zero-length compressed stream makes Ghostscript complain."""
    return b"<< /Type /Page /Parent %d 0 R /MediaBox %s /Resources << >> >>" % (
        parent,
        A4_MEDIABOX_BYTES,
    )


def _text_string(text: str) -> bytes:
    if text.isascii() and text.isprintable():
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        return b"(" + escaped.encode("ascii") + b")"
    return b"<feff" + text.encode("utf-16-be").hex().encode() + b">"


CatalogExtras = Callable[["CombinedPdfWriter"], Mapping[str, bytes]]


class CombinedPdfWriter:
    """Letters appended one after another into one PDF, streamed to `target` as they come.
    Pages of a source used by many letters (attachments) get a small page dict per letter that
    points to one shared copy of the content, fonts and images.

    `catalog_extras`, called at close, may add objects with `add_object` and returns entries
    for the catalog (name -> serialized value, e.g. {"/Metadata": b"12 0 R"}): the way in for
    PDF/A's XMP metadata and output intents.
    """

    def __init__(
        self,
        target: Path | str | BinaryIO,
        *,
        title: str = "",
        catalog_extras: CatalogExtras | None = None,
    ) -> None:
        # A file we open stays open across add() calls; close() or abort() closes it.
        self._path: Path | None = None
        self._sink: BinaryIO
        if isinstance(target, (str, PathLike)):
            self._path = Path(target)
            self._sink = open(self._path, "wb")  # noqa: SIM115
        else:
            self._sink = target
        self._owned = self._path is not None
        self._file = _PdfFile(self._sink)
        self._copier = _ObjectCopier(self._file)
        self._tree = _PageTree(self._file)
        self._title = title
        self._catalog_extras = catalog_extras
        self._version: tuple[int, ...] = (1, 7)
        self._written: WrittenPdf | None = None
        self._failed = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    @property
    def page_count(self) -> int:
        return len(self._tree)

    def add(self, parts: Sequence[Part]) -> range:
        """Appends one letter; returns the 0-based page numbers it occupies. If it raises, the
        letter is half in the file: the writer refuses to go on, abort() it."""
        if self._failed:
            raise ValueError("an earlier letter failed half-way; this file cannot be finished")
        first = len(self._tree)
        try:
            for part in parts:
                self._add_part(part)
        except BaseException:
            self._failed = True
            raise
        return range(first, len(self._tree))

    def _add_part(self, part: Part) -> None:
        if isinstance(part, Blank):
            for _ in range(part.page_count):
                parent = self._tree.parent_of_next_page()
                self._tree.append(self._file.add_object(_blank_page(parent)))
            return
        self._version = max(self._version, part.source.version)
        for index in part.indexes:
            parent = self._tree.parent_of_next_page()
            self._tree.append(self._copier.copy_page(part.source, index, parent))

    def add_object(self, body: bytes) -> int:
        """Writes one complete object (its bytes between "obj" and "endobj"); returns its number."""
        return self._file.add_object(body)

    def close(self) -> WrittenPdf:
        if self._failed:
            self.abort()
            raise ValueError("an earlier letter failed half-way; the file was removed")
        if self._written is None:
            try:
                self._written = self._finish()
            except BaseException:
                self.abort()
                raise
        return self._written

    def _finish(self) -> WrittenPdf:
        root = self._tree.write()
        extras = dict(self._catalog_extras(self) if self._catalog_extras else {})
        if self._version > (1, 7):
            extras.setdefault("/Version", b"/%d.%d" % self._version)
        entries = b"".join(b" %s %s" % (key.encode(), value) for key, value in extras.items())
        catalog = self._file.add_object(b"<< /Type /Catalog /Pages %d 0 R%s >>" % (root, entries))
        info = self._file.add_object(
            b"<< /Title %s /Producer %s >>" % (_text_string(self._title), _text_string(PRODUCER))
        )
        size, sha256 = self._file.finish(catalog, info)
        if self._owned:
            self._sink.close()
        return WrittenPdf(pages=len(self._tree), size=size, sha256=sha256)

    def abort(self) -> None:
        """Gives up: closes and removes a file we opened; the PDF is incomplete."""
        if self._path is not None and not self._sink.closed:
            self._sink.close()
            self._path.unlink(missing_ok=True)


def write_pdf(
    parts: Sequence[Part], target: Path | str | BinaryIO, *, title: str = ""
) -> WrittenPdf:
    """One letter's print file; it carries its own copy of every page it shows."""
    if not parts:
        raise ValueError("a print file needs at least one part")
    with CombinedPdfWriter(target, title=title) as writer:
        writer.add(parts)
    return writer.close()


# --- many print files ---------------------------------------------------------------------


@dataclass(frozen=True)
class FilePages:
    """A picklable `Pages`: the source named by its path, opened by whichever process needs it."""

    path: Path
    first: int = 0
    last: int | None = None


@dataclass(frozen=True)
class PrintJob:
    """One letter's print file: its parts in order, and where it goes. With `duplex`, a blank
    page follows every part with an odd page count (see pad_for_duplex)."""

    parts: tuple[FilePages | Blank, ...]
    target: Path
    title: str = ""
    duplex: bool = False


class _OpenSources:
    """The most recently used sources of one process, by path: attachments used by every letter
    stay open and cached, one-off letter documents are closed after a few more letters."""

    def __init__(self, limit: int = 16) -> None:
        self._open: OrderedDict[Path, PdfSource] = OrderedDict()
        self._limit = limit

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        for source in self._open.values():
            source.close()
        self._open.clear()

    def get(self, path: Path) -> PdfSource:
        source = self._open.get(path)
        if source is not None:
            self._open.move_to_end(path)
            return source
        source = self._open[path] = PdfSource(path)
        return source

    def trim(self) -> None:
        """Closes the least recently used sources beyond the limit (between letters only: a
        letter may use more sources than the limit)."""
        while len(self._open) > self._limit:
            self._open.popitem(last=False)[1].close()

    def resolve(self, parts: Iterable[FilePages | Blank], duplex: bool) -> list[Part]:
        resolved: list[Part] = [
            part if isinstance(part, Blank) else Pages(self.get(part.path), part.first, part.last)
            for part in parts
        ]
        return pad_for_duplex(resolved) if duplex else resolved


def _write_batch(jobs: Sequence[PrintJob]) -> list[WrittenPdf]:
    written = []
    with _OpenSources() as sources:
        for job in jobs:
            parts = sources.resolve(job.parts, job.duplex)
            written.append(write_pdf(parts, job.target, title=job.title))
            sources.trim()
    return written


def _batches(jobs: Sequence[PrintJob], size: int) -> Iterator[Sequence[PrintJob]]:
    for start in range(0, len(jobs), size):
        yield jobs[start : start + size]


def write_print_files(
    jobs: Sequence[PrintJob], *, workers: int = 2, batch_size: int = 100
) -> list[WrittenPdf]:
    """Writes one print file per job, in `workers` processes; results in the order of `jobs`.
    Each batch of jobs opens the shared attachments once; batches keep the workers evenly busy.
    Workers are started by a fork server, so the caller's threads are never forked."""
    batches = list(_batches(jobs, batch_size))
    if workers <= 1 or len(batches) <= 1:
        return [written for batch in batches for written in _write_batch(batch)]
    with ProcessPoolExecutor(workers, mp_context=get_context("forkserver")) as pool:
        return [written for result in pool.map(_write_batch, batches) for written in result]


def write_combined_pdf(
    letters: Iterable[Sequence[FilePages | Blank]],
    target: Path | str | BinaryIO,
    *,
    title: str = "",
    duplex: bool = False,
) -> WrittenPdf:
    """All letters in one file, from file references: each letter's sources are opened when it
    comes and closed a few letters later, attachments shared by all stay open and stored once."""
    with _OpenSources() as sources, CombinedPdfWriter(target, title=title) as writer:
        for parts in letters:
            writer.add(sources.resolve(parts, duplex))
            sources.trim()
    return writer.close()


def concatenate(documents: Sequence[bytes], *, title: str = "") -> bytes:
    """Several PDFs as one, in the order given (parts of one batch uploaded as separate files)."""
    sources = [PdfSource(data) for data in documents]
    try:
        buffer = io.BytesIO()
        write_pdf([Pages(source) for source in sources], buffer, title=title)
        return buffer.getvalue()
    finally:
        for source in sources:
            source.close()
