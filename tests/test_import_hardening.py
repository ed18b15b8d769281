"""Hostile and broken import files: every one ends in a refusal that names the line, never in a
traceback, and nothing of a refused file reaches the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from sqlmodel import Session, select

from domain.errors import InvalidInput
from domain.importer import ImportLimits, import_file
from domain.models import Contact, Organisation
from domain.notifications import PLAIN_ADDRESS, is_address, mailbox

HEADER = "Objekt-Nr;WE-Nr;Kontakt-Nr;Name;Straße;PLZ;Ort;E-Mail;Rolle"
GOOD = "L1;W1;K1;Anna Schäfer;Weg 1;10115;Berlin;anna@example.de;Eigentümer"
TODAY = date(2026, 11, 30)


def run(session: Session, organisation: Organisation, name: str, data: bytes, limits: ImportLimits | None = None):
    return import_file(session, organisation.id, name, data, TODAY, limits)


def refusal(session: Session, organisation: Organisation, name: str, data: bytes, **limits: int) -> str:
    with pytest.raises(InvalidInput) as raised:
        run(session, organisation, name, data, ImportLimits(**limits))
    return raised.value.render("de")


def rejected(session: Session, organisation: Organisation, name: str, data: bytes) -> dict[int, str]:
    report = run(session, organisation, name, data)
    assert not report.ok
    assert session.exec(select(Contact)).all() == []
    return {r.line: r.render("de") for r in report.rejected}


def test_a_ten_megabyte_field_is_refused_with_its_line(session: Session, organisation: Organisation) -> None:
    data = "\n".join([HEADER, GOOD, "L1;W2;K2;" + "A" * 10_000_000 + ";Weg 2;10115;Berlin;;Mieter"]).encode()
    said = refusal(session, organisation, "riesig.csv", data)
    assert "Zeile 3 ist 10000036 Zeichen lang, erlaubt sind 10000" in said


def test_an_open_quote_running_to_the_end_is_refused_with_its_line(session: Session, organisation: Organisation) -> None:
    lines = [HEADER, GOOD, 'L1;W2;K2;"Offen;Weg 2;10115;Berlin;;Mieter'] + [f"L1;W{n};K{n};Name {n}" for n in range(3, 20_000)]
    said = refusal(session, organisation, "offen.csv", "\n".join(lines).encode())
    assert re.search(r"ab Zeile \d+ nicht als CSV lesen – ist dort ein Anführungszeichen nicht geschlossen\?", said)
    assert "Details: field larger than field limit" in said


def test_an_open_quote_in_a_small_file_is_named_as_such(session: Session, organisation: Organisation) -> None:
    lines = [HEADER, 'L1;W1;K1;"Anna;Weg 1;10115;Berlin;;Mieter', "L1;W2;K2;Bert;Weg 2;10115;Berlin;;Mieter",
             "L1;W3;K3;Carl;Weg 3;10115;Berlin;;Mieter"]
    said = refusal(session, organisation, "offen.csv", "\n".join(lines).encode())
    assert said.startswith("In Zeile 2 wird ein Anführungszeichen geöffnet und nicht geschlossen")


def test_a_value_longer_than_the_limit_is_rejected_by_row(session: Session, organisation: Organisation) -> None:
    by_line = rejected(session, organisation, "lang.csv", "\n".join([HEADER, GOOD.replace("Anna", "A" * 600)]).encode())
    assert by_line == {2: "Name: ist 608 Zeichen lang, erlaubt sind 500"}


def test_control_characters_are_rejected_by_row_and_column(session: Session, organisation: Organisation) -> None:
    rows = [HEADER, GOOD,
            'L1;W2;K2;Bert;"Weg 2\nHinterhaus";10115;Berlin;;Mieter',
            "L1;W3;K3;Carl\x00a;Weg 3;10115;Berlin;;Mieter",
            "L1;W4;K4;Dora;Weg 4;10115;Berlin\x1b;;Mieter"]
    padding = "\n".join(f"L1;W{n};K{n};Name {n};Weg {n};10115;Berlin;;Mieter" for n in range(5, 120))
    # the NUL is past the first 4 KB, where a file is told apart from a binary one
    data = ("\n".join(rows[:3]) + "\n" + padding + "\n" + "\n".join(rows[3:])).encode()
    by_line = rejected(session, organisation, "steuer.csv", data)
    # the record starts on line 3 (and ends on 4): a user looks for it where it starts
    assert by_line[3] == "Straße: enthält an Stelle 6 einen Zeilenumbruch – so etwas darf in Namen und Anschriften nicht stehen"
    nul, escape = sorted(by_line)[1:]
    assert by_line[nul] == "Name: enthält an Stelle 5 das Steuerzeichen U+0000 – so etwas darf in Namen und Anschriften nicht stehen"
    assert by_line[escape].startswith("Ort: enthält an Stelle 7 das Steuerzeichen U+001B")


def test_json_values_must_be_text(session: Session, organisation: Organisation) -> None:
    base = {"Objekt-Nr": "L1", "WE-Nr": "W1", "Kontakt-Nr": "K1", "Name": "Anna", "Rolle": "Mieter"}
    rows = [{**base, "Name": {"first": "Anna"}}, {**base, "Kontakt-Nr": "K2", "PLZ": 10115.5},
            {**base, "Kontakt-Nr": "K3", "Name": "Null\u0000Byte"}, {**base, "Kontakt-Nr": "K4", "Rang": [1]},
            {**base, "Kontakt-Nr": "K5", "Registriert": True, "PLZ": 10115, "Ort": "Berlin", "Straße": "Weg 1"}]
    by_line = rejected(session, organisation, "zeilen.json", json.dumps(rows).encode())
    assert by_line[1] == 'Name: ist kein Text, sondern {"first": "Anna"}'
    assert by_line[2] == "PLZ: ist kein Text, sondern 10115.5"
    assert by_line[3].startswith("Name: enthält an Stelle 5 das Steuerzeichen U+0000")
    assert by_line[4] == "Rang: ist kein Text, sondern [1]"
    assert 5 not in by_line  # a number as postcode and true as "registered" are fine


def test_json_nested_a_hundred_thousand_deep_is_refused_with_its_line(session: Session, organisation: Organisation) -> None:
    data = ('{"rows": [\n{"Name": "a"},\n' + "[" * 100_000 + "]" * 100_000 + "]}").encode()
    said = refusal(session, organisation, "tief.json", data)
    assert said == "Die JSON-Datei ist ab Zeile 3 tiefer als 64 Ebenen verschachtelt; so tief reicht kein Export."


def test_broken_json_names_line_and_column(session: Session, organisation: Organisation) -> None:
    said = refusal(session, organisation, "kaputt.json", b'[\n {"Name": "a",\n  "Rolle" "Mieter"}\n]')
    assert said.startswith("Die Datei ist kein gültiges JSON: Fehler in Zeile 3, Spalte 11 (Details: ")


def test_file_and_row_limits(session: Session, organisation: Organisation) -> None:
    data = "\n".join([HEADER] + [GOOD.replace("K1", f"K{n}").replace("W1", f"W{n}") for n in range(50)]).encode()
    assert refusal(session, organisation, "x.csv", data, rows=49) == (
        "Die Datei hat mehr als 49 Zeilen. Bitte in mehrere Dateien teilen.")
    assert refusal(session, organisation, "x.csv", data + b" " * (1 << 20), file_mb=1) == (
        "Die Datei ist 1 MB groß, erlaubt sind 1 MB. Bitte in mehrere Dateien teilen.")
    assert run(session, organisation, "x.csv", data, ImportLimits(rows=50)).ok


def test_a_ragged_row_names_its_field_count(session: Session, organisation: Organisation) -> None:
    data = "\n".join([HEADER, GOOD, "L1,W2,K2,Bert,Weg 2,10115,Berlin,,Mieter"]).encode()
    assert rejected(session, organisation, "x.csv", data) == {3: "hat 1 Feld statt 9 – falsches Trennzeichen?"}


@pytest.mark.parametrize("address", [
    "a@b.de", "anna.mueller+hv@example.de", "x@sub.example.co.uk", "a@-x.de", "o'brien@example.ie",
    "a..b@x.de", ".a@x.de", "a@x", "a@x..de", "a b@x.de", "a@" + "l" * 64 + ".de", "anna@müller.de",
    '"a b"@x.de', "anna.müller@x.de", "a@x.de.", "a@[127.0.0.1]"])
def test_the_quick_address_check_agrees_with_the_mail_parser(address: str) -> None:
    try:
        parsed = mailbox("", address)
        slow = "." in parsed.domain
    except ValueError:
        slow = False
    assert is_address(address) == slow
    if PLAIN_ADDRESS.fullmatch(address):
        assert slow, "the quick check takes only what the parser takes"
