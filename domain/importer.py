"""Import of properties, units and contacts from CSV (as German property-management software
exports it) or JSON. A file is imported completely or not at all; every rejected row is
reported with its line number and reason; re-importing updates by external ids."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ValidationError, field_validator
from sqlmodel import Session, col, select

from domain.addresses import iso_country, normalise
from domain.errors import InvalidInput
from domain.messages import CATALOG, Message
from domain.models import Contact, Occupancy, Preference, Property, Relation, Unit
from domain.notifications import mailbox

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
        try:
            mailbox("", text)
        except ValueError:
            raise RowProblem("import.problem.email", value=text) from None
        if "@" not in text or "." not in text.rpartition("@")[2]:
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


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), or else
    Windows-1252 as older exports write it. Workbooks and binary files are refused."""
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise InvalidInput("import.workbook")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
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


def read_csv(data: bytes) -> list[dict[str, Any]]:
    text = decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    headers = next(reader, None)
    if not headers:
        raise InvalidInput("import.empty")
    columns = [_column_for(header) for header in headers]
    _check_columns(columns, headers)
    rows = []
    for record in reader:
        if not any(cell.strip() for cell in record):
            continue
        values: dict[str, Any] = {"line": reader.line_num}
        if len(record) > len(headers) or (len(record) == 1 < len(headers)):
            values["_error"] = Message("import.problem.field_count", {"count": len(record), "expected": len(headers)})
        for column, cell in zip(columns, record):
            if column:
                values[column] = cell.strip()
        rows.append(values)
    return rows


def _check_columns(columns: list[str | None], headers: list[str]) -> None:
    present = set(filter(None, columns))
    has_name = "name" in present or "last_name" in present
    missing = [column for column in REQUIRED if column not in present] + ([] if has_name else ["name"])
    if missing:
        key = "import.missing_columns_delimiter" if len(headers) == 1 else "import.missing_columns"
        raise InvalidInput(key, columns=[column(name) for name in missing], headers=", ".join(headers)[:300])


def read_json(data: bytes) -> list[dict[str, Any]]:
    """Either a list of rows with the CSV's column names, or {"properties": [...], "contacts": [...]}
    where each contact lists its units; both end up as the same rows."""
    try:
        document = json.loads(decode(data))
    except json.JSONDecodeError as error:
        raise InvalidInput("import.bad_json", detail=f"line {error.lineno}: {error.msg}") from error
    if isinstance(document, dict) and "contacts" in document:
        return _flatten(document)
    rows = document.get("rows") if isinstance(document, dict) else document
    if not isinstance(rows, list):
        raise InvalidInput("import.bad_json", detail="expected a list of rows or {properties, contacts}")
    result = []
    for index, row in enumerate(rows, start=1):
        mapped = {(_column_for(k) or k): v for k, v in row.items()} if isinstance(row, dict) else {
            "_error": Message("import.problem.not_an_object")}
        result.append({"line": index, **mapped})
    return result


def _objects(value: Any, where: str) -> list[dict[str, Any]]:
    """A list of JSON objects, or a clear refusal naming where the shape is wrong."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise InvalidInput("import.bad_json", detail=f"{where} must be a list of objects")
    return value


def _flatten(document: dict[str, Any]) -> list[dict[str, Any]]:
    properties = {str(p.get("id")): p for p in _objects(document.get("properties"), "properties")}
    units = {(str(p.get("id")), str(u.get("id"))): u for p in properties.values()
             for u in _objects(p.get("units"), f"properties[{p.get('id')}].units")}
    rows: list[dict[str, Any]] = []
    for contact in _objects(document.get("contacts"), "contacts"):
        for link in _objects(contact.get("units"), f"contacts[{contact.get('id')}].units"):
            prop = properties.get(str(link.get("property")), {})
            unit = units.get((str(link.get("property")), str(link.get("unit"))), {})
            rows.append({
                "line": len(rows) + 1,
                "property_id": link.get("property"), "property_name": prop.get("name", ""),
                "property_street": prop.get("street", ""), "property_postcode": prop.get("postcode", ""),
                "property_city": prop.get("city", ""),
                "unit_id": link.get("unit"), "unit_label": unit.get("label", ""), "unit_kind": unit.get("kind", ""),
                "contact_id": contact.get("id"), **{k: v for k, v in contact.items() if k not in ("id", "units")},
                "relation": link.get("role") or link.get("relation"), "position": link.get("position", 0),
                "ended_on": link.get("ended_on"),
            })
    return rows


# --- validating and applying ------------------------------------------------------------------


def parse_rows(raw_rows: Iterable[dict[str, Any]], report: ImportReport) -> list[ImportRow]:
    rows: list[ImportRow] = []
    for raw in raw_rows:
        report.rows += 1
        if "_error" in raw:
            report.rejected.append(Rejected(raw["line"], raw["_error"]))
            continue
        try:
            row = ImportRow(**_with_full_name(raw))
        except ValidationError as error:
            report.rejected.append(Rejected(raw["line"], _reasons(error)))
            continue
        if problem := row.address_problem():
            report.rejected.append(Rejected(row.line, problem))
            continue
        rows.append(row)
    _check_consistency(rows, report)
    return rows


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


def _check_consistency(rows: list[ImportRow], report: ImportReport) -> None:
    """The same id must mean the same thing on every line, and no link may appear twice."""
    seen_links: dict[tuple[str, str, str, str], int] = {}
    first: dict[tuple[str, str], tuple[int, tuple[Any, ...]]] = {}
    for row in rows:
        link = (row.property_id, row.unit_id, row.contact_id, row.relation.value)
        if link in seen_links:
            report.rejected.append(Rejected(row.line, Message("import.problem.duplicate", {"line": seen_links[link]})))
            continue
        seen_links[link] = row.line
        for kind, key, values in (
            ("contact", row.contact_id, (row.name, row.street, row.postcode, row.city, row.country, row.email)),
            ("unit", f"{row.property_id}/{row.unit_id}", (row.unit_label, row.unit_kind)),
        ):
            earlier = first.setdefault((kind, key), (row.line, values))
            if earlier[1] != values:
                report.rejected.append(Rejected(row.line, Message(f"import.problem.{kind}_differs",
                                                                  {"key": key, "line": earlier[0]})))


def import_rows(session: Session, organisation_id: int, filename: str, raw_rows: list[dict[str, Any]], today: date) -> ImportReport:
    """Validates every row, then applies them in the session (flushed, not committed). With one
    row rejected nothing is applied and the session is rolled back."""
    report = ImportReport(filename)
    rows = parse_rows(raw_rows, report)
    if report.rejected or not rows:
        if not rows and not report.rejected:
            report.rejected.append(Rejected(1, Message("import.problem.no_rows")))
        session.rollback()
        return report
    _apply(session, organisation_id, rows, report, today)
    session.flush()
    return report


def read_file(filename: str, data: bytes) -> list[dict[str, Any]]:
    return read_json(data) if filename.lower().endswith(".json") else read_csv(data)


def import_file(session: Session, organisation_id: int, filename: str, data: bytes, today: date) -> ImportReport:
    """Reads and imports a file, committing when every row was accepted."""
    report = import_rows(session, organisation_id, filename, read_file(filename, data), today)
    if report.ok:
        session.commit()
    return report


def _upsert(session: Session, model: type, keys: dict[str, Any], values: dict[str, Any], report: ImportReport, kind: str) -> Any:
    record = session.exec(select(model).filter_by(**keys)).first()
    if record is None:
        record = model(**keys, **values)
        report.created[kind] += 1
    else:
        changed = any(getattr(record, name) != value for name, value in values.items())
        for name, value in values.items():
            setattr(record, name, value)
        report.updated[kind] += int(changed)
    session.add(record)
    session.flush()
    return record


def _apply(session: Session, organisation_id: int, rows: list[ImportRow], report: ImportReport, today: date) -> None:
    properties: dict[str, Property] = {}
    units: dict[tuple[str, str], Unit] = {}
    contacts: dict[str, Contact] = {}
    for row in rows:
        if row.property_id not in properties:
            properties[row.property_id] = _upsert(session, Property, {"organisation_id": organisation_id, "external_id": row.property_id}, {
                "name": row.property_name or row.property_id, "street": row.property_street,
                "postcode": row.property_postcode, "city": row.property_city}, report, "properties")
        unit_key = (row.property_id, row.unit_id)
        if unit_key not in units:
            units[unit_key] = _upsert(session, Unit, {"property_id": properties[row.property_id].id, "external_id": row.unit_id}, {
                "label": row.unit_label, "kind": row.unit_kind, "position": len(units)}, report, "units")
        if row.contact_id not in contacts:
            contacts[row.contact_id] = _upsert(session, Contact, {"organisation_id": organisation_id, "external_id": row.contact_id}, {
                "name": row.name, "addition": row.addition, "street": row.street, "postcode": row.postcode, "city": row.city,
                "country": row.country, "email": row.email, "portal_registered": row.registered,
                "preference": row.preference}, report, "contacts")
    linked: set[int] = set()
    for row in rows:
        unit, contact = units[(row.property_id, row.unit_id)], contacts[row.contact_id]
        occupancy = _upsert(session, Occupancy, {"unit_id": unit.id, "contact_id": contact.id, "relation": row.relation},
                            {"position": row.position, "ended_on": row.ended_on}, report, "links")
        linked.add(occupancy.id)
    _end_missing_links(session, [u.id for u in units.values()], linked, report, today)


def _end_missing_links(session: Session, unit_ids: list[int], linked: set[int], report: ImportReport, today: date) -> None:
    """A unit in the file lists all its current contacts: links missing from it have ended."""
    stale = session.exec(select(Occupancy).where(
        col(Occupancy.unit_id).in_(unit_ids), col(Occupancy.id).not_in(linked), col(Occupancy.ended_on).is_(None)
    )).all()
    for occupancy in stale:
        occupancy.ended_on = today
        session.add(occupancy)
        report.ended_links += 1
