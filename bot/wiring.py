"""Builds the running app's parts from settings: database engine, ports, actors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine
from sqlmodel import Session

from bot.db import make_engine, migrate
from bot.integrations.mail import FileMailer, SmtpMailer
from bot.integrations.portal import DatabasePortalStore
from bot.integrations.portal_webhook import WebhookPortalStore
from bot.providers.registry import PLUGINS
from bot.settings import Settings
from domain.pdf.preflight import PreflightCache
from domain.ports import FileStore, Mailer, PortalStore, Ports, Provider
from domain.services.preflight import DatabaseFacts
from domain.services.storage import check_marker, discard_uncommitted, recover
from domain.storage import Backend, LocalBackend


@dataclass
class Wiring:
    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        engine = make_engine(self.settings.db_url)
        migrate(engine)
        return engine

    @cached_property
    def checks(self) -> PreflightCache:
        """Measured documents stay known for the process's lifetime, and (`Ports.facts`) in the
        database across restarts and instances."""
        return PreflightCache()

    @cached_property
    def providers(self) -> dict[str, Provider]:
        """The print-and-mail providers this installation is configured for (clients keep
        their connections and tokens, so they live as long as the app)."""
        providers: dict[str, Provider] = {}
        for plugin in PLUGINS.values():
            provider = plugin.build(self.settings.provider_settings(plugin.key), self)
            if provider is not None:
                providers[plugin.key] = provider
        return providers

    @cached_property
    def mailer(self) -> Mailer:
        """SMTP when configured (one connection reused, thread-safe), else `.eml` files."""
        if self.settings.smtp is not None:
            return SmtpMailer(self.settings.smtp)
        return FileMailer(self.settings.path("mail"))

    @cached_property
    def storage(self) -> Backend:
        """Where stored files live: `BRIEFWERK_STORAGE_URL` (s3://bucket/prefix) shared by every
        instance, else the data home's `files/` folder."""
        url = self.settings.storage_url
        if url:
            from bot.integrations.s3 import S3Backend  # boto3 is loaded only when it is used

            return S3Backend(url)
        return LocalBackend(self.settings.path("files"))

    @cached_property
    def outbox_storage(self) -> Backend:
        """The own provider's letters: `outbox/` beside the files in object storage, else the data
        home's `outbox/` folder."""
        if self.settings.storage_url:
            return self.storage.sub("outbox")  # type: ignore[attr-defined]
        return LocalBackend(self.settings.path("outbox"))

    def file_store(self) -> FileStore:
        """A store over the stored files; each unit of work gets its own (it tracks the blobs that
        work created). Staging, journals and fetched copies stay on this machine."""
        return FileStore(backend=self.storage, work=self.settings.path("files"))

    def check_storage(self) -> None:
        """At start: clean up after a killed predecessor, and make sure every instance sees the same
        storage: the first one stores a marker and names it in the database, every later one must
        find it (or refuses to start)."""
        with self.unit_of_work() as (session, ports):
            recover(session, ports.files)  # what a process killed before this start left behind
            check_marker(session, ports.files)

    def ports(self, session: Session) -> Ports:
        home = self.settings
        files = self.file_store()
        return Ports(
            files=files,
            providers=self.providers,
            mailer=self.mailer,
            portal=self.portal_store(session, files),
            prices=home.prices,
            public_url=home.public_url,
            portal_url=home.portal_url or home.public_url.rstrip("/") + "/portal/",
            print_workers=home.print_workers,
            checks=self.checks,
            facts=DatabaseFacts(session),
            pdfa_thorough=home.pdfa_thorough,
        )

    def portal_store(self, session: Session, files: FileStore) -> PortalStore:
        """The company's own portal, told by webhook, when its URL is set; else the built-in one.
        Both write in the caller's session, so visibility commits with the release."""
        if self.settings.portal_webhook_url:
            return WebhookPortalStore(session, files)
        return DatabasePortalStore(session)

    @contextmanager
    def unit_of_work(self) -> Iterator[tuple[Session, Ports]]:
        """A session and ports; at the end the session commits and the blobs stored meanwhile
        are the rows' (or, on a failure, are removed unless a committed row names them)."""
        with Session(self.engine, expire_on_commit=False) as session:
            ports = self.ports(session)
            try:
                yield session, ports
                session.commit()
            except BaseException:
                session.rollback()
                discard_uncommitted(session, ports.files)
                raise
            ports.files.committed()
