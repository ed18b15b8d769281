"""PDF/A-2b for the combined download file a company hands to its own print provider: the
document-level parts (XMP metadata, sRGB output intent) added to `CombinedPdfWriter`, source PDFs
checked once each and normalised with Ghostscript where their fonts are not embedded, and a
validator (pikepdf's PDF/A module plus the file-syntax rules it leaves to qpdf).

PDF/A-2b, not 1b: 1b inherits PDF 1.4's limit of 8,191 entries per array, so a flat page tree
cannot hold a 90,000-page file, and it forbids transparency that letterheads often use.
"""

from __future__ import annotations

import hashlib
import io
import mmap
import os
import re
import shutil
import subprocess
import tempfile
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from importlib.resources import files
from multiprocessing import get_context
from pathlib import Path
from typing import Self
from xml.sax.saxutils import escape

import pikepdf
from pikepdf import pdfa
from pikepdf.models.metadata import decode_pdf_date

from domain.errors import InvalidInput
from domain.messages import Message
from domain.pdf.assemble import (
    PRODUCER,
    CatalogExtras,
    CombinedPdfWriter,
    FilePages,
    Pages,
    Part,
    PdfSource,
    WrittenPdf,
    pad_for_duplex,
)

__all__ = [
    "FLAVOUR",
    "PdfaSources",
    "check_fonts_embedded",
    "clean_title",
    "normalise_with_ghostscript",
    "pdfa_catalog_extras",
    "prepare_sources",
    "srgb_profile",
    "validate_pdfa",
    "write_pdfa",
]

FLAVOUR = "2b"
GHOSTSCRIPT = "gs"
GHOSTSCRIPT_ICC_DIR = Path("/usr/share/color/icc/ghostscript")
GHOSTSCRIPT_SECONDS_PER_PAGE = 2.0  # ≈ 87 pages/s measured; generous for scans
MAX_FINDINGS = 20  # a refusal lists this many validator findings, not thousands
PATHS_PER_TASK = 32  # sources one pool task inspects

# --- document level: metadata and output intent -------------------------------------------


def srgb_profile() -> bytes:
    """The sRGB ICC profile of the output intent: the one pikepdf's PDF/A module ships (v2,
    display class, what its own `pdfa.save` installs), else one Pillow builds (v4, fine for
    PDF/A-2). No network, no Ghostscript needed."""
    try:
        return files("pikepdf.pdfa").joinpath("data", "sRGB.icc").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - pikepdf without [pdfa]
        from PIL import ImageCms

        return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def clean_title(title: str) -> str:
    """The title as both the Info dict and XMP can hold it alike: XML 1.0 cannot carry control
    characters, so they become spaces before either is written."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in title).split())


def _xmp_date(moment: datetime) -> str:
    """ISO 8601 with an explicit zone: veraPDF reads an unzoned XMP date in the local time zone
    of whatever machine validates the file."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")


def xmp_packet(title: str, created: datetime, producer: str = PRODUCER) -> bytes:
    """The XMP packet PDF/A-2b asks for: its identification (part 2, conformance B) and the XMP
    twins of what the writer puts into /Info (/Title → dc:title, /Producer → pdf:Producer)."""
    date = _xmp_date(created)
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdfaid:part>2</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>
   <xmp:CreateDate>{date}</xmp:CreateDate>
   <xmp:ModifyDate>{date}</xmp:ModifyDate>
   <xmp:MetadataDate>{date}</xmp:MetadataDate>
   <pdf:Producer>{escape(producer)}</pdf:Producer>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()


def _stream(head: bytes, data: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (head, len(data), data)


def pdfa_catalog_extras(
    title: str, *, created: datetime | None = None, icc_profile: bytes | None = None
) -> CatalogExtras:
    """The `catalog_extras` of a `CombinedPdfWriter` that makes its file PDF/A-2b at the
    document level: an XMP metadata stream and one sRGB output intent (`icc_profile`, if given,
    must be an RGB profile too), written when the writer closes. Pass the writer the same
    `title` (see `clean_title`) so /Info and XMP agree."""
    moment = created or datetime.now(UTC)
    profile = icc_profile or srgb_profile()

    def extras(writer: CombinedPdfWriter) -> Mapping[str, bytes]:
        icc = writer.add_object(_stream(b"/N 3 /Filter /FlateDecode", zlib.compress(profile, 9)))
        intent = writer.add_object(
            b"<< /Type /OutputIntent /S /GTS_PDFA1 /OutputConditionIdentifier (sRGB)"
            b" /RegistryName (http://www.color.org) /Info (sRGB IEC61966-2.1)"
            b" /DestOutputProfile %d 0 R >>" % icc
        )
        # not compressed: XMP is meant to be findable by tools that do not parse PDF
        metadata = writer.add_object(
            _stream(b"/Type /Metadata /Subtype /XML", xmp_packet(title, moment))
        )
        return {"/Metadata": b"%d 0 R" % metadata, "/OutputIntents": b"[ %d 0 R ]" % intent}

    return extras


# --- fonts --------------------------------------------------------------------------------

FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


def _open(source: Path | str | bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(source) if isinstance(source, bytes) else source)


def _has_font_program(font: pikepdf.Object) -> bool:
    descriptor = font.get("/FontDescriptor")
    return isinstance(descriptor, pikepdf.Dictionary) and any(
        key in descriptor for key in FONT_FILES
    )


def _is_embedded(font: pikepdf.Dictionary) -> bool:
    """Type 3 fonts are drawn by their own content streams; a Type 0 font's program sits in its
    descendant CIDFont; every other kind needs a font file in its descriptor."""
    subtype = font.get("/Subtype")
    if subtype == pikepdf.Name.Type3:
        return True
    if subtype == pikepdf.Name.Type0:
        descendants = font.get("/DescendantFonts")
        return (
            isinstance(descendants, pikepdf.Array)
            and len(descendants) > 0
            and all(_has_font_program(descendant) for descendant in descendants)
        )
    return _has_font_program(font)


def _fonts_in(resources: pikepdf.Dictionary | None) -> Iterator[tuple[str, pikepdf.Object]]:
    """Fonts a resource dict names, including those an ExtGState sets with /Font."""
    if not isinstance(resources, pikepdf.Dictionary):
        return
    fonts = resources.get("/Font")
    if isinstance(fonts, pikepdf.Dictionary):
        yield from fonts.items()
    states = resources.get("/ExtGState")
    if isinstance(states, pikepdf.Dictionary):
        for name, state in states.items():
            value = state.get("/Font") if isinstance(state, pikepdf.Dictionary) else None
            if isinstance(value, pikepdf.Array) and len(value) >= 1:
                yield name, value[0]


def _font_name(resource_name: str, font: pikepdf.Dictionary) -> str:
    base = font.get("/BaseFont")
    return str(base)[1:] if isinstance(base, pikepdf.Name) else resource_name.lstrip("/")


def fonts_not_embedded(pdf: pikepdf.Pdf) -> list[str]:
    """`check_fonts_embedded` for an open document."""
    missing: set[str] = set()
    seen: set[tuple[int, int]] = set()
    for scope in pdf.content_scopes():
        for resource_name, font in _fonts_in(scope.resources):
            if not isinstance(font, pikepdf.Dictionary):
                continue
            if font.is_indirect:
                if font.objgen in seen:
                    continue
                seen.add(font.objgen)
            if not _is_embedded(font):
                missing.add(_font_name(resource_name, font))
    return sorted(missing)


def check_fonts_embedded(source: Path | str | bytes) -> list[str]:
    """Names of the fonts a PDF's pages use without embedding them (empty: all embedded).

    Every font a resource dictionary names counts, whether or not text is shown in it: that is
    how PDF/A validators judge (reportlab's unused initial Helvetica fails them). Pages, form
    XObjects, annotation appearances, patterns, Type 3 glyphs and soft masks are all walked,
    each shared resource once: ≈ 0.4 ms for a 3-page letter."""
    with _open(source) as pdf:
        return fonts_not_embedded(pdf)


# --- Ghostscript --------------------------------------------------------------------------

# Ghostscript's lib/PDFA_def.ps with its "Customise" lines filled in: the profile by absolute
# path (a relative one is looked up in the current directory and Ghostscript's lib folder, where
# the stock PDFA_def.ps names a profile that is not there) and /N fixed at 3 for RGB.
PDFA_DEF = """%!
/ICCProfile ({profile}) def
[/_objdef {{icc_PDFA}} /type /stream /OBJ pdfmark
[{{icc_PDFA}} << /N 3 >> /PUT pdfmark
[{{icc_PDFA}} {{ICCProfile (r) file}} stopped
{{
  (\\n\\tFailed to open the supplied ICCProfile for reading.\\n) print
  (\\tPDF/A processing aborted, output may not be a PDF/A file.\\n\\n) print
  cleartomark
}}
{{
  /PUT pdfmark
  [/_objdef {{OutputIntent_PDFA}} /type /dict /OBJ pdfmark
  [{{OutputIntent_PDFA}} <<
    /Type /OutputIntent
    /S /GTS_PDFA1
    /DestOutputProfile {{icc_PDFA}}
    /OutputConditionIdentifier (sRGB)
  >> /PUT pdfmark
  [{{Catalog}} <</OutputIntents [ {{OutputIntent_PDFA}} ]>> /PUT pdfmark
}} ifelse
"""


def _ghostscript_command(executable: str, folder: Path, src: Path, out: Path) -> list[str]:
    permits = [f"--permit-file-read={folder}/"]
    if GHOSTSCRIPT_ICC_DIR.is_dir():  # its own default profiles, should it want them
        permits.append(f"--permit-file-read={GHOSTSCRIPT_ICC_DIR}/")
    return [
        executable,
        "-dPDFA=2",
        "-dBATCH",
        "-dNOPAUSE",
        "-dSAFER",
        "-sDEVICE=pdfwrite",
        "-sColorConversionStrategy=RGB",  # matches the sRGB output intent of the combined file
        "-dPDFACompatibilityPolicy=1",  # drop what PDF/A forbids (we validate the result)
        "-dAutoRotatePages=/None",  # pdfwrite would turn pages to follow their text
        *permits,
        f"-sOutputFile={out}",
        str(folder / "PDFA_def.ps"),
        str(src.resolve()),
    ]


def _output_tail(result: subprocess.CompletedProcess[str], lines: int = 6) -> str:
    text = (result.stderr or "") + (result.stdout or "")
    kept = [line.strip() for line in text.splitlines() if line.strip()]
    return " / ".join(kept[-lines:]) or "-"


def _ghostscript_failed(src: Path, detail: Message) -> InvalidInput:
    return InvalidInput("pdfa.ghostscript_failed", filename=src.name, detail=detail)


def _check_ghostscript_output(src: Path, out: Path, log: str) -> None:
    """Ghostscript exits 0 when it cannot read the ICC profile and then silently writes a file
    without an output intent: the result is looked at, not the exit code."""
    if "PDF/A processing aborted" in log:
        raise _ghostscript_failed(src, Message("pdfa.detail.aborted"))
    try:
        with pikepdf.open(out) as pdf:
            intents = pdf.Root.get("/OutputIntents")
            has_profile = isinstance(intents, pikepdf.Array) and any(
                isinstance(intent, pikepdf.Dictionary) and "/DestOutputProfile" in intent
                for intent in intents
            )
            missing = fonts_not_embedded(pdf)
    except pikepdf.PdfError as error:
        raise _ghostscript_failed(src, Message("pdfa.detail.unreadable_output")) from error
    if not has_profile:
        raise _ghostscript_failed(src, Message("pdfa.detail.no_output_intent"))
    if missing:
        raise _ghostscript_failed(
            src, Message("pdfa.detail.still_not_embedded", {"fonts": missing})
        )


def normalise_with_ghostscript(
    src: Path, dst: Path, *, ghostscript: str = GHOSTSCRIPT, timeout: float | None = None
) -> None:
    """Rewrites `src` as PDF/A-2b into `dst` with Ghostscript, which embeds (substitutes)
    missing fonts and converts colours to sRGB. `dst` appears only when the result has an
    output intent and every font embedded; otherwise InvalidInput "pdfa.ghostscript_failed"
    (or "pdfa.ghostscript_missing" when `ghostscript` is not on PATH) names the file.

    The edited PDFA_def.ps and the ICC profile go to a private temp dir passed by absolute
    path, with --permit-file-read for it: under -dSAFER Ghostscript may not read them otherwise.
    """
    executable = shutil.which(ghostscript)
    if executable is None:
        raise InvalidInput("pdfa.ghostscript_missing", filename=src.name)
    dst.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="briefwerk-gs-") as temp:
        folder = Path(temp).resolve()
        profile = folder / "srgb.icc"
        profile.write_bytes(srgb_profile())
        (folder / "PDFA_def.ps").write_text(PDFA_DEF.format(profile=profile), "ascii")
        out = folder / "out.pdf"
        command = _ghostscript_command(executable, folder, src, out)
        limit = timeout or max(60.0, _page_count(src) * GHOSTSCRIPT_SECONDS_PER_PAGE)
        try:
            result = subprocess.run(
                command, check=False, capture_output=True, text=True, timeout=limit
            )
        except subprocess.TimeoutExpired:
            raise _ghostscript_failed(
                src, Message("pdfa.detail.timeout", {"seconds": int(limit)})
            ) from None
        except OSError as error:
            raise _ghostscript_failed(
                src, Message("pdfa.detail.not_started", {"error": str(error)})
            ) from error
        if result.returncode != 0 or not out.is_file():
            detail = Message(
                "pdfa.detail.exit_code", {"code": result.returncode, "output": _output_tail(result)}
            )
            raise _ghostscript_failed(src, detail)
        _check_ghostscript_output(src, out, (result.stdout or "") + (result.stderr or ""))
        temporary = dst.with_name(f".{dst.name}.{os.getpid()}.part")
        shutil.copyfile(out, temporary)
        os.replace(temporary, dst)  # a cache reader never sees half a file


def _page_count(path: Path) -> int:
    try:
        with pikepdf.open(path) as pdf:
            return len(pdf.pages)
    except pikepdf.PdfError:
        return 1


# --- sources ------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _describe(finding: pdfa.Finding) -> str:
    note = "" if finding.kind == "violation" else " (the validator cannot check this)"
    return f"{finding.rule} at {finding.where}: {finding.message}{note}"


def source_findings(path: Path) -> list[str]:
    """What would break PDF/A-2b if this file's pages went into the combined file. The pages
    are copied by the same writer with the same document-level extras and the copy validated,
    so keys the writer drops (reportlab's empty /Trans) raise no false alarm. ≈ 20 ms for a
    3-page letter with two embedded fonts (checking font programs is most of it)."""
    buffer = io.BytesIO()
    with (
        PdfSource(path) as source,
        CombinedPdfWriter(buffer, catalog_extras=pdfa_catalog_extras("")) as writer,
    ):
        writer.add([Pages(source)])
    buffer.seek(0)
    return [_describe(finding) for finding in pdfa.validate_written(buffer, FLAVOUR).findings]


@dataclass(frozen=True)
class _Verdict:
    fonts: tuple[str, ...]  # not embedded
    findings: tuple[str, ...]  # everything the validator objects to (fonts included)
    sha256: str | None = None  # of the file, when it was needed

    @property
    def ready(self) -> bool:
        return not self.fonts and not self.findings


def inspect_source(path: Path, thorough: bool, checked: Path | None) -> _Verdict | Message:
    """A source's fonts and, if `thorough`, its validator findings; files that passed before
    are remembered by content hash in `checked`. Module-level so a process pool can run it; a
    refusal comes back as its Message (BriefwerkError does not survive pickling)."""
    try:
        return _inspect(path, thorough, checked)
    except InvalidInput as error:
        return error.message


def _inspect(path: Path, thorough: bool, checked: Path | None) -> _Verdict:
    sha256 = _sha256(path) if checked is not None else None
    if checked is not None and (checked / f"{sha256}").exists():
        return _Verdict((), (), sha256)
    fonts, version = _fonts_and_version(path)
    findings = source_findings(path) if thorough else []
    if version > "1.7" and not findings:
        findings = [f"PDF version {version} exceeds 1.7"]
    verdict = _Verdict(tuple(fonts), tuple(findings), sha256)
    if checked is not None and verdict.ready:
        checked.mkdir(parents=True, exist_ok=True)
        (checked / f"{sha256}").touch()
    return verdict


def _fonts_and_version(path: Path) -> tuple[list[str], str]:
    try:
        with pikepdf.open(path) as pdf:
            return fonts_not_embedded(pdf), pdf.pdf_version
    except pikepdf.PasswordError:
        raise InvalidInput("upload.encrypted", filename=path.name) from None
    except (pikepdf.PdfError, OSError) as error:
        damaged = Message("preflight.detail.damaged")
        raise InvalidInput("upload.unreadable", filename=path.name, detail=damaged) from error


class PdfaSources:
    """Source PDFs made ready for a PDF/A-2b file, each distinct file checked once: files that
    pass are used as they are, the others are normalised with Ghostscript into `cache_dir`
    (named by content hash, so the next download of the same serial letter reuses them) or
    refused with the file, the fonts and the findings named.

    `thorough` (the default) copies each distinct source's pages as the writer would and
    validates them: ≈ 20 ms for a 3-page letter with its own two fonts, so 10,000 one-off unit
    documents cost minutes (use `prepare_all(..., workers=2)`); files that passed are remembered
    by content hash, so the next download of the same letters skips them. Without `thorough`
    only fonts and the PDF version are checked (≈ 0.4 ms) and any other problem shows only when
    the combined file is validated. `ghostscript=None` refuses instead of normalising.
    """

    def __init__(
        self,
        cache_dir: Path,
        *,
        ghostscript: str | None = GHOSTSCRIPT,
        thorough: bool = True,
        open_limit: int = 16,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.ghostscript = ghostscript
        self.thorough = thorough
        # verdicts depend on the validator's rules, so they are kept per pikepdf version
        self._checked = (
            self.cache_dir / f"checked-pikepdf-{pikepdf.__version__}" if thorough else None
        )
        self._prepared: dict[Path, Path] = {}
        self._open: OrderedDict[Path, PdfSource] = OrderedDict()
        self._open_limit = open_limit

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for source in self._open.values():
            source.close()
        self._open.clear()

    @property
    def normalised(self) -> dict[Path, Path]:
        """Sources that were replaced by a Ghostscript copy: original -> copy."""
        return {path: ready for path, ready in self._prepared.items() if ready != path}

    def prepare(self, path: Path) -> Path:
        """The file to read `path`'s pages from: itself, or its normalised copy."""
        path = Path(path)
        ready = self._prepared.get(path)
        if ready is None:
            ready = self._prepared[path] = self._make_ready(path, self._inspect(path))
        return ready

    def prepare_all(self, paths: Iterable[Path], *, workers: int = 1) -> dict[Path, Path]:
        """`prepare` for every distinct path, inspected by `workers` processes; refuses once,
        naming every file that cannot be used, rather than stopping at the first."""
        todo = [path for path in dict.fromkeys(map(Path, paths)) if path not in self._prepared]
        refused: list[Message] = []
        for path, verdict in zip(todo, self._inspect_all(todo, workers), strict=True):
            try:
                self._prepared[path] = self._make_ready(path, verdict)
            except InvalidInput as error:
                refused.append(error.message)
        if refused:
            raise InvalidInput("pdfa.sources_refused", count=len(refused), reasons=refused)
        return dict(self._prepared)

    def parts(self, parts: Sequence[Part | FilePages]) -> list[Part]:
        """A letter's parts with every file named by path prepared and opened. `Pages` parts
        are taken as they are: their sources must come from prepared files or briefwerk's own
        layouts (their fonts are embedded)."""
        return [self._part(part) for part in parts]

    def trim(self) -> None:
        """Closes the least recently used sources beyond the limit (between letters only)."""
        while len(self._open) > self._open_limit:
            self._open.popitem(last=False)[1].close()

    def _part(self, part: Part | FilePages) -> Part:
        if isinstance(part, FilePages):
            return Pages(self._source(self.prepare(part.path), part.path), part.first, part.last)
        if isinstance(part, Pages) and part.source.version > (1, 7):
            # the writer would declare the file PDF 2.0, which PDF/A-2 forbids
            version = ".".join(map(str, part.source.version))
            raise InvalidInput("pdfa.pdf_version", filename=part.source.name, version=version)
        return part

    def _source(self, ready: Path, original: Path) -> PdfSource:
        source = self._open.get(ready)
        if source is None:
            source = self._open[ready] = PdfSource(ready, name=original.name)
        else:
            self._open.move_to_end(ready)
        return source

    def _inspect(self, path: Path) -> _Verdict | Message:
        return inspect_source(path, self.thorough, self._checked)

    def _inspect_all(self, paths: list[Path], workers: int) -> Iterable[_Verdict | Message]:
        if workers <= 1 or len(paths) < 4 * PATHS_PER_TASK:
            return map(self._inspect, paths)
        inspect = partial(inspect_source, thorough=self.thorough, checked=self._checked)
        # a fork server, as in assemble.write_print_files: the caller's threads are not forked
        with ProcessPoolExecutor(workers, mp_context=get_context("forkserver")) as pool:
            return list(pool.map(inspect, paths, chunksize=PATHS_PER_TASK))

    def _make_ready(self, path: Path, verdict: _Verdict | Message) -> Path:
        if isinstance(verdict, Message):
            raise InvalidInput(verdict.key, **verdict.facts)
        if verdict.ready:
            return path
        cached = self.cache_dir / f"{verdict.sha256 or _sha256(path)}.pdf"
        if not cached.is_file():
            self._normalise(path, cached, verdict)
        after = self._inspect(cached)  # cheap if it passed before
        if isinstance(after, Message) or not after.ready:
            cached.unlink(missing_ok=True)
            raise _refusal(path, after if isinstance(after, _Verdict) else verdict, normalised=True)
        return cached

    def _normalise(self, path: Path, cached: Path, verdict: _Verdict) -> None:
        if self.ghostscript is None:
            raise _refusal(path, verdict)
        try:
            normalise_with_ghostscript(path, cached, ghostscript=self.ghostscript)
        except InvalidInput as error:
            if error.message.key == "pdfa.ghostscript_missing" and verdict.fonts:
                raise _refusal(path, verdict) from error
            raise


def _refusal(path: Path, verdict: _Verdict, *, normalised: bool = False) -> InvalidInput:
    if verdict.fonts and not normalised:
        return InvalidInput(
            "pdfa.fonts_not_embedded", filename=path.name, fonts=", ".join(verdict.fonts)
        )
    findings = list(verdict.findings[:MAX_FINDINGS]) or [
        f"fonts not embedded: {', '.join(verdict.fonts)}"
    ]
    return InvalidInput("pdfa.source_not_pdfa", filename=path.name, findings=findings)


def prepare_sources(
    paths: Iterable[Path],
    cache_dir: Path,
    *,
    ghostscript: str | None = GHOSTSCRIPT,
    thorough: bool = True,
    workers: int = 1,
) -> dict[Path, Path]:
    """Each distinct source once: original path -> the file to read its pages from (itself, or
    a PDF/A-2b copy made by Ghostscript in `cache_dir`). Refuses naming every unusable file."""
    with PdfaSources(cache_dir, ghostscript=ghostscript, thorough=thorough) as sources:
        return sources.prepare_all(paths, workers=workers)


# --- writing ------------------------------------------------------------------------------


def write_pdfa(
    letters: Iterable[Sequence[Part | FilePages]],
    target: Path,
    *,
    title: str,
    sources: PdfaSources | None = None,
    duplex: bool = False,
    created: datetime | None = None,
) -> WrittenPdf:
    """One PDF/A-2b file of many letters, streamed: every source page is copied once per use,
    while the content, fonts and images of a source shared by all letters (the general
    attachments) are stored once. Parts named by path (`FilePages`) are checked and normalised
    through `sources` (by default a throwaway cache for this call) as they first appear; call
    `sources.prepare_all` before to learn every refused file at once, and in two processes.
    With `duplex`, every part with an odd page count is followed by a blank page. On a refusal
    nothing is left at `target`."""
    title = clean_title(title)
    extras = pdfa_catalog_extras(title, created=created)
    with _sources_or_temporary(sources) as prepared:
        with CombinedPdfWriter(target, title=title, catalog_extras=extras) as writer:
            for letter in letters:
                parts = prepared.parts(letter)
                writer.add(pad_for_duplex(parts) if duplex else parts)
                prepared.trim()
        return writer.close()


@contextmanager
def _sources_or_temporary(sources: PdfaSources | None) -> Iterator[PdfaSources]:
    """The caller's sources, left open; or a private set with a temp cache, closed after."""
    if sources is not None:
        yield sources
        return
    with (
        tempfile.TemporaryDirectory(prefix="briefwerk-pdfa-") as temp,
        PdfaSources(Path(temp)) as own,
    ):
        yield own


# --- validation ---------------------------------------------------------------------------


def validate_pdfa(path: Path | str) -> list[str]:
    """Problems that keep `path` from being PDF/A-2b, readable by a person; empty: it passes.

    Three checks: pikepdf's PDF/A validator (`pikepdf.pdfa.validate_written`, rules derived
    from veraPDF's profiles), the file-syntax rules that validator leaves to qpdf
    (`file_syntax_problems`; our writer is not qpdf), and /Info against XMP (`info_problems`).

    What this does NOT check, compared with veraPDF:
    - pikepdf is an allowlist: it approves only what it recognises, so it may refuse a valid
      file ("the validator cannot check this" findings) but should never approve a bad one.
      It refuses outright, as unsupported, things veraPDF would examine: DeviceN/NChannel and
      Separation colour spaces, halftones, JPEG 2000 images, interactive forms and widget
      annotations, signatures (/Perms), embedded files (/EmbeddedFiles, /AF), optional
      content (/OCProperties) and XMP extension schemas.
    - File syntax (header, binary comment, data after %%EOF, xref keyword spacing, stream
      /Length and EOLs, obj/endobj spacing) is trusted to qpdf by pikepdf;
      `file_syntax_problems` covers it for the last (or only) classic xref section, not for
      cross-reference streams or earlier incremental updates.
    - Every other veraPDF rule of 2b is implemented (pikepdf's data/dispositions.json lists
      each rule's status); only level B, nothing of 2a/2u (structure, Unicode for every glyph).
    Cost: ≈ 20 ms for a 3-page letter, ≈ 6 s for 8,200 shared pages; the 90,000-page file of
    10,000 letters took 4–5 minutes and 4.5 GB of memory: validate each distinct source
    (`PdfaSources`) and samples, not every 90,000-page download.
    """
    path = Path(path)
    problems = file_syntax_problems(path)
    report = pdfa.validate_written(path, FLAVOUR)
    problems += [_describe(finding) for finding in report.findings]
    if not any("pikepdf:internal" in problem for problem in problems):
        problems += info_problems(path)
    return problems


# /Info entries and the XMP properties that must say the same (ISO 19005-1 6.7.3, which pikepdf
# checks for part 1 only; PDF/A-2 readers expect the same agreement)
INFO_TO_XMP = {
    "/Title": "dc:title",
    "/Author": "dc:creator",
    "/Subject": "dc:description",
    "/Keywords": "pdf:Keywords",
    "/Creator": "xmp:CreatorTool",
    "/Producer": "pdf:Producer",
    "/CreationDate": "xmp:CreateDate",
    "/ModDate": "xmp:ModifyDate",
}


def info_problems(path: Path | str) -> list[str]:
    """Entries of the /Info dictionary whose XMP twin is missing or says something else."""
    with pikepdf.open(path) as pdf:
        info = pdf.trailer.get("/Info")
        if not isinstance(info, pikepdf.Dictionary):
            return []
        metadata = pdf.open_metadata()
        problems = []
        for key, prop in INFO_TO_XMP.items():
            if key not in info:
                continue
            ours, theirs = _info_value(key, info[key]), _xmp_value(prop, metadata.get(prop))
            if ours != theirs:
                problems.append(f"/Info {key} is {ours!r}, XMP {prop} is {theirs!r}")
        return problems


def _info_value(key: str, value: object) -> object:
    text = str(value)
    if key.endswith("Date"):
        try:
            return decode_pdf_date(text)
        except ValueError:
            return text
    return text


def _xmp_value(prop: str, value: object) -> object:
    if value is None:
        return None
    if prop == "dc:creator" and isinstance(value, list):
        return "; ".join(value) if value else None
    if prop.endswith("Date"):
        try:
            return datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
    return str(value)


# --- file syntax (what pikepdf trusts qpdf with) -------------------------------------------

EOLS = (b"\r\n", b"\n", b"\r")
_XREF_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])(?: \r| \n|\r\n)")
_SUBSECTION = re.compile(rb"(\d+) (\d+)(?:\r\n|\n|\r)")
_OBJECT_HEADER = re.compile(rb"(\d+) (\d+) obj(?:\r\n|\n|\r)")
_LENGTH = re.compile(rb"/Length(?![0-9A-Za-z])\s*(\d+)(?:\s+(\d+)\s+R)?")
_INTEGER_BODY = re.compile(rb"\s*(\d+)\s*")


def file_syntax_problems(path: Path | str) -> list[str]:
    """ISO 19005-2 6.1.2-2, 6.1.3-3, 6.1.4-2, 6.1.7.1-1/-2 and 6.1.9-1 on the bytes of the
    file: the rules pikepdf's validator leaves to qpdf, which wrote the files it expects.
    Reads the file through mmap, so a 90,000-page file costs no memory to speak of."""
    if Path(path).stat().st_size == 0:
        return ["the file is empty"]
    with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
        problems = _header_problems(data) + _end_problems(data)
        xref_at = _startxref(data)
        if xref_at is None:
            return [*problems, "no startxref before %%EOF"]
        if data[xref_at : xref_at + 4] != b"xref":
            if _OBJECT_HEADER.match(data, xref_at) is None:
                problems.append("startxref points at neither an xref table nor an xref stream")
            return problems  # a cross-reference stream: the rules below are not checked
        offsets, xref_problems = _xref_offsets(data, xref_at)
        return problems + xref_problems + _object_problems(data, offsets, xref_at)


def _header_problems(data: mmap.mmap) -> list[str]:
    problems = []
    if not re.match(rb"%PDF-\d\.\d(?:\r\n|\n|\r)", data[:16]):
        problems.append("6.1.2-1: the file does not start with %PDF-n.m and an EOL")
    line_end = min(
        (i for i in (data.find(b"\n", 0, 32), data.find(b"\r", 0, 32)) if i >= 0), default=8
    )
    second = data[line_end : line_end + 7].lstrip(b"\r\n")
    if not (second[:1] == b"%" and len(second) >= 5 and all(byte > 127 for byte in second[1:5])):
        problems.append("6.1.2-2: no binary comment of four bytes above 127 after the header")
    return problems


def _end_problems(data: mmap.mmap) -> list[str]:
    end = data.rfind(b"%%EOF")
    if end < 0:
        return ["6.1.3-3: no %%EOF marker"]
    rest = data[end + 5 :]
    if rest not in (b"", *EOLS):
        return [f"6.1.3-3: {len(rest)} bytes follow the last %%EOF"]
    return []


def _startxref(data: mmap.mmap) -> int | None:
    at = data.rfind(b"startxref")
    match = re.match(rb"startxref\s+(\d+)", data[at : at + 40]) if at >= 0 else None
    return int(match[1]) if match and int(match[1]) < len(data) else None


def _xref_offsets(data: mmap.mmap, xref_at: int) -> tuple[dict[int, int], list[str]]:
    """In-use object number -> offset, from the classic xref table at `xref_at`."""
    problems = []
    position = xref_at + 4
    eol = next((eol for eol in EOLS if data[position : position + len(eol)] == eol), None)
    if eol is None or not data[position + len(eol) : position + len(eol) + 1].isdigit():
        problems.append(
            "6.1.4-2: 'xref' and the first subsection header are not separated by one EOL"
        )
        return {}, problems
    position += len(eol)
    offsets: dict[int, int] = {}
    while (header := _SUBSECTION.match(data, position)) is not None:
        first, count = int(header[1]), int(header[2])
        position = header.end()
        table = data[position : position + 20 * count]
        for index in range(count):
            entry = _XREF_ENTRY.fullmatch(table, 20 * index, 20 * index + 20)
            if entry is None:
                problems.append(f"xref entry of object {first + index} is not 20 bytes as required")
                return offsets, problems
            if entry[3] == b"n":
                offsets[first + index] = int(entry[1])
        position += 20 * count
    return offsets, problems


def _object_problems(data: mmap.mmap, offsets: dict[int, int], xref_at: int) -> list[str]:
    problems: list[str] = []
    ordered = sorted((offset, number) for number, offset in offsets.items())
    ends = [offset for offset, _ in ordered[1:]] + [xref_at]
    for (offset, number), end in zip(ordered, ends):
        problem = _object_problem(data, offsets, number, offset, end)
        if problem:
            problems.append(f"object {number}: {problem}")
            if len(problems) >= MAX_FINDINGS:
                problems.append("… further objects not checked")
                break
    return problems


def _object_problem(
    data: mmap.mmap, offsets: dict[int, int], number: int, start: int, end: int
) -> str | None:
    """6.1.9-1 (spacing around obj/endobj) and 6.1.7.1 (stream keywords and /Length) for the
    object between `start` and the next object (or the xref table) at `end`."""
    header = _OBJECT_HEADER.match(data, start)
    if header is None or int(header[1]) != number:
        return "6.1.9-1: no 'N G obj' and EOL at the offset the xref table gives"
    if start == 0 or data[start - 1 : start] not in (b"\n", b"\r"):
        return "6.1.9-1: the object number is not preceded by an EOL"
    endobj = data.rfind(b"endobj", header.end(), end)
    if endobj < 0 or data[endobj - 1 : endobj] not in (b"\n", b"\r"):
        return "6.1.9-1: 'endobj' missing or not preceded by an EOL"
    if data[endobj + 6 : endobj + 7] not in (b"\n", b"\r"):
        return "6.1.9-1: 'endobj' is not followed by an EOL"
    body_end = endobj - (2 if data[endobj - 2 : endobj] == b"\r\n" else 1)
    if data[body_end - 9 : body_end] != b"endstream":
        return None
    return _stream_problem(data, offsets, header.end(), body_end - 9)


def _stream_problem(
    data: mmap.mmap, offsets: dict[int, int], body: int, endstream: int
) -> str | None:
    if data[endstream - 1 : endstream] not in (b"\n", b"\r"):
        return "6.1.7.1-2: 'endstream' is not preceded by an EOL"
    # "\r\nendstream" after data that ends in CR is ambiguous; like veraPDF, accept either
    # reading that agrees with /Length
    data_ends = [endstream - 1] + (
        [endstream - 2] if data[endstream - 2 : endstream] == b"\r\n" else []
    )
    keyword = data.find(b"stream", body, data_ends[-1])
    length_match = _LENGTH.search(data[body : keyword if keyword > 0 else body + 4096])
    if length_match is None:
        return "6.1.7.1-1: the stream has no /Length"
    length = _resolve_length(data, offsets, length_match)
    if length is None or not any(_stream_starts(data, end - length) for end in data_ends):
        return (
            f"6.1.7.1-1/-2: /Length {length} does not end the data at the EOL before "
            "'endstream', or 'stream' is not followed by CRLF or LF"
        )
    return None


def _stream_starts(data: mmap.mmap, start: int) -> bool:
    return start > 8 and (
        data[start - 7 : start] == b"stream\n" or data[start - 8 : start] == b"stream\r\n"
    )


def _resolve_length(data: mmap.mmap, offsets: dict[int, int], match: re.Match[bytes]) -> int | None:
    if match[2] is None:
        return int(match[1])
    offset = offsets.get(int(match[1]))
    if offset is None:
        return None
    header = _OBJECT_HEADER.match(data, offset)
    value = _INTEGER_BODY.match(data, header.end()) if header else None
    return int(value[1]) if value else None
