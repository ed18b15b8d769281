"""Sheets, envelope class and a cost estimate for letters, from a price table kept in settings."""

from __future__ import annotations

import math
from dataclasses import dataclass

from pydantic import BaseModel, Field


class EnvelopeClass(BaseModel):
    """A Deutsche Post product by weight; `max_sheets` is what fits the weight with the envelope."""

    name: str
    max_sheets: int
    postage_cents: int
    postage_abroad_cents: int


DEFAULT_ENVELOPES = [
    # ≤ 20 g: about 3 sheets of 80 g/m² A4 with a DL window envelope
    EnvelopeClass(name="Standardbrief", max_sheets=3, postage_cents=95, postage_abroad_cents=125),
    EnvelopeClass(name="Kompaktbrief", max_sheets=8, postage_cents=110, postage_abroad_cents=180),
    EnvelopeClass(name="Großbrief", max_sheets=90, postage_cents=180, postage_abroad_cents=330),
]


class PriceTable(BaseModel):
    """Net prices in euro cents; override with BRIEFWERK_PRICES='{"registered_cents": 350, ...}'."""

    envelopes: list[EnvelopeClass] = Field(default_factory=lambda: list(DEFAULT_ENVELOPES))
    handling_cents: int = 30  # envelope, inserting, per letter
    page_bw_cents: int = 8
    page_colour_cents: int = 25
    registered_cents: int = 350  # Einwurfeinschreiben surcharge

    def envelope_for(self, sheets: int) -> EnvelopeClass | None:
        for envelope in sorted(self.envelopes, key=lambda e: e.max_sheets):
            if sheets <= envelope.max_sheets:
                return envelope
        return None


def sheets_for(pages: int, duplex: bool) -> int:
    return math.ceil(pages / 2) if duplex else pages


@dataclass(frozen=True)
class LetterCost:
    pages: int
    sheets: int
    envelope: str | None  # None: too thick for any envelope in the table
    cents: int
    quoted: bool = False  # True: the provider's own price, not our table's


def letter_cost(
    prices: PriceTable, *, pages: int, duplex: bool, colour: bool, registered: bool, abroad: bool
) -> LetterCost:
    """Printed pages are charged (blank backs included: the printer handles them as pages)."""
    sheets = sheets_for(pages, duplex)
    envelope = prices.envelope_for(sheets)
    postage = 0
    if envelope is not None:
        postage = envelope.postage_abroad_cents if abroad else envelope.postage_cents
    per_page = prices.page_colour_cents if colour else prices.page_bw_cents
    cents = prices.handling_cents + postage + per_page * pages
    if registered:
        cents += prices.registered_cents
    return LetterCost(pages=pages, sheets=sheets, envelope=envelope.name if envelope else None, cents=cents)


def format_euro(cents: int, locale: str = "de") -> str:
    euros = f"{cents / 100:,.2f}"
    if locale == "de":
        euros = euros.replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{euros} €"
