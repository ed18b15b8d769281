"""The built-in customer portal's use cases: sign-in by a link sent by email, sessions, the
documents a contact may see, and the contact's preference.

A contact sees the documents of the units they hold *now* (an occupancy not ended), and only of
serial letters meant for their relation to the unit (an owners' letter is not a tenant's). Tokens
are random (256 bits) and stored only as their sha256, so a copy of the database signs nobody in.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, update
from sqlmodel import Session, col, select

from domain.errors import InvalidInput, NotAllowed
from domain.messages import Message
from domain.models import (
    Contact,
    Letter,
    LetterState,
    Occupancy,
    Organisation,
    PortalDocument,
    PortalLogin,
    PortalSession,
    Preference,
    Property,
    RecipientGroup,
    Relation,
    SerialLetter,
    Unit,
)
from domain.notifications import sign_in_link_email
from domain.ports import Mailer
from domain.services import ratelimit
from domain.services.lookup import get_row, key_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PortalPolicy:
    """How long links and sessions live, and how many links one address may ask for."""

    login_minutes: float = 30
    session_hours: float = 12
    links_per_window: int = 3  # sign-in emails per address within `window_minutes`
    requests_per_client: int = 10  # sign-in requests per client IP within `window_minutes`
    window_minutes: float = 15


@dataclass(frozen=True)
class SignedIn:
    """A new session; `token` goes into the cookie and exists nowhere else."""

    contact: Contact
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class Viewer:
    """The contact behind a valid session."""

    contact: Contact
    session: PortalSession


@dataclass(frozen=True)
class VisibleDocument:
    public_id: str
    title: str
    published_at: datetime
    serial_title: str
    unit_label: str
    property_name: str
    property_place: str  # street, postcode and city in one line


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def normalised_email(email: str) -> str:
    return email.strip().lower()


# --- sign-in ------------------------------------------------------------------------------------


def request_sign_in(session: Session, mailer: Mailer, email: str, login_url: str, now: datetime,
                    policy: PortalPolicy = PortalPolicy(), locale: str | None = None, client: str = "") -> int:
    """Email a one-time sign-in link to every contact with this address.

    The caller answers the same whatever this returns, so nobody learns who is a contact; the
    count is for logs and tests. Past the rate limit (per address and per client IP), and for
    unknown addresses, nothing is sent. `login_url` is the landing page; the token is appended as
    a path segment."""
    window = timedelta(minutes=policy.window_minutes)
    if client and not ratelimit.allowed(session, f"sign-in client {client}", now, window, policy.requests_per_client):
        return 0
    wanted = normalised_email(email)
    if not ratelimit.allowed(session, f"sign-in address {wanted}", now, window, policy.links_per_window):
        return 0
    contacts = contacts_with_email(session, email)
    if not contacts:
        return 0
    sent = 0
    for contact in contacts:
        token = new_token()
        login = PortalLogin(contact_id=key_of(contact), token_sha256=token_hash(token), created_at=now,
                            expires_at=now + timedelta(minutes=policy.login_minutes))
        session.add(login)
        session.commit()  # the link must work before the email can arrive
        organisation = get_row(session, Organisation, contact.organisation_id, Message("what.organisation"))
        url = f"{login_url.rstrip('/')}/{token}"
        try:
            mailer.send(sign_in_link_email(organisation, contact, url, login.expires_at, locale))
            sent += 1
        except (ValueError, OSError) as error:  # a malformed address or a mail server down: log, say nothing
            log.warning("portal sign-in email to contact %s failed: %s", contact.id, error)
    return sent


def purge_expired(session: Session, now: datetime, keep: timedelta = timedelta(days=1)) -> int:
    """Sign-in links, sessions and request counts a day past their end: nothing needs them, and
    a copy of the database should hold as little as possible."""
    before = now - keep
    removed = session.exec(delete(PortalLogin).where(col(PortalLogin.expires_at) < before)).rowcount
    ended = or_(col(PortalSession.expires_at) < before, col(PortalSession.ended_at) < before)
    removed += session.exec(delete(PortalSession).where(ended)).rowcount
    session.commit()
    return removed + ratelimit.purge(session, before)


def contacts_with_email(session: Session, email: str) -> list[Contact]:
    """Case and surrounding spaces do not matter; one address may belong to contacts of
    several organisations, each signs in on their own."""
    wanted = normalised_email(email)
    if not wanted or "@" not in wanted:
        return []
    query = select(Contact).where(func.lower(func.trim(col(Contact.email))) == wanted).order_by(col(Contact.id))
    return list(session.exec(query))


def sign_in(session: Session, token: str, now: datetime, policy: PortalPolicy = PortalPolicy(),
            replacing: str | None = None) -> SignedIn:
    """Trade a sign-in link for a new session. The link works once (compare-and-set, so two clicks
    at the same moment do not both succeed) and only until it expires. The first sign-in is the
    contact's registration. A session the browser still had is ended: no session fixation."""
    login = session.exec(select(PortalLogin).where(PortalLogin.token_sha256 == token_hash(token))).first()
    if login is None or not _use_once(session, login, now):
        session.rollback()
        raise NotAllowed("portal.link_invalid")
    if replacing:
        sign_out(session, replacing, now, commit=False)
    contact = session.get(Contact, login.contact_id)
    if contact is None:
        session.rollback()
        raise NotAllowed("portal.link_invalid")
    if not contact.portal_registered:
        contact.portal_registered = True
        session.add(contact)
    fresh = new_token()
    expires = now + timedelta(hours=policy.session_hours)
    session.add(PortalSession(contact_id=login.contact_id, token_sha256=token_hash(fresh), created_at=now, expires_at=expires))
    session.commit()
    return SignedIn(contact, fresh, expires)


def link_usable(session: Session, token: str, now: datetime) -> bool:
    """Whether a sign-in link would still work, without using it up: the landing page asks
    before it offers the button (mail scanners that open links must not burn them)."""
    found = session.exec(select(PortalLogin.id).where(
        PortalLogin.token_sha256 == token_hash(token), col(PortalLogin.used_at).is_(None),
        col(PortalLogin.expires_at) > now,
    )).first()
    return found is not None


def _use_once(session: Session, login: PortalLogin, now: datetime) -> bool:
    result = session.exec(
        update(PortalLogin)
        .where(col(PortalLogin.id) == login.id, col(PortalLogin.used_at).is_(None), col(PortalLogin.expires_at) > now)
        .values(used_at=now)
    )
    return result.rowcount == 1


def viewer(session: Session, token: str | None, now: datetime) -> Viewer | None:
    """The signed-in contact, or None when the session is unknown, ended or expired."""
    if not token:
        return None
    found = session.exec(select(PortalSession).where(
        PortalSession.token_sha256 == token_hash(token), col(PortalSession.ended_at).is_(None),
        col(PortalSession.expires_at) > now,
    )).first()
    if found is None:
        return None
    contact = session.get(Contact, found.contact_id)
    return Viewer(contact, found) if contact is not None else None


def sign_out(session: Session, token: str | None, now: datetime, commit: bool = True) -> bool:
    """End the session for good: its cookie, and every document link opened with it, stop working."""
    if not token:
        return False
    result = session.exec(
        update(PortalSession)
        .where(col(PortalSession.token_sha256) == token_hash(token), col(PortalSession.ended_at).is_(None))
        .values(ended_at=now)
    )
    if commit:
        session.commit()
    return result.rowcount == 1


# --- documents ----------------------------------------------------------------------------------


def visible_documents(session: Session, contact: Contact, today: date) -> list[VisibleDocument]:
    """Ordered by property and unit; the newest serial letter first, its documents as published."""
    query = (
        select(PortalDocument, SerialLetter, Unit, Property)
        .join(SerialLetter, col(SerialLetter.id) == PortalDocument.serial_letter_id)
        .join(Unit, col(Unit.id) == PortalDocument.unit_id)
        .join(Property, col(Property.id) == Unit.property_id)
        .where(*_may_see(contact, today))
        .order_by(col(Property.name), col(Property.id), col(Unit.position), col(Unit.id), col(SerialLetter.id).desc(),
                  col(PortalDocument.id))
    )
    return [
        VisibleDocument(doc.public_id, doc.title, doc.published_at, serial.title, unit.label, prop.name,
                        _place(prop))
        for doc, serial, unit, prop in session.exec(query)
    ]


def document_for(session: Session, contact: Contact, public_id: str, today: date) -> PortalDocument | None:
    """The document behind a link, only if this contact may see it now; None is all anyone else
    learns, whether it exists or not."""
    query = (
        select(PortalDocument)
        .join(SerialLetter, col(SerialLetter.id) == PortalDocument.serial_letter_id)
        .where(PortalDocument.public_id == public_id, *_may_see(contact, today))
    )
    return session.exec(query).first()


def _may_see(contact: Contact, today: date) -> list[ColumnElement[bool]]:
    """The rule, as SQL conditions on PortalDocument joined with its SerialLetter."""
    holds_now = exists().where(
        col(Occupancy.unit_id) == PortalDocument.unit_id,
        col(Occupancy.contact_id) == contact.id,
        Occupancy.current(today),
        _relation_addressed(),
    )
    # a recipient of that serial letter for that unit: a later owner does not see letters
    # written to the one before (they carry that person's name and address)
    addressed = exists().where(
        col(Letter.serial_letter_id) == PortalDocument.serial_letter_id,
        col(Letter.unit_id) == PortalDocument.unit_id,
        col(Letter.contact_id) == contact.id,
    )
    return [
        col(PortalDocument.organisation_id) == contact.organisation_id,
        col(SerialLetter.organisation_id) == contact.organisation_id,
        col(SerialLetter.state) != LetterState.DELETED,
        holds_now,
        addressed,
    ]


def _relation_addressed() -> ColumnElement[bool]:
    """An owners' letter is for owners, a tenants' letter for tenants (RecipientGroup.includes)."""
    return or_(
        col(SerialLetter.recipients) == RecipientGroup.BOTH,
        and_(col(SerialLetter.recipients) == RecipientGroup.OWNERS, col(Occupancy.relation) == Relation.OWNER),
        and_(col(SerialLetter.recipients) == RecipientGroup.TENANTS, col(Occupancy.relation) == Relation.TENANT),
    )


def _place(prop: Property) -> str:
    town = " ".join(part for part in (prop.postcode, prop.city) if part)
    return ", ".join(part for part in (prop.street, town) if part)


def grouped(documents: Iterable[VisibleDocument]) -> list[tuple[tuple[str, str], list[tuple[str, list[VisibleDocument]]]]]:
    """[((property, place), [(unit label, documents)])], keeping the order given."""
    properties: dict[tuple[str, str], dict[str, list[VisibleDocument]]] = {}
    for doc in documents:
        properties.setdefault((doc.property_name, doc.property_place), {}).setdefault(doc.unit_label, []).append(doc)
    return [(prop, list(units.items())) for prop, units in properties.items()]


# --- preference ---------------------------------------------------------------------------------


def set_preference(session: Session, contact_id: int, choice: str) -> Preference:
    """`online` or `letter`, as the contact chose it; it decides who gets paper by preference."""
    try:
        preference = Preference(choice)
    except ValueError as error:
        raise InvalidInput("portal.preference.invalid") from error
    contact = get_row(session, Contact, contact_id, Message("what.contact"))
    contact.preference = preference
    session.add(contact)
    session.commit()
    return preference
