"""What a LetterXpress account offers briefwerk's options, and until when a job can be cancelled."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from bot.providers.letterxpress.profile import PROFILE
from bot.providers.letterxpress.settings import LetterXpressConfig
from domain.messages import Message
from domain.ports import Capabilities

BERLIN = ZoneInfo("Europe/Berlin")


def capabilities(config: LetterXpressConfig) -> Capabilities:
    return Capabilities(
        available=True, registered=config.registered, colour=True, duplex=True, countries=None,
        cancel_window=cancel_window_text(config), profile=PROFILE.key,
        cancel_deadline=partial(cancel_deadline, config=config),
    )


def cancel_deadline(created_at: datetime, config: LetterXpressConfig) -> datetime:
    """The last moment a job can be cancelled: `cancel_grace` after its upload, and never past
    the next daily hand-over (Berlin time); so a job uploaded after 15:45 has less than 15 minutes."""
    local = created_at.astimezone(BERLIN)
    handover = datetime.combine(local.date(), config.handover_cutoff, tzinfo=BERLIN)
    if local >= handover:
        handover = datetime.combine(local.date() + timedelta(days=1), config.handover_cutoff, tzinfo=BERLIN)
    return min(local + config.cancel_grace, handover)


def cancel_window_text(config: LetterXpressConfig) -> Message:
    minutes = round(config.cancel_grace.total_seconds() / 60)
    return Message("cancel_window.minutes_until_handover", {"minutes": minutes, "handover": f"{config.handover_cutoff:%H:%M}"})
