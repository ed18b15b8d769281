"""Preflight of a serial letter: every letter checked against a provider profile, each distinct
document inspected once (the general attachments once for all letters).

    python bench/preflight.py --letters 1000 [--profile pingen]

Setup (not timed) renders 50 distinct 2–3 page letters and copies them under N names plus two
general attachments; the check runs in a fresh subprocess so its peak memory is its own. Prints
one JSON line.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATES = 50


def setup(folder: Path, letters: int) -> None:
    from domain.addresses import PostalAddress
    from domain.pdf.layout import LetterSpec, render_letter

    templates = []
    for number in range(TEMPLATES):
        address = PostalAddress(name=f"Kontakt {number:03d}", street=f"Lindenstraße {number + 1}", postcode="10115", city="Berlin")
        templates.append(render_letter(LetterSpec(
            return_line="", address_lines=address.window_lines(), subject=f"Hausgeldabrechnung 2025 – WE {number:03d}",
            paragraphs=["Sehr geehrte Damen und Herren, anbei die Abrechnung. " * 8], pages=2 + number % 2)))
    for index in range(letters):
        (folder / f"unit-{index:05d}.pdf").write_bytes(templates[index % TEMPLATES])
    attachment = render_letter(LetterSpec(return_line="", address_lines=["An alle Eigentümer"], subject="Einladung",
                                          paragraphs=["Einladung zur Eigentümerversammlung."], pages=3))
    (folder / "attachment-1.pdf").write_bytes(attachment)
    shutil.copy(folder / "attachment-1.pdf", folder / "attachment-2.pdf")


def run(folder: Path, letters: int, profile_key: str) -> dict[str, float]:
    from domain.addresses import PostalAddress
    from domain.pdf.preflight import Preflight
    from domain.pdf.profiles import get_profile

    preflight = Preflight(get_profile(profile_key), cache_size=letters + 16)
    attachments = [folder / "attachment-1.pdf", folder / "attachment-2.pdf"]
    started = time.perf_counter()
    failing = 0
    for index in range(letters):
        number = index % TEMPLATES
        recipient = PostalAddress(name=f"Kontakt {number:03d}", street=f"Lindenstraße {number + 1}", postcode="10115", city="Berlin")
        report = preflight.check_letter([folder / f"unit-{index:05d}.pdf", *attachments], recipient=recipient)
        failing += not report.ok
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": round(seconds, 2), "letters_per_s": round(letters / seconds), "ms_per_letter": round(1000 * seconds / letters, 2),
            "peak_mb": round(peak_mb), "failing": failing}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--letters", type=int, default=1000)
    parser.add_argument("--profile", default="din5008b")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run(args.child, args.letters, args.profile)))
        return
    with tempfile.TemporaryDirectory(prefix="briefwerk-preflight-") as folder:
        setup(Path(folder), args.letters)
        child = subprocess.run([sys.executable, __file__, "--child", folder, "--letters", str(args.letters),
                                "--profile", args.profile], check=True, capture_output=True, text=True)
        result = json.loads(child.stdout)
    print(json.dumps({"letters": args.letters, "profile": args.profile, **result}))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
