"""Import of properties, units and contacts from CSV (as German property-management software
exports it) or JSON. A file is imported completely or not at all; every rejected row is
reported with its line number and reason; re-importing updates by external ids."""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ValidationError, field_validator
from sqlalchemy import Table, and_, bindparam, insert, inspect, update
from sqlmodel import Session, SQLModel, col, select

from domain.addresses import iso_country, normalise
from domain.errors import InvalidInput
from domain.messages import CATALOG, Message
from domain.models import Contact, Occupancy, Preference, Property, Relation, Unit
from domain.notifications import is_address

# Header spellings seen in exports, folded with `normalise` and spaces removed.
ALIASES: dict[str, tuple[str, ...]] = {
    "property_id": ("liegenschaftnr", "liegenschaftsnr", "liegenschaftsnummer", "objektnr", "objektnummer", "weg", "propertyid"),
    "property_name": ("liegenschaft", "objekt", "objektbezeichnung", "liegenschaftsname", "propertyname"),
    "property_street": ("liegenschaftstrasse", "objektstrasse", "propertystreet"),
    "property_postcode": ("liegenschaftplz", "objektplz", "propertypostcode"),
    "property_city": ("liegenschaftort", "objektort", "propertycity"),
    "unit_id": ("einheitnr", "einheitsnr", "einheitennr", "einheitsnummer", "wenr", "unitid"),
    "unit_label": ("einheit", "einheitbezeichnung", "bezeichnung", "lage", "unitlabel", "unit"),
    "unit_kind": ("einheitart", "art", "nutzungsart", "unitkind"),
    "contact_id": ("kontaktnr", "kontaktnummer", "personennr", "personennummer", "adressnr", "kundennr", "contactid"),
    "salutation": ("anrede", "salutation"),
    "first_name": ("vorname", "firstname"),
    "last_name": ("nachname", "familienname", "lastname"),
    "name": ("name", "kontakt", "empfaenger", "vollername"),
    "addition": ("zusatz", "adresszusatz", "co", "addition"),
    "street": ("strasse", "strassehausnummer", "strasseundhausnummer", "anschrift", "street"),
    "house_number": ("hausnummer", "hausnr", "housenumber"),
    "postcode": ("plz", "postleitzahl", "postcode", "zip"),
    "city": ("ort", "stadt", "wohnort", "city"),
    "country": ("land", "staat", "laendercode", "country"),
    "email": ("email", "emailadresse", "mail"),
    "registered": ("registriert", "portalregistriert", "registrierungsstatus", "portal", "registered"),
    "preference": ("praeferenz", "kontaktpraeferenz", "versandpraeferenz", "preference"),
    "relation": ("rolle", "funktion", "beziehung", "typ", "relation", "role"),
    "position": ("rang", "reihenfolge", "position"),
    "ended_on": ("auszug", "auszugsdatum", "bis", "endetam", "endedon"),
}
REQUIRED = ("property_id", "unit_id", "contact_id", "relation")
YES = {"ja", "j", "yes", "y", "1", "x", "true", "wahr", "registriert"}
NO = {"nein", "n", "no", "0", "", "false", "falsch", "nichtregistriert"}
RELATIONS = {"eigentuemer": Relation.OWNER, "et": Relation.OWNER, "owner": Relation.OWNER, "miteigentuemer": Relation.OWNER,
             "mieter": Relation.TENANT, "mi": Relation.TENANT, "tenant": Relation.TENANT}
PREFERENCES = {"online": Preference.ONLINE, "portal": Preference.ONLINE, "email": Preference.ONLINE,
               "brief": Preference.LETTER, "post": Preference.LETTER, "letter": Preference.LETTER, "": Preference.LETTER}


class ImportRow(BaseModel):
    """One contact holding one unit, as a row of the file."""

    line: int
    property_id: str
    property_name: str = ""
    property_street: str = ""
    property_postcode: str = ""
    property_city: str = ""
    unit_id: str
    unit_label: str = ""
    unit_kind: str = ""
    contact_id: str
    name: str
    addition: str = ""
    street: str = ""
    postcode: str = ""
    city: str = ""
    country: str = "DE"
    email: str | None = None
    registered: bool = False
    preference: Preference = Preference.LETTER
    relation: Relation
    position: int = 0
    ended_on: date | None = None

    @field_validator("property_id", "unit_id", "contact_id", "name")
    @classmethod
    def _required(cls, value: str) -> str:
        if not value.strip():
            raise RowProblem("import.problem.empty")
        return value.strip()

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, value: Any) -> str:
        if not str(value or "").strip():
            return "DE"
        try:
            return iso_country(value)
        except ValueError:
            raise RowProblem("import.problem.country", value=value) from None

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: Any) -> str | None:
        text = str(value or "").strip()
        if not text:
            return None
        if not is_address(text):
            raise RowProblem("import.problem.email", value=text)
        return text

    @field_validator("registered", mode="before")
    @classmethod
    def _yes_no(cls, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = normalise(str(value or "")).replace(" ", "")
        if text in YES:
            return True
        if text in NO:
            return False
        raise RowProblem("import.problem.yes_no", value=value)

    @field_validator("preference", mode="before")
    @classmethod
    def _preference(cls, value: Any) -> Preference:
        text = normalise(str(value or "")).replace(" ", "")
        if text not in PREFERENCES:
            raise RowProblem("import.problem.preference", value=value)
        return PREFERENCES[text]

    @field_validator("relation", mode="before")
    @classmethod
    def _relation(cls, value: Any) -> Relation:
        text = normalise(str(value or "")).replace(" ", "")
        if text not in RELATIONS:
            raise RowProblem("import.problem.relation", value=value)
        return RELATIONS[text]

    @field_validator("position", mode="before")
    @classmethod
    def _position(cls, value: Any) -> int:
        text = str(value or "").strip()
        if text and not text.isdigit():
            raise RowProblem("import.problem.number", value=text)
        return int(text) if text else 0

    @field_validator("ended_on", mode="before")
    @classmethod
    def _date(cls, value: Any) -> date | None:
        text = str(value or "").strip()
        if not text:
            return None
        for pattern in ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y"):
            try:
                return datetime.strptime(text, pattern).date()
            except ValueError:
                continue
        raise RowProblem("import.problem.date", value=text)

    def address_problem(self) -> Message | None:
        parts = {"street": self.street, "postcode": self.postcode, "city": self.city}
        given = [name for name, value in parts.items() if value.strip()]
        if given and len(given) < 3:
            return Message("import.problem.address", {"missing": [column(name) for name in parts if name not in given]})
        return None


class RowProblem(ValueError):
    """What is wrong with one value of a row, in the reader's words."""

    def __init__(self, key: str, **facts: Any) -> None:
        super().__init__(key)
        self.message = Message(key, facts)


def column(name: str) -> Message:
    """A column as the reader knows it (German header or English name)."""
    return Message(f"import.column.{name}") if f"import.column.{name}" in CATALOG else Message("import.column.other", {"name": name})


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: Message

    @property
    def message(self) -> Message:
        return Message("import.rejected_row", {"line": self.line, "reason": self.reason})

    def render(self, locale: str) -> str:
        """The reason alone (the line is given separately)."""
        return self.reason.render(locale)


@dataclass
class ImportReport:
    filename: str
    rows: int = 0
    created: dict[str, int] = field(default_factory=lambda: {"properties": 0, "units": 0, "contacts": 0, "links": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"properties": 0, "units": 0, "contacts": 0, "links": 0})
    ended_links: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected


# --- reading files ----------------------------------------------------------------------------


class ImportLimits(BaseModel):
    """What one import file may hold; each is a setting (BRIEFWERK_INTAKE__IMPORTS__…)."""

    file_mb: int = 200  # 100,000 rows of a typical export are 15 MB
    rows: int = 1_000_000
    line_chars: int = 10_000  # one line of a CSV file
    field_chars: int = 500  # one value: a name, a street, an email address
    json_depth: int = 64  # nesting of a JSON file; the expected shape needs 5

    @property
    def file_bytes(self) -> int:
        return self.file_mb << 20


LINE_BREAKS = {"\n": "line_break", "\r": "line_break", "\x85": "line_break", "\u2028": "line_break",
               "\u2029": "line_break", "\t": "tab"}
CONTROL = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), or else
    Windows-1252 as older exports write it. Workbooks and binary files are refused."""
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise InvalidInput("import.workbook")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise InvalidInput("import.encoding", position=error.start) from error
    if b"\x00" in data[:4096]:
        raise InvalidInput("import.binary")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise InvalidInput("import.encoding", position=error.start) from error


def _column_for(header: str) -> str | None:
    key = normalise(header).replace(" ", "")
    for column, aliases in ALIASES.items():
        if key == column.replace("_", "") or key in aliases:
            return column
    return None


def _lines(text: str, limit: int) -> Iterator[str]:
    """The text line by line (ends kept, as the csv module wants them), refusing an overlong one
    before the csv module holds it. A file of old Mac line ends splits at CR."""
    end_of_line = "\n" if "\n" in text else "\r"
    start, number = 0, 0
    while start < len(text):
        end = text.find(end_of_line, start)
        end = len(text) if end < 0 else end + 1
        number += 1
        if end - start > limit:
            raise InvalidInput("import.line_too_long", line=number, length=end - start, limit=limit)
        yield text[start:end]
        start = end


def read_csv(data: bytes, limits: ImportLimits) -> Iterator[dict[str, Any]]:
    """The file's rows as {column: text}, each with its line; read lazily, so a large export is
    never held as rows and text at once."""
    text = decode(data)
    first_line = text[:text.find("\n")] if "\n" in text[:limits.line_chars] else text[:limits.line_chars]
    delimiter = max(";,\t", key=first_line.count)
    reader = csv.reader(_lines(text, limits.line_chars), delimiter=delimiter)
    try:
        headers = next(reader, None)
        if not headers:
            raise InvalidInput("import.empty")
        columns = [_column_for(header) for header in headers]
        _check_columns(columns, headers)
        start = reader.line_num + 1
        for record in reader:
            line, start = start, reader.line_num + 1  # a record with a quoted line break spans lines
            if not any(cell.strip() for cell in record):
                continue
            if len(record) < len(headers) and any("\n" in cell for cell in record) and reader.line_num - line > 1:
                raise InvalidInput("import.open_quote", line=line)
            values: dict[str, Any] = {"line": line}
            if len(record) > len(headers) or (len(record) == 1 < len(headers)):
                key = "import.problem.field_count_one" if len(record) == 1 else "import.problem.field_count"
                values["_error"] = Message(key, {"count": len(record), "expected": len(headers)})
            for column, cell in zip(columns, record):
                if column:
                    values[column] = cell.strip()
            yield values
    except csv.Error as error:
        raise InvalidInput("import.bad_csv", line=reader.line_num, detail=str(error)) from error


def _check_columns(columns: list[str | None], headers: list[str]) -> None:
    present = set(filter(None, columns))
    has_name = "name" in present or "last_name" in present
    missing = [column for column in REQUIRED if column not in present] + ([] if has_name else ["name"])
    if missing:
        key = "import.missing_columns_delimiter" if len(headers) == 1 else "import.missing_columns"
        raise InvalidInput(key, columns=[column(name) for name in missing], headers=", ".join(headers)[:300])


def read_json(data: bytes, limits: ImportLimits) -> Iterator[dict[str, Any]]:
    """Either a list of rows with the CSV's column names, or {"properties": [...], "contacts": [...]}
    where each contact lists its units; both end up as the same rows."""
    text = decode(data)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput("import.bad_json", line=error.lineno, column=error.colno, detail=error.msg) from error
    except RecursionError:
        raise InvalidInput("import.json_too_deep", line=_too_deep_at(text, limits.json_depth),
                           depth=limits.json_depth) from None
    if isinstance(document, dict) and "contacts" in document:
        yield from _flatten(document)
        return
    rows = document.get("rows") if isinstance(document, dict) else document
    if not isinstance(rows, list):
        raise InvalidInput("import.json_shape")
    for index, row in enumerate(rows, start=1):
        mapped = {(_column_for(k) or k): v for k, v in row.items()} if isinstance(row, dict) else {
            "_error": Message("import.problem.not_an_object")}
        yield {**mapped, "line": index}


def _too_deep_at(text: str, depth: int) -> int:
    """The line where the nesting of a JSON text first goes deeper than `depth` (strings skipped)."""
    level, line = 0, 1
    for token in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[\]{}\n]', text):
        mark = token.group()
        if mark == "\n":
            line += 1
        elif mark in "[{":
            level += 1
            if level > depth:
                return line
        elif mark in "]}":
            level -= 1
        else:
            line += mark.count("\n")
    return line


def _objects(value: Any, where: str) -> list[dict[str, Any]]:
    """A list of JSON objects, or a clear refusal naming where the shape is wrong."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise InvalidInput("import.json_not_objects", where=where)
    return value


def _flatten(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    properties = {str(p.get("id")): p for p in _objects(document.get("properties"), "properties")}
    units = {(str(p.get("id")), str(u.get("id"))): u for p in properties.values()
             for u in _objects(p.get("units"), f"properties[{p.get('id')}].units")}
    line = 0
    for contact in _objects(document.get("contacts"), "contacts"):
        for link in _objects(contact.get("units"), f"contacts[{contact.get('id')}].units"):
            prop = properties.get(str(link.get("property")), {})
            unit = units.get((str(link.get("property")), str(link.get("unit"))), {})
            line += 1
            yield {
                "line": line,
                "property_id": link.get("property"), "property_name": prop.get("name", ""),
                "property_street": prop.get("street", ""), "property_postcode": prop.get("postcode", ""),
                "property_city": prop.get("city", ""),
                "unit_id": link.get("unit"), "unit_label": unit.get("label", ""), "unit_kind": unit.get("kind", ""),
                "contact_id": contact.get("id"), **{k: v for k, v in contact.items() if k not in ("id", "units")},
                "relation": link.get("role") or link.get("relation"), "position": link.get("position", 0),
                "ended_on": link.get("ended_on"),
            }


def read_file(filename: str, data: bytes, limits: ImportLimits | None = None) -> Iterator[dict[str, Any]]:
    limits = limits or ImportLimits()
    if len(data) > limits.file_bytes:
        raise InvalidInput("import.too_big", size=round(len(data) / 2**20), limit=limits.file_mb)
    return read_json(data, limits) if filename.lower().endswith(".json") else read_csv(data, limits)


# --- validating -------------------------------------------------------------------------------


@dataclass
class Plan:
    """What the file says, gathered row by row and keyed by the ERP's ids (first row wins):
    properties and contacts by their id, units by (property, unit), links by all four. Each
    record's values end with the line it came from, which a contradicting row names."""

    properties: dict[tuple[str], tuple[Any, ...]] = field(default_factory=dict)
    contacts: dict[tuple[str], tuple[Any, ...]] = field(default_factory=dict)
    units: dict[tuple[str, str], tuple[Any, ...]] = field(default_factory=dict)
    links: dict[tuple[str, str, str, Relation], tuple[Any, ...]] = field(default_factory=dict)

    PROPERTY = ("name", "street", "postcode", "city")
    CONTACT = ("name", "addition", "street", "postcode", "city", "country", "email", "portal_registered", "preference")
    COMPARED = 7  # the contact values that must agree on every row: name, address, email
    UNIT = ("label", "kind")
    LINK = ("position", "ended_on")


def parse_rows(raw_rows: Iterable[dict[str, Any]], report: ImportReport, limits: ImportLimits | None = None) -> Plan:
    """Validates every row and gathers the accepted ones; a row that contradicts an earlier one
    (same id, other values; a link twice) is rejected naming that line."""
    limits = limits or ImportLimits()
    plan = Plan()
    for raw in raw_rows:
        report.rows += 1
        if report.rows > limits.rows:
            raise InvalidInput("import.too_many_rows", limit=limits.rows)
        if problem := _row_problem(raw, limits):
            report.rejected.append(Rejected(raw["line"], problem))
            continue
        try:
            row = ImportRow(**_with_full_name(raw))
        except ValidationError as error:
            report.rejected.append(Rejected(raw["line"], _reasons(error)))
            continue
        if problem := row.address_problem():
            report.rejected.append(Rejected(row.line, problem))
            continue
        _gather(plan, row, report)
    return plan


def _row_problem(raw: dict[str, Any], limits: ImportLimits) -> Message | None:
    """What the reader broke in a row before any value is read: the field count, values that are
    no text (a JSON object as a name), overlong values, control characters (NUL, line breaks)."""
    if "_error" in raw:
        return raw["_error"]
    problems = []
    for name, value in raw.items():
        if name == "line" or name not in ALIASES or value is None:
            continue
        if problem := _value_problem(name, value, limits):
            problems.append(Message("import.field_problem", {"column": column(name), "problem": problem}))
    return Message("joined", {"items": problems}) if problems else None


def _value_problem(name: str, value: Any, limits: ImportLimits) -> Message | None:
    if isinstance(value, bool) and name == "registered" or isinstance(value, int) and not isinstance(value, bool):
        return None
    if not isinstance(value, str):
        return Message("import.problem.not_text", {"value": json.dumps(value, ensure_ascii=False, default=str)[:40]})
    if len(value) > limits.field_chars:
        return Message("import.problem.too_long", {"length": len(value), "limit": limits.field_chars})
    if found := CONTROL.search(value):
        char = found.group()
        what = Message(f"import.char.{LINE_BREAKS[char]}") if char in LINE_BREAKS else Message(
            "import.char.control", {"code": f"U+{ord(char):04X}"})
        return Message("import.problem.control", {"what": what, "position": found.start() + 1})
    return None


def _gather(plan: Plan, row: ImportRow, report: ImportReport) -> None:
    # ids repeat on many rows: one string each keeps 100,000 rows in memory bounds
    property_id, unit_id, contact_id = sys.intern(row.property_id), sys.intern(row.unit_id), sys.intern(row.contact_id)
    link = (property_id, unit_id, contact_id, row.relation)
    if link in plan.links:
        report.rejected.append(Rejected(row.line, Message("import.problem.duplicate", {"line": plan.links[link][-1]})))
        return
    plan.links[link] = (row.position, row.ended_on, row.line)
    plan.properties.setdefault((property_id,), (row.property_name or property_id, row.property_street,
                                                row.property_postcode, row.property_city, row.line))
    contact = (row.name, row.addition, row.street, sys.intern(row.postcode), sys.intern(row.city), row.country,
               row.email, row.registered, row.preference, row.line)
    _agree(plan.contacts, (contact_id,), contact, Plan.COMPARED, "contact", report)
    _agree(plan.units, (property_id, unit_id), (row.unit_label, sys.intern(row.unit_kind), row.line), 2, "unit", report)


def _agree(known: dict[Any, tuple[Any, ...]], key: tuple[str, ...], values: tuple[Any, ...], compared: int, kind: str,
           report: ImportReport) -> None:
    """Records the values of an id's first row; a later row with other values is rejected."""
    earlier = known.setdefault(key, values)
    if earlier[:compared] != values[:compared]:
        report.rejected.append(Rejected(values[-1], Message(f"import.problem.{kind}_differs",
                                                            {"key": "/".join(key), "line": earlier[-1]})))


def _with_full_name(raw: dict[str, Any]) -> dict[str, Any]:
    values = {k: ("" if v is None else str(v)) if k not in ("registered", "line") else v for k, v in raw.items()}
    if not values.get("name"):
        values["name"] = " ".join(filter(None, (values.get("first_name", ""), values.get("last_name", ""))))
    if values.get("house_number"):
        values["street"] = f"{values.get('street', '')} {values['house_number']}".strip()
    if not values.get("unit_label"):
        values["unit_label"] = values.get("unit_id", "")
    return {k: v for k, v in values.items() if k in ImportRow.model_fields}


def _reasons(error: ValidationError) -> Message:
    parts = []
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else "row"
        problem = item.get("ctx", {}).get("error")
        if isinstance(problem, RowProblem):
            said = problem.message
        elif item["type"] == "missing":
            said = Message("import.problem.missing")
        else:
            said = Message("import.problem.invalid", {"value": str(item.get("input"))[:80]})
        parts.append(Message("import.field_problem", {"column": column(name), "problem": said}))
    return Message("joined", {"items": parts})


# --- applying ---------------------------------------------------------------------------------


def import_rows(session: Session, organisation_id: int, filename: str, raw_rows: Iterable[dict[str, Any]], today: date,
                limits: ImportLimits | None = None) -> ImportReport:
    """Validates every row, then applies them in the session (flushed, not committed). With one
    row rejected nothing is applied and the session is rolled back."""
    report = ImportReport(filename)
    plan = parse_rows(raw_rows, report, limits)
    if report.rejected or not plan.links:
        if not plan.links and not report.rejected:
            report.rejected.append(Rejected(1, Message("import.problem.no_rows")))
        session.rollback()
        return report
    _apply(session, organisation_id, plan, report, today)
    session.flush()
    return report


def import_file(session: Session, organisation_id: int, filename: str, data: bytes, today: date,
                limits: ImportLimits | None = None) -> ImportReport:
    """Reads and imports a file, committing when every row was accepted."""
    report = import_rows(session, organisation_id, filename, read_file(filename, data, limits), today, limits)
    if report.ok:
        session.commit()
    return report


CHUNK = 500  # keys per IN (…) and rows per statement


def _apply(session: Session, organisation_id: int, plan: Plan, report: ImportReport, today: date) -> None:
    """Every table in bulk: what exists is read a chunk at a time and compared, new records are
    inserted and changed ones updated in statements of many rows (a query per row took minutes
    at 100,000)."""
    org = {"organisation_id": organisation_id}
    property_ids = _sync(session, Property, ("external_id",), Plan.PROPERTY, plan.properties, report, "properties", org,
                         lambda chunk: and_(col(Property.organisation_id) == organisation_id,
                                            col(Property.external_id).in_([k[0] for k in chunk])),
                         col(Property.organisation_id) == organisation_id)
    contact_ids = _sync(session, Contact, ("external_id",), Plan.CONTACT, plan.contacts, report, "contacts", org,
                        lambda chunk: and_(col(Contact.organisation_id) == organisation_id,
                                           col(Contact.external_id).in_([k[0] for k in chunk])),
                        col(Contact.organisation_id) == organisation_id)
    plan.contacts.clear()  # spent: the room goes to the links below
    units = {(property_ids[(property_id,)], unit_id): (label, kind, position)
             for position, ((property_id, unit_id), (label, kind, _)) in enumerate(plan.units.items())}
    unit_ids = _sync(session, Unit, ("property_id", "external_id"), (*Plan.UNIT, "position"), units, report, "units", {},
                     lambda chunk: col(Unit.property_id).in_({k[0] for k in chunk}))
    del units
    links = {(unit_ids[(property_ids[(property_id,)], unit_id)], contact_ids[(contact_id,)], relation): values
             for (property_id, unit_id, contact_id, relation), values in plan.links.items()}
    others: dict[int, Any] = {}
    _sync(session, Occupancy, ("unit_id", "contact_id", "relation"), Plan.LINK, links, report, "links", {},
          lambda chunk: col(Occupancy.unit_id).in_({k[0] for k in chunk}), others=others)
    _end_links(session, [id_ for id_, found in others.items() if found.ended_on is None], report, today)


Key = tuple[Any, ...]


def _sync(session: Session, model: type[SQLModel], key_names: tuple[str, ...], value_names: tuple[str, ...],
          wanted: dict[Key, tuple[Any, ...]], report: ImportReport, kind: str, fixed: dict[str, Any],
          scope: Callable[[list[Key]], Any], whole: Any = None, others: dict[int, Any] | None = None) -> dict[Key, int]:
    """Makes the table hold `wanted` (key -> values, compared as far as `value_names` go) and
    returns every key's id. Existing rows are read in chunks, new ones inserted and changed ones
    updated, many rows a statement. Rows in scope that are not wanted land in
    `others`. `whole` selects every row the keys could match; with many keys one pass over it is
    cheaper (PostgreSQL filters `= ANY(…)` row by row once it picks the organisation's index)."""
    table = _table(model)
    keys = [table.c[n] for n in key_names]
    count = len(value_names)
    ids: dict[Key, int] = {}
    changed: list[tuple[int, Key]] = []
    for found in _lookup(session, [table.c.id, *keys, *(table.c[n] for n in value_names)], list(wanted), scope, whole):
        key = tuple(found[1:1 + len(key_names)])
        values = wanted.get(key)
        if values is None:
            if others is not None:
                others[found.id] = found
        elif key not in ids:
            ids[key] = found.id
            if tuple(found[1 + len(key_names):]) != values[:count]:
                changed.append((found.id, key))
    new = [key for key in wanted if key not in ids]
    connection = session.connection()
    for start in range(0, len(new), CHUNK):  # RETURNING would save the lookup below, but is 4× slower on PostgreSQL
        connection.execute(insert(table), [{**fixed, **dict(zip(key_names, key)), **dict(zip(value_names, wanted[key]))}
                                           for key in new[start:start + CHUNK]])
    changing = update(table).where(table.c.id == bindparam("_id")).values({n: bindparam(n) for n in value_names})
    for start in range(0, len(changed), CHUNK):
        connection.execute(changing, [{"_id": id_, **dict(zip(value_names, wanted[key]))}
                                      for id_, key in changed[start:start + CHUNK]])
    report.created[kind] += len(new)
    report.updated[kind] += len(changed)
    for found in _lookup(session, [table.c.id, *keys], new, scope, whole):
        ids.setdefault(tuple(found[1:]), found.id)
    return ids


def _lookup(session: Session, columns: list[Any], keys: list[Key], scope: Callable[[list[Key]], Any],
            whole: Any) -> Iterator[Any]:
    if not keys:
        return
    if whole is not None and len(keys) > CHUNK:
        yield from session.execute(select(*columns).where(whole).execution_options(yield_per=5000))
        return
    for start in range(0, len(keys), CHUNK):
        yield from session.execute(select(*columns).where(scope(keys[start:start + CHUNK])))


def _end_links(session: Session, link_ids: list[int], report: ImportReport, today: date) -> None:
    """A unit in the file lists all its current contacts: its other open links have ended."""
    table = _table(Occupancy)
    ending = update(table).where(table.c.id == bindparam("_id")).values(ended_on=today)
    for start in range(0, len(link_ids), CHUNK):
        session.connection().execute(ending, [{"_id": id_} for id_ in link_ids[start:start + CHUNK]])
    report.ended_links += len(link_ids)


def _table(model: type[SQLModel]) -> Table:
    """The table a model is mapped to."""
    table: Table = inspect(model).local_table
    return table
