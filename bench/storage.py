"""Print files and the combined file of N letters with the stored files in object storage (S3,
spoken over HTTP to moto's standalone server on loopback) against the local folder, in one run.

    python bench/storage.py --letters 10000

Setup (not timed) renders the unit documents (bench/letters.py: 50 templates, each copy made
distinct by a trailing comment, so every letter is its own blob) and two attachments, and stores
them in both storages. Each timed run is a fresh process with an empty cache on this machine, as
an instance that did not upload them: fetch what the letters need, write every print file (two
processes), store them; then write the combined file of all letters and store it. Peak memory
is the run's process tree (the S3 server is not in it). Prints one JSON line.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

TARGET = {"ratio": 1.5, "peak_mb": 300}


def backend_for(kind: str, where: str):
    from domain.storage import LocalBackend

    if kind == "local":
        return LocalBackend(Path(where))
    from bot.integrations.s3 import S3Backend

    return S3Backend(where)


def set_up(folder: Path, letters: int, stores: dict[str, str]) -> dict:
    from letters import set_up as render

    from domain.storage import FileStore, sha256_of

    paths = render(folder, letters)
    for number, path in enumerate(paths):
        with open(path, "ab") as handle:
            handle.write(b"\n%% letter %05d\n" % number)  # a blob of its own
    attachments = [folder / "attachment_2.pdf", folder / "attachment_3.pdf"]
    keys: dict[str, list[str]] = {}
    for kind, where in stores.items():
        files = FileStore(backend=backend_for(kind, where), work=folder / f"setup-{kind}")
        staged = []
        for path in [*paths, *attachments]:
            copy = files.staging_file()
            copy.write_bytes(path.read_bytes())
            staged.append((copy, sha256_of(path)))
        keys[kind] = files.put_files(staged)
        files.committed()
    return keys


def run(kind: str, where: str, work: Path, keys: list[str]) -> dict:
    """The timed part, in its own process: fetch, write and store N print files, then one
    combined file."""
    from domain.pdf.assemble import FilePages, PrintJob, write_combined_pdf, write_print_files
    from domain.storage import FileStore

    files = FileStore(backend=backend_for(kind, where), work=work)
    units, attachments = keys[:-2], keys[-2:]
    started = time.perf_counter()
    files.prefetch(keys)
    extra = tuple(FilePages(files.local(key)) for key in attachments)
    jobs = [PrintJob((FilePages(files.local(key)), *extra), files.staging_file(".pdf"), title=f"Brief {number}",
                     duplex=True) for number, key in enumerate(units)]
    written = write_print_files(jobs, workers=2)
    stored = files.put_files([(job.target, result.sha256) for job, result in zip(jobs, written)])
    print_seconds = time.perf_counter() - started
    started = time.perf_counter()
    target = files.staging_file(".pdf")
    combined = write_combined_pdf(((FilePages(files.local(key)), *extra) for key in units), target, duplex=True)
    files.put_file(target, combined.sha256)
    files.committed()
    assert len(set(stored)) == len(units)
    return {"print_seconds": round(print_seconds, 2), "combined_seconds": round(time.perf_counter() - started, 2),
            "combined_mb": round(combined.size / 2**20, 1)}


def child(kind: str, where: str, work: str, keys_file: str) -> None:
    from letters import TreeMemory

    keys = json.loads(Path(keys_file).read_text())[kind]
    with TreeMemory() as memory:
        result = run(kind, where, Path(work), keys)
    peak_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, memory.peak_kb)
    print(json.dumps({**result, "peak_mb": round(peak_kb / 1024)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=1000)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(*arguments.child)
        return
    from tests.s3server import client, new_bucket, s3_server

    with tempfile.TemporaryDirectory() as scratch, s3_server() as environment:
        folder = Path(scratch)
        os.environ.update(environment)
        bucket = new_bucket(environment)
        stores = {"local": str(folder / "local-store"), "s3": f"s3://{bucket}/bench"}
        started = time.perf_counter()
        keys = set_up(folder, arguments.letters, stores)
        setup_seconds = time.perf_counter() - started
        keys_file = folder / "keys.json"
        keys_file.write_text(json.dumps(keys))
        results = {}
        for kind, where in stores.items():
            answer = subprocess.run([sys.executable, __file__, "--child", kind, where, str(folder / f"work-{kind}"),
                                     str(keys_file)], capture_output=True, text=True, env=os.environ)
            if answer.returncode:
                raise SystemExit(answer.stderr[-3000:])
            results[kind] = json.loads(answer.stdout.strip().splitlines()[-1])
        objects = sum(page.get("KeyCount", 0) for page in client(environment).get_paginator("list_objects_v2")
                      .paginate(Bucket=bucket))
    local, s3 = results["local"], results["s3"]
    total = lambda r: r["print_seconds"] + r["combined_seconds"]  # noqa: E731
    print(json.dumps({"letters": arguments.letters, "setup_seconds": round(setup_seconds, 1), "s3_objects": objects,
                      "local": local, "s3": s3, "ratio": round(total(s3) / total(local), 2), "target": TARGET}))


if __name__ == "__main__":
    main()
