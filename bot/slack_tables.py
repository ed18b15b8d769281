"""Slack's OAuth installation and state tables, declared on our metadata so alembic migrates
them with the rest of the schema (slack_sdk's SQLAlchemy stores read and write them)."""

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Text
from sqlmodel import SQLModel

INSTALLATIONS = "slack_installations"
BOTS = "slack_bots"
OAUTH_STATES = "slack_oauth_states"

if INSTALLATIONS not in SQLModel.metadata.tables:
    SQLAlchemyInstallationStore.build_installations_table(SQLModel.metadata, INSTALLATIONS)
    SQLAlchemyInstallationStore.build_bots_table(SQLModel.metadata, BOTS)
    SQLAlchemyOAuthStateStore.build_oauth_states_table(SQLModel.metadata, OAUTH_STATES)
    # encrypted tokens (bot/slack/sealed_store.py) are longer than slack_sdk's 200 characters
    for table in (INSTALLATIONS, BOTS):
        for column in SQLModel.metadata.tables[table].columns:
            if column.name.endswith("token") and column.name != "token_type":
                column.type = Text()
