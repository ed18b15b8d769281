"""Preflight of a serial letter: every letter checked against a provider profile, each distinct
document measured once and its facts kept in the database.

    python bench/preflight.py --letters 10000 [--profile din5008b] [--workers 2] [--naive 10000]

Setup (not timed) renders N distinct letters (each its own recipient, text and page count: no
copies, so no cache can flatter the cold figure) on two processes, plus two general attachments,
and notes every file's sha256 as the database rows of a real serial letter would. Then, each in a
fresh process:
- cold: an empty SQLite database; every document measured (on `--workers` processes), stored,
  and every letter checked;
- warm: the same letters after that process ended: facts read back from the database;
- naive: pypdf's `extract_text` of each letter's first page, for comparison (`--naive` letters).
Prints one JSON line. Targets (2 cores): cold ≤ 10 s, warm ≤ 1 s for 10,000 letters. `cpu_s` is
the checking process's own CPU time (the measuring workers are the forkserver's children, not
its own): beside wall `seconds` it shows how much other load on the machine slowed a run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def recipient(number: int):
    from domain.addresses import PostalAddress

    return PostalAddress(name=f"Kontakt {number:05d} Müller", street=f"Lindenstraße {number % 400 + 1}",
                         postcode=f"{10115 + number % 800:05d}", city="Berlin")


def _render(number: int) -> bytes:
    from domain.pdf.layout import LetterSpec, render_letter

    return render_letter(LetterSpec(
        return_line="Hausverwaltung Beispiel GmbH · Hauptstr. 1 · 10115 Berlin",
        address_lines=recipient(number).window_lines(),
        subject=f"Hausgeldabrechnung 2025 – WE {number:05d}",
        paragraphs=[f"Sehr geehrte Damen und Herren, anbei die Abrechnung für Einheit {number}. " * 8],
        pages=2 + number % 2))


def _write(job: tuple[Path, int]) -> str:
    folder, number = job
    data = _render(number)
    (folder / f"unit-{number:05d}.pdf").write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def setup(folder: Path, letters: int) -> None:
    from domain.pdf.layout import LetterSpec, render_letter

    with get_context("forkserver").Pool(2) as pool:
        digests = pool.map(_write, [(folder, number) for number in range(letters)], chunksize=64)
    attachments = {}
    for name, pages in (("attachment-1.pdf", 3), ("attachment-2.pdf", 2)):
        data = render_letter(LetterSpec(return_line="", address_lines=["An alle Eigentümer"], subject=name,
                                        paragraphs=["Einladung zur Eigentümerversammlung."], pages=pages))
        (folder / name).write_bytes(data)
        attachments[name] = hashlib.sha256(data).hexdigest()
    (folder / "manifest.json").write_text(json.dumps({"units": digests, "attachments": attachments}))


def check(folder: Path, letters: int, profile_key: str, workers: int) -> dict[str, float]:
    """One run of the whole serial letter against the database in `folder`."""
    from functools import partial

    from sqlmodel import Session

    from bot.db import make_engine, migrate
    from domain.pdf.preflight import Preflight, StoredDocument
    from domain.pdf.profiles import get_profile
    from domain.services.preflight import DatabaseFacts

    engine = make_engine(f"sqlite:///{folder / 'briefwerk.db'}")
    migrate(engine)
    manifest = json.loads((folder / "manifest.json").read_text())

    def stored(name: str, digest: str) -> StoredDocument:
        return StoredDocument(digest, partial(Path, folder / name))

    units = [stored(f"unit-{n:05d}.pdf", digest) for n, digest in enumerate(manifest["units"][:letters])]
    attachments = [stored(name, digest) for name, digest in manifest["attachments"].items()]
    recipients = [recipient(number) for number in range(letters)]
    session = Session(engine)  # the unit of work a dispatch summary runs in
    preflight = Preflight(get_profile(profile_key), store=DatabaseFacts(session), cache_size=letters + 16)
    started, cpu = time.perf_counter(), _cpu()
    preflight.prepare(units + attachments, workers=workers)
    session.commit()
    failing = advised = 0
    for unit, to in zip(units, recipients):
        report = preflight.check_letter([unit, *attachments], recipient=to)
        failing += not report.ok
        advised += bool(report.advisories)
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    return {"seconds": round(seconds, 2), "cpu_s": round(cpu, 2), "ms_per_letter": round(1000 * seconds / letters, 3),
            "measured": preflight.misses, "known": preflight.hits, "failing": failing, "advised": advised,
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def _cpu() -> float:
    """CPU seconds of this process and its finished workers: what the machine's other load
    cannot inflate the way it inflates wall time."""
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def naive(folder: Path, letters: int) -> dict[str, float]:
    """What a straightforward check costs: pypdf's text of every letter's first page."""
    from pypdf import PdfReader

    started, cpu = time.perf_counter(), _cpu()
    found = 0
    for number in range(letters):
        text = PdfReader(folder / f"unit-{number:05d}.pdf").pages[0].extract_text()
        found += recipient(number).name in text
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    return {"seconds": round(seconds, 2), "cpu_s": round(cpu, 2), "ms_per_letter": round(1000 * seconds / letters, 3),
            "found": found}


def child(*args: str) -> dict:
    result = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True)
    return json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--letters", type=int, default=1000)
    parser.add_argument("--profile", default="din5008b")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--naive", type=int, default=None, help="letters for the pypdf comparison (default: all)")
    parser.add_argument("--child", choices=("check", "naive"), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "check":
        print(json.dumps(check(args.folder, args.letters, args.profile, args.workers)))
        return
    if args.child == "naive":
        print(json.dumps(naive(args.folder, args.letters)))
        return
    with tempfile.TemporaryDirectory(prefix="briefwerk-preflight-") as name:
        folder = Path(name)
        started = time.perf_counter()
        setup(folder, args.letters)
        prepared = time.perf_counter() - started
        common = ["--folder", name, "--letters", str(args.letters), "--profile", args.profile,
                  "--workers", str(args.workers)]
        cold = child("--child", "check", *common)
        warm = child("--child", "check", *common)
        naive_letters = args.letters if args.naive is None else args.naive
        compared = child("--child", "naive", "--folder", name, "--letters", str(naive_letters))
    print(json.dumps({"letters": args.letters, "profile": args.profile, "workers": args.workers,
                      "setup_s": round(prepared, 1), "cold": cold, "warm": warm,
                      "naive_pypdf": {"letters": naive_letters, **compared}}))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
