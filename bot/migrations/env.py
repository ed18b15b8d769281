"""Alembic environment: runs on the engine handed over by `bot.db.migrate`."""

from alembic import context
from sqlmodel import SQLModel

import bot.slack_tables  # noqa: F401 - Slack installation tables
import domain.models  # noqa: F401 - registers the tables on SQLModel.metadata

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
