"""What the own provider behind the outbox can do: everything it is told; it reports nothing back."""

from __future__ import annotations

from bot.providers.outbox.profile import PROFILE
from domain.messages import Message
from domain.ports import Capabilities


def capabilities(registered: bool) -> Capabilities:
    return Capabilities(
        available=True, registered=registered, colour=True, duplex=True, countries=None,
        cancel_window=Message("cancel_window.until_collected"), profile=PROFILE.key, reports_status=False,
    )
