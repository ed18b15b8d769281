"""The outside world as the use cases see it: print-and-mail provider, mailer, customer portal,
file store and clock. `bot/integrations` implements them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from domain.addresses import PostalAddress
from domain.costs import PriceTable
from domain.messages import Message
from domain.pdf.preflight import FactsStore, PreflightCache
from domain.storage import FileStore, blob_key  # noqa: F401 - the file store is a port as well


@dataclass(frozen=True)
class Capabilities:
    """What the organisation's provider contract allows; the order button and options follow it."""

    available: bool = True  # False: no contract / not configured -> the yellow button
    registered: bool = False
    colour: bool = True
    duplex: bool = True
    countries: frozenset[str] | None = None  # None: worldwide
    cancel_window: Message = field(default_factory=lambda: Message("cancel_window.unknown"))  # in words
    # when the letter handed over at the given moment can no longer be cancelled (a countdown)
    cancel_deadline: Callable[[datetime], datetime] | None = None
    profile: str = "din5008b"  # preflight profile key (domain.pdf.profiles)
    reports_status: bool = True  # False: nothing comes back after hand-over, so letters are not polled
    cancel_confirmed_later: bool = False  # a cancel is a request the provider completes or rejects later
    registered_reason: Message | None = None  # why registered mail is not offered, when the provider says so


@dataclass(frozen=True)
class PrintOptions:
    colour: bool = False
    duplex: bool = True
    registered: bool = False


@dataclass(frozen=True)
class PriceQuery:
    """What a letter costs depends on: destination, printed pages and print options."""

    country: str
    pages: int
    options: PrintOptions


@dataclass(frozen=True)
class ShipmentRequest:
    reference: str  # ours, unique; the provider stores it so a retry can look it up
    order_key: str
    recipient: PostalAddress
    pdf_path: Path
    sha256: str
    pages: int
    options: PrintOptions
    extra: dict[str, Any] = field(default_factory=dict)
    # the first hand-over attempt began then: no letter of ours for this reference is older, so a
    # lookup after a lost answer reads back to here and no further
    since: datetime | None = None


class LetterStatus(StrEnum):
    """A provider's lifecycle, in our words (each client maps its provider's states)."""

    ACCEPTED = "accepted"  # received, validating or waiting to print
    PRINTED = "printed"  # printing or printed, can no longer be cancelled
    WAITING_FOR_CREDIT = "waiting_for_credit"  # held until the account is topped up
    POSTED = "posted"  # handed to the postal service
    DELIVERED = "delivered"  # the postal service says it arrived
    FAILED = "failed"  # rejected, invalid or undeliverable
    CANCELLING = "cancelling"  # a cancel was asked for; the provider has not decided yet
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class ProviderLetter:
    reference: str
    provider_ref: str
    status: str  # the provider's own word
    sha256: str | None = None
    state: LetterStatus = LetterStatus.ACCEPTED
    tracking_code: str | None = None  # registered mail's Sendungsnummer, once the provider has one


@dataclass(frozen=True)
class ProviderEvent:
    """One status change the provider reports for a letter, with its own time and words."""

    provider_ref: str
    state: LetterStatus
    at: datetime
    detail: str = ""  # the provider's words, e.g. "sent", "undeliverable: addressee unknown"


class ProviderUnavailable(Exception):
    """Timeouts, 5xx, rate limits after retries: nothing was decided, try again later."""


class Provider(Protocol):
    """A print-and-mail provider. `submit` must never create a second letter for a reference:
    clients send an idempotency key where the provider takes one, and after a lost answer look
    the reference up (back to `request.since`) before anything is sent again. Callers whose
    earlier attempt may have taken effect look it up first. A letter the provider refuses
    (validation) raises `InvalidInput` with the provider's reason."""

    key: str
    capabilities: Capabilities

    def lookup(self, reference: str, since: datetime | None = None) -> ProviderLetter | None:
        """Newest first, reading no letter created before `since` (the client's own window
        when None): the cost does not grow with the account's history."""
        ...

    def status(self, letter: ProviderLetter) -> ProviderLetter | None:
        """The letter's current state, by the provider's id; None when the provider has forgotten it."""
        ...

    def submit(self, request: ShipmentRequest) -> ProviderLetter: ...

    def cancel(self, letter: ProviderLetter) -> bool: ...

    def events(self, letter: ProviderLetter) -> list[ProviderEvent]: ...

    def finish_order(self, order_key: str) -> None: ...

    def price(self, query: PriceQuery) -> int | None:
        """The provider's own quote in net euro cents, or None (no calculator, not configured,
        unreachable): the estimate then comes from our price table."""
        ...


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class PortalDoc:
    title: str
    path: str  # relative to the file store
    sha256: str


class PortalStore(Protocol):
    """Which documents each unit's contacts can see in the customer portal."""

    def publish(self, organisation_id: int, unit_id: int, serial_letter_id: int, documents: list[PortalDoc]) -> None: ...

    def withdraw(self, unit_id: int, serial_letter_id: int) -> int: ...


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Ports:
    """Everything a use case may touch outside the database, built per unit of work."""

    files: FileStore
    providers: dict[str, Provider]
    mailer: Mailer
    portal: PortalStore
    prices: PriceTable = field(default_factory=PriceTable)
    clock: Callable[[], datetime] = system_clock
    public_url: str = "http://localhost:3000"
    portal_url: str = "http://localhost:3000/portal/"  # where contacts see their documents
    print_workers: int = 1
    checks: PreflightCache = field(default_factory=PreflightCache)  # share it for the app's lifetime
    facts: FactsStore | None = None  # measured documents in the database (this unit of work's)
    pdfa_thorough: bool = False  # validate every source for PDF/A, not only fonts and version

    def provider(self, key: str) -> Provider | None:
        """The organisation's provider, or None when none is configured (the yellow button)."""
        return self.providers.get(key)
