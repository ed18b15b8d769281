"""Master data from the ERP (properties, units, contacts): a preview that changes nothing, the
import itself all or nothing, and the record of who imported what and when."""

from __future__ import annotations

import hashlib
from datetime import date

from sqlmodel import Session, col, select

from domain.actors import Actor
from domain.importer import ImportLimits, ImportReport, import_rows, read_file
from domain.models import ImportRun, Organisation
from domain.services.lookup import key_of


def preview(session: Session, organisation: Organisation, filename: str, data: bytes, today: date,
            limits: ImportLimits | None = None) -> ImportReport:
    """What importing the file would do, counted by applying it and rolling back."""
    try:
        return import_rows(session, key_of(organisation), filename, read_file(filename, data, limits), today, limits)
    finally:
        session.rollback()


def run_import(session: Session, organisation: Organisation, filename: str, data: bytes, today: date,
               by: Actor | None, route: str, limits: ImportLimits | None = None) -> ImportReport:
    """Imports the file completely or not at all; an applied import is recorded with who ran it.
    An organisation created for this import commits with it, or not at all."""
    organisation_id = key_of(organisation)
    report = import_rows(session, organisation_id, filename, read_file(filename, data, limits), today, limits)
    if not report.ok:
        session.rollback()
        return report
    session.add(ImportRun(
        organisation_id=organisation_id, filename=filename, sha256=hashlib.sha256(data).hexdigest(), route=route,
        by_id=by.staff_id if by else None, by_name=by.name if by else route, rows=report.rows,
        created=report.created, updated=report.updated, ended_links=report.ended_links))
    session.commit()
    return report


def recent_imports(session: Session, organisation_id: int, limit: int = 5) -> list[ImportRun]:
    return list(session.exec(select(ImportRun).where(ImportRun.organisation_id == organisation_id)
                             .order_by(col(ImportRun.id).desc()).limit(limit)))
