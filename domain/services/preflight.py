"""Preflight as the use cases need it: the provider's profile, the facts store in the database,
and a check of a planned letter against the stored documents."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import partial
from itertools import takewhile
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from domain.dispatch import DispatchOptions, DocPart, LetterCheck, PlanInputs, PlannedLetter
from domain.models import PreflightFacts
from domain.pdf.preflight import Preflight, PreflightReport, StoredDocument
from domain.pdf.profiles import ProviderProfile, get_profile
from domain.ports import Capabilities, FileStore, Ports

CHUNK = 500  # digests per query: well below SQLite's and PostgreSQL's parameter limits


def profile_for(capabilities: Capabilities) -> ProviderProfile:
    return get_profile(capabilities.profile)


class DatabaseFacts:
    """Measured facts in the `preflightfacts` table. It keeps its own short transactions: a
    measurement is true whatever becomes of the order that caused it, and two instances that
    measure the same document write the same row (the second insert is dropped)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def load(self, profile: str, version: str, digests: Sequence[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        with Session(self.engine) as session:
            for start in range(0, len(digests), CHUNK):
                rows = session.execute(
                    select(PreflightFacts.sha256, PreflightFacts.facts).where(
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
             "facts": json.dumps(data, separators=(",", ":"), ensure_ascii=False)}
            for digest, data in facts.items()
        ]
        if not rows:
            return
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        with Session(self.engine) as session:
            for start in range(0, len(rows), CHUNK):
                insert = dialect.insert(PreflightFacts).on_conflict_do_nothing()
                session.execute(insert, rows[start : start + CHUNK])
            session.commit()


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
    preflight.prepare([stored(ports.files, part) for part in parts], workers=ports.print_workers)


def letter_check(preflight: Preflight, files: FileStore) -> LetterCheck:
    def check(letter: PlannedLetter, options: DispatchOptions) -> PreflightReport:
        documents = [stored(files, part) for part in (*letter.documents, *letter.attachments)]
        return preflight.check_letter(
            documents, recipient=letter.contact.address, registered=options.registered,
            pages=letter.pages, cover_pages=cover_pages(letter),
        )

    return check
