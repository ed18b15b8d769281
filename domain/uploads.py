"""Files as they arrive from Slack, the CLI or the HTTP API: staged on the store's own disk, size
limited, and ZIP archives of per-unit files unpacked safely."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from pydantic import BaseModel

from domain.errors import InvalidInput
from domain.importer import ImportLimits
from domain.pdf.gate import PdfLimits

CHUNK = 1 << 20
# What operating systems put into archives on their own: never a document.
SYSTEM_ENTRIES = ("__MACOSX/", ".DS_Store", "Thumbs.db", "desktop.ini")


class IntakeLimits(BaseModel):
    """Bounds for what one upload may cost; each is a setting (BRIEFWERK_INTAKE__…)."""

    file_mb: int = 512  # one PDF, one ZIP, one import file
    zip_entries: int = 20_000
    zip_entry_mb: int = 64  # one file inside a ZIP, unpacked
    zip_total_mb: int = 4096  # everything inside a ZIP, unpacked
    request_mb: int = 1024  # one HTTP request to the intake API, all parts together
    pdf: PdfLimits = PdfLimits()  # what one PDF may be and cost (BRIEFWERK_INTAKE__PDF__…)
    imports: ImportLimits = ImportLimits()  # what one master-data file may hold (BRIEFWERK_INTAKE__IMPORTS__…)

    @property
    def file_bytes(self) -> int:
        return self.file_mb << 20


@dataclass(frozen=True)
class Upload:
    """One received file: the name the user gave it and where its bytes wait on disk."""

    name: str
    path: Path
    size: int

    @property
    def is_zip(self) -> bool:
        return self.name.lower().endswith(".zip")


def mb(size: int) -> str:
    return f"{size / (1 << 20):.1f}".replace(".", ",")


def copy_limited(source: BinaryIO | Iterable[bytes], target: Path, name: str, limit: int) -> int:
    """Copies a stream to `target`, refusing it as soon as it grows beyond `limit` bytes."""
    chunks = iter(lambda: source.read(CHUNK), b"") if hasattr(source, "read") else source
    size = 0
    with open(target, "wb") as out:
        for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise InvalidInput("upload.too_large", filename=name, limit=limit >> 20)
            out.write(chunk)
    return size


def expand_zip(upload: Upload, stage: Callable[[], Path], limits: IntakeLimits) -> list[Upload]:
    """The PDFs inside a ZIP of per-unit files. Refused as a whole, naming the entries: anything
    but PDFs, folders inside folders, names leaving the archive, and entries or totals that
    unpack beyond the limits (checked while unpacking, not trusted from the archive's header)."""
    try:
        archive = zipfile.ZipFile(upload.path)
    except (zipfile.BadZipFile, OSError) as error:
        raise InvalidInput("zip.unreadable", filename=upload.name, detail=str(error)) from error
    with archive:
        entries = [info for info in archive.infolist() if not info.is_dir() and not _system_entry(info.filename)]
        _check_entries(upload.name, entries, limits)
        staged: list[Upload] = []
        total = 0
        for info in entries:
            path = stage()
            try:
                with archive.open(info) as member:
                    size = copy_limited(member, path, f"{upload.name}: {info.filename}", limits.zip_entry_mb << 20)
            except InvalidInput:
                raise
            except (zipfile.BadZipFile, RuntimeError, OSError, EOFError, NotImplementedError) as error:
                # RuntimeError: encrypted entries; NotImplementedError: unknown compression
                raise InvalidInput("zip.unreadable", filename=upload.name, detail=f"{info.filename}: {error}") from error
            total += size
            if total > limits.zip_total_mb << 20:
                raise InvalidInput("zip.too_large", filename=upload.name, limit=limits.zip_total_mb)
            staged.append(Upload(PurePosixPath(info.filename).name, path, size))
    if not staged:
        raise InvalidInput("zip.empty", filename=upload.name)
    return staged


def _system_entry(name: str) -> bool:
    return name.startswith(SYSTEM_ENTRIES[0]) or PurePosixPath(name).name in SYSTEM_ENTRIES[1:]


def _check_entries(zip_name: str, entries: list[zipfile.ZipInfo], limits: IntakeLimits) -> None:
    if len(entries) > limits.zip_entries:
        raise InvalidInput("zip.too_many", filename=zip_name, count=len(entries), limit=limits.zip_entries)
    unsafe = [info.filename for info in entries if _unsafe_name(info.filename)]
    if unsafe:
        raise InvalidInput("zip.unsafe_names", filename=zip_name, entries=_listed(unsafe))
    folders = {PurePosixPath(info.filename).parent for info in entries}
    if any(len(folder.parts) > 1 for folder in folders) or len(folders) > 1:
        nested = [info.filename for info in entries if PurePosixPath(info.filename).parent.parts]
        raise InvalidInput("zip.folders", filename=zip_name, entries=_listed(nested))
    not_pdf = [info.filename for info in entries if not info.filename.lower().endswith(".pdf")]
    if not_pdf:
        raise InvalidInput("zip.not_pdf", filename=zip_name, entries=_listed(not_pdf))
    names = [PurePosixPath(info.filename).name.casefold() for info in entries]
    twice = sorted({info.filename for info, name in zip(entries, names) if names.count(name) > 1})
    if twice:
        raise InvalidInput("zip.same_name", filename=zip_name, entries=_listed(twice))


def _unsafe_name(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return path.is_absolute() or ".." in path.parts or ":" in name or "\x00" in name


def _listed(names: list[str], most: int = 10) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" (+{len(names) - most})" if len(names) > most else "")
