"""Preflight: checks a letter's print file against the postal rules of the provider's profile
before anything is ordered, and names for every failure the rule, what was measured and whether
it blocks dispatch or is only advisory.

Where things are:
- `measure` (with `ink`, `frame`): pdfium reads one document into `facts`, once per sha256;
- `rules`: the postal rules over those facts; a new rule is one function in its lists there;
- `findings`: rules, severities, reports;
- `check`: `Preflight`, which measures each distinct document once and keeps the facts in memory
  and, given a store, in the database;
- `picture`: the window picture for Slack.
"""

from __future__ import annotations

from domain.addresses import HOME_COUNTRY
from domain.pdf.preflight.address import locate_address
from domain.pdf.preflight.check import (
    Document,
    FactsStore,
    Preflight,
    StoredDocument,
    measure_many,
)
from domain.pdf.preflight.facts import DocumentFacts, FirstPage, TextLine, ZoneHit
from domain.pdf.preflight.findings import (
    CountryName,
    Finding,
    MessageList,
    PreflightReport,
    Rule,
    Severity,
)
from domain.pdf.preflight.frame import MAX_PIXELS, PageFrame, clamped_scale
from domain.pdf.preflight.measure import inspect_document, window_text
from domain.pdf.preflight.picture import (
    ADVISORY_COLOUR,
    BLOCKING_COLOUR,
    OK_COLOUR,
    address_verdict,
    render_window_preview,
)
from domain.pdf.profiles import ProviderProfile

__all__ = [
    "ADVISORY_COLOUR", "BLOCKING_COLOUR", "MAX_PIXELS", "OK_COLOUR", "CountryName", "Document",
    "DocumentFacts", "FactsStore", "Finding", "FirstPage", "MessageList", "PageFrame", "Preflight",
    "PreflightCache", "PreflightReport", "Rule", "Severity", "StoredDocument", "TextLine",
    "ZoneHit", "address_verdict", "clamped_scale", "inspect_document", "locate_address",
    "measure_many", "render_window_preview", "window_text",
]


class PreflightCache:
    """One `Preflight` per profile and home country, sharing one facts store; pdfium is not
    thread-safe, so the app keeps one cache per worker process and uses it from one thread at
    a time."""

    def __init__(self, store: FactsStore | None = None) -> None:
        self.store = store
        self._checks: dict[tuple[str, str], Preflight] = {}

    def get(self, profile: ProviderProfile, home_country: str = HOME_COUNTRY) -> Preflight:
        key = (profile.key, home_country)
        current = self._checks.get(key)
        if current is None or current.profile != profile:
            current = self._checks[key] = Preflight(profile, home_country, store=self.store)
        return current
