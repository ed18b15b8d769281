"""The intake API over real HTTP: `briefwerk serve`'s app on a loopback port, ERP requests with
API keys, refusals as RFC 9457 problem+json naming the field."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openapi_spec_validator import validate
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.settings import Settings
from bot.slack.local import LocalSlack
from domain.actors import Actor
from domain.models import ImportRun, Organisation, SerialLetter, Staff
from domain.pdf.assemble import concatenate
from domain.services import apikeys
from domain.uploads import IntakeLimits
from tests.factories import a_zip, attachment, unit_letter

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "kontakte.csv"


@pytest.fixture
def slack(engine: Engine, tmp_path: Path) -> Iterator[LocalSlack]:
    settings = Settings(home=tmp_path / "var", database_url=engine.url.render_as_string(hide_password=False),
                        intake=IntakeLimits(request_mb=2))
    with LocalSlack(settings) as local:
        yield local


def key_for(session: Session, name: str, team: str) -> str:
    org = Organisation(name=name, slack_team_id=team)
    session.add(org)
    session.commit()
    admin = Staff(organisation_id=org.id, slack_user_id=f"U_{team}", name="Admin", is_admin=True)
    session.add(admin)
    session.commit()
    return apikeys.create_key(session, Actor.of(admin), "ERP")[1]


@pytest.fixture
def keys(session: Session) -> dict[str, str]:
    return {"mine": key_for(session, "Hausverwaltung Sonnenschein", "T0SONNE"),
            "other": key_for(session, "Verwaltung Mond", "T0MOND")}


@pytest.fixture
def api(slack: LocalSlack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=slack.url, timeout=60) as client:
        yield client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["type"].startswith("urn:briefwerk:problem:") and body["title"]
    return body




def letter_parts() -> list[tuple[str, tuple[str, bytes, str]]]:
    batch = concatenate([unit_letter(["x"], label, 2) for label in ("WE 01", "WE 02", "TG 01", "WE 03")])
    plans = a_zip({f"Plan_{label.replace(' ', '_')}.pdf": unit_letter(["x"], label, 1)
                   for label in ("WE 01", "WE 02", "TG 01", "WE 03")})
    return [("files", ("hausgeld.pdf", batch, "application/pdf")), ("files", ("plaene.zip", plans, "application/zip")),
            ("files", ("Einladung.pdf", attachment(2), "application/pdf"))]


DOCUMENTS = json.dumps([{"type": "Hausgeldabrechnung", "files": ["hausgeld.pdf"], "split": {"method": "marker"}},
                        {"type": "Wirtschaftsplan", "files": ["plaene.zip"], "split": {"method": "files"}}])


def test_the_description_is_valid_openapi(api: httpx.Client) -> None:
    document = api.get("/api/v1/openapi.json").json()
    validate(document)
    assert set(document["paths"]) == {"/api/v1/imports", "/api/v1/properties", "/api/v1/serial-letters",
                                      "/api/v1/serial-letters/{serial_id}"}


def test_an_erp_imports_and_creates_a_serial_letter(api: httpx.Client, keys, engine: Engine) -> None:
    imported = api.post("/api/v1/imports", headers=auth(keys["mine"]),
                        files={"file": ("kontakte.csv", EXAMPLE.read_bytes(), "text/csv")})
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"]["units"] == 4 and imported.json()["applied"] is True
    assert api.get("/api/v1/properties", headers=auth(keys["mine"])).json() == [
        {"id": 1, "ref": "LH12", "name": "WEG Lindenhof", "units": 4}]
    created = api.post("/api/v1/serial-letters", headers=auth(keys["mine"]), files=letter_parts(), data={
        "property": "LH12", "title": "Abrechnung 2025", "documents": DOCUMENTS, "attachments": '["Einladung.pdf"]'})
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["location"] == f"/api/v1/serial-letters/{body['id']}"
    assert body["report"]["complete"] and body["report"]["attachments"] == [{"file": "Einladung.pdf", "pages": 2}]
    report = api.get(f"/api/v1/serial-letters/{body['id']}", headers=auth(keys["mine"])).json()
    assert [(u["unit"], u["pages"]) for u in report["document_types"][0]["units"]] == [
        ("WE 01", 2), ("WE 02", 2), ("TG 01", 2), ("WE 03", 2)]
    assert [row["id"] for row in api.get("/api/v1/serial-letters", headers=auth(keys["mine"])).json()] == [body["id"]]
    with Session(engine) as session:
        serial = session.get(SerialLetter, body["id"])
        acting = session.get(Staff, serial.created_by)
        assert acting.name == "API: ERP" and not acting.is_admin
        assert [run.route for run in session.exec(select(ImportRun))] == ["api"]


def test_keys_are_checked_and_never_cross_organisations(api: httpx.Client, keys, session: Session) -> None:
    api.post("/api/v1/imports", headers=auth(keys["mine"]), files={"file": ("k.csv", EXAMPLE.read_bytes(), "text/csv")})
    created = api.post("/api/v1/serial-letters", headers=auth(keys["mine"]), files=letter_parts(), data={
        "property": "LH12", "title": "Abrechnung", "documents": DOCUMENTS}).json()
    path = f"/api/v1/serial-letters/{created['id']}"
    assert problem(api.get(path), 401)["title"]
    assert api.get(path).headers["www-authenticate"].startswith("Bearer")
    problem(api.get(path, headers=auth("bw_" + "x" * 43)), 401)
    problem(api.get(path, headers={"Authorization": f"Basic {keys['mine']}"}), 401)
    problem(api.get(path, headers=auth(keys["other"])), 404)  # another organisation's key sees nothing
    assert api.get("/api/v1/serial-letters", headers=auth(keys["other"])).json() == []
    foreign = api.post("/api/v1/serial-letters", headers=auth(keys["other"]), files=letter_parts(), data={
        "property": "LH12", "title": "Fremd", "documents": DOCUMENTS})
    assert problem(foreign, 422)["errors"][0]["field"] == "property"
    mine = session.exec(select(Organisation).where(Organisation.slack_team_id == "T0SONNE")).one()
    admin = session.exec(select(Staff).where(Staff.organisation_id == mine.id, Staff.is_admin)).one()
    key = apikeys.keys_of(session, mine.id)[0]
    apikeys.revoke(session, Actor.of(admin), key.id)
    problem(api.get(path, headers=auth(keys["mine"])), 401)  # revoked


@pytest.mark.parametrize(("data", "parts", "field", "words"), [
    ({"title": "X", "documents": DOCUMENTS}, None, "property", "Angabe fehlt"),
    ({"property": "LH12", "title": "X", "documents": "[{"}, None, "documents", "Kein gültiges JSON"),
    ({"property": "LH12", "title": "X", "documents": json.dumps([{"type": "A", "files": ["fehlt.pdf"]}])}, None,
     "documents[0].files[0]", "„fehlt.pdf“"),
    ({"property": "LH12", "title": "X", "documents": json.dumps([{"type": "A", "files": ["hausgeld.pdf"],
                                                                   "split": {"method": "marker", "pattern": "Einheit"}}])},
     None, "documents[0].split.pattern", "Platzhalter"),
    ({"property": "LH12", "title": "X", "documents": json.dumps([{"type": "A", "files": ["kaputt.pdf"]}])},
     [("files", ("kaputt.pdf", b"%PDF-1.7 kaputt", "application/pdf"))], "documents[0].files[0]", "kaputt.pdf lässt sich nicht lesen"),
    ({"property": "LH12", "title": "X", "documents": json.dumps([{"type": "A", "files": ["hausgeld.pdf"],
                                                                   "split": {"method": "pages"}}])},
     None, "documents[0].split.pages_per_unit", "Angabe fehlt"),
])
def test_refusals_name_the_field(api: httpx.Client, keys, engine: Engine, data, parts, field, words) -> None:
    api.post("/api/v1/imports", headers=auth(keys["mine"]), files={"file": ("k.csv", EXAMPLE.read_bytes(), "text/csv")})
    answer = api.post("/api/v1/serial-letters", headers=auth(keys["mine"]), files=parts or letter_parts(), data=data)
    body = problem(answer, 422)
    assert body["errors"][0]["field"] == field and words in body["errors"][0]["detail"], body
    with Session(engine) as session:
        assert session.exec(select(SerialLetter)).all() == []


def test_english_problems_on_request(api: httpx.Client, keys) -> None:
    answer = api.post("/api/v1/serial-letters", headers={**auth(keys["mine"]), "Accept-Language": "en-GB,en"},
                      files=letter_parts(), data={"title": "X", "documents": DOCUMENTS})
    assert problem(answer, 422)["errors"][0]["detail"] == "Required."


def test_rejected_import_rows_come_with_their_lines(api: httpx.Client, keys) -> None:
    bad = EXAMPLE.read_text().replace("Eigentümer;1;\n", "Hausmeister;1;\n", 1).encode()
    body = problem(api.post("/api/v1/imports", headers=auth(keys["mine"]), files={"file": ("k.csv", bad, "text/csv")}), 422)
    assert body["errors"][0]["line"] == 2 and "Hausmeister" in body["errors"][0]["detail"]


def test_a_declared_oversize_body_is_refused_before_it_is_read(slack: LocalSlack, keys) -> None:
    with socket.create_connection(("127.0.0.1", slack.port), timeout=10) as raw:
        raw.sendall(b"POST /api/v1/serial-letters HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + keys["mine"].encode()
                    + b"\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 10000000000\r\n\r\n")
        head = raw.recv(4096).decode()
    assert head.startswith("HTTP/1.1 413")


def test_an_undeclared_oversize_body_is_cut_off(api: httpx.Client, keys) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.pdf\"\r\n\r\n"
        for _ in range(64):
            yield b"%" * 65536  # 4 MB in all, the limit is 2 MB
        yield b"\r\n--b--\r\n"

    answer = api.post("/api/v1/serial-letters", headers={**auth(keys["mine"]), "Content-Type": "multipart/form-data; boundary=b"},
                      content=chunks())
    assert "2 MB" in problem(answer, 413)["detail"]
