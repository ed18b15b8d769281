"""The emails briefwerk sends: new documents in the customer portal, sign-in links to the portal,
and download links."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

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
    "sign_in_link": {
        "de": (
            "Ihr Anmeldelink für das Kundenportal",
            "Guten Tag {name},\n\nmit diesem Link melden Sie sich im Kundenportal von {organisation} an:\n\n"
            "{url}\n\nDer Link funktioniert nur einmal und ist bis {expires} gültig. Bitte geben Sie ihn "
            "nicht weiter.\n\nSie haben keinen Anmeldelink angefordert? Dann können Sie diese E-Mail "
            "ignorieren; ohne den Link kann sich niemand anmelden.\n\n"
            "Mit freundlichen Grüßen\n{organisation}\n",
        ),
        "en": (
            "Your sign-in link for the customer portal",
            "Hello {name},\n\nuse this link to sign in to the customer portal of {organisation}:\n\n"
            "{url}\n\nThe link works once and is valid until {expires}. Please do not pass it on.\n\n"
            "You did not ask for a sign-in link? Then you can ignore this email; nobody can sign in "
            "without the link.\n\nKind regards\n{organisation}\n",
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


EXPIRY_FORMATS = {"de": "%d.%m.%Y %H:%M UTC", "en": "%Y-%m-%d %H:%M UTC"}


def mailbox(name: str, address: str) -> Address:
    """A recipient; a malformed address raises ValueError naming it, so a batch can report it.
    A domain with umlauts (müller-hv.de) is written in its ASCII form, which every server reads."""
    try:
        local, at, domain = address.strip().rpartition("@")
        return Address(name, addr_spec=f"{local}{at}{domain.encode('idna').decode('ascii')}")
    except (ValueError, IndexError, TypeError, HeaderParseError, UnicodeError) as error:
        raise ValueError(f"malformed email address {address!r}") from error


# A dot-atom address with an ASCII domain: what `mailbox` always takes, checked without the
# header parser, which costs 80 µs an address (seconds for an import of 100,000 contacts).
PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                           r"@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+")


def is_address(text: str) -> bool:
    """Whether `text` is an address mail can be sent to, with a dot in its domain."""
    if PLAIN_ADDRESS.fullmatch(text):
        return True
    try:
        mailbox("", text)
    except ValueError:
        return False
    return "@" in text and "." in text.rpartition("@")[2]


def _locale(organisation: Organisation) -> str:
    return organisation.locale if organisation.locale in ("de", "en") else "de"


def _email(organisation: Organisation, to_name: str, to_address: str, template: str, locale: str | None = None,
           **facts: object) -> EmailMessage:
    subject, body = TEMPLATES[template][locale if locale in ("de", "en") else _locale(organisation)]
    message = EmailMessage()
    message["From"] = mailbox(organisation.sender_name or organisation.name, organisation.sender_email)
    message["To"] = mailbox(to_name, to_address)
    if organisation.reply_to:
        message["Reply-To"] = mailbox(organisation.name, organisation.reply_to)
    _set_subject(message, subject.format(**facts))
    message["Date"] = format_datetime(datetime.now(UTC))  # "+0000": a known zone, unlike "-0000"
    message["Message-ID"] = make_msgid(domain=organisation.sender_email.rpartition("@")[2] or "briefwerk")
    # quoted-printable keeps the umlauts 7-bit clean for relays that do not speak 8BITMIME
    message.set_content(body.format(organisation=organisation.name, **facts), cte="quoted-printable")
    return message


def _set_subject(message: EmailMessage, subject: str) -> None:
    """Python 3.11's header folder drops the space between two encoded words when it folds a long
    subject ("2026 –Änderungen"; CPython gh-144156, fixed upstream in 2026). The older `Header`
    encoder keeps every space inside the encoded words; its ready-folded lines are stored as is."""
    if subject.isascii():
        message["Subject"] = subject
    else:
        message.set_raw("Subject", Header(subject, "utf-8", header_name="Subject").encode())


def _expiry(expires: datetime, locale: str) -> str:
    """In UTC whatever the clock handed in; a naive time from the database already is UTC."""
    utc = expires.replace(tzinfo=UTC) if expires.tzinfo is None else expires.astimezone(UTC)
    return utc.strftime(EXPIRY_FORMATS[locale])


def new_documents_email(organisation: Organisation, serial: SerialLetter, contact: Contact, portal_url: str) -> EmailMessage:
    return _email(organisation, contact.name, contact.email or "", "new_documents",
                  name=contact.name, title=serial.title, portal_url=portal_url)


def download_link_email(organisation: Organisation, serial: SerialLetter, to_name: str, to_address: str, url: str,
                        letters: int, pages: int, expires: datetime) -> EmailMessage:
    return _email(organisation, to_name, to_address, "download_link", title=serial.title, url=url,
                  letters=letters, pages=pages, expires=_expiry(expires, _locale(organisation)))


def sign_in_link_email(organisation: Organisation, contact: Contact, url: str, expires: datetime,
                       locale: str | None = None) -> EmailMessage:
    """In the language the contact used on the portal's page, when known: they asked just now."""
    chosen = locale if locale in ("de", "en") else _locale(organisation)
    return _email(organisation, contact.name, contact.email or "", "sign_in_link", locale=chosen,
                  name=contact.name, url=url, expires=_expiry(expires, chosen))
