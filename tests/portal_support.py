"""Helpers for the portal tests: the real app (`bot.server.asgi_app`, as `briefwerk serve` runs
it) served by uvicorn on a loopback port, an estate with a released serial letter, and the
sign-in links read back from the file mailer's `.eml` files."""

from __future__ import annotations

import email
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from pathlib import Path

import uvicorn
from slack_bolt import App
from sqlalchemy import Engine
from sqlmodel import Session

from bot.server import asgi_app
from bot.settings import Settings
from bot.slack.app import SlackDeps
from bot.wiring import Wiring
from domain.actors import Actor
from domain.models import RecipientGroup, SerialLetter
from domain.ports import Ports
from domain.services import documents, intake, release
from domain.split import ByMarker
from tests.factories import Estate, attachment, batch_for, unit_letter

LOGIN_LINK = re.compile(r"(https?://\S+/portal/login/[A-Za-z0-9_-]+)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Served:
    url: str  # e.g. http://127.0.0.1:43121, the settings' public_url too
    wiring: Wiring
    mail: Path

    @property
    def portal(self) -> str:
        return f"{self.url}/portal"


@contextmanager
def serve_app(engine: Engine, home: Path, **options: object) -> Iterator[Served]:
    """The whole HTTP app with the portal mounted, sharing the test's database and data home;
    `options` are settings (e.g. trusted_proxies)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(_env_file=None, home=home, public_url=url, locale="de", scheduler_in_process=False, **options)
    wiring = Wiring(settings)
    wiring.engine = engine  # the test's engine (already migrated) instead of one from the settings
    deps = SlackDeps(wiring)
    slack = App(signing_secret="portal-tests", token="xoxb-portal-tests", token_verification_enabled=False)
    server = uvicorn.Server(uvicorn.Config(asgi_app(slack, deps), host="127.0.0.1", port=port, log_level="warning",
                                           **settings.server_options()))
    thread = threading.Thread(target=server.run, daemon=True, name="portal-http")
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.02)
    try:
        yield Served(url, wiring, settings.path("mail"))
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def released_letter(session: Session, ports: Ports, clerk: Actor, found: Estate, title: str = "Abrechnung 2025",
                    recipients: RecipientGroup = RecipientGroup.OWNERS) -> SerialLetter:
    """A serial letter with each unit's statement and a general attachment, released."""
    serial = documents.create_serial_letter(session, clerk, found.prop.id, title, ["Hausgeldabrechnung"], recipients)
    if recipients is RecipientGroup.OWNERS:
        batch = batch_for(found)
    else:
        from domain.pdf.assemble import concatenate

        batch = concatenate([unit_letter(["An die Bewohner"], label, 1, title) for label in found.units])
    intake.upload_batch(session, ports.files, clerk, serial.id, "Hausgeldabrechnung", "batch.pdf", batch, ByMarker())
    intake.add_attachment(session, ports.files, clerk, serial.id, "Einladung.pdf", attachment(1))
    release.release(session, ports, clerk, serial.id, notify=False)
    return serial


def sign_in_link(mail: Path, recipient: str, seen: set[Path] | None = None, timeout: float = 10) -> str:
    """The link of the newest sign-in email to `recipient` not in `seen` (the portal sends it
    right after answering, so it may take a moment)."""
    seen = seen if seen is not None else set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(mail.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True):
            if path in seen:
                continue
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            if recipient in str(message["To"]):
                seen.add(path)
                found = LOGIN_LINK.search(message.get_body(("plain",)).get_content())
                assert found, "the sign-in email holds no link"
                return found.group(1)
        time.sleep(0.05)
    raise AssertionError(f"no sign-in email to {recipient} within {timeout} s")
