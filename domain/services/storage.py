"""Which stored files the database points to, a unit of work that leaves no file behind when it
fails, and the sweep that collects blobs no row points to any more."""

from __future__ import annotations

import errno
import secrets
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select

from domain.errors import BriefwerkError
from domain.models import DownloadLink, PortalDocument, Shipment, SourceDocument, StorageMarker, UnitDocument
from domain.storage import BlobCorrupt, BlobMissing, FileStore

# Every column that names a file of the store. (Print recipes fixed at order time name only
# documents and attachments, whose rows can no longer change once a letter is released.)
FILE_COLUMNS: tuple[Mapped[str | None], ...] = (
    col(SourceDocument.path), col(UnitDocument.path), col(PortalDocument.path), col(Shipment.print_path),
    col(DownloadLink.path), col(StorageMarker.key),
)


def referenced(session: Session, keys: Iterable[str]) -> set[str]:
    """Those of `keys` that a committed row names."""
    wanted = list(dict.fromkeys(keys))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        for column in FILE_COLUMNS:
            found.update(key for key in session.exec(select(column).where(column.in_(chunk))) if key is not None)
    return found


@contextmanager
def all_or_nothing(session: Session, files: FileStore) -> Iterator[None]:
    """Commits the session at the end; on any failure rolls back and removes the blobs this
    unit of work stored, so a failure halfway leaves no rows and no files. What a process killed
    halfway left behind goes first."""
    recover(session, files)
    try:
        yield
        session.commit()
    except BaseException as error:
        session.rollback()
        discard_uncommitted(session, files)
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StorageFull("storage.full", where=files.where) from error
        raise
    files.committed()


class StorageFull(BriefwerkError):
    """The disk or the storage quota is full: nothing of the unit of work was kept."""


def recover(session: Session, files: FileStore) -> int:
    """Removes the blobs of units of work whose process died halfway, and their staging files."""
    files.clean_staging(older_than_s=STAGING_GRACE)
    return files.recover_abandoned(lambda keys: referenced(session, keys))


STAGING_GRACE = 3600  # seconds; longer than any upload still being written


def discard_uncommitted(session: Session, files: FileStore) -> int:
    created = files.created()
    if not created:
        return 0
    try:
        keep = referenced(session, created)
    except Exception:  # the database is away: keep everything, the sweep collects it later
        files.committed()
        return 0
    return files.discard_created(keep)


def sweep(session: Session, files: FileStore, grace_seconds: float) -> int:
    """Removes blobs that no row names and nobody wrote or claimed within the grace period
    (a transaction still running has claimed its blobs more recently than that)."""
    before = time.time_ns() - int(grace_seconds * 1e9)
    old = [key for key, mtime in files.blobs() if mtime < before]
    removed = 0
    for start in range(0, len(old), 500):
        chunk = old[start:start + 500]
        named = referenced(session, chunk)
        removed += sum(files.remove_if_older(key, before) for key in chunk if key not in named)
    return removed


def remove_unnamed(session: Session, files: FileStore, keys: Iterable[str]) -> int:
    """Removes at once the files of rows that just forgot them (privacy: they hold names and
    addresses), unless another row names them or someone stored them again meanwhile."""
    now = time.time_ns()
    wanted = [key for key in keys if key]
    named = referenced(session, wanted)
    return sum(files.remove_if_older(key, now) for key in wanted if key not in named)


class OtherStorage(BriefwerkError):
    """This instance does not see the storage the others use."""


def check_marker(session: Session, files: FileStore) -> None:
    marker = session.get(StorageMarker, 1)
    if marker is None:
        try:
            with all_or_nothing(session, files):
                session.add(StorageMarker(key=files.put(f"briefwerk {secrets.token_hex(16)}".encode(), ".marker")))
        except IntegrityError:  # another instance stored its marker at the same moment
            session.rollback()
        marker = session.get(StorageMarker, 1)
        assert marker is not None
    try:
        files.read(marker.key)
    except (BlobMissing, BlobCorrupt):
        raise OtherStorage("storage.other_disk", where=files.where, marker=marker.key) from None
