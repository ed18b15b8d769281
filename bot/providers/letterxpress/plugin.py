"""LetterXpress, configured by BRIEFWERK_LETTERXPRESS__…"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pydantic import SecretStr

from bot.providers.letterxpress.client import LetterXpressProvider
from bot.providers.letterxpress.settings import LetterXpressConfig
from bot.providers.letterxpress.sources import SOURCES
from bot.providers.plugin import Plugin

if TYPE_CHECKING:
    from bot.wiring import Wiring


def build(config: LetterXpressConfig | None, _: Wiring) -> LetterXpressProvider | None:
    return LetterXpressProvider(config) if config is not None else None


def secrets(config: LetterXpressConfig) -> Mapping[str, SecretStr | None]:
    return {"BRIEFWERK_LETTERXPRESS__API_KEY": config.api_key}


PLUGIN = Plugin(key="letterxpress", names={"de": "LetterXpress", "en": "LetterXpress"}, build=build,
                settings=LetterXpressConfig, secrets=secrets, sources=SOURCES)
