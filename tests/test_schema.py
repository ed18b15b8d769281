"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

import bot.slack_tables  # noqa: F401
import domain.models  # noqa: F401
from bot.db import migrate


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_migrating_again_is_harmless(engine: Engine) -> None:
    migrate(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"serialletter", "shipment", "slack_installations", "approval"} <= tables
