"""The built-in portal store: which documents each unit's contacts can see, in our own database.
It writes in the caller's session, so a release and its visibility commit together."""

from __future__ import annotations

from sqlmodel import Session, delete, select

from domain.models import PortalDocument
from domain.ports import PortalDoc


class DatabasePortalStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def publish(self, organisation_id: int, unit_id: int, serial_letter_id: int, documents: list[PortalDoc]) -> None:
        self.withdraw(unit_id, serial_letter_id)
        self.session.add_all(
            PortalDocument(
                organisation_id=organisation_id, unit_id=unit_id, serial_letter_id=serial_letter_id,
                title=doc.title, path=doc.path, sha256=doc.sha256,
            )
            for doc in documents
        )

    def withdraw(self, unit_id: int, serial_letter_id: int) -> int:
        result = self.session.exec(
            delete(PortalDocument).where(
                PortalDocument.unit_id == unit_id, PortalDocument.serial_letter_id == serial_letter_id
            )
        )
        return result.rowcount

    def visible(self, unit_id: int) -> list[PortalDocument]:
        return list(self.session.exec(select(PortalDocument).where(PortalDocument.unit_id == unit_id).order_by(PortalDocument.id)))
