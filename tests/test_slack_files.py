"""Files from a modal are fetched with the bot token, so only Slack's own hosts may see it."""

from __future__ import annotations

from pathlib import Path

import pytest
from slack_sdk import WebClient

from bot.slack.files import SlackFile, fetch, trusted
from domain.errors import InvalidInput


@pytest.mark.parametrize(("url", "ok"), [
    ("https://files.slack.com/files-pri/T1-F1/a.pdf", True),
    ("https://slack.com/files-pri/T1-F1/a.pdf", True),
    ("http://127.0.0.1:8123/files-pri/T1-F1/a.pdf", True),  # the stand-in the API calls go to
    ("https://files.slack.com.evil.example/a.pdf", False),
    ("https://evil.example/files.slack.com/a.pdf", False),
    ("http://127.0.0.2:8123/a.pdf", False),
])
def test_only_slack_hosts_are_trusted(url: str, ok: bool) -> None:
    assert trusted(url, "http://127.0.0.1:8123/api/") is ok


def test_a_foreign_url_is_refused_before_any_request(tmp_path: Path) -> None:
    client = WebClient(token="xoxb-secret")
    with pytest.raises(InvalidInput) as raised:
        fetch(client, "https://slack.com/api/", SlackFile(name="a.pdf", url="http://127.0.0.1:9/a.pdf"),
              lambda: tmp_path / "x", 1 << 20)
    assert "kommt nicht von Slack" in raised.value.render("de")
    assert not (tmp_path / "x").exists()
