"""Blobs named by their content: never rewritten, removed only when nobody claims them, and a
failed unit of work leaves none behind."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest
from sqlmodel import Session

from domain.actors import Actor
from domain.models import Organisation, SourceDocument, SourceKind
from domain.ports import FileStore, Ports, blob_key
from domain.services import documents, storage
from tests.factories import estate


def test_the_same_bytes_are_stored_once_and_never_rewritten(tmp_path: Path) -> None:
    files = FileStore(tmp_path)
    key = files.put(b"%PDF-1.7 eins")
    assert key == blob_key(hashlib.sha256(b"%PDF-1.7 eins").hexdigest())
    inode = files.backend.local_path(key).stat().st_ino
    assert files.put(b"%PDF-1.7 eins") == key
    assert files.backend.local_path(key).stat().st_ino == inode  # claimed, not replaced
    assert files.created() == [key]
    assert list((tmp_path / "tmp").iterdir()) == []  # no staging file left


def test_discard_removes_only_what_nobody_else_claimed(tmp_path: Path) -> None:
    first, second = FileStore(tmp_path), FileStore(tmp_path)
    mine = first.put(b"nur meins")
    shared = first.put(b"geteilt")
    time.sleep(0.01)
    assert second.put(b"geteilt") == shared  # another unit of work stores the same bytes meanwhile
    assert second.created() == []
    assert first.discard_created(referenced=set()) == 1
    assert not files_exist(first, mine) and files_exist(first, shared)


def test_discard_keeps_what_a_committed_row_names(tmp_path: Path) -> None:
    files = FileStore(tmp_path)
    key = files.put(b"schon eingetragen")
    assert files.discard_created(referenced={key}) == 0
    assert files_exist(files, key)


def files_exist(files: FileStore, key: str) -> bool:
    return files.backend.local_path(key).exists()


def test_all_or_nothing_leaves_no_rows_and_no_files(session: Session, ports: Ports, organisation: Organisation,
                                                     clerk: Actor) -> None:
    found = estate(session, organisation)
    serial = documents.create_serial_letter(session, clerk, found.prop.id, "Abrechnung", ["A"])
    with pytest.raises(RuntimeError):
        with storage.all_or_nothing(session, ports.files):
            key = ports.files.put(b"%PDF-1.7 halb")
            session.add(SourceDocument(serial_letter_id=serial.id, kind=SourceKind.ATTACHMENT, filename="x.pdf",
                                       path=key, sha256="0", page_count=1))
            session.flush()
            raise RuntimeError("disk full")
    session.expire_all()
    assert documents.attachments_of(session, serial.id) == []
    assert not ports.files.backend.local_path(key).exists()


def test_the_sweep_collects_old_unnamed_blobs_only(session: Session, ports: Ports, organisation: Organisation,
                                                  clerk: Actor) -> None:
    found = estate(session, organisation)
    serial = documents.create_serial_letter(session, clerk, found.prop.id, "Abrechnung", ["A"])
    named, orphan, young = (ports.files.put(data) for data in (b"named", b"orphan", b"young"))
    session.add(SourceDocument(serial_letter_id=serial.id, kind=SourceKind.ATTACHMENT, filename="n.pdf", path=named,
                               sha256="0", page_count=1))
    session.commit()
    hour_ago = time.time() - 3600
    for key in (named, orphan):
        os.utime(ports.files.backend.local_path(key), (hour_ago, hour_ago))
    assert storage.sweep(session, ports.files, grace_seconds=600) == 1
    assert [ports.files.backend.local_path(k).exists() for k in (named, orphan, young)] == [True, False, True]


def test_a_blob_written_or_claimed_within_the_grace_period_is_never_removed(tmp_path: Path) -> None:
    files = FileStore(tmp_path)
    key = files.put(b"gerade erst")
    cutoff = time.time_ns() - 3600 * 10**9
    assert files.remove_if_older(key, cutoff) is False and files.backend.local_path(key).exists()
    hour_ago = time.time() - 7200
    os.utime(files.backend.local_path(key), (hour_ago, hour_ago))
    assert files.remove_if_older(key, cutoff) is True and not files.backend.local_path(key).exists()


def test_what_a_killed_process_stored_is_removed_by_the_next_one(tmp_path: Path) -> None:
    """A real process stores blobs and is killed with SIGKILL before it commits; the next unit of
    work removes them, but not a blob someone else claimed, nor a live process's."""
    import signal
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(f"""
        import os, sys, time
        from pathlib import Path
        sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
        from domain.ports import FileStore
        files = FileStore(Path({str(tmp_path)!r}))
        for n in range(5):
            files.put(b"halb %d " % n + sys.argv[1].encode())
        print("stored", flush=True)
        time.sleep(60)
    """)
    children = [subprocess.Popen([sys.executable, "-c", script, tag], stdout=subprocess.PIPE, text=True) for tag in "AB"]
    for child in children:
        assert child.stdout.readline().strip() == "stored"
    killed, alive = children
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    time.sleep(0.01)
    survivor = FileStore(tmp_path)
    survivor.put(b"halb 0 A")  # someone stores the same bytes meanwhile: a claim
    survivor.committed()
    try:
        assert FileStore(tmp_path).recover_abandoned(lambda keys: set()) == 4  # all but the claimed one
        remaining = {path.read_bytes() for path in (tmp_path / "blobs").rglob("*.pdf")}
        assert remaining == {b"halb 0 A"} | {b"halb %d B" % n for n in range(5)}  # the live process's stay
        alive.send_signal(signal.SIGKILL)
        alive.wait()
        assert FileStore(tmp_path).recover_abandoned(lambda keys: {keys[0]}) == 4  # but what a row names
        assert len(list((tmp_path / "blobs").rglob("*.pdf"))) == 2
        assert list((tmp_path / "journal").iterdir()) == []
    finally:
        for child in children:
            child.kill()


def test_a_blob_placed_in_the_moment_of_the_kill_is_found_by_its_intent(tmp_path: Path) -> None:
    """Killed after the rename, before the journal heard of it: the intent line still names it.
    A living unit of work that uses the same blob keeps it."""
    files = FileStore(tmp_path)
    key = files.put(b"im Moment des Abbruchs")
    files.committed()
    journal = tmp_path / "journal" / "tot.journal"
    journal.write_text(f"intent {key} {time.time_ns()}\n")
    living = FileStore(tmp_path)
    living.put(b"im Moment des Abbruchs")  # a claim, journaled, not committed
    assert FileStore(tmp_path).recover_abandoned(lambda keys: set()) == 0 and files.backend.exists(key)
    living.committed()
    journal.write_text(f"intent {key} {time.time_ns()}\n")
    assert FileStore(tmp_path).recover_abandoned(lambda keys: set()) == 1 and not files.backend.exists(key)
