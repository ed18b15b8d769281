"""Settings from `BRIEFWERK_*` environment variables and a `.env` file; Slack's own variables
keep their usual names."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, create_model
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.integrations.mail import SmtpConfig
from bot.providers.registry import PLUGINS
from domain.costs import PriceTable
from domain.uploads import IntakeLimits


class _Settings(BaseSettings):
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
    follow_posted_days: int = 21  # posted letters are still asked about "delivered" or "undeliverable" this long
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
    secret_key: SecretStr | None = None  # Fernet key(s), comma-separated: Slack tokens encrypted at rest (OAuth mode)
    slack_api_url: str = "https://slack.com/api/"
    slack_admins: list[str] = []  # Slack user ids who start as admins (single-workspace installs)
    host: str = "127.0.0.1"
    port: int = 3000
    trusted_proxies: list[str] = []  # addresses or networks of reverse proxies whose X-Forwarded-For counts

    def server_options(self) -> dict[str, object]:
        """uvicorn's proxy handling: the client's address is the peer's, unless the peer is a
        trusted proxy (then the last address it did not add itself)."""
        if not self.trusted_proxies:
            return {"proxy_headers": False}
        return {"proxy_headers": True, "forwarded_allow_ips": ",".join(self.trusted_proxies)}

    def weak_secrets(self) -> list[str]:
        """The variables holding a secret that is set but empty or a placeholder: refused at
        start, because an empty signing secret verifies anything an attacker signs with it."""
        named = {
            "SLACK_SIGNING_SECRET": self.slack_signing_secret, "SLACK_BOT_TOKEN": self.slack_bot_token,
            "SLACK_CLIENT_SECRET": self.slack_client_secret, "SLACK_APP_TOKEN": self.slack_app_token,
            "BRIEFWERK_SECRET_KEY": self.secret_key, "BRIEFWERK_PORTAL_WEBHOOK_SECRET": self.portal_webhook_secret,
            **self._provider_secrets(),
        }
        published = self._published_secrets()
        weak = [name for name, secret in named.items()
                if secret is not None and (_placeholder(secret.get_secret_value()) or secret.get_secret_value() in published)]
        if self.portal_webhook_url and self.portal_webhook_secret is None:
            weak.append("BRIEFWERK_PORTAL_WEBHOOK_SECRET")
        return weak

    def provider_settings(self, key: str) -> object | None:
        """A provider's own settings (BRIEFWERK_<KEY>__…), None when it is not configured."""
        return getattr(self, key, None)

    def _provider_secrets(self) -> dict[str, SecretStr | None]:
        found: dict[str, SecretStr | None] = {}
        for plugin in PLUGINS.values():
            config = self.provider_settings(plugin.key)
            if config is not None:
                found.update(plugin.secrets(config))
        return found

    def _published_secrets(self) -> set[str]:
        """The local Slack stand-in's secrets are in this repository: fine against the stand-in
        on this machine, refused anywhere else."""
        if self.slack_api_url.startswith(("http://127.0.0.1", "http://localhost")):
            return set()
        from bot.slack import local

        return {local.BOT_TOKEN, local.SIGNING_SECRET, local.SECRET_KEY, local.OAUTH_CLIENT[1]}

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


# Each provider with settings adds one field, read from BRIEFWERK_<KEY>__… (e.g. BRIEFWERK_PINGEN__CLIENT_ID).
Settings = create_model(  # type: ignore[call-overload]
    "Settings", __base__=_Settings, __module__=__name__,
    **{plugin.key: (plugin.settings | None, None) for plugin in PLUGINS.values() if plugin.settings is not None},
)


PLACEHOLDERS = {"", "changeme", "change-me", "secret", "geheim", "password", "passwort", "xxx", "todo", "placeholder",
                "platzhalter", "...", "…", "example"}


def _placeholder(value: str) -> bool:
    return value.strip().lower() in PLACEHOLDERS or value.strip().lower().startswith(("<", "your-", "dein"))
