"""Shared fixtures: the real schema on SQLite and on PostgreSQL, embedded adapters under a
temporary data home, and actors with each role."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

import bot.slack_tables  # noqa: F401 - so emptying tables covers them too
from bot.db import make_engine, migrate
from bot.integrations.mail import FileMailer
from bot.providers.outbox.client import OutboxProvider
from bot.integrations.portal import DatabasePortalStore
from domain.actors import Actor
from domain.models import Organisation, Staff
from domain.ports import FileStore, Ports

POSTGRES_URL = os.environ.get("BRIEFWERK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_database(worker: str) -> Iterator[str]:
    """A fresh database per test session (and xdist worker), dropped afterwards."""
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as error:  # noqa: BLE001 - any failure means: no server here
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {error.__class__.__name__}")
    name = f"briefwerk_test_{worker}_{uuid.uuid4().hex[:8]}"
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def worker_id_safe(request: pytest.FixtureRequest) -> str:
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


@pytest.fixture(scope="session")
def postgresql_engine(worker_id_safe: str) -> Iterator[Engine]:
    for url in _postgres_database(worker_id_safe):
        engine = make_engine(url)
        migrate(engine)
        yield engine
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'briefwerk.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """Every test using the database runs on both; tables are emptied before each test."""
    engine = request.getfixturevalue(f"{request.param}_engine")
    empty_tables(engine)
    yield engine


def empty_tables(engine: Engine) -> None:
    tables = [table.name for table in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "var"


@pytest.fixture
def ports(session: Session, home: Path) -> Ports:
    return Ports(
        files=FileStore(home / "files"),
        providers={"outbox": OutboxProvider(home / "outbox")},
        mailer=FileMailer(home / "mail"),
        portal=DatabasePortalStore(session),
    )


@pytest.fixture
def organisation(session: Session) -> Organisation:
    org = Organisation(
        name="Hausverwaltung Sonnenschein GmbH", slack_team_id="T0001",
        return_line="Hausverwaltung Sonnenschein GmbH · Hauptstraße 1 · 10115 Berlin",
        sender_email="post@sonnenschein-hv.de", provider_contact_text="support@briefwerk.example",
    )
    session.add(org)
    session.commit()
    return org


def _staff(session: Session, organisation: Organisation, user: str, **roles: bool) -> Actor:
    staff = Staff(organisation_id=organisation.id, slack_user_id=user, name=user, email=f"{user.lower()}@sonnenschein-hv.de", **roles)
    session.add(staff)
    session.commit()
    return Actor.of(staff)


@pytest.fixture
def clerk(session: Session, organisation: Organisation) -> Actor:
    return _staff(session, organisation, "U_CLERK")


@pytest.fixture
def admin(session: Session, organisation: Organisation) -> Actor:
    return _staff(session, organisation, "U_ADMIN", is_admin=True)


@pytest.fixture
def manager(session: Session, organisation: Organisation) -> Actor:
    return _staff(session, organisation, "U_MANAGER", is_manager=True)


@pytest.fixture(scope="session")
def s3() -> Iterator[dict[str, str]]:
    """A real S3-speaking server on loopback (moto's standalone server) for this test session."""
    from tests.s3server import s3_server

    with s3_server() as environment:
        yield environment
