"""Socket Mode as a route of its own: the demo's whole flow over the stand-in's WebSocket,
`hello` and acks, Slack's `disconnect` and a dropped connection, the health check, and
`serve` with a refused app token or an unreachable socket."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.demo_run import run_demo
from bot.settings import Settings
from bot.slack.local import APP_TOKEN, BOT_TOKEN, CHANNEL, SABINE, SIGNING_SECRET, TEAM, LocalSlack, free_port
from bot.slackstandin import SlackStandIn
from bot.slackstandin.socket import NotConnected
from domain.models import LetterState, SerialLetter


def eventually(check: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def health(slack: LocalSlack) -> int:
    return httpx.get(f"{slack.url}/healthz", timeout=5).status_code


@pytest.fixture
def slack(engine: Engine, tmp_path: Path) -> Iterator[LocalSlack]:
    settings = Settings(home=tmp_path / "var", database_url=engine.url.render_as_string(hide_password=False))
    with LocalSlack(settings, socket_mode=True) as local:
        yield local
        local.settle()
        local.standin.assert_no_refusals()


def test_the_demo_runs_over_socket_mode(engine: Engine, tmp_path: Path) -> None:
    lines: list[str] = []
    settings = Settings(home=tmp_path / "var", database_url=engine.url.render_as_string(hide_password=False))
    run_demo(settings, echo=lines.append, socket_mode=True)
    text = "\n".join(lines)
    assert "davon von Slack abgelehnt: 0" in text
    delivered, acked = map(int, re.search(r"Socket Mode: (\d+) Umschläge an die App, (\d+) bestätigt", text).groups())
    assert delivered >= 20 and acked == delivered
    with Session(engine) as session:
        [serial] = session.exec(select(SerialLetter)).all()
        assert serial.state is LetterState.WITH_PROVIDER
    assert len(list((tmp_path / "var" / "outbox").glob("*/manifest.json"))) == 1


def test_a_command_is_acked_over_the_socket_and_not_over_http(slack: LocalSlack) -> None:
    answer = slack.sim.slash_command("/serienbrief", "hilfe", user_id=SABINE.user_id, channel_id=CHANNEL)
    assert answer.status == 200 and answer.refusal is None
    assert slack.standin.socket.acked == slack.standin.socket.delivered == 1
    unsigned = httpx.post(f"{slack.url}/slack/events", content=b"command=%2Fserienbrief", timeout=5)
    assert unsigned.status_code == 401  # the HTTP route stays closed to unsigned requests


def test_slack_refreshing_the_connection_loses_nothing(slack: LocalSlack) -> None:
    before = slack.standin.socket.opened
    slack.standin.socket.refresh()
    assert eventually(lambda: slack.standin.socket.opened == before + 1 and slack.standin.socket.connections == 1)
    answer = slack.sim.slash_command("/serienbrief", "hilfe", user_id=SABINE.user_id, channel_id=CHANNEL)
    assert answer.status == 200 and slack.standin.socket.acked == 1
    connects = [call for call in slack.standin.calls if call.method == "apps.connections.open"]
    assert len(connects) == 2 and all(call.response["ok"] for call in connects)


def test_health_says_503_while_the_socket_is_down_and_recovers(slack: LocalSlack,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="briefwerk.slack.socket")
    assert httpx.get(f"{slack.url}/healthz", timeout=5).json() == {"ok": True, "slack_socket": "connected"}
    slack.standin.socket.accepting = False  # Slack cannot be reached for a while
    slack.standin.socket.drop()
    assert eventually(lambda: health(slack) == 503)
    assert eventually(lambda: any("Socket Mode getrennt" in r.getMessage() for r in caplog.records))
    assert httpx.get(f"{slack.url}/healthz", timeout=5).json() == {"ok": False, "slack_socket": "disconnected"}
    with pytest.raises(NotConnected):
        slack.sim.slash_command("/serienbrief", "hilfe", user_id=SABINE.user_id, channel_id=CHANNEL)
    slack.standin.socket.accepting = True
    assert eventually(lambda: health(slack) == 200)
    answer = slack.sim.slash_command("/serienbrief", "hilfe", user_id=SABINE.user_id, channel_id=CHANNEL)
    assert answer.status == 200 and answer.refusal is None
    assert eventually(lambda: any("Socket Mode wieder verbunden" in r.getMessage() for r in caplog.records))


def test_a_connection_that_stops_answering_is_unhealthy_before_slack_sdk_gives_up(slack: LocalSlack) -> None:
    slack.standin.socket.accepting = False
    slack.standin.socket.mute()  # the socket stays open, but nothing comes back: no pongs, no close
    assert eventually(lambda: health(slack) == 503, timeout=10)  # 3 ping intervals, not 5 failed pings


def test_an_app_token_is_the_only_token_that_opens_a_socket() -> None:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    from bot.slack.local import set_up_workspace

    with SlackStandIn() as standin:
        set_up_workspace(standin)
        standin.add_app_token(APP_TOKEN, TEAM)
        client = WebClient(base_url=standin.api_url)
        assert client.apps_connections_open(app_token=APP_TOKEN)["url"].startswith("ws://127.0.0.1:")
        for token, error in ((BOT_TOKEN, "not_allowed_token_type"), ("xapp-1-unknown", "invalid_auth")):
            with pytest.raises(SlackApiError) as refused:
                client.apps_connections_open(app_token=token)
            assert refused.value.response["error"] == error
        with pytest.raises(SlackApiError) as refused:
            WebClient(base_url=standin.api_url, token=APP_TOKEN).chat_postMessage(channel=CHANNEL, text="x")
        assert refused.value.response["error"] == "not_allowed_token_type"


# ---------------------------------------------------------------- `briefwerk serve`


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    from bot.slack.local import set_up_workspace

    with SlackStandIn() as running:
        set_up_workspace(running)
        running.add_app_token(APP_TOKEN, TEAM)
        yield running


def serve(standin: SlackStandIn, engine: Engine, tmp_path: Path, app_token: str, port: int,
          **extra: str) -> subprocess.Popen:
    """`briefwerk serve` against the stand-in; an `extra` value of "" leaves that variable out."""
    env = {**os.environ, "BRIEFWERK_HOME": str(tmp_path / "var"), "BRIEFWERK_LOCALE": "de",
           "BRIEFWERK_DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "BRIEFWERK_SLACK_API_URL": standin.api_url, "BRIEFWERK_PORT": str(port),
           "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_APP_TOKEN": app_token, **extra}
    for name in ["BRIEFWERK_DEBUG", *(name for name, value in extra.items() if value == "")]:
        env.pop(name, None)
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], env=env, cwd=tmp_path, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def refusal(process: subprocess.Popen) -> str:
    _, err = process.communicate(timeout=120)
    assert process.returncode == 2 and "Traceback" not in err, err
    [line] = err.strip().splitlines()
    return line


def test_serve_refuses_a_bad_app_token_in_one_line(standin: SlackStandIn, engine: Engine, tmp_path: Path) -> None:
    line = refusal(serve(standin, engine, tmp_path, "xapp-1-revoked", free_port()))
    assert "SLACK_APP_TOKEN" in line and "invalid_auth" in line and "connections:write" in line
    line = refusal(serve(standin, engine, tmp_path, BOT_TOKEN, free_port()))
    assert "SLACK_APP_TOKEN ist ein Bot-Token (xoxb-…)" in line
    line = refusal(serve(standin, engine, tmp_path, "", free_port(), SLACK_APP_TOKEN="", SLACK_BOT_TOKEN="xoxb-1-revoked"))
    assert line.endswith("lehnt das Token ab: invalid_auth")  # Slack's code, not Bolt's English sentence


def test_serve_says_when_its_port_is_taken_before_anything_starts(standin: SlackStandIn, engine: Engine,
                                                                  tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = refusal(serve(standin, engine, tmp_path, APP_TOKEN, port))
    assert f"127.0.0.1:{port} ist belegt" in line and "BRIEFWERK_PORT" in line
    assert standin.calls_to("apps.connections.open") == []  # refused before the socket opened


def test_serve_says_when_the_socket_cannot_be_reached(standin: SlackStandIn, engine: Engine, tmp_path: Path) -> None:
    standin.socket.accepting = False
    port = free_port()
    process = serve(standin, engine, tmp_path, APP_TOKEN, port, SLACK_SIGNING_SECRET="")  # Socket Mode needs none
    try:
        first = process.stdout.readline()
        assert "Socket Mode noch nicht verbunden" in first, first
        assert eventually(lambda: _status(port) == 503, timeout=60)
        standin.socket.accepting = True
        assert eventually(lambda: _status(port) == 200, timeout=60)  # slack_sdk keeps trying by itself
        unsigned = httpx.post(f"http://127.0.0.1:{port}/slack/events", content=b"command=%2Fserienbrief", timeout=5)
        assert unsigned.status_code == 401  # with no signing secret, HTTP takes nothing
    finally:
        process.terminate()
        process.communicate(timeout=30)


def _status(port: int) -> int | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code
    except httpx.TransportError:
        return None


def test_the_standin_command_serves_slack_for_serve_and_says_when_its_port_is_taken(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "bot.cli", "standin", "--port", str(port)]
    env = {**os.environ, "BRIEFWERK_LOCALE": "de", "BRIEFWERK_HOME": str(tmp_path / "var")}
    process = subprocess.Popen(command, env=env, cwd=tmp_path, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        said = [process.stdout.readline().strip() for _ in range(3)]
        assert said[1].startswith("export ") and said[2].startswith("export ")
        settings = dict(pair.split("=", 1) for line in said[1:] for pair in line.split()[1:])
        assert settings["BRIEFWERK_SLACK_API_URL"] == f"http://127.0.0.1:{port}/api/"
        answer = httpx.post(settings["BRIEFWERK_SLACK_API_URL"] + "apps.connections.open",
                            headers={"Authorization": f"Bearer {settings['SLACK_APP_TOKEN']}"}, timeout=5).json()
        assert answer["ok"] and answer["url"].startswith("ws://127.0.0.1:")
        taken = subprocess.run(command, env=env, cwd=tmp_path, text=True, capture_output=True, timeout=60)
        assert taken.returncode == 2 and f"Port {port} ist belegt" in taken.stderr
        assert len(taken.stderr.strip().splitlines()) == 1
    finally:
        process.terminate()
        process.communicate(timeout=30)
