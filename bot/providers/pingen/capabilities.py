"""What a Pingen account offers briefwerk's options."""

from __future__ import annotations

from bot.providers.pingen.profile import PROFILE
from bot.providers.pingen.settings import PingenConfig
from domain.ports import Capabilities


def capabilities(config: PingenConfig) -> Capabilities:
    return Capabilities(
        available=True, registered=config.registered, colour=True, duplex=True, countries=None,
        cancel_window="bis der Druck beginnt", profile=PROFILE.key,
    )
