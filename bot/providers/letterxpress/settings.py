"""LetterXpress's settings: `BRIEFWERK_LETTERXPRESS__USERNAME`, `…__API_KEY`, `…__MODE` (test or
live) and the rest below."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from bot.integrations.http import RetryPolicy
from domain.addresses import HOME_COUNTRY

API_URL = "https://api.letterxpress.de/v3"


class LetterXpressConfig(BaseModel):
    """One organisation's LetterXpress account. `mode` "test" parks jobs in the Postbox instead
    of printing them; the cancel window is kept as settings because LXP has moved it before."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str
    api_key: SecretStr
    mode: Literal["test", "live"] = "test"
    api_url: str = API_URL
    timeout: float = Field(default=60.0, gt=0)
    registered: bool = True  # the contract includes registered mail
    registered_kind: Literal["r1", "r2"] = "r1"  # r1 Einwurfeinschreiben, r2 Übergabeeinschreiben
    home_country: str = HOME_COUNTRY
    # LXP's FAQ (as issue 13 quotes it): a job can be cancelled for 15 minutes after its upload,
    # and not past the daily hand-over at 16:00 (so for less after 15:45)
    cancel_grace: timedelta = timedelta(minutes=15)
    handover_cutoff: time = time(16, 0)  # Berlin local time
    min_interval: float = Field(default=0.5, ge=0)  # 120 requests a minute
    lookup_max_pages: int = Field(default=40, ge=1)  # per job list and lookup, 15 jobs a page
    lookup_window: timedelta = timedelta(days=2)  # how far back a lookup without a start reads
    retry: RetryPolicy = RetryPolicy()

    @property
    def base_url(self) -> str:
        return self.api_url.rstrip("/")
