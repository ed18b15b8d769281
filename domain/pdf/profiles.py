"""The postal rules of each print-and-mail provider, as data: where the recipient's address must
sit, which areas must stay blank, and how many pages and bytes a letter may have. Positions are in
mm from the top-left corner of the A4 page, as the providers publish them.

Sources (checked for this module; providers change their rules, so keep the links current):

- DIN 5008 Form B address field: 20 mm from the left, 45 mm from the top, 85 × 45 mm; its upper
  17.7 mm hold the return address and endorsements, the recipient's address sits below
  (shared/FIELD-NOTES.md; the same numbers in https://swspedia.atlassian.net/wiki/pages/viewpage.action?pageId=903720867).
- Pingen, "Letter standards" https://help.pingen.com/en/templates-and-postal-requirements/letter-standards
  (pages per letter by destination, A4, 8 MB per file) and "Letter standards & templates"
  https://help.pingen.com/en/faq-post/briefstandards-und-briefvorlagen (address area 22 mm from
  the left, 60 mm from the top, 85.5 × 25.5 mm; postage area 20/40 mm, 89.5 × 20 mm, first page).
  The older page still allows only 50 pages per letter to Germany; the newer one's 320 is used.
  Pingen also keeps "certain areas on the border of every page" clear for print automation but
  the stored pages do not give their size: the 5 mm on every edge below is an assumption
  (the border commonly used by Swiss/German print-and-mail services), not a confirmed number.
- LetterXpress publishes no millimetre zones: it posts in DIN window envelopes with the standard
  fold and reads the address from the window (https://www.letterxpress.de/news/briefe-richtig-adressieren),
  so its profile uses the DIN 5008 Form B field. Up to 550 sheets per letter
  (https://letterxpress.de/news/maschinelle-lesbarkeit-von-briefen); API v3 requests are limited
  to 50 MB (shared/FIELD-NOTES.md), and the PDF travels base64-encoded inside that request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.errors import NotFound
from domain.messages import CATALOG, Message
from domain.pdf.geometry import A4_MM, Rect

ZonePages = Literal["first", "all"]


class Zone(BaseModel):
    """An area that must stay blank: on the letter's first page only, or on every page."""

    model_config = ConfigDict(frozen=True)

    name: str
    rect: Rect
    pages: ZonePages = "all"

    @property
    def label(self) -> Message:
        key = f"preflight.zone.{self.name}"
        return (
            Message(key) if key in CATALOG else Message("preflight.zone.other", {"name": self.name})
        )

    def applies_to(self, page_index: int, first_in_letter: bool) -> bool:
        return self.pages == "all" or (first_in_letter and page_index == 0)


class ProviderProfile(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    display_name: str
    address_zone: Rect  # where the recipient's address must lie on the letter's first page
    blank_zones: tuple[Zone, ...] = ()
    max_pages: int | None = None  # per letter, to any destination not listed below
    max_pages_by_country: Mapping[str, int] = Field(default_factory=dict)
    max_file_bytes: int | None = None
    page_tolerance_mm: float = 1.0
    registered_countries: frozenset[str] = frozenset({"DE"})
    prints_return_line: bool = True  # False: the provider prints the sender itself, keep the area free
    source: str = ""

    def page_limit(self, country: str) -> int | None:
        return self.max_pages_by_country.get(country, self.max_pages)


def _borders(width_mm: float) -> tuple[Zone, ...]:
    page_w, page_h = A4_MM
    return (
        Zone(name="border_top", rect=Rect(0.0, 0.0, page_w, width_mm)),
        Zone(name="border_bottom", rect=Rect(0.0, page_h - width_mm, page_w, width_mm)),
        Zone(name="border_left", rect=Rect(0.0, 0.0, width_mm, page_h)),
        Zone(name="border_right", rect=Rect(page_w - width_mm, 0.0, width_mm, page_h)),
    )


# DIN 5008 Form B: field 20/45 mm, 85 × 45 mm; the recipient below the 17.7 mm return-address zone.
_DIN_RETURN_ZONE_MM = 17.7
DIN_5008_B_ADDRESS = Rect(20.0, 45.0 + _DIN_RETURN_ZONE_MM, 85.0, 45.0 - _DIN_RETURN_ZONE_MM)

DIN_5008_B = ProviderProfile(
    key="din5008b",
    display_name="DIN 5008 Form B",
    address_zone=DIN_5008_B_ADDRESS,
    source="DIN 5008 Form B address field (shared/FIELD-NOTES.md)",
)

PINGEN = ProviderProfile(
    key="pingen",
    display_name="Pingen",
    address_zone=Rect(22.0, 60.0, 85.5, 25.5),
    blank_zones=(
        Zone(name="postage", rect=Rect(20.0, 40.0, 89.5, 20.0), pages="first"),
        *_borders(5.0),
    ),
    max_pages=120,  # "rest of the world"
    max_pages_by_country={
        "DE": 320,
        "AT": 320,
        "BE": 320,
        "FR": 320,
        "CH": 120,
        "GB": 500,
        "NL": 14,
        "IN": 16,
    },
    max_file_bytes=8_000_000,  # "8 MB"; read as decimal megabytes to stay on the safe side
    prints_return_line=False,  # the return line would sit in the postage area
    source="https://help.pingen.com/en/templates-and-postal-requirements/letter-standards",
)

LETTERXPRESS = ProviderProfile(
    key="letterxpress",
    display_name="LetterXpress",
    address_zone=DIN_5008_B_ADDRESS,
    max_pages=550,  # sheets; counted as pages so simplex letters are safe too
    # 50 MB per API request, and base64 makes the PDF a third larger: 37.5 MB, less room for JSON.
    max_file_bytes=36_000_000,
    source="https://www.letterxpress.de/news/briefe-richtig-adressieren",
)

PROFILES: dict[str, ProviderProfile] = {
    profile.key: profile for profile in (DIN_5008_B, PINGEN, LETTERXPRESS)
}


def get_profile(key: str) -> ProviderProfile:
    try:
        return PROFILES[key]
    except KeyError:
        raise NotFound("not_found", what=Message("preflight.profile"), ref=key) from None
