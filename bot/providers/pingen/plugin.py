"""Pingen, configured by BRIEFWERK_PINGEN__…"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pydantic import SecretStr

from bot.providers.pingen.client import PingenProvider
from bot.providers.pingen.settings import PingenConfig
from bot.providers.pingen.sources import SOURCES
from bot.providers.pingen.webhook import routes
from bot.providers.plugin import Plugin

if TYPE_CHECKING:
    from bot.wiring import Wiring


def build(config: PingenConfig | None, _: Wiring) -> PingenProvider | None:
    return PingenProvider(config) if config is not None else None


def secrets(config: PingenConfig) -> Mapping[str, SecretStr | None]:
    return {"BRIEFWERK_PINGEN__CLIENT_SECRET": config.client_secret,
            "BRIEFWERK_PINGEN__WEBHOOK_SECRET": config.webhook_secret}


PLUGIN = Plugin(key="pingen", names={"de": "Pingen", "en": "Pingen"}, build=build, settings=PingenConfig,
                routes=routes, secrets=secrets, sources=SOURCES)
