"""The mailers behind the domain's `Mailer` port: the file mailer writes every email as an
`.eml` file under `<home>/mail/`, readable by any mail program, and is the default until SMTP is
configured; the SMTP mailer sends through the organisation's mail relay."""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator



class FileMailer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.sent: list[Path] = []

    def send(self, message: EmailMessage) -> None:
        message_id = re.sub(r"[^A-Za-z0-9.@_-]", "", str(message["Message-ID"]))
        path = self.folder / f"{message_id or len(self.sent)}.eml"
        staged = self.folder / f".{path.name}.tmp"
        staged.write_bytes(message.as_bytes(policy=SMTP))
        os.replace(staged, path)  # a reader never sees half a message
        self.sent.append(path)


# --- SMTP ----------------------------------------------------------------------------------------

Security = Literal["starttls", "tls", "none"]
USUAL_PORTS: dict[str, int] = {"starttls": 587, "tls": 465, "none": 25}
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# Deliberately loose: it catches what would confuse the SMTP dialogue or is plainly not an
# address (no "@", spaces, brackets, empty labels); the server judges the rest.
ADDRESS = re.compile(r'^[^\s@<>()\[\],;:\\"]+@(?:[^\s@<>()\[\],;:\\".]+\.)*[^\s@<>()\[\],;:\\".]+$')


class MailServerError(OSError):
    """The mail server could not be reached, refused the login or broke off: no fault of one
    recipient. An OSError, so a batch reports it per email like a bad address and goes on."""


class SmtpConfig(BaseModel):
    """How to reach the organisation's mail relay. The password stays a SecretStr and is only
    unwrapped for the login itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str
    port: int | None = Field(default=None, ge=1, le=65535)  # None: 587, 465 or 25 by `security`
    security: Security = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    timeout: float = Field(default=30.0, gt=0)
    sender: str | None = None  # envelope sender (MAIL FROM) for every email; From if one has none
    ca_file: Path | None = None  # trust this CA (e.g. a company's own) in addition to the system's
    verify: bool = True  # False only for a test relay: the certificate is then not checked
    local_hostname: str | None = None  # our EHLO name; None: this machine's FQDN
    # a 4xx ("try again later", e.g. greylisting) is tried again this often, waiting
    # retry_seconds, then twice that, and so on; a 5xx fails that recipient at once
    retries: int = Field(default=4, ge=0)
    retry_seconds: float = Field(default=30.0, ge=0)

    @field_validator("sender")
    @classmethod
    def _sender_is_an_address(cls, sender: str | None) -> str | None:
        return None if sender is None else checked_address(sender)

    @model_validator(mode="after")
    def _login_is_complete_and_private(self) -> SmtpConfig:
        """A password in clear text over the network would leak it; only a local relay may do without TLS."""
        if (self.username is None) != (self.password is None):
            raise ValueError("SMTP username and password go together: set both or neither")
        if self.username and self.security == "none" and self.host not in LOOPBACK_HOSTS:
            raise ValueError(f"refusing to log in to {self.host} without TLS: use security 'starttls' or 'tls'")
        return self

    @property
    def effective_port(self) -> int:
        return self.port or USUAL_PORTS[self.security]

    @property
    def where(self) -> str:
        """The server as named in error messages."""
        return f"mail server {self.host}:{self.effective_port}"

    def tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


class SmtpMailer:
    """Sends through the organisation's SMTP relay. The connection opens on the first email and
    is reused for the rest of a batch; a connection the server dropped meanwhile is replaced
    before the next email, never in the middle of one, so no email goes out twice.
    Use it as a context manager, or call `close()`, to end the session politely."""

    def __init__(self, config: SmtpConfig, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self._sleep = sleep
        self._smtp: smtplib.SMTP | None = None
        self._lock = threading.Lock()  # one SMTP dialogue at a time, even if shared by threads

    def send(self, message: EmailMessage) -> None:
        """Deliver one email. Recipients refused for now (4xx) are tried again with a growing
        pause; a recipient refused for good (5xx) or malformed raises ValueError naming it, after
        the others got the email; an unreachable server or a refused login raises MailServerError."""
        sender, recipients = envelope_of(message, self.config.sender)
        stamp(message, sender)
        pending, refused = recipients, {}
        for attempt in range(self.config.retries + 1):
            if attempt:
                self._sleep(self.config.retry_seconds * 2 ** (attempt - 1))
            with self._lock:
                answers = self._deliver(self._connection(), message, sender, pending)
            refused |= {address: answer for address, answer in answers.items() if not transient(answer)}
            pending = [address for address, answer in answers.items() if transient(answer)]
            if not pending:
                break
        if pending:
            raise MailServerError(f"the {self.config.where} still defers {', '.join(pending)} after "
                                  f"{self.config.retries + 1} attempts: {refusal_text(answers, self.config.where)}")
        if refused:
            delivered = [address for address in recipients if address not in refused]
            raise ValueError(refusal_text(refused, self.config.where) + (f" (delivered to {', '.join(delivered)})" if delivered else ""))

    def close(self) -> None:
        with self._lock:
            self._drop(politely=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None and still_open(self._smtp):
            return self._smtp
        self._drop(politely=False)
        self._smtp = open_session(self.config)
        return self._smtp

    def _deliver(self, smtp: smtplib.SMTP, message: EmailMessage, sender: str, recipients: list[str]) -> Refusals:
        """The recipients the server did not take, with its answer (empty: all delivered)."""
        where = self.config.where
        try:
            return smtp.send_message(message, from_addr=sender, to_addrs=recipients)
        except smtplib.SMTPRecipientsRefused as error:
            return error.recipients
        except smtplib.SMTPNotSupportedError as error:  # non-ASCII mailbox, server without SMTPUTF8
            raise ValueError(f"the {where} cannot deliver to {', '.join(recipients)}: {error}") from error
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            if 400 <= error.smtp_code < 500:  # nobody got it this time: all of them again later
                return dict.fromkeys(recipients, (error.smtp_code, as_bytes(error.smtp_error)))
            whom = f"the sender {sender}" if isinstance(error, smtplib.SMTPSenderRefused) else f"the email to {', '.join(recipients)}"
            raise MailServerError(f"the {where} refused {whom}: {reply_text(error)}") from error
        except (smtplib.SMTPException, OSError) as error:
            self._drop(politely=False)  # the dialogue is in an unknown state: start afresh next time
            raise MailServerError(f"lost the connection to the {where} while sending to {', '.join(recipients)}: {error}") from error

    def _drop(self, politely: bool) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            close_quietly(smtp, politely)


def open_session(config: SmtpConfig) -> smtplib.SMTP:
    """Connect, secure and log in, or raise MailServerError saying which step failed."""
    smtp = connect(config)
    try:
        smtp.ehlo()
        if config.security == "starttls":
            start_tls(smtp, config)
        if config.username and config.password:
            log_in(smtp, config, config.username, config.password)
    except MailServerError:
        close_quietly(smtp, politely=False)
        raise
    except (smtplib.SMTPException, OSError) as error:
        close_quietly(smtp, politely=False)
        raise MailServerError(f"{config.where} broke off the greeting: {redacted(str(error), config)}") from error
    return smtp


def connect(config: SmtpConfig) -> smtplib.SMTP:
    host, port = config.host, config.effective_port
    try:
        if config.security == "tls":
            return smtplib.SMTP_SSL(host, port, local_hostname=config.local_hostname, timeout=config.timeout,
                                    context=config.tls_context())
        return smtplib.SMTP(host, port, local_hostname=config.local_hostname, timeout=config.timeout)
    except ssl.SSLError as error:  # before OSError: SSLError is one
        raise MailServerError(f"TLS with the {config.where} failed: {error.reason or error}") from error
    except TimeoutError as error:
        raise MailServerError(f"the {config.where} did not answer within {config.timeout:g} s") from error
    except (smtplib.SMTPException, OSError) as error:
        raise MailServerError(f"cannot reach the {config.where}: {error}") from error


def start_tls(smtp: smtplib.SMTP, config: SmtpConfig) -> None:
    """Upgrade to TLS, and never fall back to clear text when the server does not offer it."""
    if not smtp.has_extn("starttls"):
        raise MailServerError(f"the {config.where} does not offer STARTTLS; refusing to send in clear text")
    try:
        smtp.starttls(context=config.tls_context())
    except ssl.SSLError as error:
        raise MailServerError(f"TLS with the {config.where} failed: {error.reason or error}") from error
    smtp.ehlo()


def log_in(smtp: smtplib.SMTP, config: SmtpConfig, username: str, password: SecretStr) -> None:
    try:
        smtp.login(username, password.get_secret_value())
    except smtplib.SMTPAuthenticationError as error:
        raise MailServerError(f"the {config.where} refused the login for {username!r}: "
                              f"{redacted(reply_text(error), config)}") from None
    except smtplib.SMTPNotSupportedError:
        raise MailServerError(f"the {config.where} offers no login (AUTH) for {username!r}") from None
    except smtplib.SMTPException as error:
        raise MailServerError(f"login for {username!r} at the {config.where} failed: "
                              f"{redacted(str(error), config)}") from None


def still_open(smtp: smtplib.SMTP) -> bool:
    """Servers drop idle connections; a NOOP tells before an email is half sent."""
    try:
        return smtp.noop()[0] == 250
    except (smtplib.SMTPException, OSError):
        return False


def close_quietly(smtp: smtplib.SMTP, politely: bool) -> None:
    """Closing must not fail the batch: a server gone already is as good as one that said goodbye."""
    try:
        if politely:
            smtp.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        smtp.close()


def envelope_of(message: EmailMessage, default_sender: str | None) -> tuple[str, list[str]]:
    """Envelope sender and recipients (To, Cc, Bcc), checked before any connection is opened."""
    recipients = [checked_address(address) for address in addresses(message, "To", "Cc", "Bcc")]
    if not recipients:
        raise ValueError("the email has no recipient")
    senders = addresses(message, "From")
    if default_sender is None and not senders:
        raise ValueError("the email has no sender (From) and no default sender is configured")
    return checked_address(default_sender or senders[0]), list(dict.fromkeys(recipients))


def addresses(message: EmailMessage, *fields: str) -> list[str]:
    """The addresses as stored: parsing them as headers would trip over some malformed ones."""
    wanted = {field.lower() for field in fields}
    values = [str(value) for name, value in message.raw_items() if name.lower() in wanted]
    return [address for _, address in getaddresses(values)]


def checked_address(address: str) -> str:
    """The address as the SMTP dialogue needs it (an umlaut domain in its ASCII form), or
    ValueError naming it."""
    address = address.strip()
    if not ADDRESS.match(address) or len(address) > 254:
        raise ValueError(f"malformed email address {address!r}")
    local, _, domain = address.rpartition("@")
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError as error:
        raise ValueError(f"malformed email address {address!r}") from error


def stamp(message: EmailMessage, sender: str) -> None:
    """Mail servers and spam filters expect From, Date and Message-ID; add what a caller left out."""
    if message["From"] is None:
        message["From"] = sender
    if message["Date"] is None:
        message["Date"] = format_datetime(datetime.now(UTC))
    if message["Message-ID"] is None:
        message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])


Refusals = dict[str, tuple[int, bytes]]


def transient(answer: tuple[int, bytes]) -> bool:
    """4xx: "not now" (greylisting, a full queue); 5xx: "never"."""
    return 400 <= answer[0] < 500


def as_bytes(reply: bytes | str) -> bytes:
    return reply if isinstance(reply, bytes) else str(reply).encode()


def refusal_text(refused: dict[str, tuple[int, bytes]], where: str) -> str:
    reasons = "; ".join(f"{address} ({code} {reason.decode(errors='replace')})" for address, (code, reason) in refused.items())
    return f"the {where} refused the recipient {reasons}"


def reply_text(error: smtplib.SMTPResponseException) -> str:
    reply = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else str(error.smtp_error)
    return f"{error.smtp_code} {reply}"


def redacted(text: str, config: SmtpConfig) -> str:
    """Belt and braces: a server echoing the password must not carry it into logs or Slack."""
    secret = config.password.get_secret_value() if config.password else ""
    return text.replace(secret, "***") if secret else text
