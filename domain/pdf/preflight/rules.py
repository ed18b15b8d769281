"""The postal rules, each a small function over measured facts (no pdfium here). A rule about one
document goes into DOCUMENT_RULES, a rule about the whole letter into LETTER_RULES; how hard a
finding is (blocks or advisory) is decided by its rule in `findings.ADVISORY_RULES`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from domain.addresses import PostalAddress, address_mismatches
from domain.messages import Message
from domain.pdf.geometry import Rect
from domain.pdf.preflight.address import locate_address
from domain.pdf.preflight.facts import DocumentFacts, FirstPage, ZoneHit
from domain.pdf.preflight.findings import CountryName, Finding, MessageList, Rule, area_fact
from domain.pdf.preflight.frame import area, overlap
from domain.pdf.profiles import ProviderProfile

EDGE_TOLERANCE_MM = 0.05  # rounding in the PDF's coordinates, not a margin


@dataclass(frozen=True)
class Place:
    """Where a document sits in its letter: whether it opens the letter (its page 1 faces the
    window), how many pages come before it, and its index (None: checked on its own)."""

    first_in_letter: bool
    offset: int = 0
    index: int | None = None


@dataclass(frozen=True)
class LetterFacts:
    """One letter as the letter rules see it."""

    documents: Sequence[DocumentFacts]
    recipient: PostalAddress | None
    profile: ProviderProfile
    home_country: str
    registered: bool = False
    pages: int = 0
    size: int = 0
    covered: bool = False  # our address cover sheet comes first: the documents' windows are moot
    band: Rect | None = None  # profile.visible_band, when the caller has it at hand already


DocumentRule = Callable[[DocumentFacts, Place, ProviderProfile], list[Finding]]
LetterRule = Callable[[LetterFacts], list[Finding]]


# --- one document ----------------------------------------------------------------------------


def page_format(facts: DocumentFacts, place: Place, profile: ProviderProfile) -> list[Finding]:
    findings = []
    for index, width, height in facts.bad_formats:
        page = place.offset + index + 1
        orientation = "landscape" if width > height else "portrait"
        message = Message(
            "preflight.page_format",
            {
                "page": page,
                "width": width,
                "height": height,
                "orientation": Message(f"preflight.orientation.{orientation}"),
                "tolerance": profile.page_tolerance_mm,
            },
        )
        findings.append(Finding(Rule.PAGE_FORMAT, message, page, place.index))
    return findings


def blank_zones(facts: DocumentFacts, place: Place, profile: ProviderProfile) -> list[Finding]:
    return [
        _zone_finding(hit, place)
        for hit in facts.zone_hits
        if hit.zone.applies_to(hit.page_index, place.first_in_letter)
    ]


def _zone_finding(hit: ZoneHit, place: Place) -> Finding:
    page = place.offset + hit.page_index + 1
    facts = {
        "page": page,
        "kind": Message(f"preflight.kind.{hit.kind}"),
        "left": hit.rect.left,
        "top": hit.rect.top,
        "width": hit.rect.width,
        "height": hit.rect.height,
        "zone": hit.zone.label,
        "area": area_fact(hit.zone.rect),
    }
    key = "preflight.blank_zone"
    if hit.others:
        key, facts["others"] = "preflight.blank_zone.more", hit.others
    return Finding(Rule.BLANK_ZONE, Message(key, facts), page, place.index)


DOCUMENT_RULES: tuple[DocumentRule, ...] = (page_format, blank_zones)


def document_findings(facts: DocumentFacts, place: Place, profile: ProviderProfile) -> list[Finding]:
    """An unreadable or encrypted document says only that: nothing else was measured."""
    if facts.problem is not None:
        return [Finding(facts.problem_rule or Rule.UNREADABLE, facts.problem, None, place.index)]
    return [finding for rule in DOCUMENT_RULES for finding in rule(facts, place, profile)]


# --- the whole letter --------------------------------------------------------------------------


def recipient_known(letter: LetterFacts) -> list[Finding]:
    if letter.recipient is not None:
        return []
    return [Finding(Rule.RECIPIENT_MISSING, Message("preflight.recipient_missing"))]


def address_in_window(letter: LetterFacts) -> list[Finding]:
    """Blocks when the window would cut the address off, or shows none or someone else's;
    a DIN 5008 deviation the window still shows is an advisory."""
    first = letter.documents[0].first_page if letter.documents else None
    if first is None or letter.covered:
        return []
    profile, recipient = letter.profile, letter.recipient
    band = letter.band or profile.visible_band
    block = locate_address(first.lines, recipient, letter.home_country) if recipient else None
    if block is None:
        return _window_reads(first, recipient, band, letter.home_country)
    if not band.contains(block, tolerance=EDGE_TOLERANCE_MM):
        return _edge_findings(Rule.ADDRESS_OUTSIDE_WINDOW, "preflight.address_outside", block, band)
    advisories = []
    if profile.envelope is not None:  # else the provider's own area is the band, checked above
        advisories = _edge_findings(
            Rule.ADDRESS_OFF_FIELD, "preflight.address_field", block, profile.address_zone
        )
    return advisories + _window_reads(first, recipient, band, letter.home_country)


def _window_reads(
    first: FirstPage, recipient: PostalAddress | None, band: Rect, home_country: str
) -> list[Finding]:
    """What the window shows: readable text, and the recipient's address in it."""
    if not first.window_text:
        if first.images:
            image = max(first.images, key=lambda rect: area(overlap(rect, band) or rect))
            facts = {"zone": area_fact(band), "width": image.width, "height": image.height}
            return [Finding(Rule.ADDRESS_IMAGE, Message("preflight.address_image", facts), 1, 0)]
        message = Message("preflight.address_missing", {"zone": area_fact(band)})
        return [Finding(Rule.ADDRESS_MISSING, message, 1, 0)]
    if recipient is None:
        return []
    missing = address_mismatches(
        first.window_text, recipient, home_country, window_norm=first.window_norm
    )
    if not missing:
        return []
    facts = {
        "recipient": ", ".join(recipient.window_lines(home_country)),
        "parts": MessageList(items=tuple(Message(f"preflight.part.{part}") for part in missing)),
        "window": first.window_text.replace("\n", " / "),
    }
    return [Finding(Rule.ADDRESS_MISMATCH, Message("preflight.address_mismatch", facts), 1, 0)]


def _edge_findings(rule: Rule, key: str, block: Rect, zone: Rect) -> list[Finding]:
    """One finding per edge of `zone` that `block` crosses, with both numbers."""
    edges = (
        ("top", block.top, zone.top, block.top < zone.top - EDGE_TOLERANCE_MM),
        ("bottom", block.bottom, zone.bottom, block.bottom > zone.bottom + EDGE_TOLERANCE_MM),
        ("left", block.left, zone.left, block.left < zone.left - EDGE_TOLERANCE_MM),
        ("right", block.right, zone.right, block.right > zone.right + EDGE_TOLERANCE_MM),
    )
    return [
        Finding(rule, Message(f"{key}.{edge}", {"measured": measured, "limit": limit}), 1, 0)
        for edge, measured, limit, crossed in edges
        if crossed
    ]


def page_limit(letter: LetterFacts) -> list[Finding]:
    profile = letter.profile
    country = letter.recipient.country if letter.recipient else letter.home_country
    limit = profile.page_limit(country)
    if limit is None or letter.pages <= limit:
        return []
    facts = {
        "pages": letter.pages,
        "limit": limit,
        "provider": profile.display_name,
        "country": CountryName(code=country),
    }
    return [Finding(Rule.PAGE_LIMIT, Message("preflight.page_limit", facts))]


def file_size(letter: LetterFacts) -> list[Finding]:
    profile = letter.profile
    if profile.max_file_bytes is None or letter.size <= profile.max_file_bytes:
        return []
    facts = {
        "size": letter.size / 1e6,
        "limit": profile.max_file_bytes / 1e6,
        "provider": profile.display_name,
    }
    return [Finding(Rule.FILE_SIZE, Message("preflight.file_size", facts))]


def registered_at_home(letter: LetterFacts) -> list[Finding]:
    profile, recipient = letter.profile, letter.recipient
    if not letter.registered or recipient is None:
        return []
    if recipient.country in profile.registered_countries:
        return []
    allowed = MessageList(
        items=tuple(CountryName(code=code) for code in sorted(profile.registered_countries))
    )
    facts = {
        "provider": profile.display_name,
        "allowed": allowed,
        "country": CountryName(code=recipient.country),
    }
    return [Finding(Rule.REGISTERED_ABROAD, Message("preflight.registered_abroad", facts))]


LETTER_RULES: tuple[LetterRule, ...] = (
    recipient_known,
    address_in_window,
    page_limit,
    file_size,
    registered_at_home,
)


def letter_findings(letter: LetterFacts) -> list[Finding]:
    return [finding for rule in LETTER_RULES for finding in rule(letter)]
