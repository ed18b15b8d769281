"""What the files survive: a re-upload killed halfway, a full disk, a stored file lost before or
after the order. Each ends with every committed row's file present and matching its hash, no
staging files, and nothing sent twice."""

from __future__ import annotations

import errno
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from domain.actors import Actor
from domain.models import (
    Event,
    LetterState,
    Organisation,
    SerialLetter,
    Shipment,
    ShipmentState,
    SourceDocument,
    UnitDocument,
)
from domain.ports import Ports
from domain.services import dispatch, documents, intake, storage
from domain.split import ByMarker
from domain.storage import BlobMissing, LocalBackend
from tests.factories import marker_batch
from tests.test_scheduler import (  # noqa: F401 - the fixtures of a worker with a provider in memory
    Clock,
    MemoryProvider,
    clock,
    memory_org,
    provider,
    serial,
    shipments_of,
    worker,
)

ROOT = Path(__file__).resolve().parents[1]
UNITS = 300


def big_property(session: Session, organisation: Organisation) -> int:
    from domain.models import Property, Unit

    prop = Property(organisation_id=organisation.id, external_id="GR", name="Großsiedlung")
    session.add(prop)
    session.flush()
    session.add_all(Unit(property_id=prop.id, external_id=f"E{n}", label=f"WE {n:03d}", position=n) for n in range(UNITS))
    session.commit()
    return prop.id


def labels(tag: str = "") -> list[str]:
    return [f"WE {n:03d}" for n in range(UNITS)]


def draft(session: Session, ports: Ports, clerk: Actor, property_id: int) -> SerialLetter:
    serial = documents.create_serial_letter(session, clerk, property_id, "Abrechnung", ["Abrechnung"])
    intake.upload_batch(session, ports.files, clerk, serial.id, "Abrechnung", "alt.pdf", marker_batch(labels()), ByMarker())
    return serial


def documents_as_committed(session: Session, serial_id: int) -> dict[int, tuple[str, str]]:
    session.expire_all()
    return {d.unit_id: (d.path, d.sha256) for d in session.exec(select(UnitDocument).where(UnitDocument.serial_letter_id == serial_id))}


def assert_files_whole(session: Session, ports: Ports) -> None:
    """Every row's file is there with its hash; nothing unnamed, staged or journaled is left."""
    session.expire_all()
    named = {d.path for d in session.exec(select(UnitDocument))} | {s.path for s in session.exec(select(SourceDocument))}
    for key in named:
        ports.files.local(key)  # raises BlobMissing / BlobCorrupt
    assert storage.recover(session, ports.files) >= 0
    assert {key for key, _ in ports.files.blobs()} == named
    assert list((ports.files.root / "tmp").glob("*")) == []
    assert list((ports.files.root / "journal").glob("*.journal")) == []


def test_a_reupload_killed_halfway_leaves_every_committed_document_whole(
        session: Session, ports: Ports, clerk: Actor, organisation: Organisation, engine: Engine, home: Path) -> None:
    serial = draft(session, ports, clerk, big_property(session, organisation))
    before = documents_as_committed(session, serial.id)
    assert len(before) == UNITS
    batch = home / "neu.pdf"
    batch.write_bytes(marker_batch(labels(), pages_each=3))  # different content: new blobs
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from sqlmodel import Session
        from bot.db import make_engine
        from domain.actors import Actor
        from domain.models import Staff
        from domain.ports import FileStore
        from domain.services import intake
        from domain.split import ByMarker
        from domain.uploads import IntakeLimits, Upload

        class Slow(FileStore):
            def put_file(self, *args, **kwargs):
                time.sleep(0.01)  # the kill comes halfway, not after the end
                return super().put_file(*args, **kwargs)

        engine = make_engine({engine.url.render_as_string(hide_password=False)!r})
        with Session(engine) as session:
            clerk = Actor.of(session.get(Staff, {clerk.staff_id}))
            path = Path({str(batch)!r})
            upload = intake.DocumentUpload("Abrechnung", [Upload("neu.pdf", path, path.stat().st_size)], ByMarker())
            intake.upload_documents(session, Slow(Path({str(ports.files.root)!r})), clerk, {serial.id}, upload,
                                    IntakeLimits(), mode=intake.Mode.REPLACE)
    """)
    running = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE)
    blobs = ports.files.root / "blobs"
    existing = len(list(blobs.rglob("*.pdf")))
    deadline = time.monotonic() + 60
    while len(list(blobs.rglob("*.pdf"))) < existing + 50 and time.monotonic() < deadline and running.poll() is None:
        time.sleep(0.02)
    running.send_signal(signal.SIGKILL)
    assert running.wait() == -signal.SIGKILL, running.stderr.read().decode()[-2000:]
    assert len(list(blobs.rglob("*.pdf"))) >= existing + 50  # the new files were being written
    assert documents_as_committed(session, serial.id) == before
    assert_files_whole(session, ports)


def test_a_full_disk_during_a_reupload_changes_nothing(session: Session, ports: Ports, clerk: Actor,
                                                       organisation: Organisation, monkeypatch) -> None:
    serial = draft(session, ports, clerk, big_property(session, organisation))
    before = documents_as_committed(session, serial.id)
    place, calls = LocalBackend.place, []

    def full_after_fifty(self, key, staged):
        calls.append(key)
        if len(calls) > 50:
            raise OSError(errno.ENOSPC, "No space left on device")
        return place(self, key, staged)

    monkeypatch.setattr(LocalBackend, "place", full_after_fifty)
    with pytest.raises(storage.StorageFull) as raised:
        intake.upload_batch(session, ports.files, clerk, serial.id, "Abrechnung", "neu.pdf",
                            marker_batch(labels(), pages_each=3), ByMarker(), mode=intake.Mode.REPLACE)
    assert "Der Speicher ist voll" in raised.value.render("de") and "nichts wurde gespeichert" in raised.value.render("de")
    monkeypatch.setattr(LocalBackend, "place", place)
    assert documents_as_committed(session, serial.id) == before
    assert_files_whole(session, ports)


def test_a_file_lost_before_the_order_is_named_not_a_traceback(session, ports, clerk, serial) -> None:
    [attachment] = documents.attachments_of(session, serial.id)
    ports.files.backend.local_path(attachment.path).unlink()
    with pytest.raises(BlobMissing) as raised:
        dispatch.order_dispatch(session, ports, clerk, serial.id)
    assert "Eine gespeicherte Datei fehlt" in raised.value.render("de")
    session.expire_all()
    assert session.exec(select(Shipment)).all() == []


def test_a_file_lost_after_the_order_waits_and_goes_once_back(session, ports, clerk, serial, provider: MemoryProvider,
                                                              worker, clock: Clock) -> None:
    order = dispatch.order_dispatch(session, ports, clerk, serial.id)
    [attachment] = documents.attachments_of(session, serial.id)
    original = ports.files.read(attachment.path)
    ports.files.backend.local_path(attachment.path).unlink()  # every letter carries it
    worker.run_once()
    shipments = shipments_of(session, order.id)
    assert all(s.state is ShipmentState.PENDING and "fehlt" in (s.reason or "") for s in shipments)
    assert session.get(SerialLetter, serial.id).state is not LetterState.FAILED
    told = session.exec(select(Event).where(Event.serial_letter_id == serial.id, Event.kind == "files_unavailable")).all()
    assert len(told) == 1
    ports.files.put(original)  # the file is back (restored from a backup, say)
    ports.files.committed()
    clock.advance(hours=2)
    worker.run_once()
    assert all(s.state is ShipmentState.SUBMITTED for s in shipments_of(session, order.id))
    assert set(provider.submits.values()) == {1}


def test_a_print_file_lost_before_hand_over_is_written_again(session, ports, clerk, serial, provider: MemoryProvider,
                                                             worker, clock: Clock) -> None:
    order = dispatch.order_dispatch(session, ports, clerk, serial.id)
    provider.outages = 1  # print files are written, then the provider is away: the letters wait
    worker.run_once()
    waiting = shipments_of(session, order.id)
    assert all(s.state is ShipmentState.PENDING and s.print_path for s in waiting)
    lost = waiting[0]
    ports.files.backend.local_path(lost.print_path).unlink()
    clock.advance(hours=2)
    worker.run_once()
    after = {s.id: s for s in shipments_of(session, order.id)}
    assert all(s.state is ShipmentState.SUBMITTED for s in after.values())
    assert after[lost.id].sha256 == lost.sha256 and ports.files.has(after[lost.id].print_path)
    assert set(provider.submits.values()) == {1}
