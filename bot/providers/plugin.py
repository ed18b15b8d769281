"""What one provider folder hands the app: how to build its client from settings, its name, its
webhook routes, its secrets and the public sources it was checked against."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, SecretStr

from domain.ports import Provider

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from bot.slack.app import SlackDeps
    from bot.wiring import Wiring


@dataclass(frozen=True)
class Source:
    """A public page or SDK file a provider's code follows, and when it was last read."""

    where: str
    about: str
    checked: date | None  # None: taken over from earlier notes, not re-read since


@dataclass(frozen=True)
class Plugin:
    key: str  # also the settings prefix: BRIEFWERK_<KEY>__…
    names: Mapping[str, str]  # display name per locale
    build: Callable[[Any, Wiring], Provider | None]  # (its settings or None, the app) -> client
    settings: type[BaseModel] | None = None
    routes: Callable[[SlackDeps], list[BaseRoute]] = lambda deps: []
    secrets: Callable[[Any], Mapping[str, SecretStr | None]] = lambda config: {}
    sources: tuple[Source, ...] = field(default_factory=tuple)

    def name(self, locale: str) -> str:
        return self.names.get(locale) or self.names["de"]
