"""The database tables: organisations and their staff, properties with units and contacts, serial
letters with their documents, releases, dispatch orders, shipments and the event log."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint, or_
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel, col

from domain.addresses import PostalAddress


def utcnow() -> datetime:
    return datetime.now(UTC)


class Role(StrEnum):
    STAFF = "staff"
    ADMIN = "admin"
    MANAGER = "manager"


class Relation(StrEnum):
    OWNER = "owner"
    TENANT = "tenant"


class Preference(StrEnum):
    ONLINE = "online"
    LETTER = "letter"


class RecipientGroup(StrEnum):
    OWNERS = "owners"
    TENANTS = "tenants"
    BOTH = "both"

    def includes(self, relation: Relation) -> bool:
        return self is RecipientGroup.BOTH or self.value == relation.value + "s"


class LetterState(StrEnum):
    DRAFT = "draft"
    RELEASED = "released"
    DISPATCH_ORDERED = "dispatch_ordered"
    CANCELLED = "cancelled"
    WITH_PROVIDER = "with_provider"
    PRINTED = "printed"
    POSTED = "posted"
    FAILED = "failed"
    DELETED = "deleted"


class ShipmentState(StrEnum):
    PENDING = "pending"  # planned, not yet handed to the provider
    SUBMITTED = "submitted"  # the provider has it
    PRINTED = "printed"
    POSTED = "posted"
    FAILED = "failed"
    CANCELLED = "cancelled"
    HELD = "held"  # kept back with a reason (e.g. preflight), never submitted


class ApprovalKind(StrEnum):
    RELEASE = "release"
    ORDER = "order"
    DOWNLOAD_LINK = "download_link"


class ApprovalState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


class SourceKind(StrEnum):
    BATCH = "batch"  # one PDF holding many units' documents, split by a rule
    UNIT_FILE = "unit_file"  # one file per unit
    ATTACHMENT = "attachment"  # a general attachment every recipient gets once


def enum_column(enum: type[StrEnum], default: StrEnum) -> Any:
    """Enums stored as their plain value in a VARCHAR: the same schema on SQLite and PostgreSQL."""
    sa_enum = SAEnum(
        enum, native_enum=False, length=32, values_callable=lambda members: [m.value for m in members]
    )
    return Field(default=default, sa_type=sa_enum)


def json_column() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


def json_list_column() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Organisation(SQLModel, table=True):
    """A property-management company, bound to its Slack workspace. Contacts see its name and
    sender identity in emails, on cover sheets and in the portal."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)  # the company's name as contacts read it
    slack_team_id: str | None = Field(default=None, unique=True, index=True)
    locale: str = "de"
    return_line: str = ""  # sender line printed above the window address
    sender_email: str = "briefwerk@localhost"
    sender_name: str = ""  # the From name of emails; empty: the company's name
    reply_to: str = ""  # where contacts' answers to emails go; empty: no Reply-To
    home_country: str = "DE"
    manager_approval: bool = False
    notify_channel: str | None = None  # Slack channel for each serial letter's status thread
    approval_channel: str | None = None  # where approval prompts go; None: each manager's DM
    provider: str = "outbox"
    provider_contact_text: str = ""  # the yellow state's "whom to ask" text
    created_at: datetime = Field(default_factory=utcnow)


class Staff(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("organisation_id", "slack_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    slack_user_id: str
    name: str = ""
    email: str | None = None
    is_admin: bool = False
    is_manager: bool = False
    locale: str | None = None  # overrides the organisation's language for this person

    @property
    def roles(self) -> frozenset[Role]:
        roles = {Role.STAFF}
        if self.is_admin:
            roles.add(Role.ADMIN)
        if self.is_manager:
            roles.add(Role.MANAGER)
        return frozenset(roles)


class Property(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("organisation_id", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    external_id: str
    name: str
    street: str = ""
    postcode: str = ""
    city: str = ""


class Unit(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("property_id", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    property_id: int = Field(foreign_key="property.id", index=True)
    external_id: str
    label: str  # what is printed on documents, e.g. "WE 03"
    kind: str = ""  # Wohnung, Gewerbe, Stellplatz …
    position: int = 0


class Contact(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("organisation_id", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    external_id: str
    name: str
    addition: str = ""
    street: str = ""
    postcode: str = ""
    city: str = ""
    country: str = "DE"
    email: str | None = None
    portal_registered: bool = False
    preference: Preference = enum_column(Preference, Preference.LETTER)

    @property
    def address(self) -> PostalAddress | None:
        """None when the contact has no complete postal address."""
        if not (self.street and self.postcode and self.city):
            return None
        return PostalAddress(
            name=self.name,
            addition=self.addition,
            street=self.street,
            postcode=self.postcode,
            city=self.city,
            country=self.country or "DE",
        )


class Occupancy(SQLModel, table=True):
    """A contact holding a unit as owner or tenant; co-owners share a unit, ordered by `position`."""

    __table_args__ = (UniqueConstraint("unit_id", "contact_id", "relation"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    relation: Relation = enum_column(Relation, Relation.OWNER)
    position: int = 0
    ended_on: date | None = None

    @staticmethod
    def current(today: date) -> Any:
        """SQL condition: the link still holds today (no end, or an end still to come)."""
        return or_(col(Occupancy.ended_on).is_(None), col(Occupancy.ended_on) > today)


class SerialLetter(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    property_id: int = Field(foreign_key="property.id", index=True)
    title: str
    document_types: list[str] = json_list_column()
    recipients: RecipientGroup = enum_column(RecipientGroup, RecipientGroup.OWNERS)
    state: LetterState = enum_column(LetterState, LetterState.DRAFT)
    version: int = 0  # bumped on every change; compare-and-set guards against double clicks
    dispatch: dict[str, Any] = json_column()  # DispatchOptions as JSON
    created_by: int | None = Field(default=None, foreign_key="staff.id")
    created_at: datetime = Field(default_factory=utcnow)
    released_at: datetime | None = None
    deleted_at: datetime | None = None
    thread_channel: str | None = None
    thread_ts: str | None = None


class SourceDocument(SQLModel, table=True):
    """An uploaded PDF as received; unit documents are cut from it."""

    id: int | None = Field(default=None, primary_key=True)
    serial_letter_id: int = Field(foreign_key="serialletter.id", index=True)
    kind: SourceKind = enum_column(SourceKind, SourceKind.BATCH)
    document_type: str | None = None
    filename: str
    path: str  # relative to the data home
    sha256: str
    page_count: int
    position: int = 0
    split: dict[str, Any] = json_column()
    uploaded_at: datetime = Field(default_factory=utcnow)
    uploaded_by: int | None = Field(default=None, foreign_key="staff.id")


class UnitDocument(SQLModel, table=True):
    """One unit's document of one document type, stored as its own PDF."""

    __table_args__ = (UniqueConstraint("serial_letter_id", "unit_id", "document_type"),)

    id: int | None = Field(default=None, primary_key=True)
    serial_letter_id: int = Field(foreign_key="serialletter.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    document_type: str
    source_id: int = Field(foreign_key="sourcedocument.id")
    source_pages: list[int] = json_list_column()  # 0-based pages of the source, in order
    path: str
    sha256: str
    page_count: int


class Letter(SQLModel, table=True):
    """One row of the overview: a contact receiving one unit's documents."""

    __table_args__ = (UniqueConstraint("serial_letter_id", "contact_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    serial_letter_id: int = Field(foreign_key="serialletter.id", index=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    relation: Relation = enum_column(Relation, Relation.OWNER)
    downloads: int = 0


class UnitRelease(SQLModel, table=True):
    """Which units of a serial letter are visible in the customer portal."""

    __table_args__ = (UniqueConstraint("serial_letter_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    serial_letter_id: int = Field(foreign_key="serialletter.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    released_at: datetime = Field(default_factory=utcnow)
    released_by: int | None = Field(default=None, foreign_key="staff.id")
    withdrawn_at: datetime | None = None
    withdrawn_by: int | None = Field(default=None, foreign_key="staff.id")


class PortalDocument(SQLModel, table=True):
    """The built-in portal store: a document the contacts of a unit can see."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    serial_letter_id: int = Field(foreign_key="serialletter.id", index=True)
    title: str
    path: str
    sha256: str
    published_at: datetime = Field(default_factory=utcnow)
    public_id: str = Field(default_factory=lambda: secrets.token_urlsafe(18), unique=True, index=True)


class DispatchOrder(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    serial_letter_id: int = Field(foreign_key="serialletter.id", index=True)
    provider: str
    options: dict[str, Any] = json_column()
    ordered_by: int | None = Field(default=None, foreign_key="staff.id")
    ordered_at: datetime = Field(default_factory=utcnow)
    completed_at: datetime | None = None  # every shipment handed over (or held)
    cancelled_at: datetime | None = None
    cancelled_by: int | None = Field(default=None, foreign_key="staff.id")
    send_on: date | None = None  # hand over on this day, not at once
    lease_owner: str | None = None
    lease_until: datetime | None = None


class Shipment(SQLModel, table=True):
    """One physical letter: a contact, the units it covers, and the exact print file."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="dispatchorder.id", index=True)
    serial_letter_id: int = Field(foreign_key="serialletter.id", index=True)
    contact_id: int = Field(foreign_key="contact.id")
    unit_ids: list[int] = json_list_column()
    reference: str = Field(unique=True, index=True)  # ours, sent to the provider
    state: ShipmentState = enum_column(ShipmentState, ShipmentState.PENDING)
    recipient: dict[str, Any] = json_column()  # the address as it was when ordered
    parts: list[dict[str, Any]] = json_list_column()  # the print file's recipe, fixed when ordered
    print_path: str | None = None
    sha256: str | None = None
    pages: int = 0
    sheets: int = 0
    blank_pages: int = 0
    cover_sheet: bool = False
    cost_cents: int = 0
    provider_ref: str | None = None
    reason: str | None = None  # why held or failed, in words
    provider_status: str = ""  # the provider's own word for the latest state
    submitted_at: datetime | None = None
    # set (committed) before the first create request: a later attempt knows the provider may
    # have the letter, and how far back to look for it
    submit_started_at: datetime | None = None
    posted_at: datetime | None = None  # set while a posted letter is followed for "delivered" or "undeliverable"
    cancel_requested_at: datetime | None = None  # a cancel the provider has yet to confirm or reject
    updated_at: datetime = Field(default_factory=utcnow)
    attempts: int = 0  # hand-over attempts that ended without an answer
    next_attempt_at: datetime | None = None  # retry backoff for hand-over
    next_poll_at: datetime | None = None  # when to ask the provider for news again
    lease_owner: str | None = None  # the worker instance handling it right now
    lease_until: datetime | None = None


class Event(SQLModel, table=True):
    """Everything that happened to a serial letter: the evidence record and the thread's feed."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    serial_letter_id: int = Field(foreign_key="serialletter.id", index=True)
    shipment_id: int | None = Field(default=None, foreign_key="shipment.id", index=True)
    kind: str
    actor_id: int | None = Field(default=None, foreign_key="staff.id")
    actor: str = ""  # "provider", "system", or a staff name
    at: datetime = Field(default_factory=utcnow)
    data: dict[str, Any] = json_column()
    announced_at: datetime | None = None  # posted to the Slack thread


class DownloadLink(SQLModel, table=True):
    """A short-lived link to one PDF of a serial letter; only the token's hash is stored."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    serial_letter_id: int = Field(foreign_key="serialletter.id", index=True)
    token_sha256: str = Field(unique=True, index=True)
    path: str
    letters: int = 0
    pages: int = 0
    created_by: int | None = Field(default=None, foreign_key="staff.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    recipients: list[str] = json_list_column()
    used_count: int = 0
    last_used_at: datetime | None = None
    purged_at: datetime | None = None  # file deleted after expiry; the record stays


class Approval(SQLModel, table=True):
    """A request waiting for a manager: release, order or download link. The first decision
    wins (compare-and-set on `state`); the requester can never decide their own."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    serial_letter_id: int = Field(foreign_key="serialletter.id", index=True)
    kind: ApprovalKind = enum_column(ApprovalKind, ApprovalKind.RELEASE)
    payload: dict[str, Any] = json_column()  # the request's options, e.g. notify, expected version
    state: ApprovalState = enum_column(ApprovalState, ApprovalState.PENDING)
    requested_by: int = Field(foreign_key="staff.id")
    requested_at: datetime = Field(default_factory=utcnow)
    decided_by: int | None = Field(default=None, foreign_key="staff.id")
    decided_at: datetime | None = None
    outcome: str = ""  # what carrying it out gave, or why it could not be done, in words
    prompts: list[dict[str, Any]] = json_list_column()  # where the prompt was posted: channel, ts
    reminded_at: datetime | None = None


class PortalLogin(SQLModel, table=True):
    """A magic sign-in link sent to a contact's email; only the token's hash is stored."""

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    token_sha256: str = Field(unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class PortalSession(SQLModel, table=True):
    """A signed-in contact; document links are valid only within it."""

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    token_sha256: str = Field(unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    ended_at: datetime | None = None


class RateCount(SQLModel, table=True):
    """How often one key (an email address, a client's IP) asked within one fixed window; raised
    by one atomic upsert, so requests racing each other are all counted."""

    key: str = Field(primary_key=True, max_length=300)
    window_start: datetime = Field(primary_key=True)
    count: int = 0


class WebhookDelivery(SQLModel, table=True):
    """A release or withdrawal to tell a company's own portal, retried until it is received."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    idempotency_key: str = Field(unique=True, index=True)
    event: str  # "release" | "withdraw"
    body: dict[str, Any] = json_column()
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None
    last_error: str = ""
    lease_owner: str | None = None
    lease_until: datetime | None = None


class ApiKey(SQLModel, table=True):
    """An ERP's key to the intake API of one organisation; only the token's hash is stored, and
    the key acts as its own staff member (`staff_id`) so every event names it."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    staff_id: int = Field(foreign_key="staff.id")
    name: str
    prefix: str  # the token's first characters, to recognise it in lists
    token_sha256: str = Field(unique=True, index=True)
    created_by: int | None = Field(default=None, foreign_key="staff.id")
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: int | None = Field(default=None, foreign_key="staff.id")


class ImportRun(SQLModel, table=True):
    """A master-data import that was applied: who ran it, when, from where, and what it changed."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    filename: str
    sha256: str
    route: str  # "slack", "cli" or "api"
    by_id: int | None = Field(default=None, foreign_key="staff.id")
    by_name: str = ""
    at: datetime = Field(default_factory=utcnow)
    rows: int = 0
    created: dict[str, Any] = json_column()
    updated: dict[str, Any] = json_column()
    ended_links: int = 0


class StorageMarker(SQLModel, table=True):
    """The blob the first instance stored: every instance must be able to read it, or it does
    not share the others' storage and refuses to start."""

    id: int = Field(default=1, primary_key=True)
    key: str
    created_at: datetime = Field(default_factory=utcnow)


class PreflightFacts(SQLModel, table=True):
    """What preflight measured in one document for one postal profile (domain.pdf.preflight.facts
    as JSON). A document is known by its sha256, so the same bytes are never measured twice; a
    changed profile has a new version and measures again."""

    sha256: str = Field(primary_key=True, max_length=64)
    profile: str = Field(primary_key=True, max_length=40)
    profile_version: str = Field(primary_key=True, max_length=40)
    facts: str  # JSON text, parsed only when the facts are needed
    created_at: datetime = Field(default_factory=utcnow)
