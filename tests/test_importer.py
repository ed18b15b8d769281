"""Import from CSV and JSON: German exports, all-or-nothing, line numbers, idempotent re-import."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from domain.errors import InvalidInput
from domain.importer import import_file
from domain.models import Contact, Occupancy, Organisation, Preference, Property, Relation, Unit

SAMPLE = Path(__file__).parent.parent / "examples" / "kontakte.csv"
TODAY = date(2026, 11, 26)


def run(session: Session, organisation: Organisation, name: str, data: bytes):
    return import_file(session, organisation.id, name, data, TODAY)


def test_the_readme_sample_imports(session: Session, organisation: Organisation) -> None:
    report = run(session, organisation, "kontakte.csv", SAMPLE.read_bytes())
    assert report.ok, [r.message.render("en") for r in report.rejected]
    assert report.created == {"properties": 1, "units": 4, "contacts": 6, "links": 7}
    anna = session.exec(select(Contact).where(Contact.external_id == "K001")).one()
    assert anna.portal_registered and anna.preference is Preference.ONLINE
    assert len(session.exec(select(Occupancy).where(Occupancy.contact_id == anna.id)).all()) == 2
    mehmet = session.exec(select(Contact).where(Contact.external_id == "K004")).one()
    assert (mehmet.country, mehmet.addition) == ("AT", "c/o Öztürk Immobilien")
    sophie = session.exec(select(Contact).where(Contact.external_id == "K005")).one()
    assert sophie.address is None
    klaus = session.exec(select(Occupancy).join(Contact).where(Contact.external_id == "K006")).one()
    assert klaus.ended_on == date(2026, 3, 31) and klaus.relation is Relation.TENANT


def test_windows_1252_with_commas(session: Session, organisation: Organisation) -> None:
    text = ("Objekt-Nr,Objekt,WE-Nr,Bezeichnung,Personennummer,Vorname,Nachname,Strasse,Hausnummer,PLZ,Ort,Rolle\n"
            "7,Haus Süd,1,Whg. 1,P1,Jörg,Groß,Fußweg,3a,80331,München,ET\n")
    report = run(session, organisation, "export.csv", text.encode("cp1252"))
    assert report.ok, report.rejected
    contact = session.exec(select(Contact)).one()
    assert (contact.name, contact.street, contact.city) == ("Jörg Groß", "Fußweg 3a", "München")
    assert session.exec(select(Property)).one().name == "Haus Süd"


def test_utf16_excel_export_with_tabs(session: Session, organisation: Organisation) -> None:
    text = "Objekt-Nr\tWE-Nr\tPersonennummer\tName\tRolle\n7\t1\tP1\tÄnne Öz\tMieter\n"
    report = run(session, organisation, "export.txt", text.encode("utf-16"))
    assert report.ok and session.exec(select(Contact)).one().name == "Änne Öz"


def test_workbooks_and_binary_files_are_refused_with_advice(session: Session, organisation: Organisation) -> None:
    with pytest.raises(InvalidInput) as raised:
        run(session, organisation, "kontakte.xlsx", b"PK\x03\x04" + bytes(100))
    assert "als CSV" in raised.value.render("de")
    with pytest.raises(InvalidInput):
        run(session, organisation, "kontakte.csv", b"\x00\x01\x02binary")


def test_a_utf8_file_is_not_read_as_windows_1252(session: Session, organisation: Organisation) -> None:
    """Mojibake check: 'Müller' must not become 'MÃ¼ller'."""
    run(session, organisation, "kontakte.csv", SAMPLE.read_bytes())
    names = {c.name for c in session.exec(select(Contact))}
    assert "Gisela Müller" in names and not any("Ã" in name for name in names)


def test_missing_columns_refuse_the_file_naming_them(session: Session, organisation: Organisation) -> None:
    with pytest.raises(InvalidInput) as raised:
        run(session, organisation, "x.csv", "Einheit-Nr;Name;Straße\nE1;A;B\n".encode())
    assert "property no.; contact no.; role" in raised.value.render("en")
    assert "Pflichtspalten fehlen: Liegenschaft-Nr; Kontakt-Nr; Rolle" in raised.value.render("de")


def test_a_wrong_delimiter_is_named_as_such(session: Session, organisation: Organisation) -> None:
    with pytest.raises(InvalidInput) as raised:
        run(session, organisation, "x.csv", b"Objekt-Nr|Einheit-Nr|Name|Rolle\nL|E1|A|Mieter\n")
    assert "nur eine Spalte" in raised.value.render("de")
    report = run(session, organisation, "y.csv", b"Objekt-Nr;Einheit-Nr;Kontakt-Nr;Name;Rolle\nL|E1|K|A|Mieter\n")
    assert report.rejected[0].render("de") == "hat 1 Feld statt 5 – falsches Trennzeichen?"


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(session: Session, organisation: Organisation) -> None:
    lines = SAMPLE.read_text("utf-8").splitlines()
    lines += [
        "LH12;WEG Lindenhof;E01;WE 01;Wohnung;K001;Anna Schäfer;;Kastanienallee 7;10435;Berlin;DE;anna.schaefer@example.de;ja;Online;Eigentümer;1;",
        "LH12;WEG Lindenhof;E04;WE 04;Wohnung;K007;Tom Vogt;;Am Hang 2;;Berlin;DE;;nein;;Eigentümer;1;",
        "LH12;WEG Lindenhof;E05;WE 05;Wohnung;K008;Ilse Jäger;;Ufer 1;20095;Hamburg;Atlantis;;nein;;Eigentümer;1;",
        "LH12;WEG Lindenhof;E06;WE 06;Wohnung;K009;Paul Kern;;Ufer 2;20095;Hamburg;DE;paul(at)example.de;nein;;Eigentümer;1;",
        "LH12;WEG Lindenhof;E07;WE 07;Wohnung;K010;Eva Rot;;Ufer 3;20095;Hamburg;DE;;vielleicht;;Verwalter;1;",
        "LH12;WEG Lindenhof;E08;WE 08;Wohnung;K003;Gisela Müller;;Andere Straße 1;10997;Berlin;DE;g.mueller@example.de;ja;Brief;Eigentümer;1;",
    ]
    report = run(session, organisation, "bad.csv", "\n".join(lines).encode())
    assert not report.ok
    by_line = {r.line: r.render("en") for r in report.rejected}
    assert "duplicate of line 2" in by_line[9]
    assert "postcode" in by_line[10]
    assert "Atlantis" in by_line[11]
    assert "paul(at)example.de" in by_line[12]
    assert "vielleicht" in by_line[13] and "Verwalter" in by_line[13]
    assert "contact K003 differs from line 4" in by_line[14]
    assert report.rejected[0].message.render("de").startswith("Zeile ")
    assert session.exec(select(Contact)).all() == []


def test_reimport_updates_by_external_id_and_ends_missing_links(session: Session, organisation: Organisation) -> None:
    run(session, organisation, "kontakte.csv", SAMPLE.read_bytes())
    again = run(session, organisation, "kontakte.csv", SAMPLE.read_bytes())
    assert again.created == {"properties": 0, "units": 0, "contacts": 0, "links": 0}
    assert again.updated["contacts"] == 0
    changed = SAMPLE.read_text("utf-8").replace("Kastanienallee 7", "Kastanienallee 9")
    changed = "\n".join(line for line in changed.splitlines() if "K002" not in line)
    report = run(session, organisation, "kontakte.csv", changed.encode())
    assert report.updated["contacts"] == 1 and report.ended_links == 1
    anna = session.exec(select(Contact).where(Contact.external_id == "K001")).one()
    assert anna.street == "Kastanienallee 9"
    ended = session.exec(select(Occupancy).join(Contact).where(Contact.external_id == "K002")).one()
    assert ended.ended_on == TODAY
    assert len(session.exec(select(Unit)).all()) == 4


def test_json_rows_and_nested_shape_import_the_same(session: Session, organisation: Organisation) -> None:
    nested = {
        "properties": [{"id": "P1", "name": "Haus Nord", "units": [{"id": "U1", "label": "WE 1"}, {"id": "U2", "label": "WE 2"}]}],
        "contacts": [
            {"id": "C1", "name": "Ada Lovelace", "street": "Weg 1", "postcode": "10115", "city": "Berlin",
             "registered": True, "preference": "online", "email": "ada@example.de",
             "units": [{"property": "P1", "unit": "U1", "role": "owner"}, {"property": "P1", "unit": "U2", "role": "owner"}]},
        ],
    }
    report = run(session, organisation, "bestand.json", json.dumps(nested).encode())
    assert report.ok, report.rejected
    assert report.created["links"] == 2
    rows = [{"Liegenschaft-Nr": "P1", "Einheit-Nr": "U1", "Kontakt-Nr": "C1", "Name": "Ada Lovelace", "Straße": "Weg 1",
             "PLZ": "10115", "Ort": "Berlin", "Rolle": "Eigentümer", "Registriert": "ja", "Präferenz": "Online",
             "E-Mail": "ada@example.de"}]
    flat = run(session, organisation, "rows.json", json.dumps(rows).encode())
    assert flat.ok and flat.created["links"] == 0


def test_broken_json_is_refused(session: Session, organisation: Organisation) -> None:
    with pytest.raises(InvalidInput) as raised:
        run(session, organisation, "x.json", b'{"contacts": [')
    assert "line 1" in raised.value.render("en")


def test_undecodable_bytes_and_wrong_json_shapes_are_refused_clearly(session: Session, organisation: Organisation) -> None:
    with pytest.raises(InvalidInput) as raised:
        run(session, organisation, "x.csv", b"Objekt-Nr;Name\n1;M\x81ller\n")
    assert "UTF-8" in raised.value.render("de")
    for document in ({"contacts": [{"id": "C1", "name": "A", "units": ["WE1"]}]}, {"properties": ["x"], "contacts": []}):
        with pytest.raises(InvalidInput) as raised:
            run(session, organisation, "x.json", json.dumps(document).encode())
        assert "list of objects" in raised.value.render("en")


def test_a_link_ended_earlier_keeps_its_date(session: Session, organisation: Organisation) -> None:
    run(session, organisation, "kontakte.csv", SAMPLE.read_bytes())
    without = "\n".join(line for line in SAMPLE.read_text("utf-8").splitlines() if "K002" not in line).encode()
    assert run(session, organisation, "kontakte.csv", without).ended_links == 1
    later = import_file(session, organisation.id, "kontakte.csv", without, date(2027, 1, 15))
    assert later.ended_links == 0
    ended = session.exec(select(Occupancy).join(Contact).where(Contact.external_id == "K002")).one()
    assert ended.ended_on == TODAY


def test_a_large_reimport_changes_exactly_what_changed(session: Session, organisation: Organisation) -> None:
    lines = ["Objekt-Nr;WE-Nr;Kontakt-Nr;Name;Straße;PLZ;Ort;Rolle"] + [
        f"L{n // 40};W{n % 40};K{n};Name {n};Weg {n};10115;Berlin;Eigentümer" for n in range(1200)]
    first = run(session, organisation, "gross.csv", "\n".join(lines).encode())
    assert first.created == {"properties": 30, "units": 1200, "contacts": 1200, "links": 1200}
    lines[700] = lines[700].replace("Weg 699", "Weg 7")
    again = run(session, organisation, "gross.csv", "\n".join(lines).encode())
    assert again.created == {"properties": 0, "units": 0, "contacts": 0, "links": 0}
    assert again.updated == {"properties": 0, "units": 0, "contacts": 1, "links": 0} and again.ended_links == 0
    session.expire_all()
    assert session.exec(select(Contact).where(Contact.external_id == "K699")).one().street == "Weg 7"
