"""A company's own customer portal, told of releases and withdrawals by signed webhook calls.

`WebhookPortalStore` implements the `PortalStore` port as a transactional outbox: publish and
withdraw only add a `WebhookDelivery` row in the caller's session, so the call is queued exactly
when the release commits, and never for a release that rolled back. `deliver_pending` (run by
the scheduler) sends what is due, in order per serial letter and unit, and retries with backoff
until the receiver answers 2xx.

The contract for the receiver:
- POST, `Content-Type: application/json`, the body as documented on `WebhookPortalStore.body`.
- `X-Briefwerk-Signature: t=<unix seconds>,v1=<hex>`: HMAC-SHA256 with the shared secret over
  `<t>.` followed by the raw body (as Stripe signs its webhooks). Verify it over the bytes
  received, before parsing, with a constant-time comparison, and refuse a `t` more than five
  minutes from your clock: a recorded call cannot be replayed later.
- `Idempotency-Key`: the same for every retry of one event; a receiver that has seen it answers
  2xx again without acting twice. A retry can come after a timeout even though the first call
  was processed.
- Events of one unit of one serial letter arrive in order (`sequence` counts up); a withdrawal
  is never sent before the release it withdraws has been received.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import update
from sqlmodel import Session, col, func, select

from bot.integrations.http import Transient, exchange
from domain.models import (
    Contact,
    Occupancy,
    Organisation,
    Property,
    SerialLetter,
    Unit,
    WebhookDelivery,
    utcnow,
)
from domain.ports import FileStore, PortalDoc

SIGNATURE_HEADER = "X-Briefwerk-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
EVENT_HEADER = "X-Briefwerk-Event"
RELEASE, WITHDRAW = "release", "withdraw"
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=6)  # it keeps trying: a receiver down over a weekend still gets it


class WebhookPortalStore:
    """Queues release and withdraw calls in the caller's session (nothing is sent here)."""

    def __init__(self, session: Session, files: FileStore, clock: Callable[[], datetime] | None = None) -> None:
        self.session = session
        self.files = files
        self.clock = clock

    def publish(self, organisation_id: int, unit_id: int, serial_letter_id: int, documents: list[PortalDoc]) -> None:
        self._enqueue(organisation_id, RELEASE, serial_letter_id, unit_id, documents)

    def withdraw(self, unit_id: int, serial_letter_id: int) -> int:
        """Returns how many documents the last release of this unit carried: what the company's
        portal is asked to remove."""
        serial = self.session.get(SerialLetter, serial_letter_id)
        released = self._last_release(serial_letter_id, unit_id)
        self._enqueue(serial.organisation_id, WITHDRAW, serial_letter_id, unit_id, [])
        return len(released.body.get("documents", [])) if released else 0

    def _enqueue(self, organisation_id: int, event: str, serial_letter_id: int, unit_id: int,
                 documents: list[PortalDoc]) -> WebhookDelivery:
        sequence = self._next_sequence(serial_letter_id, unit_id)
        key = idempotency_key(serial_letter_id, unit_id, event, sequence)
        now = self.clock() if self.clock else None
        delivery = WebhookDelivery(
            organisation_id=organisation_id, idempotency_key=key, event=event,
            body=self.body(organisation_id, event, key, sequence, serial_letter_id, unit_id, documents),
        )
        if now is not None:
            delivery.next_attempt_at = now
        self.session.add(delivery)
        self.session.flush()  # the next event of this unit in the same transaction counts this one
        return delivery

    def body(self, organisation_id: int, event: str, key: str, sequence: int, serial_letter_id: int, unit_id: int,
             documents: list[PortalDoc]) -> dict[str, Any]:
        """What the receiver gets: the event, the ids it knows the unit by (our `external_id`s come
        from the company's own system), the contacts it is meant for, and on release the
        documents themselves (base64), as they were when released."""
        serial = self.session.get(SerialLetter, serial_letter_id)
        unit = self.session.get(Unit, unit_id)
        prop = self.session.get(Property, unit.property_id)
        organisation = self.session.get(Organisation, organisation_id)
        return {
            "event": event,
            "idempotency_key": key,
            "sequence": sequence,
            "organisation": {"id": organisation_id, "name": organisation.name if organisation else ""},
            "property": {"id": prop.id, "external_id": prop.external_id, "name": prop.name},
            "unit": {"id": unit.id, "external_id": unit.external_id, "label": unit.label},
            "serial_letter": {"id": serial.id, "title": serial.title, "recipients": serial.recipients.value},
            "contacts": self._addressed_contacts(serial, unit_id),
            "documents": [self._document(doc) for doc in documents],
        }

    def _document(self, doc: PortalDoc) -> dict[str, Any]:
        data = self.files.read(doc.path)
        return {
            "title": doc.title,
            "filename": doc.path.rsplit("/", 1)[-1],
            "content_type": "application/pdf",
            "sha256": doc.sha256,
            "size": len(data),
            "content_base64": base64.b64encode(data).decode("ascii"),
        }

    def _addressed_contacts(self, serial: SerialLetter, unit_id: int) -> list[dict[str, str]]:
        """The unit's current holders the serial letter is meant for (owners, tenants or both)."""
        today = (self.clock or utcnow)().date()
        rows = self.session.exec(
            select(Contact, Occupancy).join(Occupancy, col(Occupancy.contact_id) == Contact.id)
            .where(Occupancy.unit_id == unit_id,
                   Occupancy.current(today))
            .order_by(Occupancy.relation, Occupancy.position, Contact.id)
        ).all()
        return [{"external_id": contact.external_id, "relation": occupancy.relation.value}
                for contact, occupancy in rows if serial.recipients.includes(occupancy.relation)]

    def _next_sequence(self, serial_letter_id: int, unit_id: int) -> int:
        prefix = stream_prefix(serial_letter_id, unit_id)
        count = self.session.exec(select(func.count()).select_from(WebhookDelivery)
                                  .where(col(WebhookDelivery.idempotency_key).startswith(prefix))).one()
        return count + 1

    def _last_release(self, serial_letter_id: int, unit_id: int) -> WebhookDelivery | None:
        prefix = stream_prefix(serial_letter_id, unit_id)
        return self.session.exec(
            select(WebhookDelivery)
            .where(col(WebhookDelivery.idempotency_key).startswith(prefix), WebhookDelivery.event == RELEASE)
            .order_by(col(WebhookDelivery.id).desc())
        ).first()


def stream_prefix(serial_letter_id: int, unit_id: int) -> str:
    return f"briefwerk-sl{serial_letter_id}-u{unit_id}-"


def idempotency_key(serial_letter_id: int, unit_id: int, event: str, sequence: int) -> str:
    """Stable for one event: the same serial letter, unit, event and version (the event's place in
    that unit's sequence) always give the same key, a re-release after a withdrawal a new one."""
    return f"{stream_prefix(serial_letter_id, unit_id)}v{sequence}-{event}"


# --- delivery -----------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    delivered: list[str] = field(default_factory=list)  # idempotency keys
    failed: list[tuple[str, str]] = field(default_factory=list)  # (key, reason)
    waiting: int = 0  # not due yet, leased by another worker, or behind an earlier event of the unit


SIGNATURE_TOLERANCE_S = 300


def signature(secret: SecretStr | str | bytes, body: bytes, timestamp: int) -> str:
    """The header value: `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>." + body>`."""
    signed = f"{timestamp}.".encode() + body
    return f"t={timestamp},v1={hmac.new(_secret_bytes(secret), signed, hashlib.sha256).hexdigest()}"


def signature_valid(secret: SecretStr | str | bytes, body: bytes, header: str | None, now: float,
                    tolerance_s: int = SIGNATURE_TOLERANCE_S) -> bool:
    """For receivers written in Python (and the tests): the timestamp within the tolerance of
    `now`, then a constant-time comparison."""
    parts = dict(part.split("=", 1) for part in (header or "").split(",") if "=" in part)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(signature(secret, body, timestamp), f"t={timestamp},v1={parts.get('v1', '')}")


def _secret_bytes(secret: SecretStr | str | bytes) -> bytes:
    if isinstance(secret, SecretStr):
        secret = secret.get_secret_value()
    return secret.encode() if isinstance(secret, str) else secret


def raw_body(delivery: WebhookDelivery) -> bytes:
    """The exact bytes sent and signed: the same for every attempt of one delivery."""
    return json.dumps(delivery.body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def retry_delay(attempts: int, rand: Callable[[], float] = random.random) -> timedelta:
    """30 s, 1 min, 2 min … up to 6 h, ±10 % so workers that failed together do not retry together."""
    delay = min(LONGEST_WAIT, FIRST_RETRY * (2 ** max(0, attempts - 1)))
    return delay * (0.9 + 0.2 * rand())


def deliver_pending(session: Session, http: httpx.Client, secret: SecretStr | str | bytes, url: str, now: datetime,
                    *, limit: int = 100, timeout: float = 10.0, owner: str | None = None) -> DeliveryReport:
    """Send every due delivery once (the scheduler calls this every few seconds to minutes).

    Safe with several workers on one database: a delivery is leased before it is sent. Events of
    one unit go out in order: one that fails or waits holds back the later ones of that unit."""
    if not _secret_bytes(secret):
        raise ValueError("the portal webhook secret is empty: refusing to send unsigned calls")
    owner = owner or uuid.uuid4().hex
    report = DeliveryReport()
    held: set[tuple[int, int]] = set()
    pending = session.exec(select(WebhookDelivery).where(col(WebhookDelivery.delivered_at).is_(None))
                           .order_by(WebhookDelivery.id).limit(limit)).all()
    for delivery in pending:
        stream = _stream(delivery)
        if stream in held or delivery.next_attempt_at > now or not _lease(session, delivery, owner, now, timeout):
            held.add(stream)
            report.waiting += 1
            continue
        error, retry_after = _send(http, url, secret, delivery, timeout)
        _settle(session, delivery, now, error, retry_after)
        if error is None:
            report.delivered.append(delivery.idempotency_key)
        else:
            report.failed.append((delivery.idempotency_key, error))
            held.add(stream)
    return report


def _stream(delivery: WebhookDelivery) -> tuple[int, int]:
    return delivery.body["serial_letter"]["id"], delivery.body["unit"]["id"]


def _lease(session: Session, delivery: WebhookDelivery, owner: str, now: datetime, timeout: float) -> bool:
    """Compare-and-set, committed before the call: another worker skips it meanwhile."""
    until = now + timedelta(seconds=2 * timeout + 30)
    result = session.exec(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == delivery.id, col(WebhookDelivery.delivered_at).is_(None),
               (col(WebhookDelivery.lease_until).is_(None)) | (col(WebhookDelivery.lease_until) <= now))
        .values(lease_owner=owner, lease_until=until)
    )
    session.commit()
    if result.rowcount != 1:
        return False
    session.refresh(delivery)
    return True


def _send(http: httpx.Client, url: str, secret: SecretStr | str | bytes, delivery: WebhookDelivery,
          timeout: float) -> tuple[str | None, float | None]:
    """(None, None) when the receiver took it (2xx); otherwise why not, in words, and the
    receiver's Retry-After in seconds if it sent one."""
    body = raw_body(delivery)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        SIGNATURE_HEADER: signature(secret, body, int(time.time())),  # the receiver's clock, not the scheduler's
        IDEMPOTENCY_HEADER: delivery.idempotency_key,
        EVENT_HEADER: delivery.event,
        "User-Agent": "briefwerk-portal-webhook/1",
    }
    try:
        response = exchange(http, "POST", url, content=body, headers=headers, timeout=timeout)
    except Transient as failure:
        return failure.reason, failure.retry_after
    if 200 <= response.status_code < 300:
        return None, None
    return f"POST {url}: HTTP {response.status_code} {response.text[:200]}".strip(), None


def _settle(session: Session, delivery: WebhookDelivery, now: datetime, error: str | None,
            retry_after: float | None = None) -> None:
    delivery.attempts += 1
    delivery.lease_owner, delivery.lease_until = None, None
    if error is None:
        delivery.delivered_at, delivery.last_error = now, ""
        delivery.body = _without_content(delivery.body)  # the receiver has the files; keep the record small
    else:
        delivery.last_error = error[:500]
        wait = retry_delay(delivery.attempts)
        if retry_after is not None:  # the receiver asked for a pause; capped like our own backoff
            wait = max(wait, min(LONGEST_WAIT, timedelta(seconds=retry_after)))
        delivery.next_attempt_at = now + wait
    session.add(delivery)
    session.commit()


def _without_content(body: dict[str, Any]) -> dict[str, Any]:
    documents = [{name: value for name, value in doc.items() if name != "content_base64"}
                 for doc in body.get("documents", [])]
    return {**body, "documents": documents}
