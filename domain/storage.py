"""Where stored files live: blobs named by their content (documents, attachments, print files,
download files) and named objects (a provider's letters and manifest, where it writes them into storage), in a local folder or in
S3-compatible object storage, behind one store.

A blob is never rewritten: a replacement is a new blob plus a row switch, and a row that
committed always finds its bytes. Storing a blob that exists already claims it (its claim time
moves on), so a concurrent removal sees the newer time and keeps it. Reading a blob checks its
bytes against the hash in its name; a missing or changed blob is a named condition.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO, Protocol

from domain.errors import BriefwerkError

BLOBS = "blobs"
CHUNK = 1 << 20
TRANSFERS = 16  # parallel transfers to and from remote storage


class BlobMissing(BriefwerkError):
    """A stored file a row names is not there (deleted, or another disk): retry or re-upload."""

    def __init__(self, key: str, where: str) -> None:
        super().__init__("storage.missing", file=key.rsplit("/", 1)[-1][:16], where=where)
        self.key = key


class BlobCorrupt(BriefwerkError):
    """A stored file's bytes no longer match the hash in its name."""

    def __init__(self, key: str, where: str) -> None:
        super().__init__("storage.corrupt", file=key.rsplit("/", 1)[-1][:16], where=where)
        self.key = key


def blob_key(sha256: str, suffix: str = ".pdf") -> str:
    return f"{BLOBS}/{sha256[:2]}/{sha256}{suffix}"


def expected_sha(key: str) -> str | None:
    """The hash a blob's name promises; None for files stored before blobs existed."""
    if not key.startswith(BLOBS + "/"):
        return None
    return key.rsplit("/", 1)[-1].split(".", 1)[0]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def flush_to_disk(path: Path) -> None:
    """A file a committed row names must survive a power cut, not only a crash."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


class Backend(Protocol):
    """Where bytes live. `place` stores a complete staged file under `key` unless it exists, in
    which case it claims it; both return the claim time, and `created` says which happened."""

    where: str  # for messages: a folder or s3://bucket/prefix
    shared: bool  # other machines write here too (their journals are not seen from here)

    def place(self, key: str, staged: Path) -> tuple[bool, int]: ...

    def fetch(self, key: str, target: Path) -> None: ...

    def local_path(self, key: str) -> Path | None: ...

    def exists(self, key: str) -> bool: ...

    def remove_unclaimed(self, key: str, unclaimed: Callable[[int], bool]) -> bool: ...

    def listing(self, prefix: str) -> Iterator[tuple[str, int]]: ...

    def put_named(self, name: str, source: Path) -> None: ...

    def get_named(self, name: str) -> bytes | None: ...

    def delete_named(self, name: str) -> None: ...

    def names(self, prefix: str) -> list[str]: ...

    def url_for(self, key: str, filename: str, seconds: int) -> str | None: ...


class LocalBackend:
    """A folder on this machine; every write is a rename of a complete file into place."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.where = str(self.root)
        self.shared = False

    def _path(self, key: str) -> Path:
        return self.root / key

    def place(self, key: str, staged: Path) -> tuple[bool, int]:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.utime(target)
        except FileNotFoundError:
            flush_to_disk(staged)
            os.replace(staged, target)
            return True, target.stat().st_mtime_ns
        staged.unlink(missing_ok=True)
        return False, target.stat().st_mtime_ns

    def fetch(self, key: str, target: Path) -> None:
        try:
            shutil.copyfile(self._path(key), target)
        except FileNotFoundError:
            raise BlobMissing(key, self.where) from None

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def remove_unclaimed(self, key: str, unclaimed: Callable[[int], bool]) -> bool:
        """Moves the file aside first: a claim arriving after that finds no file and writes it
        anew; a claim that came before shows in the time, and the file is put back."""
        target = self._path(key)
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

    def listing(self, prefix: str) -> Iterator[tuple[str, int]]:
        folder = self.root / prefix
        if not folder.is_dir():
            return
        for path in folder.rglob("*"):
            if not path.is_file() or path.name.endswith((".removing", ".part", ".tmp")):
                continue
            try:
                yield str(path.relative_to(self.root)), path.stat().st_mtime_ns
            except FileNotFoundError:
                continue

    def put_named(self, name: str, source: Path) -> None:
        """A copy of `source` under `name`, written beside it and renamed into place."""
        target = self._path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        os.close(handle)
        try:
            shutil.copyfile(source, temporary)
            flush_to_disk(Path(temporary))
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get_named(self, name: str) -> bytes | None:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError:
            return None

    def delete_named(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def names(self, prefix: str) -> list[str]:
        return sorted(key for key, _ in self.listing(prefix))

    def url_for(self, key: str, filename: str, seconds: int) -> str | None:
        return None  # served by the app itself


class FileStore:
    """The stored files as one unit of work sees them. Blobs it places stay listed, in memory and
    in a locked journal on this machine, until the caller commits or discards them, so a failure
    removes exactly what it added and a process killed halfway leaves a journal the next one
    cleans up. `work` is this machine's own folder: staging, journals and the cache of blobs
    fetched from object storage."""

    def __init__(self, root: Path | None = None, *, backend: Backend | None = None, work: Path | None = None) -> None:
        if backend is None:
            if root is None:
                raise ValueError("a FileStore needs a root folder or a backend")
            backend = LocalBackend(root)
        self.backend = backend
        self.root = (work or (root if root is not None else Path("var/work"))).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self._created: dict[str, int] = {}  # blob key -> its claim time when we placed it
        self._journal: BinaryIO | None = None
        self._journal_path: Path | None = None
        self._verified: dict[str, tuple[int, int]] = {}  # key -> (size, mtime) checked in this process
        self._lock = threading.Lock()  # the journal and the created list, for parallel transfers

    @property
    def where(self) -> str:
        return self.backend.where

    # --- writing ---------------------------------------------------------------------------

    def staging_file(self, suffix: str = ".part") -> Path:
        """A new empty file on this machine's disk, next to the local blobs."""
        folder = self.root / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=folder, prefix=f"{os.getpid()}-", suffix=suffix)
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
        blob exists already, the staging file is dropped and the blob claimed. The journal hears
        of it before and after, so a kill in between still leaves a trace."""
        key = blob_key(sha256, suffix)
        self._note("intent", key, time.time_ns())
        try:
            created, claimed_at = self.backend.place(key, staged)
        finally:
            staged.unlink(missing_ok=True)
        self._note("placed" if created else "claimed", key, claimed_at)
        with self._lock:
            if created or key in self._created:  # ours: remember its newest claim time
                self._created[key] = claimed_at
        return key

    def put_files(self, staged: list[tuple[Path, str]], suffix: str = ".pdf") -> list[str]:
        """Many staging files at once: in parallel where the storage is remote (each transfer
        waits on the network), one after the other on a local disk."""
        if not self.backend.shared or len(staged) < 2:
            return [self.put_file(path, sha, suffix) for path, sha in staged]
        with ThreadPoolExecutor(TRANSFERS) as pool:
            return list(pool.map(lambda item: self.put_file(item[0], item[1], suffix), staged))

    def prefetch(self, keys: list[str]) -> None:
        """Fetches blobs not on this machine yet, in parallel (remote storage only)."""
        if not self.backend.shared:
            return
        with ThreadPoolExecutor(TRANSFERS) as pool:
            list(pool.map(self.local, dict.fromkeys(keys)))

    # --- reading ---------------------------------------------------------------------------

    def local(self, key: str) -> Path:
        """A path on this machine holding the blob's bytes, checked against its hash."""
        path = self.backend.local_path(key)
        if path is None:
            path = self._cached(key)
        self._verify(key, path)
        return path

    def read(self, key: str) -> bytes:
        return self.local(key).read_bytes()

    def has(self, key: str) -> bool:
        return self.backend.exists(key)

    def _verify(self, key: str, path: Path) -> None:
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise BlobMissing(key, self.where) from None
        if self._verified.get(key) == (stat.st_size, stat.st_mtime_ns):
            return
        expected = expected_sha(key)
        if expected is not None and sha256_of(path) != expected:
            raise BlobCorrupt(key, self.where)
        self._verified[key] = (stat.st_size, stat.st_mtime_ns)

    def _cached(self, key: str) -> Path:
        """Object storage: the blob fetched into this machine's cache once, then reused."""
        cached = self.root / "cache" / key
        if cached.is_file():
            os.utime(cached)  # recently used: the cache keeps it
            return cached
        staged = self.staging_file()
        try:
            self.backend.fetch(key, staged)
            expected = expected_sha(key)
            if expected is not None and sha256_of(staged) != expected:
                raise BlobCorrupt(key, self.where)
            cached.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, cached)
        finally:
            staged.unlink(missing_ok=True)
        return cached

    def url_for(self, key: str, filename: str, seconds: int) -> str | None:
        """A time-limited address the storage serves itself, where it can (object storage)."""
        return self.backend.url_for(key, filename, seconds)

    # --- commit, discard, recovery ---------------------------------------------------------

    def created(self) -> list[str]:
        """Blobs placed by this store and not yet committed or discarded."""
        return list(self._created)

    def committed(self) -> None:
        """The rows naming the created blobs committed: they are no longer ours to remove."""
        self._created.clear()
        self._close_journal()

    def discard_created(self, referenced: set[str]) -> int:
        """Removes the blobs this store placed, except those `referenced` by committed rows or
        claimed by someone else since. Returns how many were removed."""
        removed = 0
        for key, placed_at in self._created.items():
            if key not in referenced and self.backend.remove_unclaimed(key, lambda mtime, at=placed_at: mtime == at):
                removed += 1
        self._created.clear()
        self._close_journal()
        return removed

    # A process killed halfway cannot discard what it created. Its journal says what that was:
    # a journal whose lock nobody holds belongs to a process that is gone.

    def _note(self, what: str, key: str, at: int) -> None:
        with self._lock:
            self._write_note(what, key, at)

    def _write_note(self, what: str, key: str, at: int) -> None:
        if self._journal is None:
            folder = self.root / "journal"
            folder.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=folder, suffix=".opening")
            self._journal = os.fdopen(handle, "ab")
            fcntl.flock(self._journal.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._journal_path = Path(name.removesuffix(".opening") + ".journal")
            os.rename(name, self._journal_path)  # recoverers see it only once it is locked
        self._journal.write(f"{what} {key} {at}\n".encode())
        self._journal.flush()

    def _close_journal(self) -> None:
        if self._journal is not None:
            if self._journal_path is not None:
                self._journal_path.unlink(missing_ok=True)
            self._journal.close()
            self._journal = None

    def recover_abandoned(self, referenced: Callable[[list[str]], set[str]]) -> int:
        """Removes the blobs of units of work whose process died before committing or discarding,
        except those a committed row names, a living unit of work on this machine uses, or
        someone claimed since. Returns how many."""
        folder = self.root / "journal"
        dead: list[tuple[Path, BinaryIO]] = []
        in_use: set[str] = set()
        for path in folder.glob("*.journal") if folder.is_dir() else ():
            handle = open(path, "rb")  # noqa: SIM115 - held (and locked) until recovered
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # its process is still at work
                in_use |= {key for _, key, _ in _entries(handle.read())}
                handle.close()
                continue
            dead.append((path, handle))
        removed = 0
        for path, handle in dead:
            with handle:
                removed += self._recover(_entries(handle.read()), referenced, in_use)
                path.unlink(missing_ok=True)
        return removed

    def _recover(self, entries: list[tuple[str, str, int]], referenced: Callable[[list[str]], set[str]],
                 in_use: set[str]) -> int:
        latest = {key: at for what, key, at in entries if what != "intent"}  # the newest claim wins
        placed = {key: latest[key] for what, key, _ in entries if what == "placed"}
        seen = set(latest)
        # killed while placing: the blob may be ours; on storage other machines share, another
        # machine's unit of work may have claimed it unseen, so it is left to the sweep there
        interrupted = [] if self.backend.shared else [key for what, key, _ in entries if what == "intent" and key not in seen]
        named = referenced(list(placed) + interrupted) if placed or interrupted else set()
        removed = 0
        for key, at in placed.items():
            if key not in named and key not in in_use and self.backend.remove_unclaimed(key, lambda mtime, at=at: mtime == at):
                removed += 1
        for key in interrupted:
            if key not in named and key not in in_use and self.backend.remove_unclaimed(key, lambda mtime: True):
                removed += 1
        return removed

    def blobs(self) -> Iterator[tuple[str, int]]:
        """Every stored blob with its last write or claim time (ns)."""
        return self.backend.listing(BLOBS)

    def remove_if_older(self, key: str, before_ns: int) -> bool:
        """Removes a blob nobody wrote or claimed since `before_ns` (the sweep's grace period)."""
        return self.backend.remove_unclaimed(key, lambda mtime: mtime < before_ns)

    def clean_staging(self, older_than_s: float = 0) -> int:
        """Removes staging files of processes on this machine that are gone, and any older than
        `older_than_s` (a running writer's file is younger)."""
        folder = self.root / "tmp"
        dead = [path for path in folder.glob("*-*") if not _alive(path.name.split("-", 1)[0])] if folder.is_dir() else []
        for path in dead:
            path.unlink(missing_ok=True)
        return len(dead) + _remove_older(folder, older_than_s)

    def clean_cache(self, unused_for_s: float) -> int:
        """Forgets fetched blobs not used for a while (they are fetched again when needed)."""
        return _remove_older(self.root / "cache", unused_for_s)


def _entries(journal: bytes) -> list[tuple[str, str, int]]:
    """(what, key, time) per journal line; a line cut by the kill is left out."""
    entries = []
    for line in journal.decode(errors="replace").splitlines():
        parts = line.split(" ")
        if len(parts) == 3 and parts[2].isdigit():
            entries.append((parts[0], parts[1], int(parts[2])))
    return entries


def _alive(pid: str) -> bool:
    """Whether a process of this machine still runs (names not made by us count as alive)."""
    if not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_older(folder: Path, seconds: float) -> int:
    if not folder.is_dir():
        return 0
    limit = time.time() - seconds
    removed = 0
    for path in [p for p in folder.rglob("*") if p.is_file()]:
        try:
            if path.stat().st_mtime <= limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed
