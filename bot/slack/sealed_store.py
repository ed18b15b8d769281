"""Slack installations with their tokens encrypted at rest (Fernet, from `cryptography`): a copy
of the database alone gives nobody a workspace's bot token. `BRIEFWERK_SECRET_KEY` holds one or
more keys, comma-separated; the first encrypts, all decrypt, so a key can be rotated."""

from __future__ import annotations

import copy
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import select, update

SEALED = "fernet:"
TOKEN_FIELDS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")


class BadSecretKey(ValueError):
    """BRIEFWERK_SECRET_KEY is not a list of Fernet keys."""


def keyring(secret: str) -> list[Fernet]:
    try:
        keys = [Fernet(key.strip()) for key in secret.split(",") if key.strip()]
    except (ValueError, TypeError) as error:
        raise BadSecretKey(str(error)) from None
    if not keys:
        raise BadSecretKey("empty")
    return keys


def installation_store(settings: Any, engine: Any) -> SealedInstallationStore:
    """The store for OAuth mode; without a usable key it refuses (MissingSecretKey, BadSecretKey)."""
    from bot.slack_tables import BOTS, INSTALLATIONS

    if settings.secret_key is None or not settings.secret_key.get_secret_value().strip():
        raise MissingSecretKey()
    return SealedInstallationStore(keyring(settings.secret_key.get_secret_value()), client_id=settings.slack_client_id,
                                   engine=engine, installations_table_name=INSTALLATIONS, bots_table_name=BOTS)


class MissingSecretKey(Exception):
    """OAuth mode keeps workspaces' tokens in the database and needs BRIEFWERK_SECRET_KEY for that."""


class SealedInstallationStore(SQLAlchemyInstallationStore):
    def __init__(self, keys: list[Fernet], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.current, self.keys = keys[0], MultiFernet(keys)

    def seal(self, token: str | None) -> str | None:
        if token is None or token.startswith(SEALED):
            return token
        return SEALED + self.current.encrypt(token.encode()).decode()

    def open(self, token: str | None) -> str | None:
        if token is None or not token.startswith(SEALED):
            return token  # written before tokens were sealed; sealed on the next start
        try:
            return self.keys.decrypt(token[len(SEALED):].encode()).decode()
        except InvalidToken:
            raise BadSecretKey("a stored Slack token does not open with BRIEFWERK_SECRET_KEY") from None

    def _sealed(self, entity: Any) -> Any:
        sealed = copy.copy(entity)
        for name in TOKEN_FIELDS:
            if hasattr(sealed, name):
                setattr(sealed, name, self.seal(getattr(sealed, name)))
        return sealed

    def _opened(self, entity: Any) -> Any:
        if entity is not None:
            for name in TOKEN_FIELDS:
                if hasattr(entity, name):
                    setattr(entity, name, self.open(getattr(entity, name)))
        return entity

    def save(self, installation: Installation) -> None:
        super().save(self._sealed(installation))

    def save_bot(self, bot: Bot) -> None:
        super().save_bot(self._sealed(bot))

    def find_bot(self, **kwargs: Any) -> Bot | None:
        return self._opened(super().find_bot(**kwargs))

    def find_installation(self, **kwargs: Any) -> Installation | None:
        return self._opened(super().find_installation(**kwargs))

    def reseal_all(self) -> int:
        """Seals tokens stored in plain text and re-encrypts the rest with the first key.
        Returns how many rows changed."""
        changed = 0
        with self.engine.begin() as connection:
            for table in (self.installations, self.bots):
                columns = [table.c[name] for name in TOKEN_FIELDS if name in table.c]
                for row in connection.execute(select(table.c.id, *columns)).mappings():
                    values = {column.name: self._resealed(row[column.name]) for column in columns}
                    if any(values[name] != row[name] for name in values):
                        connection.execute(update(table).where(table.c.id == row["id"]).values(**values))
                        changed += 1
        return changed

    def _resealed(self, token: str | None) -> str | None:
        if token is None:
            return None
        plain = self.open(token)
        try:
            self.current.decrypt(token[len(SEALED):].encode())
            return token  # already under the first key
        except InvalidToken:
            return self.seal(plain)
