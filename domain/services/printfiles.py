"""Print files: a letter's stored recipe (documents, cover sheet, blank pages) turned into the
PDF that goes to the printer. Both ordering and hand-over build them, so they live apart from both."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from domain.addresses import PostalAddress
from domain.models import DispatchOrder, Organisation, Property, SerialLetter, Shipment
from domain.pdf.assemble import BLANK, Blank, FilePages, PrintJob, write_print_files
from domain.pdf.layout import render_cover_sheet
from domain.ports import Ports
from domain.services.preflight import capabilities_of, profile_for
from domain.services.storage import all_or_nothing

BERLIN = ZoneInfo("Europe/Berlin")


def berlin_today(now: datetime) -> date:
    """A "send on" date is a day in the company's calendar, not in UTC."""
    return now.astimezone(BERLIN).date()


def order_key(order: DispatchOrder) -> str:
    return f"BW{order.serial_letter_id}-{order.id}"


@dataclass(frozen=True)
class PrintContext:
    """What a cover sheet needs to know besides the recipient, and the scratch files (cover
    sheets, print files before they are stored) this run wrote and `done` removes."""

    organisation: Organisation
    prop: Property
    serial: SerialLetter
    return_line: str  # empty where the provider prints the sender itself
    scratch: list[Path] = field(default_factory=list)

    @classmethod
    def load(cls, session: Session, ports: Ports, serial: SerialLetter) -> PrintContext:
        organisation = session.get(Organisation, serial.organisation_id)
        profile = profile_for(capabilities_of(ports, organisation))
        return_line = organisation.return_line if profile.prints_return_line else ""
        return cls(organisation, session.get(Property, serial.property_id), serial, return_line)

    def scratch_file(self, ports: Ports) -> Path:
        path = ports.files.staging_file(".pdf")
        self.scratch.append(path)
        return path

    def done(self) -> None:
        for path in self.scratch:
            path.unlink(missing_ok=True)
        self.scratch.clear()


@contextmanager
def print_context(session: Session, ports: Ports, serial: SerialLetter) -> Iterator[PrintContext]:
    context = PrintContext.load(session, ports, serial)
    try:
        yield context
    finally:
        context.done()


def print_parts_of(ports: Ports, context: PrintContext, reference: str, recipient: PostalAddress,
                   recipes: list[dict[str, Any]]) -> list[FilePages | Blank]:
    """A letter's recipe as parts the assembler reads: stored documents checked against their
    hash, a cover sheet rendered to a scratch file first."""
    parts: list[FilePages | Blank] = []
    for recipe in recipes:
        if recipe["kind"] == "blank":
            parts.append(BLANK)
        elif recipe["kind"] == "cover":
            parts.append(FilePages(_write_cover(ports, context, recipient, recipe["units"])))
        else:
            parts.append(FilePages(ports.files.local(recipe["path"])))
    return parts


def print_job(ports: Ports, context: PrintContext, reference: str, recipient: PostalAddress, recipes: list[dict[str, Any]]) -> PrintJob:
    parts = print_parts_of(ports, context, reference, recipient, recipes)
    return PrintJob(tuple(parts), context.scratch_file(ports), title=context.serial.title)


def cover_lines(context: PrintContext, unit_labels: list[str]) -> list[str]:
    return [
        f"Unterlagen: {context.serial.title}",
        f"Liegenschaft: {context.prop.name}",
        f"Einheit(en): {', '.join(unit_labels)}",
    ]


def _write_cover(ports: Ports, context: PrintContext, recipient: PostalAddress, unit_labels: list[str]) -> Path:
    pdf = render_cover_sheet(context.return_line, recipient.window_lines(context.organisation.home_country),
                             cover_lines(context, unit_labels))
    path = context.scratch_file(ports)
    path.write_bytes(pdf)
    return path


def build_print_files(session: Session, ports: Ports, context: PrintContext, shipments: list[Shipment]) -> None:
    """Writes and stores the print files still missing; a stored one is reused."""
    missing = [s for s in shipments if not (s.print_path and s.sha256 and ports.files.has(s.print_path))]
    ports.files.prefetch([recipe["path"] for s in missing for recipe in s.parts if recipe["kind"] == "document"])
    jobs = [print_job(ports, context, s.reference, PostalAddress(**s.recipient), s.parts) for s in missing]
    written = write_print_files(jobs, workers=ports.print_workers)
    with all_or_nothing(session, ports.files):
        keys = ports.files.put_files([(job.target, result.sha256) for job, result in zip(jobs, written)])
        for shipment, key, result in zip(missing, keys, written):
            shipment.print_path, shipment.sha256, shipment.pages = key, result.sha256, result.pages
            session.add(shipment)
