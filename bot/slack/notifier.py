"""The notification thread: one parent message per serial letter in the organisation's channel,
every status change a reply in its thread, each posted exactly once even with several instances
(an event is claimed in the database before it is posted)."""

from __future__ import annotations

import logging
from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from bot.slack import views
from domain.models import Event, Organisation, Property, SerialLetter, utcnow

log = logging.getLogger(__name__)

QUIET = frozenset({"shipment_submitted"})  # per-letter records; the serial letter's events summarise them
CLAIM = "claimed:"  # + ISO time: a parent being posted by some instance
STALE_CLAIM = timedelta(minutes=5)  # a claim this old belongs to a crashed instance


class Notifier:
    def __init__(self, session: Session, client: WebClient) -> None:
        self.session, self.client = session, client

    def announce(self, serial_id: int) -> int:
        """Posts what has not been posted yet; returns how many replies went out."""
        serial = self.session.get(SerialLetter, serial_id)
        org = self.session.get(Organisation, serial.organisation_id) if serial else None
        if serial is None or org is None or not org.notify_channel:
            return 0
        if not self._ensure_parent(serial, org):
            return 0
        posted = sum(self._post(event, serial, org) for event in self._unannounced(serial))
        if posted:  # every state change comes with an event; nothing new, nothing to update
            self._update_parent(serial, org)
        return posted

    def _unannounced(self, serial: SerialLetter) -> list[Event]:
        return list(self.session.exec(select(Event).where(
            Event.serial_letter_id == serial.id, col(Event.announced_at).is_(None),
            col(Event.kind).not_in(QUIET)).order_by(Event.id)))

    def _claim(self, event: Event) -> bool:
        result = self.session.execute(update(Event).where(col(Event.id) == event.id, col(Event.announced_at).is_(None))
                                      .values(announced_at=utcnow()))
        self.session.commit()
        return result.rowcount == 1

    def _post(self, event: Event, serial: SerialLetter, org: Organisation) -> int:
        if not self._claim(event):
            return 0  # another instance took it
        try:
            self.client.chat_postMessage(channel=serial.thread_channel, thread_ts=serial.thread_ts,
                                         **views.thread_reply(event, org.locale))
            return 1
        except Exception as error:
            log.warning("could not post event %s: %s", event.id, getattr(error, "response", {}) or error)
            self.session.execute(update(Event).where(col(Event.id) == event.id).values(announced_at=None))
            self.session.commit()
            if not isinstance(error, (SlackApiError, OSError)):
                raise
            return 0

    def _ensure_parent(self, serial: SerialLetter, org: Organisation) -> bool:
        """Exactly one parent message: the instance that claims the empty `thread_ts` posts it."""
        if serial.thread_ts and not serial.thread_ts.startswith(CLAIM):
            return True
        now = utcnow()
        stale = CLAIM + (now - STALE_CLAIM).isoformat()
        claimed = self.session.execute(
            update(SerialLetter).where(col(SerialLetter.id) == serial.id, or_(
                col(SerialLetter.thread_ts).is_(None),
                col(SerialLetter.thread_ts).startswith(CLAIM) & (col(SerialLetter.thread_ts) < stale)))
            .values(thread_ts=CLAIM + now.isoformat(), thread_channel=org.notify_channel))
        self.session.commit()
        if claimed.rowcount != 1:
            return False
        try:
            response = self.client.chat_postMessage(channel=org.notify_channel, **views.thread_parent(serial, self._property(serial), org.locale))
        except SlackApiError as error:
            log.warning("could not post the thread parent of %s: %s", serial.id, error.response.get("error"))
            self.session.execute(update(SerialLetter).where(col(SerialLetter.id) == serial.id).values(thread_ts=None))
            self.session.commit()
            return False
        serial.thread_channel, serial.thread_ts = response["channel"], response["ts"]
        self.session.add(serial)
        self.session.commit()
        return True

    def _update_parent(self, serial: SerialLetter, org: Organisation) -> None:
        self.session.refresh(serial)
        try:
            self.client.chat_update(channel=serial.thread_channel, ts=serial.thread_ts,
                                    **views.thread_parent(serial, self._property(serial), org.locale))
        except SlackApiError as error:
            log.warning("could not update the thread parent of %s: %s", serial.id, error.response.get("error"))

    def _property(self, serial: SerialLetter) -> str:
        prop = self.session.get(Property, serial.property_id)
        return prop.name if prop else ""
