"""Settings from `BRIEFWERK_*` environment variables and a `.env` file; Slack's own variables
keep their usual names."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.integrations.letterxpress import LetterXpressConfig
from bot.integrations.mail import SmtpConfig
from bot.integrations.pingen import PingenConfig
from domain.costs import PriceTable
from domain.uploads import IntakeLimits


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BRIEFWERK_", env_file=".env", extra="ignore", env_nested_delimiter="__"
    )

    home: Path = Path("var")
    database_url: str | None = None
    storage_url: str | None = None  # s3://bucket/prefix: stored files shared by every instance
    storage_redirects: bool = True  # download links send the browser to the object storage (false: through the app)
    locale: Literal["de", "en"] = "de"
    public_url: str = "http://localhost:3000"
    prices: PriceTable = PriceTable()
    download_link_days: int = 7
    pdfa_thorough: bool = False  # check every source fully for PDF/A (≈ 20 ms per letter) before a link
    print_workers: int = 2  # processes writing print files
    outbox_registered: bool = True  # the own provider behind the outbox can send registered mail
    intake: IntakeLimits = IntakeLimits()  # BRIEFWERK_INTAKE__FILE_MB=… and the other upload limits
    # scheduler (briefwerk worker, or in-process with serve)
    scheduler_in_process: bool = True  # `serve` runs the scheduler too; set false when workers run it
    poll_seconds: int = 300  # how often letters with the provider are asked for news
    approval_remind_hours: float = 24  # remind managers of requests waiting this long
    approval_expire_hours: float = 72  # then expire them
    retention_days: int = 400  # print files and download files are deleted after this; the record stays
    # customer portal
    portal_session_hours: float = 12
    portal_login_minutes: float = 30  # how long a sign-in link works
    portal_url: str | None = None  # the company's own portal for emails; default: the built-in one
    portal_webhook_url: str | None = None  # a company's own portal: release/withdraw sent here
    portal_webhook_secret: SecretStr | None = None
    smtp: SmtpConfig | None = None  # BRIEFWERK_SMTP__HOST=…; without it mail goes to .eml files
    pingen: PingenConfig | None = None  # BRIEFWERK_PINGEN__CLIENT_ID=…
    letterxpress: LetterXpressConfig | None = None  # BRIEFWERK_LETTERXPRESS__USERNAME=…

    # Slack, under the names Slack's own tooling uses
    slack_bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "BRIEFWERK_SLACK_BOT_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "BRIEFWERK_SLACK_SIGNING_SECRET"),
    )
    slack_app_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "BRIEFWERK_SLACK_APP_TOKEN")
    )
    slack_client_id: str | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_CLIENT_ID", "BRIEFWERK_SLACK_CLIENT_ID")
    )
    slack_client_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_CLIENT_SECRET", "BRIEFWERK_SLACK_CLIENT_SECRET")
    )
    slack_api_url: str = "https://slack.com/api/"
    slack_admins: list[str] = []  # Slack user ids who start as admins (single-workspace installs)
    host: str = "127.0.0.1"
    port: int = 3000

    @cached_property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'briefwerk.db').resolve()}"

    def path(self, *parts: str) -> Path:
        """A folder under the data home, created on first use."""
        folder = self.home.joinpath(*parts)
        folder.mkdir(parents=True, exist_ok=True)
        return folder.resolve()
