"""The command line as a script or cron job runs it: a real process on the real schema (SQLite and
PostgreSQL), answers on stdout, one line on stderr and exit code 2 for every refusal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from domain.models import ImportRun, Organisation, SerialLetter, SourceDocument, UnitDocument
from domain.pdf.assemble import concatenate
from tests.factories import attachment, marker_batch, unit_letter

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "kontakte.csv"
Run = Callable[..., subprocess.CompletedProcess]


@pytest.fixture
def cli(engine: Engine, tmp_path: Path) -> Run:
    env = {**os.environ, "BRIEFWERK_HOME": str(tmp_path / "var"), "BRIEFWERK_LOCALE": "de",
           "BRIEFWERK_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    for name in ("BRIEFWERK_DEBUG", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID",
                 "SLACK_CLIENT_SECRET"):
        env.pop(name, None)

    def run(*args: str, locale: str = "de", **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, cwd=tmp_path,
                              env={**env, "BRIEFWERK_LOCALE": locale, **extra}, timeout=120)

    return run


def refused(result: subprocess.CompletedProcess) -> str:
    """A refusal: exit code 2 and exactly one line on stderr, never a traceback."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def files_for(tmp_path: Path) -> dict[str, Path]:
    """What an ERP hands over for the example property: a batch, one plan per unit, an attachment."""
    folder = tmp_path / "erp"
    (folder / "plaene").mkdir(parents=True)
    batch = folder / "hausgeld.pdf"
    batch.write_bytes(concatenate([unit_letter(["x"], label, 2) for label in ("WE 01", "WE 02", "WE 03", "TG 01")]))
    for label in ("WE 01", "WE 02", "WE 03"):
        (folder / "plaene" / f"Wirtschaftsplan_{label.replace(' ', '_')}.pdf").write_bytes(unit_letter(["x"], label, 1))
    (folder / "plaene" / "liesmich.txt").write_text("Export vom 30.11.")
    zipped = folder / "tg.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("Wirtschaftsplan_TG_01.pdf", unit_letter(["x"], "TG 01", 1))
    invitation = folder / "Einladung.pdf"
    invitation.write_bytes(attachment(3))
    return {"batch": batch, "plans": folder / "plaene", "zip": zipped, "invitation": invitation}


def test_import_then_a_serial_letter_from_erp_files(cli: Run, tmp_path: Path, engine: Engine) -> None:
    imported = cli("import", str(EXAMPLE))
    assert imported.returncode == 0 and "7 Zeilen in „Hausverwaltung“ importiert" in imported.stdout
    assert "LH12  WEG Lindenhof  ·  4 Einheiten" in cli("property", "list").stdout
    files = files_for(tmp_path)
    created = cli("serial-letter", "create", "--property", "LH12", "--title", "Abrechnung 2025",
                  "--type", f"Hausgeldabrechnung={files['batch']}", "--marker", "Einheit: {unit}",
                  "--type", "Wirtschaftsplan", "--unit-files", str(files["plans"]), "--unit-files", f"Wirtschaftsplan={files['zip']}",
                  "--attach", str(files["invitation"]), "--json")
    assert created.returncode == 0, created.stderr
    answer = json.loads(created.stdout)
    report = answer["report"]
    assert report["complete"] and report["units"] == 4
    statements, plans = report["document_types"]
    assert [(u["unit"], u["pages"]) for u in statements["units"]] == [("WE 01", 2), ("WE 02", 2), ("TG 01", 2), ("WE 03", 2)]  # the ERP's unit order
    assert sorted(u["file"] for u in plans["units"]) == ["Wirtschaftsplan_TG_01.pdf", "Wirtschaftsplan_WE_01.pdf",
                                                          "Wirtschaftsplan_WE_02.pdf", "Wirtschaftsplan_WE_03.pdf"]
    assert any("liesmich.txt" in warning for warning in answer["warnings"])
    with Session(engine) as session:
        serial = session.get(SerialLetter, answer["id"])
        assert serial.title == "Abrechnung 2025" and serial.document_types == ["Hausgeldabrechnung", "Wirtschaftsplan"]
        assert len(session.exec(select(SourceDocument).where(SourceDocument.serial_letter_id == serial.id)).all()) == 6
        assert [run.route for run in session.exec(select(ImportRun))] == ["cli"]
    listed = cli("serial-letter", "list")
    assert f"Nr. {answer['id']}  Abrechnung 2025  ·  WEG Lindenhof  ·  Entwurf" in listed.stdout
    shown = cli("serial-letter", "show", str(answer["id"]))
    assert "Hausgeldabrechnung: 4 von 4 Einheiten haben ein Dokument (8 Seiten)." in shown.stdout
    again = cli("serial-letter", "create", "--property", "LH12", "--title", "abrechnung 2025",
                "--type", f"Hausgeldabrechnung={files['batch']}")
    assert again.returncode == 0 and "Es gibt schon einen Serienbrief „abrechnung 2025“" in again.stdout
    stored = [path for path in (tmp_path / "var").rglob("*") if path.is_file()]
    assert len(stored) >= 8  # the documents (and the SQLite database)
    assert [path for path in stored if path.stat().st_mode & 0o007] == []  # nothing for other users to read


def test_the_database_and_stored_files_are_no_one_elses(cli: Run, tmp_path: Path) -> None:
    assert cli("import", str(EXAMPLE), BRIEFWERK_DATABASE_URL="").returncode == 0  # the default: SQLite in the home
    stored = [path for path in (tmp_path / "var").rglob("*") if path.is_file()]
    assert tmp_path / "var" / "briefwerk.db" in stored
    assert [path for path in stored if path.stat().st_mode & 0o007] == []


def test_what_a_split_leaves_over_is_reported(cli: Run, tmp_path: Path) -> None:
    cli("import", str(EXAMPLE))
    batch = tmp_path / "b.pdf"
    batch.write_bytes(concatenate([attachment(1, "Deckblatt"), unit_letter(["x"], "WE 01", 2)]))
    created = cli("serial-letter", "create", "--property", "LH12", "--title", "Teil", "--type", f"Info={batch}")
    assert created.returncode == 0, created.stderr
    assert "Seite 1 gehört zu keiner Einheit: steht vor der ersten Seite mit einer Einheits-Markierung" in created.stdout
    assert "3 Einheiten ohne Dokument: WE 02, TG 01, WE 03" in created.stdout


def test_refusals_are_one_line_and_exit_code_2(cli: Run, tmp_path: Path, engine: Engine) -> None:
    assert refused(cli("import", "/nonexistent.csv")) == "Fehler: /nonexistent.csv: Datei nicht gefunden."
    cli("import", str(EXAMPLE))
    broken = tmp_path / "kaputt.pdf"
    broken.write_bytes(b"%PDF-1.7 kaputt")
    base = ["serial-letter", "create", "--property", "LH12", "--title", "X"]
    assert "kaputt.pdf lässt sich nicht lesen" in refused(cli(*base, "--type", f"A={broken}"))
    assert "Liegenschaft LH99 wurde nicht gefunden" in refused(cli("serial-letter", "create", "--property", "LH99",
                                                                   "--title", "X", "--type", f"A={broken}"))
    assert "nur eine Aufteilungsregel" in refused(cli(*base, "--type", f"A={broken}", "--pages-per-unit", "2",
                                                      "--marker", "E {unit}"))
    assert "Property LH99 was not found" in refused(cli("serial-letter", "create", "--property", "LH99", "--title", "X",
                                                        "--type", f"A={broken}", locale="en"))
    assert "Serial letter 42 was not found" in refused(cli("serial-letter", "show", "42", locale="en"))
    with Session(engine) as session:
        assert session.exec(select(SerialLetter)).all() == []


def test_a_bad_import_reports_every_row_and_changes_nothing(cli: Run, tmp_path: Path, engine: Engine) -> None:
    bad = tmp_path / "kaputt.csv"
    bad.write_text(EXAMPLE.read_text().replace("Eigentümer;1;\n", "Hausmeister;1;\n", 1))
    result = cli("import", str(bad), "--org", "Neue Hausverwaltung GmbH")
    assert result.returncode == 2 and "Zeile 2: Rolle: „Hausmeister“ ist weder Eigentümer noch Mieter" in result.stderr
    with Session(engine) as session:
        assert session.exec(select(Organisation)).all() == []  # the organisation came and went with the import


def test_which_organisation_an_import_goes_to(cli: Run, engine: Engine) -> None:
    with Session(engine) as session:
        session.add(Organisation(name="Hausverwaltung Sonnenschein", slack_team_id="T0SONNE"))
        session.commit()
    assert "in „Hausverwaltung Sonnenschein“ importiert" in cli("import", str(EXAMPLE)).stdout  # the only one
    with Session(engine) as session:
        session.add(Organisation(name="Verwaltung Mond", slack_team_id="T0MOND"))
        session.commit()
    line = refused(cli("import", str(EXAMPLE)))
    assert "mehrere Organisationen" in line and "Hausverwaltung Sonnenschein (T0SONNE)" in line and "Verwaltung Mond (T0MOND)" in line
    assert "in „Verwaltung Mond“" in cli("import", str(EXAMPLE), "--org", "T0MOND").stdout
    assert "in „Hausverwaltung Sonnenschein“" in cli("import", str(EXAMPLE), "--org", "hausverwaltung sonnenschein").stdout
    assert "„Tippfehler“ gibt es nicht" in refused(cli("import", str(EXAMPLE), "--org", "Tippfehler"))
    assert "noch nicht verbunden" not in cli("org", "list").stdout


def test_a_dry_run_changes_nothing(cli: Run, engine: Engine) -> None:
    result = cli("import", str(EXAMPLE), "--dry-run", "--json")
    answer = json.loads(result.stdout)
    assert answer["applied"] is False and answer["created"]["contacts"] == 6
    with Session(engine) as session:
        assert session.exec(select(Organisation)).all() == []


def test_a_create_killed_halfway_leaves_nothing_the_next_one_keeps(cli: Run, tmp_path: Path, engine: Engine) -> None:
    import signal
    import time

    lines = ["Objekt-Nr;WE-Nr;Einheit;Kontakt-Nr;Name;Rolle"] + [
        f"GR;{n};WE {n:04d};K{n};Eigentümer {n};Eigentümer" for n in range(1, 2001)]
    export = tmp_path / "gross.csv"
    export.write_text("\n".join(lines), encoding="utf-8")
    assert cli("import", str(export)).returncode == 0
    batch = tmp_path / "gross.pdf"
    batch.write_bytes(marker_batch([f"WE {n:04d}" for n in range(1, 2001)]))
    files = tmp_path / "var" / "files"
    args = [sys.executable, "-m", "bot.cli", "serial-letter", "create", "--property", "GR", "--title", "Groß",
            "--type", f"Abrechnung={batch}"]
    env = {**os.environ, "BRIEFWERK_HOME": str(tmp_path / "var"),
           "BRIEFWERK_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    running = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(list(files.glob("blobs/*/*"))) < 200 and time.monotonic() < deadline and running.poll() is None:
        time.sleep(0.05)
    running.send_signal(signal.SIGKILL)
    assert running.wait() == -signal.SIGKILL, "the run finished before it could be killed"
    assert len(list(files.glob("blobs/*/*"))) >= 200
    assert "Keine Einträge" in cli("serial-letter", "list").stdout
    small = tmp_path / "klein.pdf"
    small.write_bytes(marker_batch(["WE 0001", "WE 0002"]))
    assert cli("serial-letter", "create", "--property", "GR", "--title", "Klein", "--type", f"A={small}").returncode == 0
    with Session(engine) as session:
        named = set(session.exec(select(SourceDocument.path))) | set(session.exec(select(UnitDocument.path)))
    assert {str(p.relative_to(files)) for p in files.glob("blobs/*/*")} == named  # the killed run's are gone
    assert list((files / "journal").iterdir()) == []


def test_api_keys_from_the_command_line(cli: Run, engine: Engine) -> None:
    from domain.services import apikeys

    created = cli("api-key", "create", "ERP DOMUS")
    token = created.stdout.strip()
    assert created.returncode == 0 and token.startswith("bw_") and "nicht wieder angezeigt" in created.stderr
    with Session(engine) as session:
        organisation, actor = apikeys.authenticate(session, token)
        assert actor.name == "API: ERP DOMUS"
    listed = cli("api-key", "list").stdout
    assert "ERP DOMUS" in listed and token not in listed
    key_id = listed.split()[0]
    assert cli("api-key", "revoke", key_id).returncode == 0
    with Session(engine) as session:
        assert apikeys.authenticate(session, token) is None


def test_serve_without_slack_says_what_is_missing(cli: Run) -> None:
    assert "SLACK_SIGNING_SECRET" in refused(cli("serve"))
    unreachable = cli("serve", SLACK_SIGNING_SECRET="s", SLACK_BOT_TOKEN="xoxb-dummy",
                      BRIEFWERK_SLACK_API_URL="http://127.0.0.1:9/api/")
    assert "Slack (http://127.0.0.1:9/api/) ist nicht erreichbar" in refused(unreachable)


def test_serve_and_worker_refuse_weak_secrets_and_oauth_without_a_key(cli: Run) -> None:
    from cryptography.fernet import Fernet

    weak = refused(cli("serve", SLACK_SIGNING_SECRET="changeme", SLACK_BOT_TOKEN="xoxb-1-2"))
    assert weak.startswith("Fehler: Nicht gestartet: SLACK_SIGNING_SECRET ist leer oder ein Platzhalter")
    assert "BRIEFWERK_PINGEN__WEBHOOK_SECRET" in refused(cli(
        "worker", "--once", BRIEFWERK_PINGEN__CLIENT_ID="id", BRIEFWERK_PINGEN__CLIENT_SECRET="pingen-secret-4711",
        BRIEFWERK_PINGEN__ORGANISATION_ID="org", BRIEFWERK_PINGEN__WEBHOOK_SECRET=""))
    oauth = {"SLACK_SIGNING_SECRET": "0123456789abcdef", "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "client-4711"}
    assert "fehlt BRIEFWERK_SECRET_KEY" in refused(cli("serve", **oauth))
    assert "fehlt BRIEFWERK_SECRET_KEY" in refused(cli("worker", "--once", **oauth))
    assert "BRIEFWERK_SECRET_KEY taugt nicht" in refused(cli("serve", **oauth, BRIEFWERK_SECRET_KEY="kein-schluessel"))
    key = cli("secret-key").stdout.strip()
    Fernet(key.encode())  # a usable key


def test_a_wrong_recipients_value_is_a_refusal(cli: Run, tmp_path: Path) -> None:
    cli("import", str(EXAMPLE))
    batch = tmp_path / "b.pdf"
    batch.write_bytes(marker_batch(["WE 01"]))
    line = refused(cli("serial-letter", "create", "--property", "LH12", "--title", "X", "--type", f"A={batch}",
                       "--recipients", "alle"))
    assert "owners (Eigentümer), tenants (Mieter) oder both" in line


def test_resume_orders_names_what_another_instance_holds_and_waits_for_it(cli: Run, session: Session, ports,
                                                                          clerk, organisation, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from domain.models import Shipment
    from domain.services import dispatch, intake, release
    from domain.split import ByMarker
    from tests.factories import batch_for, estate

    found = estate(session, organisation)
    serial = __import__("domain.services.documents", fromlist=["x"]).create_serial_letter(
        session, clerk, found.prop.id, "Abrechnung", ["Hausgeldabrechnung"])
    intake.upload_batch(session, ports.files, clerk, serial.id, "Hausgeldabrechnung", "b.pdf", batch_for(found), ByMarker())
    release.release(session, ports, clerk, serial.id, notify=False)
    order = dispatch.order_dispatch(session, ports, clerk, serial.id)

    def hold(seconds: int) -> None:  # from now: a loaded machine may take seconds to start the command
        for shipment in session.exec(select(Shipment).where(Shipment.order_id == order.id)):
            shipment.lease_owner, shipment.lease_until = "host-a-4711", datetime.now(UTC) + timedelta(seconds=seconds)
            session.add(shipment)
        session.commit()

    hold(60)
    first = cli("resume-orders")
    assert first.returncode == 3 and "noch nicht übergeben" in first.stderr
    assert "gehalten von Instanz host-a-4711 bis" in first.stdout and ": 0 übergeben" in first.stdout
    hold(6)
    waited = cli("resume-orders", "--wait")
    assert waited.returncode == 0, waited.stdout + waited.stderr
    assert "Warte" in waited.stdout and "2 übergeben" in waited.stdout
    session.expire_all()
    assert {s.state.value for s in session.exec(select(Shipment).where(Shipment.order_id == order.id))} == {"submitted"}
    assert (tmp_path / "var" / "outbox" / dispatch.order_key(order) / "manifest.json").exists()
