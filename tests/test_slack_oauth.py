"""Multi-workspace installs: Slack's OAuth v2 flow against the stand-in, the installation kept
in our database, the installing user the organisation's first admin."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.settings import Settings
from bot.slack.local import ANNA, CHANNEL, SABINE, TEAM, LocalSlack
from domain.models import Organisation, Staff


def test_install_stores_the_workspace_and_makes_the_installer_admin(engine: Engine, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "var", database_url=engine.url.render_as_string(hide_password=False))
    with LocalSlack(settings, oauth=True) as slack:
        with httpx.Client(base_url=slack.url) as browser:
            start = browser.get("/slack/install")
            assert start.status_code == 200
            authorize = next(line for line in start.text.split('"') if line.startswith("https://slack.com/oauth/v2/authorize"))
            query = parse_qs(urlsplit(authorize.replace("&amp;", "&")).query)
            assert "users:read.email" in query["scope"][0]
            code = slack.standin.issue_oauth_code(TEAM, ANNA.user_id, query["scope"][0].split(","))
            # the state cookie is Secure (https in production); over loopback http send it by hand
            cookie = start.headers["set-cookie"].split(";", 1)[0]
            finish = browser.get("/slack/oauth_redirect", params={"code": code, "state": query["state"][0]},
                                 headers={"Cookie": cookie})
            assert finish.status_code == 200, finish.text
            forged = browser.get("/slack/oauth_redirect", params={"code": code, "state": "forged"},
                                 headers={"Cookie": cookie})
            assert forged.status_code == 400
        with Session(engine) as session:
            org = session.exec(select(Organisation).where(Organisation.slack_team_id == TEAM)).one()
            anna = session.exec(select(Staff).where(Staff.organisation_id == org.id, Staff.slack_user_id == ANNA.user_id)).one()
            assert anna.is_admin
        answer = slack.sim.slash_command("/serienbrief", "", user_id=SABINE.user_id, channel_id=CHANNEL)
        assert answer.status == 200
        slack.settle()
        opened = slack.standin.calls_to("views.open")
        assert opened and opened[0].ok and opened[0].token.startswith("xoxb-")
        slack.standin.assert_no_refusals()
