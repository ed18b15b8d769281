"""Checking documents and letters against one profile: each distinct document is measured once
(by its sha256), its facts kept in memory and, with a store, in the database, so neither the next
letter sharing it nor the next process measures it again."""

from __future__ import annotations

import gc
import hashlib
import os
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Protocol

from domain.addresses import HOME_COUNTRY, PostalAddress
from domain.pdf.preflight.facts import (
    FACTS_VERSION,
    DocumentFacts,
    facts_from_json,
    facts_to_json,
)
from domain.pdf.preflight.findings import Finding, PreflightReport
from domain.pdf.preflight.measure import inspect_document
from domain.pdf.preflight.rules import LetterFacts, Place, document_findings, letter_findings
from domain.pdf.profiles import ProviderProfile


@dataclass(frozen=True)
class StoredDocument:
    """A stored file whose sha256 is known already (from its database row): its facts are found
    without touching the file, which `fetch` brings only when it must be measured."""

    sha256: str
    fetch: Callable[[], Path]


Document = Path | bytes | StoredDocument
"""A PDF as a file, as its bytes, or as a stored file with its known hash."""


class FactsStore(Protocol):
    """Where measured facts outlive the process (domain.services.preflight.DatabaseFacts)."""

    def load(self, profile: str, version: str, digests: Sequence[str]) -> dict[str, dict[str, Any]]: ...

    def save(self, profile: str, version: str, facts: dict[str, dict[str, Any]]) -> None: ...


# Below this many unknown documents a process pool costs more to start than it saves.
POOL_THRESHOLD = 64


class Preflight:
    """Checks documents and letters against one provider profile.

    Not thread-safe (neither is pdfium): use one per worker.
    """

    def __init__(
        self,
        profile: ProviderProfile,
        home_country: str = HOME_COUNTRY,
        cache_size: int = 16_384,
        store: FactsStore | None = None,
    ) -> None:
        self.profile = profile
        self.home_country = home_country
        self.cache_size = cache_size
        self.store = store
        self.version = f"{profile.version}.{FACTS_VERSION}"
        self.band = profile.visible_band  # computed once: every letter asks
        self._memory: OrderedDict[str, DocumentFacts] = OrderedDict()
        self._digests: dict[tuple, str] = {}
        self.hits = 0  # known from memory or the store
        self.misses = 0  # measured with pdfium

    # --- facts ---------------------------------------------------------------------------

    def digest(self, pdf: Document) -> str:
        if isinstance(pdf, StoredDocument):
            return pdf.sha256
        if isinstance(pdf, bytes):
            return hashlib.sha256(pdf).hexdigest()
        stat = pdf.stat()
        seen = (os.fspath(pdf.resolve()), stat.st_size, stat.st_mtime_ns)
        if seen not in self._digests:
            with pdf.open("rb") as file:
                self._digests[seen] = hashlib.file_digest(file, "sha256").hexdigest()
        return self._digests[seen]

    def inspect(self, pdf: Document) -> DocumentFacts:
        digest = self.digest(pdf)
        facts = self._recall(digest)
        if facts is None and self.store is not None:
            stored = self.store.load(self.profile.key, self.version, [digest]).get(digest)
            facts = self._remember(digest, facts_from_json(stored, self.profile)) if stored else None
        if facts is not None:
            self.hits += 1
            return facts
        self.misses += 1
        data = facts_to_json(inspect_document(_source(pdf), self.profile))
        if self.store is not None:
            self.store.save(self.profile.key, self.version, {digest: data})
        # Read back as a restart would: the same rounding now as later.
        return self._remember(digest, facts_from_json(data, self.profile))

    def prepare(
        self, documents: Sequence[Document], workers: int = 1, store: FactsStore | None = None
    ) -> None:
        """Know the facts of all `documents` before checking letters: from memory, from the store
        (this one, or the preflight's own) in one read, the rest measured on `workers` processes
        and stored."""
        with _collector_paused():
            self._prepare(documents, workers, store or self.store)

    def _prepare(self, documents: Sequence[Document], workers: int, store: FactsStore | None) -> None:
        by_digest = {self.digest(pdf): pdf for pdf in documents}
        unknown = [digest for digest in by_digest if self._recall(digest) is None]
        if store is not None and unknown:
            loaded = store.load(self.profile.key, self.version, unknown)
            for digest, data in loaded.items():
                self._remember(digest, facts_from_json(data, self.profile))
            self.hits += len(loaded)
            unknown = [digest for digest in unknown if digest not in loaded]
        if not unknown:
            return
        sources = [_source(by_digest[digest]) for digest in unknown]
        done = 0
        for chunk in measure_chunks(sources, self.profile, workers):  # each as soon as it is ready
            digests, done = unknown[done : done + len(chunk)], done + len(chunk)
            for digest, data in zip(digests, chunk):
                self._remember(digest, facts_from_json(data, self.profile))
            if store is not None:
                store.save(self.profile.key, self.version, dict(zip(digests, chunk)))
        self.misses += len(unknown)

    def _recall(self, digest: str) -> DocumentFacts | None:
        facts = self._memory.get(digest)
        if facts is not None:
            self._memory.move_to_end(digest)
        return facts

    def _remember(self, digest: str, facts: DocumentFacts) -> DocumentFacts:
        self._memory[digest] = facts
        if len(self._memory) > self.cache_size:
            self._memory.popitem(last=False)
        return facts

    # --- checks --------------------------------------------------------------------------

    def check_document(self, pdf: Document, *, first_in_letter: bool) -> list[Finding]:
        """Readability, encryption, page format and blank zones of one document; the first-page
        zones (e.g. a provider's postage area) only when it opens a letter. Page numbers are the
        document's own. The address is a letter's matter: see `check_letter`."""
        return document_findings(self.inspect(pdf), Place(first_in_letter), self.profile)

    def check_letter(
        self,
        documents: Sequence[Document],
        *,
        recipient: PostalAddress | None,
        registered: bool = False,
        pages: int | None = None,
        size: int | None = None,
        cover_pages: int = 0,
    ) -> PreflightReport:
        """One letter: `documents` in print order (the first carries the address on its page 1,
        blank padding pages included). `pages` and `size` describe the print file if it exists
        already; otherwise they are summed from the documents.

        `cover_pages` > 0: our own address cover sheet (and its blank back) comes first. It
        carries the recipient's address, so the documents' windows and first-page zones no
        longer matter; page numbers count from the cover."""
        if not documents:
            raise ValueError("a letter needs at least one document")
        facts = [self.inspect(document) for document in documents]
        findings: list[Finding] = []
        offset = cover_pages
        for index, document_facts in enumerate(facts):
            place = Place(index == 0 and not cover_pages, offset, index)
            findings += document_findings(document_facts, place, self.profile)
            offset += document_facts.pages
        letter = LetterFacts(
            documents=facts,
            recipient=recipient,
            profile=self.profile,
            home_country=self.home_country,
            registered=registered,
            pages=pages if pages is not None else offset,
            size=size if size is not None else sum(document.size for document in facts),
            covered=bool(cover_pages),
            band=self.band,
        )
        return PreflightReport(tuple(findings + letter_findings(letter)))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Thousands of small facts objects, built at once, make the cyclic garbage collector scan
    them again and again (it doubled the time of a warm start); they hold no cycles, so it
    rests until they are built."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _source(pdf: Document) -> Path | bytes:
    return pdf.fetch() if isinstance(pdf, StoredDocument) else pdf


def measure_many(
    documents: Sequence[Path | bytes], profile: ProviderProfile, workers: int = 1
) -> list[dict[str, Any]]:
    """The facts of each document as JSON, in order."""
    return [data for chunk in measure_chunks(documents, profile, workers) for data in chunk]


def measure_chunks(
    documents: Sequence[Path | bytes], profile: ProviderProfile, workers: int = 1
) -> Iterator[list[dict[str, Any]]]:
    """The facts of the documents as JSON, chunk by chunk in order, each as soon as it is
    measured; on several processes when it pays (pdfium is not thread-safe)."""
    if workers <= 1 or len(documents) < POOL_THRESHOLD:
        yield _measure_chunk(list(documents), profile)
        return
    size = max(16, len(documents) // (workers * 8))
    chunks = [list(documents[start : start + size]) for start in range(0, len(documents), size)]
    with ProcessPoolExecutor(workers, mp_context=get_context("forkserver")) as pool:
        yield from pool.map(_measure_chunk, chunks, [profile] * len(chunks))


def _measure_chunk(documents: list[Path | bytes], profile: ProviderProfile) -> list[dict[str, Any]]:
    return [facts_to_json(inspect_document(pdf, profile)) for pdf in documents]
