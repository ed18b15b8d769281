"""The emails briefwerk sends: new documents in the customer portal, and download links."""

from __future__ import annotations

from datetime import datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from domain.models import Contact, Organisation, SerialLetter

TEMPLATES = {
    "new_documents": {
        "de": (
            "Neue Dokumente im Kundenportal: {title}",
            "Guten Tag {name},\n\nim Kundenportal von {organisation} stehen neue Dokumente für Sie bereit:\n"
            "{title}\n\nSie finden sie nach der Anmeldung unter {portal_url}\n\n"
            "Mit freundlichen Grüßen\n{organisation}\n",
        ),
        "en": (
            "New documents in the customer portal: {title}",
            "Hello {name},\n\nnew documents are available for you in the customer portal of {organisation}:\n"
            "{title}\n\nSign in at {portal_url} to see them.\n\nKind regards\n{organisation}\n",
        ),
    },
    "download_link": {
        "de": (
            "Download-Link: {title}",
            "Guten Tag,\n\nder Serienbrief „{title}“ steht als PDF/A zum Download bereit "
            "({letters} Briefe, {pages} Seiten):\n\n{url}\n\n"
            "Der Link ist bis {expires} gültig und nur für Ihre Organisation bestimmt.\n\n{organisation}\n",
        ),
        "en": (
            "Download link: {title}",
            "Hello,\n\nthe serial letter “{title}” is ready to download as PDF/A "
            "({letters} letters, {pages} pages):\n\n{url}\n\n"
            "The link is valid until {expires} and meant for your organisation only.\n\n{organisation}\n",
        ),
    },
}


def mailbox(name: str, address: str) -> Address:
    """A recipient; a malformed address raises ValueError naming it, so a batch can report it."""
    try:
        return Address(name, addr_spec=address.strip())
    except (ValueError, IndexError, TypeError, HeaderParseError) as error:
        raise ValueError(f"malformed email address {address!r}") from error


def _email(organisation: Organisation, to_name: str, to_address: str, template: str, **facts: object) -> EmailMessage:
    locale = organisation.locale if organisation.locale in ("de", "en") else "de"
    subject, body = TEMPLATES[template][locale]
    message = EmailMessage()
    message["From"] = Address(organisation.name, addr_spec=organisation.sender_email)
    message["To"] = mailbox(to_name, to_address)
    message["Subject"] = subject.format(**facts)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=organisation.sender_email.rpartition("@")[2] or "briefwerk")
    message.set_content(body.format(organisation=organisation.name, **facts))
    return message


def new_documents_email(organisation: Organisation, serial: SerialLetter, contact: Contact, portal_url: str) -> EmailMessage:
    return _email(organisation, contact.name, contact.email or "", "new_documents",
                  name=contact.name, title=serial.title, portal_url=portal_url)


def download_link_email(organisation: Organisation, serial: SerialLetter, to_name: str, to_address: str, url: str,
                        letters: int, pages: int, expires: datetime) -> EmailMessage:
    return _email(organisation, to_name, to_address, "download_link", title=serial.title, url=url,
                  letters=letters, pages=pages, expires=expires.strftime("%d.%m.%Y %H:%M UTC"))
