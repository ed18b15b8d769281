"""Preflight as the use cases need it: the provider's profile, the facts store in the database,
and a check of a planned letter against the stored documents."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import partial
from itertools import takewhile
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from domain.dispatch import DispatchOptions, DocPart, LetterCheck, PlanInputs, PlannedLetter
from domain.models import Organisation, PreflightFacts, utcnow
from domain.pdf.preflight import Preflight, PreflightReport, StoredDocument
from domain.pdf.profiles import ProviderProfile, get_profile
from domain.ports import Capabilities, FileStore, Ports
from domain.storage import BlobMissing

CHUNK = 500  # digests per query: well below SQLite's and PostgreSQL's parameter limits
UNAVAILABLE = Capabilities(available=False)


def capabilities_of(ports: Ports, organisation: Organisation) -> Capabilities:
    """What the organisation's provider offers; without one, the yellow button."""
    provider = ports.provider(organisation.provider)
    return provider.capabilities if provider else UNAVAILABLE


def profile_for(capabilities: Capabilities) -> ProviderProfile:
    return get_profile(capabilities.profile)


class DatabaseFacts:
    """Measured facts in the `preflightfacts` table, read and written in the caller's unit of
    work (it commits them with everything else; a second connection would wait on SQLite's
    write lock the unit of work holds). Two instances that measure the same document write the
    same row: the second insert is dropped."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def load(self, profile: str, version: str, digests: Sequence[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(digests), CHUNK):
            rows = self.session.execute(
                select(col(PreflightFacts.sha256), col(PreflightFacts.facts)).where(
                    col(PreflightFacts.profile) == profile,
                    col(PreflightFacts.profile_version) == version,
                    col(PreflightFacts.sha256).in_(digests[start : start + CHUNK]),
                )
            )
            found.update((digest, json.loads(text)) for digest, text in rows)
        return found

    def save(self, profile: str, version: str, facts: dict[str, dict[str, Any]]) -> None:
        rows = [
            {"sha256": digest, "profile": profile, "profile_version": version,
             "facts": json.dumps(data, separators=(",", ":"), ensure_ascii=False), "created_at": utcnow()}
            for digest, data in facts.items()
        ]
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        for start in range(0, len(rows), CHUNK):
            self.session.execute(dialect.insert(PreflightFacts).on_conflict_do_nothing(), rows[start : start + CHUNK])


def cover_pages(letter: PlannedLetter) -> int:
    """The cover sheet and its blank back, as `print_parts` put them before the documents."""
    return sum(part.page_count for part in takewhile(lambda part: not isinstance(part, DocPart), letter.parts))


def stored(files: FileStore, part: DocPart) -> StoredDocument:
    """The part by its known hash; the file is fetched (and verified) only if it must be measured."""
    return StoredDocument(part.sha256, partial(files.local, part.path))


def prepare_preflight(preflight: Preflight, ports: Ports, inputs: PlanInputs) -> None:
    """Every document of the serial letter known before its letters are checked: one read of
    the stored facts, the new documents measured on the print workers and stored in one write."""
    parts = [part for documents in inputs.unit_documents.values() for part in documents.values()]
    parts += inputs.attachments
    for part in parts:  # a lost file is named now, not half-way through an order
        if not ports.files.has(part.path):
            raise BlobMissing(part.path, ports.files.where)
    documents = [stored(ports.files, part) for part in parts]
    preflight.prepare(documents, workers=ports.print_workers, store=ports.facts)


def letter_check(preflight: Preflight, files: FileStore) -> LetterCheck:
    def check(letter: PlannedLetter, options: DispatchOptions) -> PreflightReport:
        documents = [stored(files, part) for part in (*letter.documents, *letter.attachments)]
        return preflight.check_letter(
            documents, recipient=letter.contact.address, registered=options.registered,
            pages=letter.pages, cover_pages=cover_pages(letter),
        )

    return check
