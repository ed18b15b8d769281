"""The evidence record (Versendungsprotokoll): per letter the checksum of the exact print file,
who released, approved and ordered it and when, the options, the provider's reference and every
provider event — exportable as CSV and as a PDF report for disputes."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlmodel import Session, col, select

from domain.actors import Actor
from domain.addresses import PostalAddress
from domain.messages import Message
from domain.models import DispatchOrder, Event, Organisation, Property, SerialLetter, Shipment, Unit
from domain.pdf.layout import FONT, FONT_BOLD, register_fonts
from domain.services.documents import get_serial_letter
from domain.services.lookup import get_row, key_of

BERLIN = ZoneInfo("Europe/Berlin")


def local_time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M:%S")


@dataclass(frozen=True)
class Happening:
    at: datetime
    kind: str
    who: str
    detail: str


@dataclass
class LetterEvidence:
    reference: str
    recipient: str
    address: str
    units: str
    pages: int
    sheets: int
    cover_sheet: bool
    sha256: str
    options: str
    ordered_by: str
    ordered_at: datetime | None
    provider: str
    provider_ref: str
    state: str
    events: list[Happening] = field(default_factory=list)


@dataclass
class Evidence:
    organisation: str
    serial_id: int
    title: str
    property_name: str
    state: str
    created_at: datetime
    timeline: list[Happening]
    letters: list[LetterEvidence]


def _detail(data: dict) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(data.items()) if key not in ("sha256",))


def evidence_record(session: Session, actor: Actor, serial_id: int) -> Evidence:
    serial = get_serial_letter(session, actor, serial_id)
    org = get_row(session, Organisation, serial.organisation_id, Message("what.organisation"))
    prop = session.get(Property, serial.property_id)
    events = list(session.exec(select(Event).where(Event.serial_letter_id == serial_id).order_by(col(Event.at), col(Event.id))))
    timeline = [Happening(e.at, e.kind, e.actor, _detail(e.data)) for e in events if e.shipment_id is None]
    per_shipment: dict[int, list[Happening]] = {}
    for event in events:
        if event.shipment_id is not None:
            per_shipment.setdefault(event.shipment_id, []).append(Happening(event.at, event.kind, event.actor, _detail(event.data)))
    return Evidence(org.name, serial_id, serial.title, prop.name if prop else "", serial.state.value, serial.created_at,
                    timeline, _letters(session, serial, events, per_shipment))


def _letters(session: Session, serial: SerialLetter, events: list[Event], per_shipment: dict[int, list[Happening]]) -> list[LetterEvidence]:
    orders = {o.id: o for o in session.exec(select(DispatchOrder).where(DispatchOrder.serial_letter_id == serial.id))}
    ordered_by = {e.data.get("order"): e.actor for e in events if e.kind == "ordered"}
    labels = {u.id: u.label for u in session.exec(select(Unit).where(Unit.property_id == serial.property_id))}
    shipments = session.exec(select(Shipment).where(Shipment.serial_letter_id == serial.id).order_by(col(Shipment.id)))
    letters = []
    for shipment in shipments:
        order = orders.get(shipment.order_id)
        address = PostalAddress(**shipment.recipient)
        options = ", ".join(f"{key}={value}" for key, value in sorted((order.options if order else {}).items())
                            if key in ("filter", "merge", "registered", "colour", "duplex", "optimise_duplex", "cover_sheet"))
        letters.append(LetterEvidence(
            reference=shipment.reference, recipient=address.name, address=address.one_line(),
            units=", ".join(labels.get(u, str(u)) for u in shipment.unit_ids), pages=shipment.pages,
            sheets=shipment.sheets, cover_sheet=shipment.cover_sheet, sha256=shipment.sha256 or "",
            options=options, ordered_by=ordered_by.get(shipment.order_id, ""),
            ordered_at=order.ordered_at if order else None, provider=order.provider if order else "",
            provider_ref=shipment.provider_ref or "", state=shipment.state.value,
            events=per_shipment.get(key_of(shipment), []),
        ))
    return letters


CSV_HEADERS = ["Referenz", "Empfänger", "Anschrift", "Einheiten", "Seiten", "Blatt", "Adressblatt",
               "SHA-256 der Druckdatei", "Optionen", "Beauftragt von", "Beauftragt am", "Dienstleister",
               "Referenz Dienstleister", "Status", "Ereignisse"]


def evidence_csv(evidence: Evidence) -> bytes:
    """Semicolon-separated UTF-8 with BOM, so German Excel opens it with umlauts intact."""
    out = io.StringIO()
    writer = _SafeWriter(csv.writer(out, delimiter=";"))
    writer.writerow(["Serienbrief", evidence.serial_id, evidence.title, evidence.property_name, evidence.organisation])
    for happening in evidence.timeline:
        writer.writerow(["Verlauf", local_time(happening.at), happening.kind, happening.who, happening.detail])
    writer.writerow([])
    writer.writerow(CSV_HEADERS)
    for letter in evidence.letters:
        writer.writerow([letter.reference, letter.recipient, letter.address, letter.units, letter.pages, letter.sheets,
                         "ja" if letter.cover_sheet else "nein", letter.sha256, letter.options, letter.ordered_by,
                         local_time(letter.ordered_at), letter.provider, letter.provider_ref, letter.state,
                         " | ".join(f"{local_time(e.at)} {e.kind} {e.detail}".strip() for e in letter.events)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP, CSV injection: what a spreadsheet may run


class _SafeWriter:
    """Text cells a spreadsheet would read as a formula get a leading apostrophe, as OWASP's
    CSV-injection advice says: a contact named "=HYPERLINK(…)" stays a name."""

    def __init__(self, writer: Any) -> None:
        self.writer = writer

    def writerow(self, row: Sequence[object]) -> None:
        self.writer.writerow([f"'{cell}" if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) else cell
                              for cell in row])


def evidence_pdf(evidence: Evidence) -> bytes:
    """A report a property manager can print or hand over: timeline first, then every letter."""
    register_fonts()
    body = ParagraphStyle("body", fontName=FONT, fontSize=7.5, leading=9)
    head = ParagraphStyle("head", fontName=FONT_BOLD, fontSize=13, leading=16)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                                 topMargin=12 * mm, bottomMargin=12 * mm, title=f"Versendungsprotokoll {evidence.title}",
                                 author=evidence.organisation, invariant=1)
    story = [
        Paragraph(f"Versendungsprotokoll – {_escape(evidence.title)} (Nr. {evidence.serial_id})", head),
        Paragraph(f"{_escape(evidence.organisation)} · {_escape(evidence.property_name)} · Stand: {local_time(datetime.now(timezone.utc))} · "
                  f"Zustand: {evidence.state} · {len(evidence.letters)} Briefe", body),
        Spacer(1, 4 * mm),
        _table([["Zeit", "Ereignis", "Wer", "Einzelheiten"]] +
               [[local_time(h.at), h.kind, h.who, h.detail] for h in evidence.timeline], [32, 32, 45, 160], body),
        Spacer(1, 5 * mm),
    ]
    rows: list[list[object]] = [["Referenz", "Empfänger und Anschrift", "Einh.", "S./Bl.", "SHA-256 der Druckdatei",
                                 "Beauftragt", "Dienstleister", "Status und Ereignisse"]]
    for letter in evidence.letters:
        rows.append([letter.reference, letter.address + (" (Adressblatt)" if letter.cover_sheet else ""),
                     letter.units, f"{letter.pages}/{letter.sheets}", letter.sha256,
                     _lines(letter.ordered_by, local_time(letter.ordered_at)), _lines(letter.provider, letter.provider_ref),
                     _lines(letter.state, *(f"{local_time(e.at)} {e.kind}" for e in letter.events))])
    story.append(_table(rows, [26, 62, 16, 12, 48, 30, 36, 43], body))
    document.build(story)
    return buffer.getvalue()


class _Markup(str):
    """Paragraph markup built here from escaped text; any other str is escaped before reportlab
    parses it (a file name with "<img src=…>" must stay text)."""


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _lines(*lines: object) -> _Markup:
    return _Markup("<br/>".join(_escape(str(line)) for line in lines))


def _table(rows: Sequence[Sequence[object]], widths_mm: list[float], style: ParagraphStyle) -> Table:
    cells = [[Paragraph(cell if isinstance(cell, _Markup) else _escape(str(cell)), style) for cell in row] for row in rows]
    table = Table(cells, colWidths=[w * mm for w in widths_mm], repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table
