"""The Slack app against a Slack that behaves like the real one under load: HTTP 429 with
Retry-After is waited out by slack_sdk's retry handlers, not passed on to the user."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.settings import Settings
from bot.slack.local import CHANNEL, SABINE, TEAM, LocalSlack


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


HOSTILE = "<!channel> Abrechnung <https://evil.example|hier klicken> *fett*"


def test_user_text_in_messages_is_never_a_mention_or_a_link(slack: LocalSlack) -> None:
    from bot.slack import views
    from domain.models import Event, LetterState, SerialLetter

    serial = SerialLetter(id=7, organisation_id=1, property_id=1, title=HOSTILE, state=LetterState.RELEASED,
                          created_by=1)
    parent = views.thread_parent(serial, "<!here>", "de")
    reply = views.thread_reply(Event(serial_letter_id=7, kind="attachment_added", actor="Sabine",
                                     data={"file": "<!everyone>.pdf"}), "de")
    for shown in (parent["text"], json.dumps(parent["blocks"]), reply["text"], json.dumps(reply["blocks"])):
        assert "<!" not in shown and "<https://" not in shown, shown
    assert "&lt;!channel&gt;" in parent["text"] and "&lt;!everyone&gt;.pdf" in reply["text"]
    slack.sim.slash_command("/serienbrief", HOSTILE, user_id=SABINE.user_id, channel_id=CHANNEL)
    slack.settle()
    said = [m.text for m in slack.standin.ephemerals(SABINE.user_id)] + [
        json.dumps(c.params) for c in slack.standin.calls if c.method.startswith(("chat.", "views."))]
    assert said and not [text for text in said if "<!channel>" in (text or "")]


# Required scopes from each method's page (https://docs.slack.dev/reference/methods/<method>);
# views.* need none; apps.connections.open needs connections:write on the app-level token, which
# is no bot scope. A method called in the code but missing here fails the test below.
METHOD_SCOPES = {"apps_connections_open": set(), "chat_postMessage": {"chat:write"}, "chat_update": {"chat:write"}, "conversations_open": {"im:write"},
                 "files_upload_v2": {"files:write"}, "users_info": {"users:read"}, "views_open": set(),
                 "views_publish": set(), "views_push": set(), "views_update": set()}
NOT_METHODS = {"files_of"}  # our own helper, named like one
OTHER_SCOPES = {"commands": "the /serienbrief command", "files:read": "files from a file_input (url_private_download)",
                "users:read.email": "the email address in users.info's profile"}


def test_the_manifest_asks_for_exactly_the_scopes_the_code_uses() -> None:
    import re

    import yaml

    from bot.slack.app import BOT_SCOPES

    root = Path(__file__).resolve().parents[1]
    sources = [path for folder in ("bot", "handlers") for path in (root / folder).rglob("*.py")
               if "slackstandin" not in path.parts]
    called = {name for path in sources for name in re.findall(
        r"\.((?:chat|views|users|conversations|files|auth|team|reactions|pins|apps)_[A-Za-z0-9_]+)\(", path.read_text())}
    called -= NOT_METHODS
    assert called - set(METHOD_SCOPES) == set()  # a new method: add its scopes above
    needed = set().union(*(METHOD_SCOPES[name] for name in called)) | set(OTHER_SCOPES)
    manifest = yaml.safe_load((root / "manifest.yml").read_text())
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == needed == set(BOT_SCOPES)


@pytest.fixture(params=["one workspace", "oauth"])
def any_slack(engine: Engine, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LocalSlack]:
    settings = Settings(home=tmp_path / "var", database_url=engine.url.render_as_string(hide_password=False))
    with LocalSlack(settings, oauth=request.param == "oauth") as local:
        yield local


def test_the_signature_is_checked_before_the_body_is_parsed(any_slack: LocalSlack) -> None:
    import time

    import httpx
    from slack_sdk.signature import SignatureVerifier

    from bot.slack.local import SIGNING_SECRET

    slack = any_slack

    def post(body: bytes, age_s: int = 0, signed: bool = True, kind: str = "application/json",
             secret: str = SIGNING_SECRET) -> int:
        stamp = str(int(time.time()) - age_s)
        headers = {"Content-Type": kind, "X-Slack-Request-Timestamp": stamp}
        if signed:
            headers["X-Slack-Signature"] = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
        return httpx.post(f"{slack.url}/slack/events", content=body, headers=headers).status_code

    assert post(b'{"type": "url_verification", "challenge": "abc"}', secret="another-apps-secret") == 401
    assert post(b"command=%2Fserienbrief&text=", kind="application/x-www-form-urlencoded", secret="x") == 401

    assert post(b"{kaputt", signed=False) == 401
    assert httpx.post(f"{slack.url}/slack/events", content=b"{}", headers={"X-Slack-Request-Timestamp": "gestern",
                                                                           "X-Slack-Signature": "v0=0"}).status_code == 401
    assert post(b"payload=%7Bkaputt", signed=False, kind="application/x-www-form-urlencoded") == 401
    assert post(b"{kaputt") == 400
    assert post(b"payload=%7Bkaputt", kind="application/x-www-form-urlencoded") == 400
    assert post(b"\xff\xfe", signed=False, kind="application/x-www-form-urlencoded") == 400  # not even UTF-8
    assert post(b'{"type": "url_verification", "challenge": "abc"}', age_s=600) == 401  # a replay
    assert post(b'{"type": "url_verification", "challenge": "abc"}') == 200


@pytest.mark.parametrize("given", ["99999999999999999999999", "-1", "0", "12abc", "１２"])
def test_a_serial_letter_number_beyond_any_id_is_answered(slack: LocalSlack, given: str) -> None:
    answer = slack.sim.slash_command("/serienbrief", given, user_id=SABINE.user_id, channel_id=CHANNEL)
    assert answer.status == 200
    slack.settle()
    shown = json.dumps([slack.standin.modal_stack(SABINE.user_id)] +
                       [m.text for m in slack.standin.ephemerals(SABINE.user_id)], ensure_ascii=False)
    assert "Wird geladen" not in shown and "⏳" not in shown
    assert "wurde nicht gefunden" in shown or "verstehe ich nicht" in shown, shown


def test_views_render_beside_a_long_pdf_job_and_only_their_latest_state() -> None:
    import threading

    from bot.slack.background import Background

    background = Background(render_workers=1)
    pdf_may_end, render_may_start = threading.Event(), threading.Event()
    rendered: list[tuple[str, int]] = []
    try:
        background.pdf(pdf_may_end.wait, 30)  # an order's print files, say
        background.render("V1", render_may_start.wait, 30)  # holds the one render worker
        for page in range(20):  # one user clicking through pages faster than they render
            background.render("V2", lambda page: rendered.append(("V2", page)), page)
        background.render("V3", lambda: rendered.append(("V3", 0)))  # another user's letter
        render_may_start.set()
        deadline = time.monotonic() + 10
        while len(rendered) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sorted(rendered) == [("V2", 19), ("V3", 0)]  # rendered while the PDF job still runs
        assert not pdf_may_end.is_set()
    finally:
        pdf_may_end.set()
        background.drain(30)
        background.shutdown()


def test_one_users_view_takes_one_render_worker_at_most() -> None:
    import threading

    from bot.slack.background import Background

    background = Background(render_workers=2)
    slow_may_end, other_done = threading.Event(), threading.Event()
    try:
        for _ in range(10):  # a slow overview, clicked again and again
            background.render("V2", slow_may_end.wait, 30)
        background.render("V3", other_done.set)  # someone else's letter, asked for last
        assert other_done.wait(5)  # the second worker was free for it
    finally:
        slow_may_end.set()
        background.drain(30)
        background.shutdown()


def test_a_failure_after_the_ack_is_told_to_the_user_and_logged_with_its_request(
        slack: LocalSlack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from domain.services import documents

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(documents, "overview_page", broken)
    with caplog.at_level(logging.ERROR, logger="bot.slack.background"):
        answer = slack.sim.slash_command("/serienbrief", "7", user_id=SABINE.user_id, channel_id=CHANNEL)
        slack.settle()
    assert answer.status == 200
    [record] = [r for r in caplog.records if "background job" in r.getMessage()]
    assert record.getMessage() == (f"background job _fill_serial failed (team {TEAM}, user {SABINE.user_id}, "
                                   "command /serienbrief)")
    assert "database went away" in str(record.exc_info[1])
    shown = json.dumps(slack.top_view(SABINE.user_id), ensure_ascii=False)
    assert "ein unerwarteter Fehler, er wurde protokolliert" in shown, shown


def test_a_listener_failing_after_its_ack_tells_the_user(
        slack: LocalSlack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    import handlers.commands

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(handlers.commands, "recent", broken)
    with caplog.at_level(logging.ERROR, logger="bot.slack.app"):
        answer = slack.sim.slash_command("/serienbrief", "", user_id=SABINE.user_id, channel_id=CHANNEL)
        slack.settle()
    assert answer.status == 200 and answer.refusal is None
    said = [m.text for m in slack.standin.ephemerals(SABINE.user_id)]
    assert any("ein unerwarteter Fehler, er wurde protokolliert" in (text or "") for text in said), said
    assert [r.getMessage() for r in caplog.records if r.exc_info] == [
        f"Slack request failed (team {TEAM}, user {SABINE.user_id}, command /serienbrief)"]


def test_a_form_failing_before_its_ack_turns_into_the_notice(slack: LocalSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    import handlers.home
    from bot.slack.ids import Action, Block
    from bot.slack.local import ANNA

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("database went away")

    slack.sim.open_home(ANNA.user_id)
    slack.settle()
    slack.sim.click(Action.OPEN_SETTINGS, user_id=ANNA.user_id, view_id=slack.standin.home_view(ANNA.user_id)["id"])
    slack.settle()
    monkeypatch.setattr(handlers.home, "save_identity", broken)
    modal = slack.top_view(ANNA.user_id)
    answer = slack.sim.submit(modal["id"], user_id=ANNA.user_id, values={Block.ADMINS: [ANNA.user_id]})
    assert answer.status == 200 and answer.refusal is None
    assert answer.payload["response_action"] == "update"
    assert "ein unerwarteter Fehler" in json.dumps(slack.standin.view(modal["id"]), ensure_ascii=False)
