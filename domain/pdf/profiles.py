"""The postal rules of each print-and-mail provider, as data: the envelope its letters travel in,
where the recipient's address should sit, which areas must stay blank, and how many pages and
bytes a letter may have. Positions are in mm from the top-left corner of the A4 page (envelope
positions from the envelope's top-left), as the standards and providers publish them.

Sources (checked for this module; providers change their rules, so keep the links current):

- DIN 5008 Form B address field: 20 mm from the left, 45 mm from the top, 85 × 45 mm; its upper
  17.7 mm hold the return address and endorsements, the recipient's address sits below, from
  62.7 mm (https://www.din-5008-richtlinien.de/startseite/anschriftenfeld/; the same numbers in
  https://swspedia.atlassian.net/wiki/pages/viewpage.action?pageId=903720867).
- Window envelopes, DIN 680 "Fensterbriefhüllen – Formate und Fensterstellung" (sizes per
  DIN 678-1 / DIN EN ISO 269): DL is 220 × 110 mm, C6/5 229 × 114 mm; their window is 90 mm wide
  and 45 mm high, 20 mm from the left and 15 mm from the bottom edge; the A4 sheet is folded to
  105 × 210 mm for them (https://de.wiki.li/DIN_lang, citing DIN 678-1, DIN 680, DIN 5008).
  DIN 680:2008-02 section 4.1 allows ± 1 mm on window size and position and ± 1.5 mm on the outer
  size (https://de.scribd.com/document/520948447/DIN-680-2008-02). C4 is 229 × 324 mm
  (https://www.papierhandlung.co.at/wordpress2014/kuvert-und-versandtaschen-groessen/).
- The letter moves inside its envelope; what must show is what the window shows wherever the
  letter sits ("throughout the full range of movement of the insert", USPS Publication 25, 3-9,
  https://about.usps.com/publications/pub25/pub25_ch3_009.htm: the same physics, stated plainly).
- Pingen, "Letter standards" https://help.pingen.com/en/templates-and-postal-requirements/letter-standards
  (pages per letter by destination, A4, 8 MB per file) and "Letter standards & templates"
  https://help.pingen.com/en/faq-post/briefstandards-und-briefvorlagen (address area 22 mm from
  the left, 60 mm from the top, 85.5 × 25.5 mm; postage area 20/40 mm, 89.5 × 20 mm, first page).
  The older page still allows only 50 pages per letter to Germany; the newer one's 320 is used.
  Pingen also keeps "certain areas on the border of every page" clear for print automation but
  the stored pages do not give their size: the 5 mm on every edge below is an assumption
  (the border commonly used by Swiss/German print-and-mail services), not a confirmed number.
  Pingen does not publish its envelope: its address area is its promise of what the window
  shows, so it is the visible band for Pingen and stays binding.
- LetterXpress publishes no millimetre zones: it posts in window envelopes ("Fenster-
  Kuvertierhüllen") with the standard fold and reads the address from the window
  (https://www.letterxpress.de/news/briefe-richtig-adressieren), so its profile uses the DIN 5008
  Form B field. Which envelope it uses is not published; C6/5 is assumed (the machine-inserted
  size, and the smaller visible band of the two). Up to 550 sheets per letter
  (https://letterxpress.de/news/maschinelle-lesbarkeit-von-briefen); API v3 requests are limited
  to 50 MB (shared/FIELD-NOTES.md), and the PDF travels base64-encoded inside that request.
"""

from __future__ import annotations

import hashlib
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


class Envelope(BaseModel):
    """A window envelope and the folded letter inside it. The letter can slide by the difference
    of their sizes (its play); the band of the page that the window shows wherever the letter
    sits is what an address must stay within."""

    model_config = ConfigDict(frozen=True)

    name: str
    size: tuple[float, float]  # outer width, height in mm
    window: Rect  # on the envelope, from its top-left corner
    window_tolerance_mm: float = 1.0  # DIN 680:2008-02, 4.1 b
    folded: tuple[float, float] = (210.0, 105.0)  # the letter as inserted: width, height in mm
    assumed: tuple[str, ...] = ()  # which of the numbers above are assumptions, in words
    source: str = ""

    @property
    def play(self) -> tuple[float, float]:
        """How far the letter can slide sideways and up or down. Computed from the outer size:
        the pocket inside is smaller, so the real play is less and the band errs on the safe side."""
        return (max(0.0, self.size[0] - self.folded[0]), max(0.0, self.size[1] - self.folded[1]))

    def visible_band(self) -> Rect:
        """On the page: what the window shows wherever the letter sits. With the letter's top-left
        corner pushed into the envelope's, the window shows `window`; slid by the play, the same
        window less the play. Both, less the window's tolerance, and only the folded front panel."""
        play_x, play_y = self.play
        tolerance = self.window_tolerance_mm
        left = self.window.left + tolerance
        top = self.window.top + tolerance
        right = self.window.right - play_x - tolerance
        bottom = min(self.window.bottom - play_y - tolerance, self.folded[1])
        return Rect(left, top, max(0.0, right - left), max(0.0, bottom - top))


def _din_680(name: str, size: tuple[float, float], **more) -> Envelope:
    """DIN 680 windows: 90 × 45 mm, 20 mm from the left, 15 mm from the bottom."""
    window = Rect(20.0, size[1] - 15.0 - 45.0, 90.0, 45.0)
    return Envelope(name=name, size=size, window=window, source="DIN 680, DIN 678-1", **more)


DL = _din_680("DL", (220.0, 110.0))
C6_5 = _din_680("C6/5", (229.0, 114.0))
C4 = Envelope(
    name="C4",
    size=(229.0, 324.0),
    window=Rect(20.0, 50.0, 90.0, 45.0),
    folded=A4_MM,
    assumed=("window position and size: not in the sources read, taken as the DL window's "
             "place relative to the sheet's top edge",),
    source="DIN 678-1 (size)",
)
ENVELOPES = {envelope.name: envelope for envelope in (DL, C6_5, C4)}


class ProviderProfile(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    display_name: str
    # Where the address belongs on the letter's first page: the DIN field's address zone (outside
    # it but inside the window band is advisory) or, without an envelope, the provider's own
    # published area (binding: it is the provider's promise of what its window shows).
    address_zone: Rect
    envelope: Envelope | None = None
    assumed: tuple[str, ...] = ()  # numbers in this profile that are assumptions, in words
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

    @property  # not cached: model_copy(update=...) would carry a stale value over
    def visible_band(self) -> Rect:
        """What the envelope window always shows: an address crossing its edge blocks dispatch."""
        return self.envelope.visible_band() if self.envelope else self.address_zone

    @property
    def version(self) -> str:
        """Changes whenever any number of the profile does: stored measurements of an older
        version are measured again."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]


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
    envelope=DL,
    assumed=("envelope: DL, the common one for letters folded and inserted by hand",),
    source="DIN 5008 Form B address field, DIN 680 DL window envelope",
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
    assumed=("blank borders of 5 mm on every page edge",),
    source="https://help.pingen.com/en/templates-and-postal-requirements/letter-standards",
)

LETTERXPRESS = ProviderProfile(
    key="letterxpress",
    display_name="LetterXpress",
    address_zone=DIN_5008_B_ADDRESS,
    envelope=C6_5,
    assumed=("envelope: C6/5, the machine-inserted size; LetterXpress does not name it",),
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
