"""What preflight reports: the rules, how hard each one is, and a letter's findings."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.addresses import country_name
from domain.messages import DEFAULT_LOCALE, Message
from domain.pdf.geometry import Rect


class Rule(StrEnum):
    UNREADABLE = "unreadable"
    ENCRYPTED = "encrypted"
    PAGE_FORMAT = "page_format"
    RECIPIENT_MISSING = "recipient_missing"
    ADDRESS_MISSING = "address_missing"
    ADDRESS_IMAGE = "address_image"
    ADDRESS_OUTSIDE_WINDOW = "address_outside_window"
    ADDRESS_OFF_FIELD = "address_off_field"
    ADDRESS_MISMATCH = "address_mismatch"
    BLANK_ZONE = "blank_zone"
    PAGE_LIMIT = "page_limit"
    FILE_SIZE = "file_size"
    REGISTERED_ABROAD = "registered_abroad"


class Severity(StrEnum):
    BLOCKS = "blocks"  # would not be delivered or printed as meant, or the provider rejects it
    ADVISORY = "advisory"  # a DIN 5008 deviation that stays readable: shown, never costs money


# Everything blocks unless listed here: a new rule is strict until someone argues otherwise.
ADVISORY_RULES = frozenset({Rule.ADDRESS_OFF_FIELD})

# What an address cover sheet in front of the letter fixes: it brings its own, correct address.
COVER_SHEET_RULES = frozenset(
    {Rule.ADDRESS_MISSING, Rule.ADDRESS_IMAGE, Rule.ADDRESS_OUTSIDE_WINDOW, Rule.ADDRESS_MISMATCH}
)


@dataclass(frozen=True)
class Finding:
    """One broken rule. `page` is 1-based within the letter (or the document, for
    `check_document`); `document` is the index of the document in the letter it comes from."""

    rule: Rule
    message: Message
    page: int | None = None
    document: int | None = None

    @property
    def severity(self) -> Severity:
        return Severity.ADVISORY if self.rule in ADVISORY_RULES else Severity.BLOCKS

    @property
    def blocks(self) -> bool:
        return self.severity is Severity.BLOCKS

    @property
    def cover_sheet_fixes(self) -> bool:
        return self.rule in COVER_SHEET_RULES

    def render(self, locale: str = DEFAULT_LOCALE) -> str:
        return self.message.render(locale)


@dataclass(frozen=True)
class PreflightReport:
    findings: tuple[Finding, ...] = ()

    @property
    def blocking(self) -> tuple[Finding, ...]:
        """What keeps the letter from going out as it is."""
        return tuple(finding for finding in self.findings if finding.blocks)

    @property
    def advisories(self) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if not finding.blocks)

    @property
    def ok(self) -> bool:
        """Nothing blocks; advisories may remain."""
        return not self.blocking

    @property
    def needs_cover_sheet(self) -> bool:
        """A blocking address finding that an address cover sheet in front of the letter fixes."""
        return any(finding.cover_sheet_fixes for finding in self.blocking)

    @property
    def cover_cannot_fix(self) -> tuple[Finding, ...]:
        """Blocking findings a cover sheet does not fix: the letter waits until they are."""
        return tuple(finding for finding in self.blocking if not finding.cover_sheet_fixes)

    @property
    def rules(self) -> set[Rule]:
        return {finding.rule for finding in self.findings}

    def render(self, locale: str = DEFAULT_LOCALE) -> list[str]:
        return [finding.render(locale) for finding in self.findings]


@dataclass(frozen=True)
class MessageList(Message):
    """Several messages as one fact, e.g. the differing parts of an address: "Name, Straße"."""

    key: str = "preflight.list"
    items: tuple[Message, ...] = ()

    def render(self, locale: str = DEFAULT_LOCALE) -> str:
        return ", ".join(item.render(locale) for item in self.items)


@dataclass(frozen=True)
class CountryName(Message):
    """A country by its ISO code, named in the reader's language."""

    key: str = "preflight.country"
    code: str = ""

    def render(self, locale: str = DEFAULT_LOCALE) -> str:
        return country_name(self.code, locale)


def area_fact(rect: Rect) -> Message:
    return Message(
        "preflight.area",
        {
            "left": float(rect.left),
            "right": float(rect.right),
            "top": float(rect.top),
            "bottom": float(rect.bottom),
        },
    )
