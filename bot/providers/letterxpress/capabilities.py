"""What a LetterXpress account offers briefwerk's options."""

from __future__ import annotations

from bot.providers.letterxpress.profile import PROFILE
from bot.providers.letterxpress.settings import LetterXpressConfig
from domain.ports import Capabilities


def capabilities(config: LetterXpressConfig) -> Capabilities:
    return Capabilities(
        available=True, registered=config.registered, colour=True, duplex=True, countries=None,
        cancel_window=cancel_window_text(config), profile=PROFILE.key,
    )


def cancel_window_text(config: LetterXpressConfig) -> str:
    hours = config.cancel_grace.total_seconds() / 3600
    amount = f"{hours:g}".replace(".", ",")
    return (f"bis {amount} Stunden nach der Beauftragung, längstens bis zur Übergabe an die Post "
            f"um {config.handover_cutoff:%H:%M} Uhr")
