"""Splitting a batch PDF into the units' documents through the real use case, against plain pypdf
text extraction of the same PDF.

    python bench/split.py --units 1000            # about 9,000 pages
    python bench/split.py --units 10000 [--skip-naive] [--profile ours.prof]

Setup (not timed) creates a data home with a migrated SQLite database (one organisation, staff
member and property, N units "WE 00001"…) and a batch PDF of 8–10 pages per unit, written
directly with pikepdf: each unit's first page carries the marker "Einheit: WE 00001", the other
pages plain text. Each run then happens in a fresh subprocess so its peak memory is its own:
"ours" is intake.start_serial_letter with the marker rule (reading = opening, text extraction
and matching until split_pages returns; writing = storing the batch and every unit document,
rows and commit), "naive_pypdf_text" only extracts every page's text with pypdf. Prints one
JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = {"seconds": 60, "peak_mb": 400}
RUNS = ("ours", "naive_pypdf_text")
DOCUMENT_TYPE = "Abrechnung"
FILLER = [
    "Betriebskostenabrechnung fuer den Zeitraum 01.01.2024 bis 31.12.2024",
    "Die Kosten wurden nach dem vereinbarten Umlageschluessel verteilt.",
    "Heizkosten, Warmwasser, Muellabfuhr, Hausreinigung, Gartenpflege, Allgemeinstrom",
    "Bitte ueberweisen Sie eine Nachzahlung innerhalb von 30 Tagen.",
    "Ein Guthaben verrechnen wir mit der naechsten Miete.",
]


def label(number: int) -> str:
    return f"WE {number:05d}"


def unit_pages(number: int) -> int:
    return 8 + number % 3


# --- setup ----------------------------------------------------------------------------------


def set_up_database(home: Path, units: int) -> dict[str, int]:
    from sqlalchemy import insert
    from sqlmodel import Session

    from bot.db import make_engine, migrate
    from domain.models import Organisation, Property, Staff, Unit

    engine = make_engine(database_url(home))
    migrate(engine)
    with Session(engine) as session:
        organisation = Organisation(name="Hausverwaltung Bench GmbH")
        session.add(organisation)
        session.flush()
        staff = Staff(
            organisation_id=organisation.id, slack_user_id="UBENCH", name="Bench", is_admin=True
        )
        prop = Property(organisation_id=organisation.id, external_id="P1", name="Lindenstraße 1")
        session.add_all([staff, prop])
        session.flush()
        ids = {"staff_id": staff.id, "property_id": prop.id}
        session.execute(
            insert(Unit),
            [
                {
                    "property_id": prop.id,
                    "external_id": f"U{number:05d}",
                    "label": label(number),
                    "kind": "Wohnung",
                    "position": number,
                }
                for number in range(1, units + 1)
            ],
        )
        session.commit()
    engine.dispose()
    return ids


def database_url(home: Path) -> str:
    return f"sqlite:///{home / 'briefwerk.db'}"


def _text(lines: list[str]) -> bytes:
    body = [b"BT /F1 11 Tf 14 TL 72 770 Td"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        body.append(b"(" + escaped.encode("latin-1") + b") Tj T*")
    body.append(b"ET")
    return b"\n".join(body)


def write_batch(path: Path, units: int) -> int:
    """The batch PDF, built with pikepdf (no layout engine: 90,000 reportlab pages would take
    longer than the bench): one shared Helvetica resource, one small content stream per page."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name

    pdf = pikepdf.new()
    font = pdf.make_indirect(
        Dictionary(
            Type=Name.Font,
            Subtype=Name.Type1,
            BaseFont=Name.Helvetica,
            Encoding=Name.WinAnsiEncoding,
        )
    )
    resources = pdf.make_indirect(Dictionary(Font=Dictionary(F1=font)))
    media_box = Array([0, 0, 595, 842])
    tree = pdf.Root.Pages
    kids = []
    for number in range(1, units + 1):
        count = unit_pages(number)
        for page in range(count):
            lines = [f"Seite {page + 1} von {count}", *FILLER[: 2 + (number + page) % 4]]
            if page == 0:
                lines = [
                    f"Einheit: {label(number)}",
                    f"Objekt Lindenstrasse 1, Wohnung {number}",
                    *lines,
                ]
            kids.append(
                pdf.make_indirect(
                    Dictionary(
                        Type=Name.Page,
                        Parent=tree,
                        MediaBox=media_box,
                        Resources=resources,
                        Contents=pdf.make_stream(_text(lines)),
                    )
                )
            )
    tree.Kids = Array(kids)
    tree.Count = len(kids)
    pdf.save(path, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return len(kids)


def check_batch(path: Path, pages: int) -> None:
    import pypdfium2

    document = pypdfium2.PdfDocument(path)
    try:
        assert len(document) == pages, (len(document), pages)
        text = document[0].get_textpage().get_text_range()
        assert "Einheit: WE 00001" in text, text
    finally:
        document.close()


# --- the runs (each in its own process) -----------------------------------------------------


def ours(home: Path, units: int, ids: dict[str, int], profile: Path | None) -> dict[str, object]:
    from sqlmodel import Session, select

    import domain.services.intake as intake_module
    from bot.db import make_engine
    from domain.actors import Actor
    from domain.messages import Message
    from domain.models import Staff, UnitDocument
    from domain.ports import FileStore
    from domain.services import intake
    from domain.split import ByMarker
    from domain.uploads import IntakeLimits, Upload

    batch = home / "batch.pdf"
    engine = make_engine(database_url(home))
    files = FileStore(home / "files")
    marks: dict[str, float] = {}
    split_pages = intake_module.split_pages

    def timed_split(*args: object, **kwargs: object) -> object:
        result = split_pages(*args, **kwargs)  # consumes the page texts: reading ends here
        marks["read"] = time.perf_counter()
        return result

    def progress(message: Message) -> None:
        if message.key == "intake.progress_writing":
            marks.setdefault("first_written", time.perf_counter())

    intake_module.split_pages = timed_split  # a timestamp only; the use case runs unchanged
    with Session(engine) as session:
        actor = Actor.of(session.get(Staff, ids["staff_id"]))
        request = intake.NewSerialLetter(
            ids["property_id"],
            "Bench",
            [
                intake.DocumentUpload(
                    DOCUMENT_TYPE, [Upload("batch.pdf", batch, batch.stat().st_size)], ByMarker()
                )
            ],
        )
        profiler = None
        if profile is not None:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        serial, outcomes = intake.start_serial_letter(
            session, files, actor, request, IntakeLimits(file_mb=4096), progress=progress
        )
        seconds = time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        outcome = outcomes[0]
        assert len(outcome.assigned) == units, (len(outcome.assigned), units)
        assert outcome.unmatched == [], outcome.unmatched[:5]
        by_label = {assigned.unit: assigned.pages for assigned in outcome.assigned}
        assert all(by_label[label(n)] == unit_pages(n) for n in range(1, units + 1))
        stored = session.exec(
            select(UnitDocument.id).where(UnitDocument.serial_letter_id == serial.id)
        ).all()
        assert len(stored) == units, (len(stored), units)
    pages = sum(unit_pages(n) for n in range(1, units + 1))
    reading = marks["read"] - started
    return {
        "seconds": round(seconds, 2),
        "pages_per_s": round(pages / seconds),
        "units_per_s": round(units / seconds),
        "peak_mb": round(peak_kb / 1024),
        "reading_seconds": round(reading, 2),
        "writing_seconds": round(seconds - reading, 2),
        "first_250_written_after_s": round(marks["first_written"] - started, 2)
        if "first_written" in marks
        else None,
    }


def naive_pypdf_text(
    home: Path, units: int, ids: dict[str, int], profile: Path | None
) -> dict[str, object]:
    from pypdf import PdfReader

    started = time.perf_counter()
    reader = PdfReader(home / "batch.pdf")
    found = sum("Einheit: WE" in page.extract_text() for page in reader.pages)
    seconds = time.perf_counter() - started
    assert found == units, (found, units)
    pages = len(reader.pages)
    return {
        "seconds": round(seconds, 2),
        "pages_per_s": round(pages / seconds),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def run_child(run: str, home: Path, units: int, ids: dict[str, int], profile: Path | None) -> None:
    import pikepdf  # noqa: F401 - imports are not what we measure
    import pypdf  # noqa: F401
    import pypdfium2  # noqa: F401

    import domain.services.intake  # noqa: F401

    print(json.dumps(globals()[run](home, units, ids, profile)))


# --- driver ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument(
        "--skip-naive", action="store_true", help="no pypdf run (slow at 90,000 pages)"
    )
    parser.add_argument(
        "--profile", type=Path, help="write cProfile stats of the ours run here (slows it)"
    )
    parser.add_argument("--child", choices=RUNS, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ids", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child, args.home, args.units, json.loads(args.ids), args.profile)
        return
    result: dict[str, object] = {"units": args.units}
    with tempfile.TemporaryDirectory(prefix="briefwerk-split-") as temp:
        home = Path(temp)
        started = time.perf_counter()
        ids = set_up_database(home, args.units)
        pages = write_batch(home / "batch.pdf", args.units)
        check_batch(home / "batch.pdf", pages)
        result["pages"] = pages
        result["batch_mb"] = round((home / "batch.pdf").stat().st_size / (1 << 20), 1)
        result["setup_seconds"] = round(time.perf_counter() - started, 1)
        runs = [run for run in RUNS if not (args.skip_naive and run == "naive_pypdf_text")]
        for run in runs:
            os.sync()  # the batch's dirty pages must not be written back during a run
            command = [
                sys.executable,
                __file__,
                "--child",
                run,
                "--home",
                str(home),
                "--units",
                str(args.units),
                "--ids",
                json.dumps(ids),
            ]
            if args.profile is not None and run == "ours":
                command += ["--profile", str(args.profile.resolve())]
            child = subprocess.run(command, check=False, capture_output=True, text=True)
            if child.returncode:
                sys.exit(f"{run} failed:\n{child.stderr}")
            result[run] = json.loads(child.stdout.strip().splitlines()[-1])
    result["target"] = TARGET
    print(json.dumps(result))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
