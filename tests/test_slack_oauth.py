"""Multi-workspace installs: Slack's OAuth v2 flow against the stand-in, the installation kept
in our database with its tokens encrypted, the first installer the organisation's first admin and
nobody an admin by installing again."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from bot.settings import Settings
from bot.slack.local import ANNA, CHANNEL, SABINE, SECRET_KEY, TEAM, LocalSlack
from bot.slack.sealed_store import SEALED, BadSecretKey, MissingSecretKey, SealedInstallationStore, installation_store
from bot.slack_tables import BOTS, INSTALLATIONS
from domain.models import Organisation, Staff


def install(slack: LocalSlack, user_id: str) -> httpx.Response:
    """Slack's OAuth v2 flow as a browser walks it: /slack/install, Slack's consent, the redirect."""
    with httpx.Client(base_url=slack.url) as browser:
        start = browser.get("/slack/install")
        assert start.status_code == 200
        authorize = next(line for line in start.text.split('"') if line.startswith("https://slack.com/oauth/v2/authorize"))
        query = parse_qs(urlsplit(authorize.replace("&amp;", "&")).query)
        assert "users:read.email" in query["scope"][0]
        code = slack.standin.issue_oauth_code(TEAM, user_id, query["scope"][0].split(","))
        # the state cookie is Secure (https in production); over loopback http send it by hand
        cookie = start.headers["set-cookie"].split(";", 1)[0]
        finish = browser.get("/slack/oauth_redirect", params={"code": code, "state": query["state"][0]},
                             headers={"Cookie": cookie})
        forged = browser.get("/slack/oauth_redirect", params={"code": code, "state": "forged"}, headers={"Cookie": cookie})
        assert forged.status_code == 400
        return finish


def admins(engine: Engine) -> set[str]:
    with Session(engine) as session:
        org = session.exec(select(Organisation).where(Organisation.slack_team_id == TEAM)).one()
        return set(session.exec(select(Staff.slack_user_id).where(Staff.organisation_id == org.id, Staff.is_admin)))


def stored_tokens(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return [token for table in (BOTS, INSTALLATIONS)
                for token in connection.execute(text(f"select bot_token from {table}")).scalars()]


def test_install_stores_the_workspace_and_makes_the_installer_admin(engine: Engine, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "var", database_url=engine.url.render_as_string(hide_password=False))
    with LocalSlack(settings, oauth=True) as slack:
        assert install(slack, ANNA.user_id).status_code == 200
        assert admins(engine) == {ANNA.user_id}
        answer = slack.sim.slash_command("/serienbrief", "", user_id=SABINE.user_id, channel_id=CHANNEL)
        assert answer.status == 200
        slack.settle()
        opened = slack.standin.calls_to("views.open")
        assert opened and opened[0].ok and opened[0].token.startswith("xoxb-")
        slack.standin.assert_no_refusals()


def test_installing_again_changes_no_role_and_tells_the_admins(engine: Engine, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "var", database_url=engine.url.render_as_string(hide_password=False))
    with LocalSlack(settings, oauth=True) as slack:
        install(slack, ANNA.user_id)
        slack.sim.slash_command("/serienbrief", "", user_id=SABINE.user_id, channel_id=CHANNEL)  # Sabine: staff
        slack.settle()
        assert install(slack, SABINE.user_id).status_code == 200
        assert admins(engine) == {ANNA.user_id}
        told = [c.params for c in slack.standin.calls_to("chat.postMessage") if c.params.get("channel") == ANNA.user_id]
        assert told and f"<@{SABINE.user_id}> hat briefwerk in diesem Workspace erneut installiert" in told[-1]["text"]


def test_tokens_are_stored_encrypted_and_the_key_can_rotate(engine: Engine, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "var", database_url=engine.url.render_as_string(hide_password=False))
    with LocalSlack(settings, oauth=True) as slack:
        install(slack, ANNA.user_id)
        plain = slack.deps.installation_store.find_bot(enterprise_id=None, team_id=TEAM).bot_token
        settings = slack.settings
    first = stored_tokens(engine)
    assert plain.startswith("xoxb-") and first and all(t.startswith(SEALED) and plain not in t for t in first)

    def store(keys: str) -> SealedInstallationStore:
        return installation_store(settings.model_copy(update={"secret_key": SecretStr(keys)}), engine)

    newer = Fernet.generate_key().decode()
    assert store(f"{newer},{SECRET_KEY}").reseal_all() == len(first)  # what a start with the new key first does
    assert set(stored_tokens(engine)).isdisjoint(first)
    assert store(f"{newer},{SECRET_KEY}").reseal_all() == 0
    assert store(newer).find_bot(enterprise_id=None, team_id=TEAM).bot_token == plain  # the old key is not needed
    with pytest.raises(BadSecretKey):
        store(Fernet.generate_key().decode()).find_bot(enterprise_id=None, team_id=TEAM)
    with pytest.raises(BadSecretKey):
        store("kein-schluessel")
    with pytest.raises(MissingSecretKey):
        installation_store(settings.model_copy(update={"secret_key": None}), engine)


def test_plain_tokens_from_before_are_sealed_at_start(engine: Engine, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "var", database_url=engine.url.render_as_string(hide_password=False))
    with LocalSlack(settings, oauth=True) as slack:
        install(slack, ANNA.user_id)
        plain = slack.deps.installation_store.open(stored_tokens(engine)[0])
    with engine.begin() as connection:
        for table in (BOTS, INSTALLATIONS):
            connection.execute(text(f"update {table} set bot_token = :plain"), {"plain": plain})
    with LocalSlack(settings, oauth=True):
        assert stored_tokens(engine) and all(token.startswith(SEALED) for token in stored_tokens(engine))
