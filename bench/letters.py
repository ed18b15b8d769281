"""Print files for a serial letter: briefwerk's writer against plain pypdf.

    python bench/letters.py --letters 1000

Setup (not timed) writes N unit documents and two general attachments into a temp dir; each
of the four runs then happens in a fresh subprocess so its peak memory is its own. Prints one
JSON line. Speed is measured here, not in the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Self

TEMPLATES = 50
RUNS = ("ours_print", "ours_combined", "naive_print", "naive_combined")

FIRST_NAMES = ["Anna", "Jonas", "Mehmet", "Sophie", "Lukas", "Marie", "Elias", "Hannah", "Paul"]
LAST_NAMES = ["Müller", "Schmidt", "Yılmaz", "Schneider", "Fischer", "Weber", "Becker", "Wagner"]
STREETS = ["Lindenstraße", "Am Rosengarten", "Hauptstraße", "Bahnhofweg", "Schillerplatz"]
CITIES = ["10115 Berlin", "20095 Hamburg", "50667 Köln", "80331 München", "04109 Leipzig"]
COSTS = [
    "Heizkosten",
    "Warmwasser",
    "Müllabfuhr",
    "Hausreinigung",
    "Gartenpflege",
    "Allgemeinstrom",
    "Aufzug",
    "Versicherung",
    "Grundsteuer",
    "Hauswart",
]


# --- setup ----------------------------------------------------------------------------------


def unit_document(rng: random.Random, number: int) -> bytes:
    from domain.pdf.layout import LetterSpec, render_letter

    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    return render_letter(
        LetterSpec(
            return_line="Hausverwaltung Lindner GmbH · Marktplatz 3 · 04109 Leipzig",
            address_lines=[
                name,
                f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
                rng.choice(CITIES),
            ],
            subject=f"Betriebskostenabrechnung 2024 – WE {number:03d}",
            paragraphs=[
                f"Sehr geehrte/r {name},",
                "anbei erhalten Sie die Abrechnung der Betriebskosten für den Zeitraum vom "
                "01.01.2024 bis 31.12.2024. Die Kosten wurden nach dem im Mietvertrag "
                "vereinbarten Umlageschlüssel verteilt. " * 3,
                (
                    "Bitte überweisen Sie eine Nachzahlung innerhalb von 30 Tagen; ein Guthaben "
                    "verrechnen wir mit der nächsten Miete."
                ),
            ],
            info=[
                ("Datum", "14.03.2025"),
                ("Objekt", f"WE {number:03d}"),
                ("Ansprechpartner", "Frau Lindner"),
            ],
            footer="Hausverwaltung Lindner GmbH · IBAN DE02 1203 0000 0000 2020 51",
            pages=2 + number % 2,
            table_rows=[
                (cost, f"{rng.uniform(20, 900):.2f} €".replace(".", ",")) for cost in COSTS * 2
            ],
        )
    )


def attachment(title: str, pages: int) -> bytes:
    from domain.pdf.layout import LetterSpec, render_letter

    return render_letter(
        LetterSpec(
            return_line="Hausverwaltung Lindner GmbH · Marktplatz 3 · 04109 Leipzig",
            address_lines=["An alle Mieterinnen und Mieter"],
            subject=title,
            paragraphs=["Allgemeine Hinweise zur Abrechnung und zum Datenschutz. " * 12] * 4,
            pages=pages,
        )
    )


def set_up(folder: Path, letters: int) -> list[Path]:
    """Renders TEMPLATES distinct unit documents and writes copies of them under `letters`
    names: rendering 10,000 letters with reportlab would take longer than the bench itself,
    and the writer treats every path as a separate source either way."""
    rng = random.Random(5008)
    templates = [unit_document(rng, number) for number in range(TEMPLATES)]
    units = folder / "units"
    units.mkdir()
    paths = []
    for number in range(letters):
        path = units / f"letter_{number:05d}.pdf"
        path.write_bytes(templates[number % TEMPLATES])
        paths.append(path)
    (folder / "attachment_2.pdf").write_bytes(attachment("Hinweise zur Abrechnung", 2))
    (folder / "attachment_3.pdf").write_bytes(attachment("Datenschutzinformation", 3))
    return paths


def expected_pages(letters: int) -> list[int]:
    """Per letter: unit document (2 or 3 pages) padded to even, 2-page attachment, 3-page
    attachment + blank."""
    return [(4 if number % TEMPLATES % 2 else 2) + 2 + 4 for number in range(letters)]


# --- the four runs (each in its own process) ------------------------------------------------


def ours_print(folder: Path, letters: int, workers: int) -> int:
    from domain.pdf.assemble import FilePages, PrintJob, write_print_files

    out = folder / "ours_print"
    out.mkdir()
    attachments = (FilePages(folder / "attachment_2.pdf"), FilePages(folder / "attachment_3.pdf"))
    jobs = [
        PrintJob((FilePages(unit), *attachments), out / unit.name, title=unit.stem, duplex=True)
        for unit in unit_paths(folder, letters)
    ]
    return sum(written.size for written in write_print_files(jobs, workers=workers))


def ours_combined(folder: Path, letters: int, workers: int) -> int:
    from domain.pdf.assemble import CombinedPdfWriter, Pages, PdfSource, pad_for_duplex

    attachment_2 = PdfSource(folder / "attachment_2.pdf")
    attachment_3 = PdfSource(folder / "attachment_3.pdf")
    with CombinedPdfWriter(folder / "ours_combined.pdf", title="Serienbrief") as writer:
        for unit in unit_paths(folder, letters):
            with PdfSource(unit) as source:
                writer.add(
                    pad_for_duplex([Pages(source), Pages(attachment_2), Pages(attachment_3)])
                )
    return writer.close().size


def _naive_letter(writer, unit: Path, attachments) -> None:
    from pypdf import PdfReader

    for reader in (PdfReader(unit), *attachments):
        writer.append(reader)
        if len(reader.pages) % 2:
            writer.add_blank_page()


def naive_print(folder: Path, letters: int, workers: int) -> int:
    from pypdf import PdfReader, PdfWriter

    out = folder / "naive_print"
    out.mkdir()
    attachments = (PdfReader(folder / "attachment_2.pdf"), PdfReader(folder / "attachment_3.pdf"))
    size = 0
    for unit in unit_paths(folder, letters):
        writer = PdfWriter()
        _naive_letter(writer, unit, attachments)
        writer.write(out / unit.name)
        size += (out / unit.name).stat().st_size
    return size


def naive_combined(folder: Path, letters: int, workers: int) -> int:
    from pypdf import PdfReader, PdfWriter

    attachments = (PdfReader(folder / "attachment_2.pdf"), PdfReader(folder / "attachment_3.pdf"))
    writer = PdfWriter()
    for unit in unit_paths(folder, letters):
        _naive_letter(writer, unit, attachments)
    writer.write(folder / "naive_combined.pdf")
    return (folder / "naive_combined.pdf").stat().st_size


def unit_paths(folder: Path, letters: int) -> list[Path]:
    return [folder / "units" / f"letter_{number:05d}.pdf" for number in range(letters)]


class TreeMemory:
    """Peak resident memory of this process and all its descendants (pool workers are children
    of a fork server, which getrusage(RUSAGE_CHILDREN) never sees). Sums RSS, so pages shared
    between processes count twice: an upper bound."""

    def __init__(self, interval: float = 0.1) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(interval,), daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self.peak_kb = max(self.peak_kb, sum(_rss_kb(pid) for pid in _tree(os.getpid())))


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(f"/proc/{entry.name}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_child(run: str, folder: Path, letters: int, workers: int) -> None:
    import pikepdf  # noqa: F401 - imports are not what we measure
    import pypdf  # noqa: F401

    import domain.pdf.assemble  # noqa: F401

    with TreeMemory() as memory:
        started = time.perf_counter()
        size = globals()[run](folder, letters, workers)
        seconds = time.perf_counter() - started
    peak_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, memory.peak_kb)
    print(
        json.dumps(
            {
                "seconds": round(seconds, 2),
                "letters_per_s": round(letters / seconds),
                "peak_mb": round(peak_kb / 1024),
                "bytes": size,
            }
        )
    )


# --- driver ---------------------------------------------------------------------------------


def verify(run: str, folder: Path, letters: int) -> None:
    """Page counts right, outside the timing: every print file, and the combined file's total."""
    import pikepdf

    expected = expected_pages(letters)
    if run.endswith("combined"):
        with pikepdf.open(folder / f"{run}.pdf") as pdf:
            assert len(pdf.pages) == sum(expected), (run, len(pdf.pages), sum(expected))
        return
    for unit, pages in zip(unit_paths(folder, letters), expected, strict=True):
        path = folder / run / unit.name
        with pikepdf.open(path) as pdf:
            assert len(pdf.pages) == pages, (run, path, len(pdf.pages), pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2, help="processes for ours_print")
    parser.add_argument("--runs", default=",".join(RUNS), help="comma-separated subset")
    parser.add_argument("--child", choices=RUNS, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child, args.folder, args.letters, args.workers)
        return
    result: dict[str, object] = {"letters": args.letters, "workers": args.workers}
    with tempfile.TemporaryDirectory(prefix="briefwerk-bench-") as temp:
        folder = Path(temp)
        set_up(folder, args.letters)
        result["pages"] = sum(expected_pages(args.letters))
        for run in args.runs.split(","):
            os.sync()  # earlier runs' dirty pages must not be written back during this one
            child = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    run,
                    "--folder",
                    str(folder),
                    "--letters",
                    str(args.letters),
                    "--workers",
                    str(args.workers),
                ],
                check=True,
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
            )
            result[run] = json.loads(child.stdout.strip().splitlines()[-1])
            verify(run, folder, args.letters)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
