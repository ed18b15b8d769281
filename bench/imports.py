"""A master-data import of N rows (an ERP export shaped like the README's columns) on SQLite and
on PostgreSQL, each in a fresh database and a fresh process, first as new data, then again as
an update of every row. Prints one JSON line with seconds and peak memory of each run.

    python bench/imports.py --rows 100000 [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET = {"seconds": 30, "peak_mb": 300}
HEADERS = ["Liegenschaft-Nr", "Liegenschaft", "Einheit-Nr", "Einheit", "Art", "Kontakt-Nr", "Vorname", "Nachname",
           "Straße", "Hausnummer", "PLZ", "Ort", "Land", "E-Mail", "Registriert", "Präferenz", "Rolle", "Rang"]


def export(rows: int, changed: bool = False) -> bytes:
    """40 units per property; every unit has an owner, every fourth a tenant as well."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADERS)
    written, unit = 0, 0
    while written < rows:
        prop, number = unit // 40, unit % 40
        people = [("Eigentümer", f"E{unit}")] + ([("Mieter", f"M{unit}")] if unit % 4 == 0 else [])
        for role, contact in people:
            if written == rows:
                break
            street = f"Hauptstraße {unit % 200 + (1 if changed else 0)}"
            writer.writerow([f"L{prop:05d}", f"WEG Musterstraße {prop}", f"W{number:02d}", f"WE {number:02d}", "Wohnung",
                             contact, "Anna", f"Müller-{contact}", street, "", f"{10000 + unit % 89999:05d}", "Berlin", "DE",
                             f"{contact.lower()}@example.de", "ja" if unit % 3 == 0 else "nein", "Online" if unit % 2 else "Brief",
                             role, 1])
            written += 1
        unit += 1
    return out.getvalue().encode("utf-8")


def run(url: str, path: str) -> None:
    from datetime import date

    from sqlmodel import Session

    from bot.db import make_engine, migrate
    from domain.models import Organisation
    from domain.services import masterdata

    engine = make_engine(url)
    migrate(engine)
    results = {}
    with Session(engine) as session:
        organisation = Organisation(name=f"Bench {uuid.uuid4().hex[:6]}")
        session.add(organisation)
        session.commit()
        for label, file in (("new", path), ("update", path + ".changed")):
            content = Path(file).read_bytes()  # one file at a time, as a user imports them
            started = time.perf_counter()
            report = masterdata.run_import(session, organisation, "export.csv", content, date.today(), None, "bench")
            del content
            assert report.ok, report.rejected[:3]
            results[label] = {"seconds": round(time.perf_counter() - started, 1), "created": report.created,
                              "updated": report.updated}
    results["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(results))


def postgres_database(base: str) -> tuple[str, object]:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from bot.db import make_engine

    admin = make_engine(base)
    name = f"bench_import_{uuid.uuid4().hex[:8]}"
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(base).set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        run(*arguments.child)
        return
    results = {"rows": arguments.rows}
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "export.csv"
        path.write_bytes(export(arguments.rows))
        Path(str(path) + ".changed").write_bytes(export(arguments.rows, changed=True))
        results["file_mb"] = round(path.stat().st_size / 2**20, 1)
        pg_url, drop = postgres_database(arguments.postgres)
        try:
            for name, url in (("sqlite", f"sqlite:///{scratch}/bench.db"), ("postgresql", pg_url)):
                answer = subprocess.run([sys.executable, __file__, "--child", url, str(path)], capture_output=True, text=True)
                if answer.returncode:
                    raise SystemExit(answer.stderr[-3000:])
                results[name] = json.loads(answer.stdout.strip().splitlines()[-1])
        finally:
            drop()
    print(json.dumps({**results, "target": TARGET}))


if __name__ == "__main__":
    main()
