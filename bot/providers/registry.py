"""Every provider the app knows; a new one is a folder under bot/providers and one line here."""

from __future__ import annotations

from bot.providers.letterxpress.plugin import PLUGIN as LETTERXPRESS
from bot.providers.outbox.plugin import PLUGIN as OUTBOX
from bot.providers.pingen.plugin import PLUGIN as PINGEN
from bot.providers.plugin import Plugin

PLUGINS: dict[str, Plugin] = {plugin.key: plugin for plugin in (OUTBOX, PINGEN, LETTERXPRESS)}


def display_name(key: str, locale: str) -> str:
    plugin = PLUGINS.get(key)
    return plugin.name(locale) if plugin else key
