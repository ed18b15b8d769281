"""Pingen's webhook at /webhooks/pingen: signed bodies make the named letters due for polling at
once; anything else is refused."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import Engine
from sqlmodel import Session

from bot.settings import Settings
from bot.slack.local import LocalSlack
from domain.models import DispatchOrder, LetterState, SerialLetter, Shipment, ShipmentState, utcnow
from tests.factories import estate
from bot.providers.pingen.standin import PingenStandIn
from bot.providers.pingen.client import PingenProvider
from tests.test_pingen import WEBHOOK_SECRET, config_for
from tests.test_pingen import shipment as request_for


def test_a_signed_webhook_makes_its_letters_due_and_a_forged_one_is_refused(
        engine: Engine, session: Session, organisation, tmp_path: Path) -> None:
    found = estate(session, organisation)
    serial = SerialLetter(organisation_id=organisation.id, property_id=found.prop.id, title="Abrechnung",
                          document_types=["A"], state=LetterState.WITH_PROVIDER)
    session.add(serial)
    session.flush()
    order = DispatchOrder(serial_letter_id=serial.id, provider="pingen")
    session.add(order)
    session.flush()
    with PingenStandIn() as pingen:
        with PingenProvider(config_for(pingen), sleep=lambda _: None) as client:
            letter = client.submit(request_for(tmp_path))
        shipment = Shipment(order_id=order.id, serial_letter_id=serial.id, contact_id=found.contacts["bernd"].id,
                            reference=letter.reference, state=ShipmentState.SUBMITTED, provider_ref=letter.provider_ref,
                            next_poll_at=utcnow() + timedelta(hours=1))
        session.add(shipment)
        session.commit()
        settings = Settings(home=tmp_path / "var", database_url=engine.url.render_as_string(hide_password=False),
                            pingen=config_for(pingen))
        with LocalSlack(settings) as slack:
            body = pingen.webhook(letter.provider_ref, "sent", "transferred_to_distributor")
            forged = httpx.post(f"{slack.url}/webhooks/pingen", content=body, headers={"Signature": "0" * 64})
            assert forged.status_code == 401
            session.refresh(shipment)
            assert shipment.next_poll_at is not None
            answer = httpx.post(f"{slack.url}/webhooks/pingen", content=body,
                                headers={"Signature": pingen.sign(body, WEBHOOK_SECRET)})
            assert answer.status_code == 204
            session.refresh(shipment)
            assert shipment.next_poll_at is None and shipment.state is ShipmentState.SUBMITTED
