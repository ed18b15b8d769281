"""The Slack stand-in: driven with slack_sdk's real WebClient it accepts what Slack accepts,
refuses what Slack refuses (with Slack's error names), keeps what the app showed, and signs
requests toward the app exactly as Slack does."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from bot.slackstandin import SlackClientSim, SlackStandIn, render_text, sign
from bot.slackstandin.requests import block_actions, slash_command, state_values
from bot.slackstandin.validation import check_options_response

TEAM = "T0SONNE01"
TOKEN = "xoxb-sonnenschein-test"
BOT = "U0BOT0001"
ANNA = "U0ANNA001"
JUERGEN = "U0JUERG01"
CHANNEL = "C0BRIEFE1"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


class FakeClock:
    """The stand-in's clock, moved by hand so trigger expiry needs no sleeping."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def standin(clock: FakeClock) -> Iterator[SlackStandIn]:
    with SlackStandIn(clock=clock) as running:
        running.add_team(TEAM, "Hausverwaltung Sonnenschein GmbH", "sonnenschein")
        running.add_token(TOKEN, TEAM, BOT)
        running.add_user(ANNA, "anna", "Anna Schäfer", "anna@sonnenschein.example", team_id=TEAM)
        running.add_user(JUERGEN, "juergen", "Jürgen Weiß", "jw@sonnenschein.example",
                         team_id=TEAM, is_admin=True)
        running.add_channel(CHANNEL, "serienbriefe", team_id=TEAM)
        yield running


@pytest.fixture
def client(standin: SlackStandIn) -> WebClient:
    return WebClient(token=TOKEN, base_url=standin.api_url)


# ---------------------------------------------------------------- payload helpers


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(action_id: str, label: str, **extra: Any) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id,
            "text": {"type": "plain_text", "text": label}, **extra}


def option(value: str, label: str | None = None) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": label or value}, "value": value}


def text_input(block_id: str, label: str, **extra: Any) -> dict[str, Any]:
    return {"type": "input", "block_id": block_id, "label": {"type": "plain_text", "text": label},
            "element": {"type": "plain_text_input", "action_id": block_id}, **extra}


def modal(blocks: list[dict[str, Any]], title: str = "Serienbrief", **extra: Any) -> dict[str, Any]:
    return {"type": "modal", "title": {"type": "plain_text", "text": title},
            "submit": {"type": "plain_text", "text": "Weiter"},
            "close": {"type": "plain_text", "text": "Abbrechen"}, "blocks": blocks, **extra}


def refused(call: Any, error: str) -> dict[str, Any]:
    """Assert slack_sdk raises for Slack's `error` and return the response body."""
    with pytest.raises(SlackApiError) as raised:
        call()
    body = raised.value.response.data
    assert body["error"] == error, body
    return body


# ---------------------------------------------------------------- auth and lookups


def test_auth_test_answers_as_slack_for_a_registered_bot_token(client: WebClient) -> None:
    answer = client.auth_test()
    assert (answer["team_id"], answer["user_id"], answer["ok"]) == (TEAM, BOT, True)
    assert answer["bot_id"].startswith("B")


def test_missing_or_unknown_tokens_are_refused(standin: SlackStandIn) -> None:
    refused(WebClient(base_url=standin.api_url).auth_test, "not_authed")
    refused(WebClient(token="xoxb-nope", base_url=standin.api_url).auth_test, "invalid_auth")


def test_unknown_methods_are_refused(client: WebClient) -> None:
    refused(lambda: client.api_call("chat.scheduleEverything"), "unknown_method")


def test_users_team_and_dm_channels(client: WebClient) -> None:
    assert client.users_info(user=ANNA)["user"]["real_name"] == "Anna Schäfer"
    assert client.team_info()["team"]["name"] == "Hausverwaltung Sonnenschein GmbH"
    dm = client.conversations_open(users=ANNA)["channel"]["id"]
    assert dm.startswith("D") and client.conversations_open(users=ANNA)["channel"]["id"] == dm
    assert client.conversations_info(channel=dm)["channel"]["user"] == ANNA
    refused(lambda: client.users_info(user="U0NOBODY1"), "user_not_found")
    refused(lambda: client.conversations_info(channel="C0NOWHERE"), "channel_not_found")


# ---------------------------------------------------------------- messages


def test_valid_message_thread_update_and_permalink(client: WebClient,
                                                   standin: SlackStandIn) -> None:
    parent = client.chat_postMessage(channel=CHANNEL, text="Hausgeldabrechnung 2024 freigegeben",
                                     blocks=[section("*Hausgeldabrechnung 2024* freigegeben"),
                                             {"type": "actions", "elements": [
                                                 button("order", "Versand beauftragen",
                                                        style="primary")]}])
    reply = client.chat_postMessage(channel=CHANNEL, thread_ts=parent["ts"], text="Gedruckt ✓")
    client.chat_update(channel=CHANNEL, ts=parent["ts"], text="Versand beauftragt",
                       blocks=[section("Versand beauftragt")])
    assert [m.ts for m in standin.thread(CHANNEL, parent["ts"])] == [parent["ts"], reply["ts"]]
    assert standin.message(CHANNEL, parent["ts"]).text == "Versand beauftragt"
    assert client.chat_getPermalink(channel=CHANNEL, message_ts=reply["ts"])["permalink"] \
        .startswith(standin.base_url)
    standin.assert_no_refusals()


def test_updating_or_deleting_a_message_that_does_not_exist_fails(client: WebClient) -> None:
    refused(lambda: client.chat_update(channel=CHANNEL, ts="1700000000.000001", text="x"),
            "message_not_found")
    refused(lambda: client.chat_delete(channel=CHANNEL, ts="1700000000.000001"),
            "message_not_found")
    refused(lambda: client.chat_postMessage(channel=CHANNEL, text="x",
                                            thread_ts="1700000000.000001"), "thread_not_found")


def test_form_encoded_requests_with_json_string_blocks_are_accepted(client: WebClient,
                                                                     standin: SlackStandIn) -> None:
    client.api_call("chat.postMessage", params={
        "channel": CHANNEL, "text": "Brief", "blocks": json.dumps([section("Brief an Käthe")])})
    call = standin.last_call("chat.postMessage")
    assert call.ok and call.params["blocks"][0]["text"]["text"] == "Brief an Käthe"
    assert call.token == TOKEN


def test_51_blocks_in_a_message_are_refused(client: WebClient) -> None:
    body = refused(lambda: client.chat_postMessage(
        channel=CHANNEL, text="zu lang", blocks=[section(f"Brief {n}") for n in range(51)]),
        "invalid_blocks")
    assert "[json-pointer:/blocks]" in body["response_metadata"]["messages"][0]
    assert "at most 50" in body["response_metadata"]["messages"][0]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_blocks_without_text_fallback_are_refused(client: WebClient) -> None:
    body = refused(lambda: client.chat_postMessage(channel=CHANNEL, blocks=[section("Hallo")]),
                   "no_text")
    assert "fallback" in body["response_metadata"]["messages"][0]


def test_input_block_in_a_message_is_refused(client: WebClient) -> None:
    refused(lambda: client.chat_postMessage(channel=CHANNEL, text="x",
                                            blocks=[text_input("name", "Name")]), "invalid_blocks")


def test_button_style_warning_is_refused(client: WebClient) -> None:
    body = refused(lambda: client.chat_postMessage(channel=CHANNEL, text="x", blocks=[
        {"type": "actions", "elements": [button("cancel", "Stornieren", style="warning")]}]),
        "invalid_blocks")
    assert "/blocks/0/elements/0/style" in body["errors"][0]


def test_unknown_block_type_is_refused(client: WebClient) -> None:
    body = refused(lambda: client.chat_postMessage(channel=CHANNEL, text="x", blocks=[
        {"type": "sektion", "text": {"type": "mrkdwn", "text": "Tippfehler"}}]), "invalid_blocks")
    assert body["errors"] == ["unsupported type: sektion [json-pointer:/blocks/0/type]"]


def test_duplicate_action_ids_in_a_block_and_duplicate_block_ids_are_refused(
        client: WebClient) -> None:
    refused(lambda: client.chat_postMessage(channel=CHANNEL, text="x", blocks=[
        {"type": "actions", "elements": [button("approve", "Ja"), button("approve", "Nein")]}]),
        "invalid_blocks")
    refused(lambda: client.chat_postMessage(channel=CHANNEL, text="x", blocks=[
        section("a", block_id="row"), section("b", block_id="row")]), "invalid_blocks")


def test_other_documented_limits(client: WebClient) -> None:
    header = {"type": "header", "text": {"type": "mrkdwn", "text": "Überschrift"}}
    for blocks in (
        [section("x" * 3001)],
        [header],
        [{"type": "context", "elements": [{"type": "mrkdwn", "text": "k"}] * 11}],
        [{"type": "actions", "elements": [button(f"b{n}", "B") for n in range(26)]}],
        [section("x", accessory={"type": "overflow", "action_id": "more",
                                 "options": [option("only")]})],
        [section("x", accessory=button("go", "Los", value="v" * 2001))],
        [section("x", accessory={"type": "static_select", "action_id": "pick",
                                 "options": [option(f"o{n}") for n in range(101)]})],
        [section("x", accessory=button("del", "Löschen", confirm={
            "title": {"type": "plain_text", "text": "Sicher?"},
            "text": {"type": "mrkdwn", "text": "Alle Dokumente werden entfernt."},
            "confirm": {"type": "plain_text", "text": "J" * 31},
            "deny": {"type": "plain_text", "text": "Nein"}}))],
    ):
        refused(lambda blocks=blocks: client.chat_postMessage(channel=CHANNEL, text="x",
                                                              blocks=blocks), "invalid_blocks")


# ---------------------------------------------------------------- modals


def test_views_open_with_a_fresh_trigger_returns_the_view(client: WebClient,
                                                          standin: SlackStandIn) -> None:
    view = client.views_open(trigger_id=standin.new_trigger_id(ANNA), view=modal(
        [text_input("note", "Notiz")], private_metadata='{"letter": 7}', callback_id="release"))
    stored = view["view"]
    assert stored["id"].startswith("V") and stored["hash"] and stored["private_metadata"]
    assert [v["id"] for v in standin.modal_stack(ANNA)] == [stored["id"]]


def test_101_blocks_in_a_modal_are_refused(client: WebClient, standin: SlackStandIn) -> None:
    body = refused(lambda: client.views_open(trigger_id=standin.new_trigger_id(ANNA), view=modal(
        [section(f"Kontakt {n}") for n in range(101)])), "invalid_arguments")
    assert "[json-pointer:/view/blocks]" in body["response_metadata"]["messages"][0]


def test_11_checkbox_options_are_refused(client: WebClient, standin: SlackStandIn) -> None:
    checkboxes = {"type": "input", "block_id": "recipients",
                  "label": {"type": "plain_text", "text": "Empfänger"},
                  "element": {"type": "checkboxes", "action_id": "recipients",
                              "options": [option(f"K{n:03d}") for n in range(11)]}}
    refused(lambda: client.views_open(trigger_id=standin.new_trigger_id(ANNA),
                                      view=modal([checkboxes])), "invalid_arguments")


def test_a_25_character_modal_title_is_refused(client: WebClient, standin: SlackStandIn) -> None:
    body = refused(lambda: client.views_open(trigger_id=standin.new_trigger_id(ANNA),
                                             view=modal([section("x")], title="Ü" * 25)),
                   "invalid_arguments")
    assert body["errors"] == ["must be less than 25 characters [json-pointer:/view/title/text]"]


def test_private_metadata_of_3001_characters_is_refused(client: WebClient,
                                                        standin: SlackStandIn) -> None:
    refused(lambda: client.views_open(trigger_id=standin.new_trigger_id(ANNA), view=modal(
        [section("x")], private_metadata="m" * 3001)), "invalid_arguments")


def test_modal_with_inputs_needs_submit_and_plain_text_title(client: WebClient,
                                                             standin: SlackStandIn) -> None:
    no_submit = modal([text_input("note", "Notiz")])
    del no_submit["submit"]
    refused(lambda: client.views_open(trigger_id=standin.new_trigger_id(ANNA), view=no_submit),
            "invalid_arguments")
    mrkdwn_title = modal([section("x")])
    mrkdwn_title["title"]["type"] = "mrkdwn"
    refused(lambda: client.views_open(trigger_id=standin.new_trigger_id(ANNA),
                                      view=mrkdwn_title), "invalid_arguments")


def test_a_view_over_250_kb_is_too_large(client: WebClient, standin: SlackStandIn) -> None:
    huge = modal([section("ä" * 2900) for _ in range(50)])
    refused(lambda: client.views_open(trigger_id=standin.new_trigger_id(ANNA), view=huge),
            "view_too_large")


def test_triggers_work_once_within_three_seconds(client: WebClient, standin: SlackStandIn,
                                                 clock: FakeClock) -> None:
    trigger = standin.new_trigger_id(ANNA)
    client.views_open(trigger_id=trigger, view=modal([section("Lädt …")]))
    refused(lambda: client.views_open(trigger_id=trigger, view=modal([section("x")])),
            "exchanged_trigger_id")
    late = standin.new_trigger_id(ANNA)
    clock.advance(3.1)
    refused(lambda: client.views_open(trigger_id=late, view=modal([section("x")])),
            "expired_trigger_id")
    refused(lambda: client.views_open(trigger_id="123.456.deadbeef", view=modal([section("x")])),
            "invalid_trigger_id")


def test_a_third_push_is_refused(client: WebClient, standin: SlackStandIn) -> None:
    root = client.views_open(trigger_id=standin.new_trigger_id(ANNA),
                             view=modal([section("Stufe 1")]))["view"]["id"]
    second = client.views_push(trigger_id=standin.new_trigger_id(ANNA, view_id=root),
                               view=modal([section("Stufe 2")]))["view"]["id"]
    third = client.views_push(trigger_id=standin.new_trigger_id(ANNA, view_id=second),
                              view=modal([section("Stufe 3")]))["view"]
    assert third["root_view_id"] == root and third["previous_view_id"] == second
    refused(lambda: client.views_push(trigger_id=standin.new_trigger_id(ANNA, view_id=third["id"]),
                                      view=modal([section("Stufe 4")])), "push_limit_reached")


def test_views_update_checks_the_hash_and_finds_views_by_external_id(
        client: WebClient, standin: SlackStandIn) -> None:
    opened = client.views_open(trigger_id=standin.new_trigger_id(ANNA), view=modal(
        [section("Lädt …")], external_id="review-7"))["view"]
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"],
                                  view=modal([section("Brief 1 von 40")], external_id="review-7"))
    assert updated["view"]["hash"] != opened["hash"]
    refused(lambda: client.views_update(view_id=opened["id"], hash=opened["hash"],
                                        view=modal([section("veraltet")])), "hash_conflict")
    by_external = client.views_update(external_id="review-7", view=modal(
        [section("Brief 2 von 40")], external_id="review-7"))
    assert by_external["view"]["id"] == opened["id"]
    refused(lambda: client.views_update(view_id="V0MISSING", view=modal([section("x")])),
            "not_found")
    refused(lambda: client.views_open(trigger_id=standin.new_trigger_id(ANNA), view=modal(
        [section("x")], external_id="review-7")), "duplicate_external_id")


def test_home_tab_publish_and_its_100_block_limit(client: WebClient,
                                                  standin: SlackStandIn) -> None:
    home = {"type": "home", "blocks": [section("Serienbriefe: 3 offen")]}
    first = client.views_publish(user_id=ANNA, view=home)["view"]
    again = client.views_publish(user_id=ANNA, view=home, hash=first["hash"])["view"]
    assert again["id"] == first["id"] and standin.home_view(ANNA)["hash"] == again["hash"]
    refused(lambda: client.views_publish(user_id=ANNA, view={
        "type": "home", "blocks": [section(f"Brief {n}") for n in range(101)]}),
        "invalid_arguments")
    refused(lambda: client.views_publish(user_id=ANNA, view=modal([section("x")])),
            "invalid_arguments")


# ---------------------------------------------------------------- files and response_url


def test_files_upload_v2_end_to_end_keeps_the_bytes(client: WebClient,
                                                    standin: SlackStandIn) -> None:
    parent = client.chat_postMessage(channel=CHANNEL, text="Serienbrief Hausgeld 2024")
    pdf = b"%PDF-1.7\n" + "Müller WE 03".encode() + b"\x00\xff" * 100
    answer = client.files_upload_v2(channel=CHANNEL, thread_ts=parent["ts"], content=pdf,
                                    filename="WE03-Mueller.pdf", title="Druckdatei WE 03",
                                    initial_comment="Druckdatei zur Prüfung")
    stored = standin.files[answer["file"]["id"]]
    assert (stored.content, stored.title, stored.channel_id) == (pdf, "Druckdatei WE 03", CHANNEL)
    assert stored.thread_ts == parent["ts"] and stored.initial_comment == "Druckdatei zur Prüfung"
    assert standin.thread(CHANNEL, parent["ts"])[-1].files[0]["id"] == stored.id
    standin.assert_no_refusals()


def test_completing_an_upload_that_never_happened_fails(client: WebClient) -> None:
    file_id = client.files_getUploadURLExternal(filename="a.pdf", length=10)["file_id"]
    refused(lambda: client.files_completeUploadExternal(files=[{"id": file_id}],
                                                        channel_id=CHANNEL), "file_not_found")


def test_response_url_posts_are_validated_recorded_and_applied(client: WebClient,
                                                               standin: SlackStandIn) -> None:
    posted = client.chat_postMessage(channel=CHANNEL, text="Freigabe angefragt")
    url = standin.new_response_url(CHANNEL, JUERGEN, message_ts=posted["ts"])
    hook = WebhookClient(url)
    assert hook.send(text="Freigegeben von Jürgen", replace_original=True).status_code == 200
    assert standin.message(CHANNEL, posted["ts"]).text == "Freigegeben von Jürgen"
    assert hook.send(text="Nur für dich").status_code == 200
    assert standin.ephemerals(JUERGEN)[-1].text == "Nur für dich"
    bad = hook.send(blocks=[section("ohne Fallback")])
    assert bad.status_code == 400 and json.loads(bad.body)["error"] == "no_text"
    calls = standin.calls_to("response_url")
    assert [c.ok for c in calls] == [True, True, False] and calls[0].user == JUERGEN


def test_a_response_url_works_five_times(standin: SlackStandIn) -> None:
    hook = WebhookClient(standin.new_response_url(CHANNEL, ANNA))
    statuses = [hook.send(text=f"Nachricht {n}").status_code for n in range(6)]
    assert statuses == [200] * 5 + [404]


def test_oauth_code_is_exchanged_once_for_a_working_bot_token(standin: SlackStandIn) -> None:
    standin.set_oauth_client("111.222", "geheim")
    code = standin.issue_oauth_code("T0NEWTEAM", ANNA, ["chat:write", "commands"])
    anonymous = WebClient(base_url=standin.api_url)
    refused(lambda: anonymous.oauth_v2_access(client_id="111.222", client_secret="falsch",
                                              code=code), "bad_client_secret")
    answer = anonymous.oauth_v2_access(client_id="111.222", client_secret="geheim", code=code)
    assert answer["token_type"] == "bot" and answer["team"]["id"] == "T0NEWTEAM"
    assert answer["scope"] == "chat:write,commands" and answer["authed_user"]["id"] == ANNA
    installed = WebClient(token=answer["access_token"], base_url=standin.api_url)
    assert installed.auth_test()["user_id"] == answer["bot_user_id"]
    refused(lambda: anonymous.oauth_v2_access(client_id="111.222", client_secret="geheim",
                                              code=code), "invalid_code")


# ---------------------------------------------------------------- requests toward the app


def test_signatures_verify_with_slack_sdk() -> None:
    request = slash_command(command="/serienbrief", text="Lindenhof", user_id=ANNA,
                            user_name="anna", team_id=TEAM, team_domain="sonnenschein",
                            channel_id=CHANNEL, channel_name="serienbriefe",
                            trigger_id="1.2.abc", response_url="http://127.0.0.1/x",
                            api_app_id="A1")
    now = int(time.time())
    headers = sign(request.body, SECRET, now)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid(request.body, headers["X-Slack-Request-Timestamp"],
                             headers["X-Slack-Signature"])
    assert not SignatureVerifier("other").is_valid(request.body, str(now),
                                                   headers["X-Slack-Signature"])
    old = sign(request.body, SECRET, now - 301)
    assert not verifier.is_valid(request.body, old["X-Slack-Request-Timestamp"],
                                 old["X-Slack-Signature"])
    assert b"command=%2Fserienbrief" in request.body


def test_block_actions_payload_shape() -> None:
    request = block_actions(user={"id": ANNA}, team={"id": TEAM}, api_app_id="A1",
                            actions=[{"action_id": "approve", "block_id": "b", "type": "button"}],
                            trigger_id="1.2.3", message={"ts": "1.000001"},
                            channel={"id": CHANNEL}, response_url="http://127.0.0.1/r")
    payload = json.loads(_form_payload(request.body))
    assert payload["container"] == {"type": "message", "message_ts": "1.000001",
                                     "channel_id": CHANNEL, "is_ephemeral": False}
    assert payload["type"] == "block_actions" and payload["response_url"]


def _form_payload(body: bytes) -> str:
    from urllib.parse import parse_qs
    return parse_qs(body.decode())["payload"][0]


def test_state_values_refuse_an_empty_required_input_and_unknown_options() -> None:
    blocks = [text_input("subject", "Betreff"),
              {"type": "input", "block_id": "filter", "label": {"type": "plain_text",
                                                                 "text": "Filter"},
               "element": {"type": "static_select", "action_id": "filter",
                           "options": [option("all"), option("preference")]}}]
    values = state_values(blocks, {"subject": "Einladung", "filter": "preference"})
    assert values["filter"]["filter"]["selected_option"]["value"] == "preference"
    with pytest.raises(ValueError, match="required"):
        state_values(blocks, {"filter": "all"})
    with pytest.raises(ValueError, match="offers no option"):
        state_values(blocks, {"subject": "x", "filter": "everyone"})


def test_submission_answers_and_options_answers_are_checked(client: WebClient,
                                                              standin: SlackStandIn) -> None:
    view_id = client.views_open(trigger_id=standin.new_trigger_id(ANNA), view=modal(
        [section("Hinweis", block_id="info"), text_input("subject", "Betreff")]))["view"]["id"]
    wrong = standin.apply_submission_response(view_id, {"response_action": "errors",
                                                        "errors": {"info": "falsch"}})
    assert wrong is not None and wrong.error == "invalid_arguments"
    assert standin.apply_submission_response(view_id, {"response_action": "errors", "errors": {
        "subject": "Bitte einen Betreff angeben"}}) is None
    assert len(standin.modal_stack(ANNA)) == 1
    assert standin.apply_submission_response(view_id, None) is None
    assert standin.modal_stack(ANNA) == []
    too_many = {"options": [option(f"K{n:03d}") for n in range(101)]}
    assert check_options_response(too_many) is not None
    assert check_options_response({"options": [option("K001", "Käthe Köhler")]}) is None


def test_the_sim_signs_and_marks_retries() -> None:
    seen: list[httpx.Request] = []

    def app(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    with SlackStandIn() as standin:
        standin.add_token(TOKEN, TEAM, BOT)
        standin.add_user(ANNA, "anna", "Anna Schäfer", team_id=TEAM)
        slack = SlackClientSim("http://app.invalid/slack/events", SECRET, standin, team_id=TEAM)
        slack.http = httpx.Client(transport=httpx.MockTransport(app))
        slack.event({"type": "app_mention", "user": ANNA, "text": "hallo"}, event_id="Ev1",
                    retry_num=2, retry_reason="http_timeout")
        slack.close()
    request = seen[0]
    assert request.headers["X-Slack-Retry-Num"] == "2"
    assert request.headers["X-Slack-Retry-Reason"] == "http_timeout"
    assert SignatureVerifier(SECRET).is_valid(request.content,
                                              request.headers["X-Slack-Request-Timestamp"],
                                              request.headers["X-Slack-Signature"])
    assert json.loads(request.content)["event_id"] == "Ev1"


# ---------------------------------------------------------------- a real Bolt app in between


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def bolt_url(standin: SlackStandIn) -> Iterator[str]:
    """A tiny Bolt app (HTTP mode, WSGI) wired to the stand-in, like briefwerk's."""
    from slack_bolt import App
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    app = App(signing_secret=SECRET, client=WebClient(token=TOKEN, base_url=standin.api_url))

    @app.command("/serienbrief")
    def open_release(ack: Any, body: Any, client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=modal(
            [section("Serienbrief *Hausgeld 2024* freigeben?"),
             {"type": "input", "block_id": "notify", "optional": True,
              "label": {"type": "plain_text", "text": "Benachrichtigung"},
              "element": {"type": "checkboxes", "action_id": "notify",
                          "options": [option("email", "Per E-Mail benachrichtigen")]}}],
            title="Freigeben", callback_id="release"))

    @app.view("release")
    def release(ack: Any, view: Any, client: WebClient) -> None:
        chosen = view["state"]["values"]["notify"]["notify"]["selected_options"]
        ack()
        client.chat_postMessage(channel=CHANNEL, text="Freigegeben",
                                blocks=[section(f"Freigegeben, E-Mail: {bool(chosen)}"),
                                        {"type": "actions", "elements": [
                                            button("order", "Versand beauftragen")]}])

    @app.action("order")
    def order(ack: Any, respond: Any) -> None:
        ack()
        respond(text="Versand beauftragt", replace_original=True)

    @app.event("app_home_opened")
    def home(event: Any, client: WebClient) -> None:
        client.views_publish(user_id=event["user"], view={
            "type": "home", "blocks": [section("3 Serienbriefe warten")]})

    server: WSGIServer = make_server("127.0.0.1", 0, SlackRequestHandler(app),
                                     handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/slack/events"
    server.shutdown()
    server.server_close()


def test_a_bolt_app_driven_by_the_client_sim(bolt_url: str, standin: SlackStandIn) -> None:
    with SlackClientSim(bolt_url, SECRET, standin, team_id=TEAM) as slack:
        assert slack.slash_command("/serienbrief", "Lindenhof", user_id=ANNA,
                                   channel_id=CHANNEL).status == 200
        view_id = standin.wait_for("views.open")[0].response["view"]["id"]
        assert slack.submit(view_id, user_id=ANNA, values={"notify": ["email"]}).status == 200
        assert standin.modal_stack(ANNA) == []
        posted = standin.wait_for("chat.postMessage")[0]
        assert slack.click("order", user_id=JUERGEN, channel=CHANNEL,
                           ts=posted.response["ts"]).status == 200
        standin.wait_for("response_url")
        assert standin.message(CHANNEL, posted.response["ts"]).text == "Versand beauftragt"
        assert slack.open_home(ANNA).status == 200
        standin.wait_for("views.publish")
    standin.assert_no_refusals()
    transcript = standin.transcript()
    assert "[Modal] Freigeben" in transcript and "[x] Per E-Mail" not in transcript
    assert "Freigegeben, E-Mail: True" in transcript and "original message replaced" in transcript


def test_the_app_refuses_bad_signatures_and_stale_requests(bolt_url: str,
                                                           standin: SlackStandIn) -> None:
    request = slash_command(command="/serienbrief", text="", user_id=ANNA, user_name="anna",
                            team_id=TEAM, team_domain="sonnenschein", channel_id=CHANNEL,
                            channel_name="serienbriefe", trigger_id=standin.new_trigger_id(ANNA),
                            response_url=standin.new_response_url(CHANNEL, ANNA),
                            api_app_id="A1")
    with SlackClientSim(bolt_url, SECRET, standin, team_id=TEAM) as slack:
        assert slack.send(request, secret="wrong-secret").status_code == 401
        assert slack.send(request, timestamp=int(time.time()) - 6 * 60).status_code == 401
        assert slack.url_verification("c4ll3ng3").response.json() == {"challenge": "c4ll3ng3"}


# ---------------------------------------------------------------- rendering


def test_render_text_of_a_sample_modal_reads_well() -> None:
    view = modal([
        {"type": "header", "text": {"type": "plain_text", "text": "Hausgeldabrechnung 2024"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Liegenschaft:* Lindenhof"},
                                       {"type": "mrkdwn", "text": "*Briefe:* 40"}]},
        {"type": "divider"},
        {"type": "input", "block_id": "filter", "label": {"type": "plain_text",
                                                           "text": "Empfänger"},
         "element": {"type": "static_select", "action_id": "filter",
                     "initial_option": option("pref", "Nach Präferenz"),
                     "options": [option("all", "Alle Kontakte"), option("pref", "Nach Präferenz"),
                                 option("unreg", "Nicht registrierte")]}},
        {"type": "input", "block_id": "notify", "label": {"type": "plain_text", "text": "Optionen"},
         "element": {"type": "checkboxes", "action_id": "notify",
                     "initial_options": [option("duplex", "Duplex")],
                     "options": [option("duplex", "Duplex"), option("color", "Farbdruck")]}},
        text_input("comment", "Kommentar", optional=True,
                   hint={"type": "plain_text", "text": "Wird im Thread gezeigt"}),
        {"type": "actions", "elements": [button("preview", "Vorschau"),
                                         button("delete", "Löschen", style="danger")]},
        {"type": "context", "elements": [{"type": "mrkdwn",
                                          "text": "Erstellt von <@U0ANNA001> · <https://x.example/b|Brief>"}]},
    ], title="Versand prüfen", submit={"type": "plain_text", "text": "Beauftragen"})
    text = render_text(view, {ANNA: "@anna"})
    assert text.splitlines()[0] == "[Modal] Versand prüfen"
    for expected in ("Hausgeldabrechnung 2024", "*Liegenschaft:* Lindenhof", "─" * 40,
                     ("Empfänger: [Nach Präferenz ▾] (Alle Kontakte · Nach Präferenz · "
                      "Nicht registrierte)"), "[x] Duplex", "[ ] Farbdruck",
                     "Kommentar (optional): ____", "(Wird im Thread gezeigt)",
                     "[Vorschau]  [Löschen]", "Erstellt von @anna · Brief (https://x.example/b)",
                     "[Abbrechen]  [Beauftragen]"):
        assert expected in text, f"{expected!r} missing in:\n{text}"
