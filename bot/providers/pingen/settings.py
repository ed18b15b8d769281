"""Pingen's settings: `BRIEFWERK_PINGEN__CLIENT_ID`, `…__CLIENT_SECRET`, `…__ORGANISATION_ID`,
`…__ENVIRONMENT` (staging or production), `…__WEBHOOK_SECRET` and the rest below."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from bot.integrations.http import RetryPolicy
from domain.addresses import HOME_COUNTRY, PostalAddress

ENVIRONMENTS: dict[str, tuple[str, str]] = {
    "production": ("https://api.pingen.com", "https://identity.pingen.com"),
    "staging": ("https://api-staging.pingen.com", "https://identity-staging.pingen.com"),
}
DeliveryProduct = Literal["cheap", "fast", "bulk", "premium", "registered"]


class PingenConfig(BaseModel):
    """One organisation's Pingen account. Secrets stay `SecretStr`; the URL overrides exist so
    tests (and a proxy, if ever needed) can point the client elsewhere."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    client_id: str
    client_secret: SecretStr
    organisation_id: str
    environment: Literal["staging", "production"] = "staging"
    api_url: str | None = None
    identity_url: str | None = None
    webhook_secret: SecretStr | None = None
    scope: str = "letter"
    timeout: float = Field(default=30.0, gt=0)
    upload_timeout: float = Field(default=120.0, gt=0)
    registered: bool = True  # the contract includes registered mail
    national_product: DeliveryProduct = "cheap"
    international_product: DeliveryProduct = "cheap"
    registered_product: DeliveryProduct = "registered"
    home_country: str = HOME_COUNTRY
    address_position: Literal["left", "right"] = "left"
    sender: PostalAddress | None = None  # goes into meta_data for registered letters
    lookup_pages: int = Field(default=20, ge=1)  # × 100 letters created since the attempt began, at most
    lookup_window: timedelta = timedelta(days=2)  # how far back a lookup without a start reads
    price_calculator: bool = False  # estimates from Pingen's price calculator (our table when it fails)
    price_cache: timedelta = timedelta(hours=1)  # a quote is asked again after this
    retry: RetryPolicy = RetryPolicy()

    @property
    def base_api_url(self) -> str:
        return (self.api_url or ENVIRONMENTS[self.environment][0]).rstrip("/")

    @property
    def base_identity_url(self) -> str:
        return (self.identity_url or ENVIRONMENTS[self.environment][1]).rstrip("/")
