"""The own provider: print-ready PDFs and a manifest in the outbox folder (or object storage)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.providers.outbox.client import OutboxProvider
from bot.providers.plugin import Plugin

if TYPE_CHECKING:
    from bot.wiring import Wiring


def build(_: Any, wiring: Wiring) -> OutboxProvider:
    return OutboxProvider(wiring.outbox_storage, registered=wiring.settings.outbox_registered)


PLUGIN = Plugin(
    key="outbox",
    names={"de": "Eigener Dienstleister (Postausgang)", "en": "Own provider (outbox)"},
    build=build,
)
