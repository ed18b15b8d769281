"""The SMTP mailer against a real SMTP server (aiosmtpd) on loopback: headers and umlauts, login,
STARTTLS and implicit TLS, refused and malformed recipients, a dropped connection, and the
release use case mailing registered contacts only."""

from __future__ import annotations

import email
import re
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr, ValidationError
from sqlmodel import Session

from bot.integrations.mail import MailServerError, SmtpConfig, SmtpMailer
from domain.actors import Actor
from domain.models import Contact, Organisation, RecipientGroup, SerialLetter
from domain.notifications import download_link_email, new_documents_email
from domain.ports import Ports
from domain.services import documents, intake, release
from domain.split import ByMarker
from tests.factories import Estate, attachment, batch_for, estate

USER, PASSWORD = "hv-versand", "Sonnenschein-Geheimnis-42"


# --- a real SMTP server on loopback -------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    connection: int  # which client connection delivered it
    tls: bool
    login: str | None

    def parsed(self) -> EmailMessage:
        return email.message_from_bytes(self.content.replace(b"\r\n", b"\n"), policy=policy.default)  # type: ignore[return-value]


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps every email and refuses the addresses in `refuse` with 550."""

    refuse: set[str] = field(default_factory=set)
    defer: dict[str, int] = field(default_factory=dict)  # address -> how many more times to answer 451
    defer_data: int = 0  # how many more DATA commands to answer 451
    received: list[Received] = field(default_factory=list)
    mechanisms: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        if self.defer.get(address, 0) > 0:  # greylisting: "come back later"
            self.defer[address] -= 1
            return "451 4.7.1 Greylisted, please try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.defer_data > 0:
            self.defer_data -= 1
            return "451 4.3.0 Temporary local problem, try again"
        tls = session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, id(session), tls, login))
        return "250 2.0.0 Message accepted"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        self.mechanisms.append(mechanism)
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (USER.encode(), PASSWORD.encode())
        return AuthResult(success=ok, handled=False, auth_data=auth_data)  # handled=False: the server answers 535

    def recipients(self) -> list[str]:
        return sorted(address for mail in self.received for address in mail.rcpt_tos)


@dataclass
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A throwaway self-signed certificate for 127.0.0.1; the client trusts it through `ca_file`."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )
    return Certificate(cert, key)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


Serve = Callable[..., tuple[Recorder, SmtpConfig]]


@pytest.fixture
def serve(certificate: Certificate) -> Iterator[Serve]:
    """Start an SMTP server speaking `security`, optionally demanding a login; returns the
    recorder and a client configuration pointing at it. Servers stop after the test."""
    controllers: list[Controller] = []

    def start(security: str = "none", login: bool = False, only_mechanism: str | None = None,
              idle_timeout: float = 300, **client: Any) -> tuple[Recorder, SmtpConfig]:
        recorder, port = Recorder(), free_port()
        options: dict[str, Any] = {"server_hostname": "mail.test", "timeout": idle_timeout}
        if security == "tls":  # aiosmtpd only counts STARTTLS as TLS for AUTH, hence auth_require_tls
            options.update(ssl_context=certificate.server_context(), auth_require_tls=False)
        if security == "starttls":
            options.update(tls_context=certificate.server_context(), require_starttls=True)
        if login:
            options.update(authenticator=recorder.authenticate, auth_required=True)
        if only_mechanism:
            options["auth_exclude_mechanism"] = [m for m in ("PLAIN", "LOGIN") if m != only_mechanism]
        controller = Controller(recorder, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        settings: dict[str, Any] = {"host": "127.0.0.1", "port": port, "security": security, "timeout": 5,
                                    "local_hostname": "briefwerk.test", "ca_file": certificate.cert}
        if login:
            settings.update(username=USER, password=PASSWORD)
        settings.update(client)
        return recorder, SmtpConfig(**settings)

    yield start
    for controller in controllers:
        controller.stop()


# --- emails to send -----------------------------------------------------------------------------

ORGANISATION = Organisation(name="Hausverwaltung Größe & Söhne GmbH", sender_email="post@groesse-hv.de", locale="de")
SERIAL = SerialLetter(title="Wirtschaftsplan 2026 – Änderungen für Eigentümer", organisation_id=1, property_id=1)


def notice(to: str, name: str = "Jürgen Weiß") -> EmailMessage:
    contact = Contact(name=name, email=to, organisation_id=1, external_id=to)
    return new_documents_email(ORGANISATION, SERIAL, contact, "https://portal.groesse-hv.de")


def hand_made(to: str) -> EmailMessage:
    """An email that never went through `mailbox()`, as another caller might build it (`set_raw`:
    Python's own header parser crashes on some malformed addresses)."""
    message = EmailMessage()
    message["From"] = "post@groesse-hv.de"
    message.set_raw("To", to)
    message["Subject"] = "Test"
    message.set_content("Hallo")
    return message


# --- headers and body ---------------------------------------------------------------------------


def test_headers_and_umlauts_arrive_intact(serve: Serve) -> None:
    recorder, config = serve()
    with SmtpMailer(config) as mailer:
        mailer.send(notice("juergen@example.de"))
    [mail] = recorder.received
    assert (mail.mail_from, mail.rcpt_tos) == ("post@groesse-hv.de", ["juergen@example.de"])
    assert mail.content.isascii(), "headers RFC 2047-encoded and body quoted-printable: 7-bit clean"
    raw_subject = re.search(rb"^Subject: (.*(?:\r?\n[ \t].*)*)", mail.content, re.MULTILINE)
    assert raw_subject and b"=?utf-8?" in raw_subject.group(1)
    parsed = mail.parsed()
    assert parsed["Subject"] == "Neue Dokumente im Kundenportal: Wirtschaftsplan 2026 – Änderungen für Eigentümer"
    sender = parsed["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("Hausverwaltung Größe & Söhne GmbH", "post@groesse-hv.de")
    assert str(parsed["To"]) == "Jürgen Weiß <juergen@example.de>"
    assert abs(parsed_date(parsed) - datetime.now(UTC)) < timedelta(minutes=1)
    assert re.fullmatch(r"<[^<>@\s]+@groesse-hv\.de>", parsed["Message-ID"])
    body = parsed.get_content()
    assert parsed.get_content_charset() == "utf-8"
    assert body.startswith("Guten Tag Jürgen Weiß,")
    assert "Wirtschaftsplan 2026 – Änderungen für Eigentümer" in body
    assert "https://portal.groesse-hv.de" in body and body.endswith("Mit freundlichen Grüßen\nHausverwaltung Größe & Söhne GmbH\n")


def parsed_date(message: EmailMessage) -> datetime:
    return parsedate_to_datetime(str(message["Date"]))


TITLE_WORDS = st.text(alphabet="abcXYZ09äöüßÄÖÜé–-:,.€", min_size=1, max_size=20)


@settings(max_examples=300, deadline=None)
@given(title=st.lists(TITLE_WORDS, min_size=1, max_size=14).map(" ".join))
def test_every_subject_survives_encoding_and_folding(title: str) -> None:
    """Long subjects with umlauts get folded; no space may get lost or added on the way."""
    raw = SERIAL.model_copy(update={"title": title})
    contact = Contact(name="Jürgen Weiß", email="juergen@example.de", organisation_id=1, external_id="K1")
    wire = new_documents_email(ORGANISATION, raw, contact, "https://portal").as_bytes(policy=policy.SMTP)
    head = wire.split(b"\r\n\r\n")[0]
    assert head.isascii() and all(len(line) <= 78 for line in head.split(b"\r\n"))
    assert email.message_from_bytes(wire, policy=policy.default)["Subject"] == f"Neue Dokumente im Kundenportal: {title}"


def test_a_domain_with_umlauts_is_sent_in_its_ascii_form(serve: Serve) -> None:
    recorder, config = serve()
    with SmtpMailer(config) as mailer:
        mailer.send(notice("anna@müller-hv.de"))
    assert recorder.received[0].rcpt_tos == ["anna@xn--mller-hv-65a.de"]
    assert recorder.received[0].parsed()["To"].addresses[0].addr_spec == "anna@xn--mller-hv-65a.de"


def test_a_configured_sender_is_the_envelope_sender_and_fills_a_missing_from(serve: Serve) -> None:
    recorder, config = serve(sender="relay@briefwerk.test")
    message = hand_made("anna@example.de")
    del message["From"]
    with SmtpMailer(config) as mailer:
        mailer.send(notice("anna@example.de"))
        mailer.send(message)
    assert [mail.mail_from for mail in recorder.received] == ["relay@briefwerk.test"] * 2
    assert str(recorder.received[0].parsed()["From"]).endswith("<post@groesse-hv.de>")
    missing = recorder.received[1].parsed()
    assert str(missing["From"]) == "relay@briefwerk.test" and missing["Date"] and missing["Message-ID"]


# --- security and login -------------------------------------------------------------------------


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_login_over_starttls(serve: Serve, mechanism: str) -> None:
    recorder, config = serve("starttls", login=True, only_mechanism=mechanism)
    with SmtpMailer(config) as mailer:
        mailer.send(notice("anna@example.de"))
    assert recorder.mechanisms == [mechanism]
    assert [(mail.tls, mail.login) for mail in recorder.received] == [(True, USER)]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # see `serve`: it is TLS
def test_implicit_tls_with_login(serve: Serve) -> None:
    recorder, config = serve("tls", login=True)
    with SmtpMailer(config) as mailer:
        mailer.send(notice("anna@example.de"))
    assert [(mail.tls, mail.login, mail.rcpt_tos) for mail in recorder.received] == [(True, USER, ["anna@example.de"])]


def test_a_wrong_password_is_an_oserror_that_never_shows_the_password(serve: Serve) -> None:
    wrong = PASSWORD + "-alt"
    recorder, config = serve("starttls", login=True, password=wrong)
    with SmtpMailer(config) as mailer, pytest.raises(MailServerError) as refused:
        mailer.send(notice("anna@example.de"))
    assert isinstance(refused.value, OSError)
    assert "refused the login for 'hv-versand'" in str(refused.value) and "535" in str(refused.value)
    assert wrong not in str(refused.value) and refused.value.__cause__ is None
    assert wrong not in repr(config) and wrong not in str(config.model_dump())
    assert recorder.received == []


def test_an_untrusted_certificate_is_refused(serve: Serve) -> None:
    _, config = serve("starttls", ca_file=None)
    with SmtpMailer(config) as mailer, pytest.raises(MailServerError, match="TLS with the mail server .* failed"):
        mailer.send(notice("anna@example.de"))


def test_verify_off_accepts_an_untrusted_certificate(serve: Serve) -> None:
    recorder, config = serve("tls", ca_file=None, verify=False)
    with SmtpMailer(config) as mailer:
        mailer.send(notice("anna@example.de"))
    assert recorder.received[0].tls


def test_no_clear_text_when_the_server_lacks_starttls(serve: Serve) -> None:
    recorder, config = serve("none")
    no_tls = config.model_copy(update={"security": "starttls"})
    with SmtpMailer(no_tls) as mailer, pytest.raises(MailServerError, match="does not offer STARTTLS"):
        mailer.send(notice("anna@example.de"))
    assert recorder.received == []


def test_an_unreachable_server_is_an_oserror_naming_it() -> None:
    port = free_port()
    config = SmtpConfig(host="127.0.0.1", port=port, security="none", timeout=2, local_hostname="briefwerk.test")
    with SmtpMailer(config) as mailer, pytest.raises(MailServerError, match=f"cannot reach the mail server 127.0.0.1:{port}"):
        mailer.send(notice("anna@example.de"))


def test_configuration_defaults_and_refusals() -> None:
    assert [SmtpConfig(host="mail.example", security=s).effective_port for s in ("starttls", "tls", "none")] == [587, 465, 25]
    with pytest.raises(ValidationError, match="without TLS"):
        SmtpConfig(host="mail.example", security="none", username=USER, password=SecretStr(PASSWORD))
    with pytest.raises(ValidationError, match="username and password go together"):
        SmtpConfig(host="mail.example", username=USER)
    with pytest.raises(ValidationError, match="malformed email address"):
        SmtpConfig(host="mail.example", sender="not an address")
    assert PASSWORD not in repr(SmtpConfig(host="mail.example", username=USER, password=PASSWORD))


# --- refused and malformed recipients, one connection per batch ---------------------------------


def test_a_refused_recipient_is_a_value_error_and_the_others_are_delivered(serve: Serve) -> None:
    recorder, config = serve()
    recorder.refuse = {"bernd@example.de"}
    failures: list[str] = []
    with SmtpMailer(config) as mailer:
        for address in ["anna@example.de", "bernd@example.de", "clara@example.at"]:
            try:
                mailer.send(notice(address))
            except ValueError as error:
                failures.append(str(error))
    assert recorder.recipients() == ["anna@example.de", "clara@example.at"]
    assert len(failures) == 1 and "bernd@example.de" in failures[0] and "550" in failures[0]
    assert len({mail.connection for mail in recorder.received}) == 1, "one connection for the whole batch"


def test_a_partly_refused_email_names_the_refused_address(serve: Serve) -> None:
    recorder, config = serve()
    recorder.refuse = {"bernd@example.de"}
    message = notice("anna@example.de")
    message["Cc"] = "bernd@example.de"
    with SmtpMailer(config) as mailer, pytest.raises(ValueError, match=r"bernd@example\.de.*delivered to anna@example\.de"):
        mailer.send(message)
    assert recorder.recipients() == ["anna@example.de"]


@pytest.mark.parametrize("address", ["emil(at)example.de", "anna@", "zwei worte@example.de", "a@b@example.de", "anna@example..de"])
def test_a_malformed_address_is_refused_before_connecting(address: str) -> None:
    """Nothing listens on the port: a ValueError (not a connection error) proves no connection was tried."""
    config = SmtpConfig(host="127.0.0.1", port=free_port(), security="none", timeout=2)
    with SmtpMailer(config) as mailer, pytest.raises(ValueError, match="malformed email address") as refused:
        mailer.send(hand_made(address))
    assert not isinstance(refused.value, OSError)


def test_a_connection_the_server_dropped_is_replaced_and_close_ends_it(serve: Serve) -> None:
    recorder, config = serve(idle_timeout=0.3)
    with SmtpMailer(config) as mailer:
        mailer.send(notice("anna@example.de"))
        mailer.send(notice("bernd@example.de"))
        time.sleep(0.6)  # the server hangs up on an idle client
        mailer.send(notice("clara@example.at"))
    assert mailer._smtp is None
    connections = [mail.connection for mail in recorder.received]
    assert len(connections) == 3 and connections[0] == connections[1] != connections[2]
    mailer.send(notice("dora@example.de"))  # reopens after close()
    mailer.close()
    assert recorder.recipients() == ["anna@example.de", "bernd@example.de", "clara@example.at", "dora@example.de"]


# --- the download-link email ------------------------------------------------------------------


@pytest.mark.parametrize(("locale", "subject", "expiry"), [
    ("de", "Download-Link: Wirtschaftsplan 2026 – Änderungen für Eigentümer", "bis 14.03.2026 14:30 UTC gültig"),
    ("en", "Download link: Wirtschaftsplan 2026 – Änderungen für Eigentümer", "valid until 2026-03-14 14:30 UTC"),
])
def test_the_download_link_email_in_the_organisations_language(serve: Serve, locale: str, subject: str, expiry: str) -> None:
    recorder, config = serve()
    organisation = ORGANISATION.model_copy(update={"locale": locale})
    url = "https://briefwerk.groesse-hv.de/links/" + "x7Q-" * 11  # as long as a real token
    expires = datetime(2026, 3, 14, 15, 30, tzinfo=ZoneInfo("Europe/Berlin"))  # 14:30 UTC
    with SmtpMailer(config) as mailer:
        mailer.send(download_link_email(organisation, SERIAL, "Maria Manager", "maria@groesse-hv.de", url, 12, 37, expires))
    parsed = recorder.received[0].parsed()
    body = parsed.get_content()
    assert parsed["Subject"] == subject and str(parsed["To"]) == "Maria Manager <maria@groesse-hv.de>"
    assert f"\n{url}\n" in body, "the link stays whole on its own line"
    assert expiry in body and ("12 Briefe, 37 Seiten" if locale == "de" else "12 letters, 37 pages") in body


# --- the release use case over SMTP -------------------------------------------------------------


@pytest.fixture
def found(session: Session, organisation: Organisation) -> Estate:
    return estate(session, organisation)


def released_serial(session: Session, ports: Ports, clerk: Actor, found: Estate, group: RecipientGroup) -> SerialLetter:
    created = documents.create_serial_letter(session, clerk, found.prop.id, "Abrechnung 2025", ["Hausgeldabrechnung"], group)
    intake.upload_batch(session, ports.files, clerk, created.id, "Hausgeldabrechnung", "batch.pdf", batch_for(found), ByMarker())
    intake.add_attachment(session, ports.files, clerk, created.id, "Einladung.pdf", attachment(1))
    return created


def test_release_over_smtp_mails_registered_contacts_only(session, ports, clerk, found, serve: Serve) -> None:
    recorder, config = serve("starttls", login=True)
    serial = released_serial(session, ports, clerk, found, RecipientGroup.OWNERS)
    with SmtpMailer(config) as ports.mailer:
        result = release.release(session, ports, clerk, serial.id, notify=True)
    assert (result.contacts, result.emailed, result.email_failures) == (4, 2, [])
    assert recorder.recipients() == ["anna@example.de", "bernd@example.de"]  # Clara and Dora are not registered
    anna = next(mail.parsed() for mail in recorder.received if mail.rcpt_tos == ["anna@example.de"])
    assert anna["Subject"] == "Neue Dokumente im Kundenportal: Abrechnung 2025"
    assert str(anna["From"]) == "Hausverwaltung Sonnenschein GmbH <post@sonnenschein-hv.de>"
    assert anna.get_content().startswith("Guten Tag Anna Schäfer,")


def test_release_over_smtp_reports_refused_and_malformed_addresses_and_mails_the_rest(session, ports, clerk, found, serve: Serve) -> None:
    recorder, config = serve()
    recorder.refuse = {"bernd@example.de"}
    serial = released_serial(session, ports, clerk, found, RecipientGroup.BOTH)  # Emil, the tenant, too
    with SmtpMailer(config) as ports.mailer:
        result = release.release(session, ports, clerk, serial.id, notify=True)
    assert result.emailed == 1 and recorder.recipients() == ["anna@example.de"]
    reasons = dict(result.email_failures)
    assert sorted(reasons) == ["Bernd Groß", "Emil Krüger"]
    assert "bernd@example.de" in reasons["Bernd Groß"] and "550" in reasons["Bernd Groß"]
    assert "emil(at)example.de" in reasons["Emil Krüger"]


# --- "not now" and "never": 4xx is retried with backoff, 5xx fails that recipient only -------------


def test_a_greylisted_recipient_is_tried_again_with_a_growing_pause(serve: Serve) -> None:
    recorder, config = serve()
    recorder.defer = {"anna@example.de": 2}  # 451, 451, then 250
    waits: list[float] = []
    with SmtpMailer(config.model_copy(update={"retry_seconds": 30.0}), sleep=waits.append) as mailer:
        mailer.send(notice("anna@example.de"))
    assert recorder.recipients() == ["anna@example.de"]
    assert waits == [30.0, 60.0]


def test_a_451_after_the_data_sends_the_email_again_once(serve: Serve) -> None:
    recorder, config = serve()
    recorder.defer_data = 1
    with SmtpMailer(config, sleep=lambda _: None) as mailer:
        mailer.send(notice("anna@example.de"))
    assert recorder.recipients() == ["anna@example.de"]  # delivered once


def test_a_5xx_fails_that_recipient_only_while_a_4xx_one_is_retried(serve: Serve) -> None:
    recorder, config = serve()
    recorder.refuse = {"bernd@example.de"}
    recorder.defer = {"clara@example.at": 1}
    message = notice("anna@example.de")
    message["Cc"] = "bernd@example.de, clara@example.at"
    waits: list[float] = []
    with SmtpMailer(config, sleep=waits.append) as mailer, pytest.raises(ValueError) as refused:
        mailer.send(message)
    assert "bernd@example.de" in str(refused.value) and "550" in str(refused.value)
    assert "clara@example.at" not in str(refused.value).split("(delivered to")[0]
    assert recorder.recipients() == ["anna@example.de", "clara@example.at"]
    assert len(waits) == 1  # one pause, for Clara; Bernd's 550 is never retried


def test_a_recipient_still_deferred_after_every_retry_is_a_server_problem(serve: Serve) -> None:
    recorder, config = serve()
    recorder.defer = {"anna@example.de": 99}
    with SmtpMailer(config.model_copy(update={"retries": 2}), sleep=lambda _: None) as mailer, \
            pytest.raises(MailServerError, match="still defers anna@example.de after 3 attempts"):
        mailer.send(notice("anna@example.de"))
    assert recorder.received == []
