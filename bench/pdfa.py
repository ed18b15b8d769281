"""PDF/A-2b download file of N letters: write it, then validate it, each in a fresh subprocess
so its peak memory is its own.

    python bench/pdfa.py --letters 10000 [--fast] [--skip-validate]

Same inputs as bench/letters.py: N unit documents (2–3 pages, copies of 50 rendered ones, each
made distinct by a trailing comment), a 2-page and a 3-page general attachment, duplex blanks. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from letters import TreeMemory, expected_pages, set_up, unit_paths


def write(folder: Path, letters: int, thorough: bool) -> dict[str, object]:
    """Prepares every distinct source first (in two processes), then writes."""
    from domain.pdf.assemble import FilePages
    from domain.pdf.pdfa import PdfaSources, write_pdfa

    attachments = (FilePages(folder / "attachment_2.pdf"), FilePages(folder / "attachment_3.pdf"))
    units = unit_paths(folder, letters)
    jobs = ((FilePages(unit), *attachments) for unit in units)
    with PdfaSources(folder / "cache", thorough=thorough) as sources:
        started = time.perf_counter()
        sources.prepare_all([*units, *(part.path for part in attachments)], workers=2)
        prepared = time.perf_counter() - started
        written = write_pdfa(
            jobs, folder / "letters.pdf", title="Serienbrief", sources=sources, duplex=True
        )
    return {"pages": written.pages, "bytes": written.size, "prepare_seconds": round(prepared, 2)}


def validate(folder: Path, letters: int, thorough: bool) -> dict[str, object]:
    from domain.pdf.pdfa import validate_pdfa

    problems = validate_pdfa(folder / "letters.pdf")
    return {"problems": len(problems), "first": problems[:3]}


def make_distinct(paths: list[Path]) -> None:
    """set_up copies 50 rendered letters; a comment after %%EOF gives each copy its own content
    hash, so the check remembered for one copy does not excuse the others (as with real,
    distinct letters)."""
    for number, path in enumerate(paths):
        with open(path, "ab") as file:
            file.write(b"%% letter %d\n" % number)


def run_child(step: str, folder: Path, letters: int, thorough: bool) -> None:
    import domain.pdf.pdfa  # noqa: F401 - imports are not what we measure

    with TreeMemory() as memory:  # the pool's workers are not our children: sample them
        started = time.perf_counter()
        result = {"write": write, "validate": validate}[step](folder, letters, thorough)
        result["seconds"] = round(time.perf_counter() - started, 2)
    result["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    result["peak_mb_with_workers"] = round(max(memory.peak_kb, result["peak_mb"] * 1024) / 1024)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=1000)
    parser.add_argument("--fast", action="store_true", help="check only fonts per source")
    parser.add_argument("--skip-validate", action="store_true")
    parser.add_argument("--child", choices=("write", "validate"), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child, args.folder, args.letters, not args.fast)
        return
    result: dict[str, object] = {"letters": args.letters, "thorough": not args.fast}
    with tempfile.TemporaryDirectory(prefix="briefwerk-bench-pdfa-") as temp:
        folder = Path(temp)
        set_up(folder, args.letters)
        make_distinct(unit_paths(folder, args.letters))
        result["expected_pages"] = sum(expected_pages(args.letters))
        steps = ("write",) if args.skip_validate else ("write", "validate")
        for step in steps:
            command = [sys.executable, __file__, "--child", step, "--folder", str(folder)]
            command += ["--letters", str(args.letters)] + (["--fast"] if args.fast else [])
            child = subprocess.run(command, check=True, capture_output=True, text=True)
            result[step] = json.loads(child.stdout.strip().splitlines()[-1])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
