"""The outside world as the use cases see it: print-and-mail provider, mailer, customer portal,
file store and clock. `bot/integrations` implements them."""

from __future__ import annotations

import fcntl
import hashlib
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from domain.addresses import PostalAddress
from domain.costs import PriceTable
from domain.pdf.preflight import PreflightCache


@dataclass(frozen=True)
class Capabilities:
    """What the organisation's provider contract allows; the order button and options follow it."""

    available: bool = True  # False: no contract / not configured -> the yellow button
    registered: bool = False
    colour: bool = True
    duplex: bool = True
    countries: frozenset[str] | None = None  # None: worldwide
    cancel_window: str = ""  # in words, e.g. "until printing starts"
    profile: str = "din5008b"  # preflight profile key (domain.pdf.profiles)


@dataclass(frozen=True)
class PrintOptions:
    colour: bool = False
    duplex: bool = True
    registered: bool = False


@dataclass(frozen=True)
class ShipmentRequest:
    reference: str  # ours, unique; the provider stores it so a retry can look it up
    order_key: str
    recipient: PostalAddress
    pdf_path: Path
    sha256: str
    pages: int
    options: PrintOptions
    extra: dict[str, Any] = field(default_factory=dict)


class LetterStatus(StrEnum):
    """A provider's lifecycle, in our words (each client maps its provider's states)."""

    ACCEPTED = "accepted"  # received, validating or waiting to print
    PRINTED = "printed"  # printing or printed, can no longer be cancelled
    POSTED = "posted"  # handed to the postal service
    FAILED = "failed"  # rejected, invalid or undeliverable
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class ProviderLetter:
    reference: str
    provider_ref: str
    status: str  # the provider's own word
    sha256: str | None = None
    state: LetterStatus = LetterStatus.ACCEPTED


@dataclass(frozen=True)
class ProviderEvent:
    """One status change the provider reports for a letter, with its own time and words."""

    provider_ref: str
    state: LetterStatus
    at: datetime
    detail: str = ""  # the provider's words, e.g. "sent", "undeliverable: addressee unknown"


class ProviderUnavailable(Exception):
    """Timeouts, 5xx, rate limits after retries: nothing was decided, try again later."""


class Provider(Protocol):
    """A print-and-mail provider. `submit` must never create a second letter for a reference:
    callers look the reference up first, and clients send an idempotency key where possible.
    A letter the provider refuses (validation) raises `InvalidInput` with the provider's reason."""

    key: str
    capabilities: Capabilities

    def lookup(self, reference: str) -> ProviderLetter | None: ...

    def submit(self, request: ShipmentRequest) -> ProviderLetter: ...

    def cancel(self, letter: ProviderLetter) -> bool: ...

    def events(self, letter: ProviderLetter) -> list[ProviderEvent]: ...

    def finish_order(self, order_key: str) -> None: ...


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class PortalDoc:
    title: str
    path: str  # relative to the file store
    sha256: str


class PortalStore(Protocol):
    """Which documents each unit's contacts can see in the customer portal."""

    def publish(self, organisation_id: int, unit_id: int, serial_letter_id: int, documents: list[PortalDoc]) -> None: ...

    def withdraw(self, unit_id: int, serial_letter_id: int) -> int: ...


BLOBS = "blobs"  # content-addressed files: the key is the sha256 of the bytes


def blob_key(sha256: str, suffix: str = ".pdf") -> str:
    return f"{BLOBS}/{sha256[:2]}/{sha256}{suffix}"


class FileStore:
    """Files under the data home; paths in the database are relative to it.

    Documents are stored as blobs named by their sha256: a stored blob is never rewritten, so a
    replacement is a new blob plus a row switch, and a row that committed always finds its bytes.
    Blobs this store created stay listed until the caller commits or discards them, so a failed
    unit of work can remove exactly what it added. Storing a blob that already exists touches it
    (a claim): a concurrent discard or sweep sees the newer time and keeps it.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self._created: dict[str, int] = {}  # blob key -> its mtime (ns) when we placed it
        self._journal: BinaryIO | None = None  # the same list on disk, locked while we live

    def path(self, relative: str) -> Path:
        return self.root / relative

    def target(self, relative: str) -> Path:
        """A path about to be written: its folder exists afterwards."""
        path = self.path(relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def write(self, relative: str, data: bytes) -> str:
        """Write atomically (temp file + rename) and return the sha256 of `data`."""
        target = self.target(relative)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
            try:
                handle.write(data)
            except BaseException:
                handle.close()
                os.unlink(handle.name)
                raise
        os.replace(handle.name, target)
        return hashlib.sha256(data).hexdigest()

    def read(self, relative: str) -> bytes:
        return self.path(relative).read_bytes()

    def delete(self, relative: str) -> None:
        self.path(relative).unlink(missing_ok=True)

    def delete_folder(self, relative: str) -> None:
        shutil.rmtree(self.path(relative), ignore_errors=True)

    # --- blobs ---------------------------------------------------------------------------

    def staging_file(self, suffix: str = ".part") -> Path:
        """A new empty file on the store's own disk, so moving it into place is a rename."""
        folder = self.root / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=folder, suffix=suffix)
        os.close(handle)
        return Path(name)

    def put(self, data: bytes, suffix: str = ".pdf") -> str:
        """Stores `data` as a blob and returns its key."""
        staged = self.staging_file()
        try:
            staged.write_bytes(data)
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
        return self.put_file(staged, hashlib.sha256(data).hexdigest(), suffix)

    def put_copy(self, path: Path, sha256: str, suffix: str = ".pdf") -> str:
        """Stores a copy of a file that stays where it is (an upload, a user's own file)."""
        staged = self.staging_file()
        try:
            shutil.copyfile(path, staged)
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
        return self.put_file(staged, sha256, suffix)

    def put_file(self, staged: Path, sha256: str, suffix: str = ".pdf") -> str:
        """Moves a completely written staging file into place as the blob `sha256`; where that
        blob exists already, the staging file is dropped and the blob claimed."""
        key = blob_key(sha256, suffix)
        target = self.target(key)
        try:
            os.utime(target)
        except FileNotFoundError:
            _flush_to_disk(staged)
            os.replace(staged, target)
            self._created[key] = target.stat().st_mtime_ns
            self._note(key, self._created[key])
        else:
            staged.unlink(missing_ok=True)
            if key in self._created:  # our own blob again: remember the new time
                self._created[key] = target.stat().st_mtime_ns
        return key

    def created(self) -> list[str]:
        """Blobs placed by this store and not yet committed or discarded."""
        return list(self._created)

    def committed(self) -> None:
        """The rows pointing to the created blobs committed: they are no longer ours to remove."""
        self._created.clear()
        self._close_journal()

    def discard_created(self, referenced: set[str]) -> int:
        """Removes the blobs this store placed, except those `referenced` by committed rows or
        claimed by someone else since. Returns how many were removed."""
        removed = 0
        for key, placed_at in self._created.items():
            if key not in referenced and self._remove_unclaimed(key, lambda mtime: mtime == placed_at):
                removed += 1
        self._created.clear()
        self._close_journal()
        return removed

    # A process killed halfway cannot discard what it created. Its journal says what that was:
    # a journal whose lock nobody holds belongs to a process that is gone.

    def _note(self, key: str, placed_at: int) -> None:
        if self._journal is None:
            folder = self.root / "journal"
            folder.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=folder, suffix=".opening")
            self._journal = os.fdopen(handle, "ab")
            fcntl.flock(self._journal.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(name, name.removesuffix(".opening") + ".journal")  # recoverers see it only once locked
            self._journal_path = Path(name.removesuffix(".opening") + ".journal")
        self._journal.write(f"{key} {placed_at}\n".encode())
        self._journal.flush()

    def _close_journal(self) -> None:
        if self._journal is not None:
            self._journal_path.unlink(missing_ok=True)
            self._journal.close()
            self._journal = None

    def recover_abandoned(self, referenced: Callable[[list[str]], set[str]]) -> int:
        """Removes the blobs of units of work whose process died before committing or discarding,
        except those a committed row names or someone claimed since. Returns how many."""
        folder = self.root / "journal"
        removed = 0
        for path in folder.glob("*.journal") if folder.is_dir() else ():
            with open(path, "rb") as journal:
                try:
                    fcntl.flock(journal.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # its process is still at work
                entries = dict(line.split() for line in journal.read().decode().splitlines() if line.count(" ") == 1)
                named = referenced(list(entries)) if entries else set()
                for key, placed_at in entries.items():
                    if key not in named and self._remove_unclaimed(key, lambda mtime, at=int(placed_at): mtime == at):
                        removed += 1
                path.unlink(missing_ok=True)
        return removed


    def _remove_unclaimed(self, key: str, unclaimed: Callable[[int], bool]) -> bool:
        """Moves the blob aside first: a claim arriving after that finds no file and writes it
        anew; a claim that came before shows in the time, and the blob is put back."""
        target = self.path(key)
        aside = target.with_name(f"{target.name}.{secrets.token_hex(4)}.removing")
        try:
            os.rename(target, aside)
        except FileNotFoundError:
            return False
        if unclaimed(aside.stat().st_mtime_ns):
            aside.unlink()
            return True
        os.replace(aside, target)
        return False

    def blobs(self) -> Iterator[tuple[str, int]]:
        """Every stored blob with its last write or claim time (ns)."""
        folder = self.root / BLOBS
        if not folder.is_dir():
            return
        for path in folder.glob("*/*"):
            if path.name.endswith((".removing", ".part")):
                continue
            try:
                yield f"{BLOBS}/{path.parent.name}/{path.name}", path.stat().st_mtime_ns
            except FileNotFoundError:
                continue

    def remove_if_older(self, key: str, before_ns: int) -> bool:
        """Removes a blob nobody wrote or claimed since `before_ns` (the sweep's grace period)."""
        return self._remove_unclaimed(key, lambda mtime: mtime < before_ns)

    def clean_staging(self, older_than_s: float = 0) -> int:
        """Removes staging files left by a crash (a running writer's file is younger)."""
        folder = self.root / "tmp"
        if not folder.is_dir():
            return 0
        limit = time.time() - older_than_s
        removed = 0
        for path in folder.iterdir():
            try:
                if path.stat().st_mtime <= limit:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed


def _flush_to_disk(path: Path) -> None:
    """A blob that a committed row names must survive a power cut, not only a crash."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Ports:
    """Everything a use case may touch outside the database, built per unit of work."""

    files: FileStore
    providers: dict[str, Provider]
    mailer: Mailer
    portal: PortalStore
    prices: PriceTable = field(default_factory=PriceTable)
    clock: Callable[[], datetime] = system_clock
    public_url: str = "http://localhost:3000"
    portal_url: str = "http://localhost:3000/portal/"  # where contacts see their documents
    print_workers: int = 1
    checks: PreflightCache = field(default_factory=PreflightCache)  # share it for the app's lifetime
    pdfa_thorough: bool = False  # validate every source for PDF/A, not only fonts and version

    def provider(self, key: str) -> Provider | None:
        """The organisation's provider, or None when none is configured (the yellow button)."""
        return self.providers.get(key)
