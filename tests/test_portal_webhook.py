"""The adapter for a company's own portal: releases and withdrawals queued in the release's own
transaction, then sent as signed webhook calls to a receiver on loopback that checks the HMAC
itself, dedupes by idempotency key, and fails with 500s and timeouts on purpose."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import Session, select

from bot.integrations.portal import DatabasePortalStore
from bot.integrations.portal_webhook import (
    WebhookPortalStore,
    deliver_pending,
    idempotency_key,
    raw_body,
    retry_delay,
    signature,
    signature_valid,
)
from bot.settings import Settings
from bot.wiring import Wiring
from domain.models import PortalDocument, WebhookDelivery
from domain.ports import Ports
from domain.services import documents, intake, release
from domain.split import ByMarker
from tests.factories import batch_for, estate
from tests.portal_support import released_letter
from bot.providers.loopback import LoopbackServer, Reply, Request

SECRET = "whsec-test-3b1f"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CLIENT_TIMEOUT = 2.0  # generous: a loaded 2-core CI machine answers slowly too


class Receiver:
    """A company portal's webhook endpoint as it should be written: verify the signature over the
    raw body first, then act once per idempotency key and answer 2xx to repeats."""

    def __init__(self, secret: str) -> None:
        self.secret = secret.encode()
        self.seen: list[str] = []  # every well-signed request's key, repeats included
        self.applied: dict[str, dict] = {}  # key -> body, once each, in arrival order
        self.refused = 0
        self.plan: deque[str] = deque()  # "500", "slow" (acts, then answers too late), "ok"
        self.lock = threading.Lock()

    def handle(self, request: Request) -> Reply:
        if not signature_valid(self.secret, request.body, request.headers.get("x-briefwerk-signature"), time.time()):
            with self.lock:
                self.refused += 1
            return Reply(401, {"error": "bad signature"})
        key = request.headers["idempotency-key"]
        with self.lock:
            self.seen.append(key)
            step = self.plan.popleft() if self.plan else "ok"
            if step == "500":
                return Reply(500, {"error": "database down"})
            body = json.loads(request.body)
            assert body["idempotency_key"] == key and request.headers["x-briefwerk-event"] == body["event"]
            self.applied.setdefault(key, body)
        return Reply(200, {"ok": True}, delay=2 * CLIENT_TIMEOUT if step == "slow" else 0.0)


@pytest.fixture
def found(session, organisation):
    return estate(session, organisation)


@pytest.fixture
def webhook_ports(session: Session, ports: Ports) -> Ports:
    ports.portal = WebhookPortalStore(session, ports.files, clock=lambda: T0 - timedelta(seconds=1))
    return ports


@pytest.fixture
def receiver():
    app = Receiver(SECRET)
    with LoopbackServer(app) as server:
        app.url = f"{server.url}/hooks/briefwerk"
        yield app


@pytest.fixture
def http():
    with httpx.Client() as client:
        yield client


def deliveries(session: Session) -> list[WebhookDelivery]:
    session.expire_all()
    return list(session.exec(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def send(session, http, receiver, now: datetime, secret: str = SECRET):
    return deliver_pending(session, http, secret, receiver.url, now, timeout=CLIENT_TIMEOUT)


def test_release_queues_one_signed_call_per_unit_in_its_own_transaction(session, webhook_ports, clerk, found) -> None:
    serial = released_letter(session, webhook_ports, clerk, found)
    rows = deliveries(session)
    assert [row.event for row in rows] == ["release"] * 4
    assert session.exec(select(PortalDocument)).all() == []  # nothing in the built-in portal
    we03 = next(row for row in rows if row.body["unit"]["label"] == "WE 03")
    assert we03.idempotency_key == idempotency_key(serial.id, found.units["WE 03"].id, "release", 1)
    assert we03.body["property"] == {"id": found.prop.id, "external_id": "LH12", "name": "WEG Lindenhof"}
    assert we03.body["contacts"] == [{"external_id": "K2", "relation": "owner"}, {"external_id": "K3", "relation": "owner"}]
    statement, invitation = we03.body["documents"]
    assert (statement["title"], invitation["title"]) == ("Abrechnung 2025 – Hausgeldabrechnung", "Einladung.pdf")
    content = base64.b64decode(statement["content_base64"])
    assert content.startswith(b"%PDF") and hashlib.sha256(content).hexdigest() == statement["sha256"]
    assert raw_body(we03) == raw_body(we03)  # the signed bytes are the same for every attempt


def test_a_release_that_fails_queues_nothing(session, webhook_ports, clerk, found) -> None:
    serial = documents.create_serial_letter(session, clerk, found.prop.id, "Abrechnung", ["Hausgeldabrechnung"])
    intake.upload_batch(session, webhook_ports.files, clerk, serial.id, "Hausgeldabrechnung", "b.pdf",
                           batch_for(found), ByMarker())
    store, published = webhook_ports.portal, []

    def publish_then_crash(*args: object) -> None:
        if len(published) == 2:
            raise RuntimeError("crash while publishing the third unit")
        published.append(args)
        WebhookPortalStore.publish(store, *args)

    store.publish = publish_then_crash
    with pytest.raises(RuntimeError):
        release.release(session, webhook_ports, clerk, serial.id, notify=False)
    session.rollback()
    assert len(published) == 2 and deliveries(session) == []


def test_every_event_is_delivered_signed_and_then_kept_small(session, webhook_ports, clerk, found, receiver, http) -> None:
    released_letter(session, webhook_ports, clerk, found)
    report = send(session, http, receiver, T0)
    assert len(report.delivered) == 4 and report.failed == [] and receiver.refused == 0
    assert sorted(receiver.applied) == sorted(row.idempotency_key for row in deliveries(session))
    assert all(row.delivered_at == T0 and row.attempts == 1 for row in deliveries(session))
    assert all("content_base64" not in doc for row in deliveries(session) for doc in row.body["documents"])
    assert all("content_base64" in doc for body in receiver.applied.values() for doc in body["documents"])
    assert send(session, http, receiver, T0 + timedelta(hours=1)).delivered == []  # nothing twice


def test_500s_and_timeouts_are_retried_with_backoff_and_each_event_applied_once(
        session, webhook_ports, clerk, found, receiver, http) -> None:
    released_letter(session, webhook_ports, clerk, found)
    receiver.plan.extend(["500", "slow", "ok", "ok"])  # first call fails, the second acts but answers late
    first = send(session, http, receiver, T0)
    assert len(first.failed) == 2 and len(first.delivered) == 2
    reasons = " | ".join(reason for _, reason in first.failed)
    assert "HTTP 500" in reasons and "no answer in time" in reasons
    failed = [row for row in deliveries(session) if row.delivered_at is None]
    assert all(row.attempts == 1 and row.next_attempt_at > T0 + timedelta(seconds=25) for row in failed)
    assert send(session, http, receiver, T0 + timedelta(seconds=5)).delivered == []  # not due yet
    later = send(session, http, receiver, T0 + timedelta(minutes=5))
    assert sorted(later.delivered) == sorted(row.idempotency_key for row in failed)
    assert len(receiver.seen) == 6 and len(set(receiver.seen)) == 4  # the timed-out one came twice
    assert len(receiver.applied) == 4  # … and was applied once
    assert all(row.delivered_at is not None for row in deliveries(session))


def test_a_withdrawal_never_overtakes_its_release(session, webhook_ports, clerk, found, receiver, http) -> None:
    serial = released_letter(session, webhook_ports, clerk, found)
    unit = found.units["WE 01"].id
    assert release.unrelease_unit(session, webhook_ports, clerk, serial.id, unit) == 2  # what the release carried
    release.release(session, webhook_ports, clerk, serial.id, notify=False)  # and again
    keys = [row.idempotency_key for row in deliveries(session) if row.body["unit"]["id"] == unit]
    assert keys == [idempotency_key(serial.id, unit, event, n) for n, event in
                    enumerate(["release", "withdraw", "release"], start=1)]
    receiver.plan.extend(["500"])  # WE 01's release fails first
    report = send(session, http, receiver, T0)
    assert report.failed[0][0] == keys[0] and not set(keys) & set(report.delivered)
    assert report.waiting == 2  # WE 01's withdrawal and re-release wait behind it
    send(session, http, receiver, T0 + timedelta(hours=1))
    arrived = [key for key in receiver.seen if key in keys]
    assert arrived == [keys[0], keys[0], keys[1], keys[2]]


def test_the_key_is_stable_for_the_same_event(session, webhook_ports, clerk, found) -> None:
    """Rolled back and done again, an event keeps its key; the receiver will not act twice."""
    store = webhook_ports.portal
    serial = released_letter(session, webhook_ports, clerk, found)
    unit = found.units["WE 02"].id
    store.withdraw(unit, serial.id)
    first = deliveries(session)[-1].idempotency_key
    session.rollback()
    store.withdraw(unit, serial.id)
    session.commit()
    assert deliveries(session)[-1].idempotency_key == first == idempotency_key(serial.id, unit, "withdraw", 2)


def test_the_receiver_refuses_a_wrong_signature_and_it_stays_queued(session, webhook_ports, clerk, found, receiver, http) -> None:
    released_letter(session, webhook_ports, clerk, found)
    report = send(session, http, receiver, T0, secret="not-the-shared-secret")
    assert receiver.refused == 4 and receiver.applied == {} and report.delivered == []
    assert all("HTTP 401" in row.last_error and row.delivered_at is None for row in deliveries(session))
    assert len(send(session, http, receiver, T0 + timedelta(hours=1)).delivered) == 4  # the right secret


def test_signature_contract() -> None:
    body = b'{"event":"release"}'
    now = 1_796_000_000
    header = signature(SECRET, body, now)
    # what the README tells a receiver to compute
    assert header == f"t={now},v1=" + hmac.new(SECRET.encode(), f"{now}.".encode() + body, hashlib.sha256).hexdigest()
    assert signature_valid(SECRET, body, header, now + 299)
    assert not signature_valid(SECRET, body, header, now + 301)  # a recorded call replayed later
    assert not signature_valid(SECRET, body, header.replace(f"t={now}", f"t={now + 300}"), now + 300)  # a new time
    assert not signature_valid(SECRET, body.replace(b"release", b"withdraw"), header, now)  # tampered body
    assert not signature_valid("other", body, header, now) and not signature_valid(SECRET, body, None, now)
    assert not signature_valid(SECRET, body, "v1=abc", now) and not signature_valid(SECRET, body, "t=x,v1=abc", now)
    with pytest.raises(ValueError):
        deliver_pending(None, None, "", "http://127.0.0.1:9", T0)  # type: ignore[arg-type] - never unsigned


def test_a_delivery_leased_by_another_worker_is_left_alone(session, webhook_ports, clerk, found, receiver, http) -> None:
    released_letter(session, webhook_ports, clerk, found)
    row = deliveries(session)[0]
    row.lease_owner, row.lease_until = "worker-b", T0 + timedelta(minutes=1)
    session.add(row)
    session.commit()
    assert len(send(session, http, receiver, T0).delivered) == 3
    assert len(send(session, http, receiver, T0 + timedelta(minutes=2)).delivered) == 1  # the lease ran out


def test_backoff_grows_and_is_capped() -> None:
    delays = [retry_delay(n, rand=lambda: 0.5) for n in (1, 2, 3, 20)]
    assert delays[:3] == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert delays[3] == timedelta(hours=6)


def test_wiring_picks_the_webhook_store_when_a_url_is_set(session, home) -> None:
    plain = Wiring(Settings(_env_file=None, home=home))
    assert isinstance(plain.ports(session).portal, DatabasePortalStore)
    hooked = Wiring(Settings(_env_file=None, home=home, portal_webhook_url="https://portal.example/hooks",
                             portal_webhook_secret=SECRET))
    assert isinstance(hooked.ports(session).portal, WebhookPortalStore)
