"""Request download link (seed step 10): one PDF/A-2b file of the currently filtered letters,
stored under a random token and emailed to the requester — or, with manager approval on, to the
managers only. Sources without embedded fonts are normalised with Ghostscript or refused."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta, timezone

from sqlmodel import Session, select

from domain.actors import Actor
from domain.messages import Message
from domain.errors import InvalidInput, NotFound
from domain.models import DownloadLink, Organisation, SerialLetter, Staff
from domain.notifications import download_link_email
from domain.pdf.pdfa import PdfaSources, write_pdfa
from domain.ports import Ports
from domain.services.approvals import managers_of
from domain.services.dispatch import build_plan, part_recipes
from domain.services.printfiles import print_context, print_parts_of
from domain.services.documents import get_serial_letter
from domain.services.events import record
from domain.services.storage import all_or_nothing


@dataclass
class LinkResult:
    link: DownloadLink
    url: str
    recipients: list[str]
    letters: int
    pages: int


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_recipients(session: Session, organisation: Organisation, actor: Actor) -> list[Staff]:
    """With manager approval on only the managers receive links; otherwise the requester."""
    if organisation.manager_approval:
        staff = managers_of(session, organisation.id)
    else:
        staff = [session.get(Staff, actor.staff_id)]
    with_email = [member for member in staff if member and member.email]
    if not with_email:
        raise InvalidInput("link.no_recipient", who="managers" if organisation.manager_approval else actor.name)
    return with_email


def request_download_link(session: Session, ports: Ports, actor: Actor, serial_id: int, days: int = 7) -> LinkResult:
    serial = get_serial_letter(session, actor, serial_id)
    organisation = session.get(Organisation, serial.organisation_id)
    recipients = link_recipients(session, organisation, actor)
    plan = build_plan(session, ports, serial)
    letters = [letter for letter in plan.letters if letter.documents]
    if not letters:
        raise InvalidInput("link.no_letters", title=serial.title)
    token = secrets.token_urlsafe(32)  # 256 bits
    with print_context(session, ports, serial) as context, all_or_nothing(session, ports.files):
        parts = (print_parts_of(ports, context, f"L{index:05d}", letter.contact.address, part_recipes(letter))
                 for index, letter in enumerate(letters, start=1))  # cover sheets are written as they come
        target = context.scratch_file(ports)
        with PdfaSources(ports.files.root / "pdfa-cache", thorough=ports.pdfa_thorough) as sources:
            written = write_pdfa(parts, target, title=serial.title, sources=sources)
        link = DownloadLink(
            organisation_id=organisation.id, serial_letter_id=serial.id, token_sha256=token_hash(token),
            path=ports.files.put_file(target, written.sha256), letters=len(letters), pages=written.pages,
            created_by=actor.staff_id, expires_at=ports.clock() + timedelta(days=days),
            recipients=[member.email for member in recipients],
        )
        url = f"{ports.public_url.rstrip('/')}/links/{token}"
        sent = _mail_link(ports, organisation, serial, recipients, url, len(letters), written.pages, link)
        if not sent:  # nobody can use it: names and addresses go at once (all_or_nothing removes the file)
            raise InvalidInput("link.not_sent", who=", ".join(m.email for m in recipients))
        link.recipients = sent
        session.add(link)
        record(session, serial, "download_link", actor, letters=len(letters), pages=written.pages,
               recipients=sent, expires_at=link.expires_at.isoformat())
    return LinkResult(link, url, sent, len(letters), written.pages)


def _mail_link(ports: Ports, organisation: Organisation, serial: SerialLetter, recipients: list[Staff], url: str,
               letters: int, pages: int, link: DownloadLink) -> list[str]:
    """Each recipient on their own: one bad address does not keep the link from the others."""
    sent = []
    for member in recipients:
        try:
            ports.mailer.send(download_link_email(organisation, serial, member.name or member.email, member.email,
                                                  url, letters, pages, link.expires_at))
            sent.append(member.email)
        except (ValueError, OSError):
            continue
    return sent


def file_name(serial: SerialLetter) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in serial.title)
    return f"{safe[:60]}.pdf"


@dataclass(frozen=True)
class Visitor:
    """Who opened a link, for the use log."""

    address: str
    agent: str


def open_download(session: Session, ports: Ports, token: str, visitor: Visitor | None) -> tuple[DownloadLink, str]:
    """The file behind a link token; unknown tokens are NotFound, expired or purged links say so.
    With a visitor, the opening counts as a use and is logged with their address and browser;
    without (a HEAD request, the rest of a download by Range), nothing is counted."""
    link = session.exec(select(DownloadLink).where(DownloadLink.token_sha256 == token_hash(token))).first()
    if link is None:
        raise NotFound("not_found", what=Message("what.download_link"), ref="…")
    now = ports.clock()
    expires = link.expires_at if link.expires_at.tzinfo else link.expires_at.replace(tzinfo=timezone.utc)
    if link.purged_at is not None or expires < now or not link.path or not ports.files.has(link.path):
        raise InvalidInput("link.expired", expired=expires.strftime("%d.%m.%Y %H:%M UTC"))
    serial = session.get(SerialLetter, link.serial_letter_id)
    if visitor is not None:
        link.used_count += 1
        link.last_used_at = now
        session.add(link)
        record(session, serial, "download_link_used", who="link", link=link.id, uses=link.used_count,
               address=visitor.address, agent=visitor.agent[:200])
        session.commit()
    return link, file_name(serial)
