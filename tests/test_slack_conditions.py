"""The Slack app against a Slack that behaves like the real one under load: HTTP 429 with
Retry-After is waited out by slack_sdk's retry handlers, not passed on to the user."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.settings import Settings
from bot.slack.local import CHANNEL, SABINE, LocalSlack


@pytest.fixture
def slack(engine: Engine, tmp_path: Path) -> Iterator[LocalSlack]:
    settings = Settings(home=tmp_path / "var", database_url=engine.url.render_as_string(hide_password=False))
    with LocalSlack(settings) as local:
        yield local


def test_a_rate_limited_views_open_is_tried_again_after_retry_after(slack: LocalSlack) -> None:
    slack.standin.rate_limit("views.open", times=1, retry_after=1)
    answer = slack.sim.slash_command("/serienbrief", "", user_id=SABINE.user_id, channel_id=CHANNEL)
    assert answer.status == 200
    slack.settle()
    opened = slack.standin.calls_to("views.open")
    assert [call.status for call in opened] == [429, 200] and opened[-1].ok
    assert opened[-1].at - opened[0].at >= 1  # it waited as Slack asked
    assert slack.standin.modal_stack(SABINE.user_id)


def test_a_rate_limited_post_from_background_work_arrives(slack: LocalSlack) -> None:
    slack.standin.rate_limit("chat.postMessage", times=2, retry_after=1)
    client = slack.deps.client_for(None)
    client.chat_postMessage(channel=CHANNEL, text="Serienbrief Nr. 1 ist freigegeben.")
    posted = slack.standin.calls_to("chat.postMessage")
    assert [call.status for call in posted] == [429, 429, 200]
    assert [m.text for m in slack.standin.messages(CHANNEL)] == ["Serienbrief Nr. 1 ist freigegeben."]
