"""What Slack sends TO the app, built and signed exactly as Slack does, and `SlackClientSim`,
which plays the Slack client: it posts those requests to the app's URL and takes trigger_ids,
response_urls, messages and views from the stand-in so clicks and submissions only touch
what the app really showed.

Signing: https://docs.slack.dev/authentication/verifying-requests-from-slack
Payloads: https://docs.slack.dev/reference/interaction-payloads (block_actions,
view_submission, view_closed, block_suggestion), slash commands
(https://docs.slack.dev/interactivity/implementing-slash-commands) and the Events API
(https://docs.slack.dev/apis/events-api).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, Self
from urllib.parse import urlencode

import httpx

from bot.slackstandin.validation import (
    Rejection,
    all_elements,
    check_options_response,
)

if TYPE_CHECKING:
    from bot.slackstandin.server import SlackStandIn

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


class SlackRequest(NamedTuple):
    """A request body as Slack would send it, and its content type."""

    body: bytes
    content_type: str


def sign(body: bytes, secret: str, timestamp: int) -> dict[str, str]:
    """Slack's signature headers: `v0=` HMAC-SHA256 of `v0:{timestamp}:{raw body}`."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    digest = hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


def _form(fields: Mapping[str, Any]) -> SlackRequest:
    return SlackRequest(urlencode({k: v for k, v in fields.items() if v is not None}).encode(),
                        FORM)


def _interactive(payload: Mapping[str, Any]) -> SlackRequest:
    """Interaction payloads travel as a form field `payload` holding JSON."""
    return _form({"payload": json.dumps(payload, ensure_ascii=False)})


# ---------------------------------------------------------------- builders


def slash_command(*, command: str, text: str, user_id: str, user_name: str, team_id: str,
                  team_domain: str, channel_id: str, channel_name: str, trigger_id: str,
                  response_url: str, api_app_id: str,
                  token: str = "unused-verification-token") -> SlackRequest:
    """A slash command invocation (form-encoded)."""
    return _form({"token": token, "team_id": team_id, "team_domain": team_domain,
                  "channel_id": channel_id, "channel_name": channel_name, "user_id": user_id,
                  "user_name": user_name, "command": command, "text": text,
                  "api_app_id": api_app_id, "is_enterprise_install": "false",
                  "response_url": response_url, "trigger_id": trigger_id})


def block_actions(*, user: Mapping[str, Any], team: Mapping[str, Any], api_app_id: str,
                  actions: Sequence[Mapping[str, Any]], trigger_id: str,
                  view: Mapping[str, Any] | None = None,
                  message: Mapping[str, Any] | None = None,
                  channel: Mapping[str, Any] | None = None, response_url: str | None = None,
                  token: str = "unused-verification-token") -> SlackRequest:
    """A block_actions payload from a message (with channel, response_url) or a view."""
    payload: dict[str, Any] = {
        "type": "block_actions", "user": dict(user), "api_app_id": api_app_id, "token": token,
        "trigger_id": trigger_id, "team": dict(team), "enterprise": None,
        "is_enterprise_install": False, "actions": [dict(a) for a in actions]}
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view["id"]}
        payload["view"] = dict(view)
    if message is not None:
        channel_id = (channel or {}).get("id")
        payload["container"] = {"type": "message", "message_ts": message["ts"],
                                "channel_id": channel_id, "is_ephemeral": False}
        payload.update(message=dict(message), channel=dict(channel or {}),
                       state={"values": {}}, response_url=response_url)
    return _interactive(payload)


def view_submission(*, user: Mapping[str, Any], team: Mapping[str, Any], api_app_id: str,
                    view: Mapping[str, Any], trigger_id: str,
                    response_urls: Sequence[Mapping[str, Any]] = (),
                    token: str = "unused-verification-token") -> SlackRequest:
    """A view_submission: the view with its id, hash, private_metadata and state.values."""
    return _interactive({"type": "view_submission", "team": dict(team), "user": dict(user),
                         "api_app_id": api_app_id, "token": token, "trigger_id": trigger_id,
                         "view": dict(view), "response_urls": list(response_urls),
                         "enterprise": None, "is_enterprise_install": False})


def view_closed(*, user: Mapping[str, Any], team: Mapping[str, Any], api_app_id: str,
                view: Mapping[str, Any], is_cleared: bool = False,
                token: str = "unused-verification-token") -> SlackRequest:
    """Sent when the user closes a modal whose view has notify_on_close."""
    return _interactive({"type": "view_closed", "team": dict(team), "user": dict(user),
                         "api_app_id": api_app_id, "token": token, "view": dict(view),
                         "is_cleared": is_cleared, "enterprise": None,
                         "is_enterprise_install": False})


def block_suggestion(*, user: Mapping[str, Any], team: Mapping[str, Any], api_app_id: str,
                     action_id: str, block_id: str, value: str,
                     view: Mapping[str, Any] | None = None,
                     token: str = "unused-verification-token") -> SlackRequest:
    """An options request for an external_select: `value` is what the user typed."""
    payload: dict[str, Any] = {"type": "block_suggestion", "user": dict(user),
                               "team": dict(team), "api_app_id": api_app_id, "token": token,
                               "action_id": action_id, "block_id": block_id, "value": value,
                               "enterprise": None, "is_enterprise_install": False}
    if view is not None:
        payload.update(container={"type": "view", "view_id": view["id"]}, view=dict(view))
    return _interactive(payload)


def event_callback(event: Mapping[str, Any], *, team_id: str, api_app_id: str,
                   bot_user_id: str, event_id: str, event_time: int,
                   token: str = "unused-verification-token") -> SlackRequest:
    """An Events API delivery (JSON)."""
    body = {"token": token, "team_id": team_id, "api_app_id": api_app_id, "event": dict(event),
            "type": "event_callback", "event_id": event_id, "event_time": event_time,
            "authorizations": [{"enterprise_id": None, "team_id": team_id,
                                "user_id": bot_user_id, "is_bot": True,
                                "is_enterprise_install": False}],
            "is_ext_shared_channel": False}
    return SlackRequest(json.dumps(body, ensure_ascii=False).encode("utf-8"), JSON)


def app_home_opened(*, user_id: str, channel_id: str, event_ts: str,
                    view: Mapping[str, Any] | None = None, tab: str = "home") -> dict[str, Any]:
    """The app_home_opened event (wrap it with `event_callback`)."""
    event: dict[str, Any] = {"type": "app_home_opened", "user": user_id, "channel": channel_id,
                             "tab": tab, "event_ts": event_ts}
    if view is not None:
        event["view"] = dict(view)
    return event


def url_verification(challenge: str, token: str = "unused-verification-token") -> SlackRequest:
    """The handshake Slack sends when the Events request URL is configured."""
    body = {"token": token, "challenge": challenge, "type": "url_verification"}
    return SlackRequest(json.dumps(body).encode(), JSON)


# ---------------------------------------------------------------- what users pick


def action_for(block: Mapping[str, Any], element: Mapping[str, Any], choice: Any,
               action_ts: str) -> dict[str, Any]:
    """The `actions[0]` entry Slack sends when a user uses `element`; `choice` is the option
    value(s), user/channel id(s), date or text the user picked."""
    action: dict[str, Any] = {"type": element["type"], "action_id": element.get("action_id"),
                              "block_id": block.get("block_id"), "action_ts": action_ts}
    kind = str(element["type"])
    if kind == "button":
        action["text"] = element.get("text")
        if "value" in element:
            action["value"] = element["value"]
        if "style" in element:
            action["style"] = element["style"]
        return action
    action.update(selection(element, choice))
    return action


def selection(element: Mapping[str, Any], choice: Any) -> dict[str, Any]:
    """The part of an action or state value that says what was chosen, keyed as Slack keys it."""
    kind = str(element["type"])
    if kind in ("static_select", "radio_buttons", "overflow", "external_select"):
        return {"selected_option": _option(element, choice) if choice is not None else None}
    if kind in ("multi_static_select", "checkboxes", "multi_external_select"):
        return {"selected_options": [_option(element, c) for c in _as_list(choice)]}
    picked = {"users_select": "selected_user", "conversations_select": "selected_conversation",
              "channels_select": "selected_channel", "datepicker": "selected_date",
              "timepicker": "selected_time", "datetimepicker": "selected_date_time",
              "multi_users_select": "selected_users",
              "multi_conversations_select": "selected_conversations",
              "multi_channels_select": "selected_channels", "file_input": "files"}
    if kind in picked:
        value = _as_list(choice) if kind.startswith("multi_") or kind == "file_input" else choice
        return {picked[kind]: value}
    return {"value": choice}


def _as_list(choice: Any) -> list[Any]:
    if choice is None:
        return []
    return list(choice) if isinstance(choice, (list, tuple, set)) else [choice]


def _option(element: Mapping[str, Any], value: Any) -> dict[str, Any]:
    """The offered option with this value; a user cannot pick what the element does not offer."""
    if isinstance(value, Mapping):
        return dict(value)  # external selects: the app supplied the option
    offered = list(element.get("options") or []) + [
        o for g in element.get("option_groups") or [] for o in g.get("options") or []]
    for candidate in offered:
        if candidate.get("value") == value:
            return dict(candidate)
    if str(element.get("type")).endswith("external_select"):
        return {"text": {"type": "plain_text", "text": str(value)}, "value": str(value)}
    raise ValueError(f"{element.get('action_id')!r} offers no option {value!r}; offered: "
                     f"{[o.get('value') for o in offered]}")


def state_values(blocks: Sequence[Any], inputs: Mapping[str, Any]) -> dict[str, Any]:
    """view.state.values for the input blocks, filled from `inputs` (keyed by block_id or
    action_id) or the elements' initial values. Raises ValueError where Slack's client would
    refuse to submit: a required input left empty."""
    values: dict[str, Any] = {}
    for block, element in all_elements(blocks):
        if block.get("type") != "input":
            continue
        key_hit = [k for k in (block.get("block_id"), element.get("action_id")) if k in inputs]
        choice = inputs[key_hit[0]] if key_hit else _initial(element)
        if _empty(choice) and not block.get("optional"):
            raise ValueError(f"input {block.get('block_id')!r} ({_label(block)}) is required; "
                             "Slack's client would not submit the form")
        entry = {"type": element["type"], **selection(element, choice)}
        values.setdefault(str(block.get("block_id")), {})[str(element.get("action_id"))] = entry
    return values


def _initial(element: Mapping[str, Any]) -> Any:
    for key in ("initial_value", "initial_date", "initial_time", "initial_date_time",
                "initial_user", "initial_conversation", "initial_channel", "initial_users",
                "initial_conversations", "initial_channels"):
        if key in element:
            return element[key]
    if "initial_option" in element:
        return element["initial_option"].get("value")
    if "initial_options" in element:
        return [o.get("value") for o in element["initial_options"]]
    return None


def _empty(choice: Any) -> bool:
    return choice is None or choice == "" or choice == [] or choice == ()


def _label(block: Mapping[str, Any]) -> str:
    label = block.get("label")
    return str(label.get("text")) if isinstance(label, Mapping) else ""


# ---------------------------------------------------------------- the client


@dataclass
class Interaction:
    """What one simulated user action produced."""

    response: httpx.Response
    payload: Any = None
    trigger_id: str | None = None
    response_url: str | None = None
    refusal: Rejection | None = None  # Slack would refuse the app's immediate answer

    @property
    def status(self) -> int:
        return self.response.status_code


class SlackClientSim:
    """Plays Slack toward the app: signed requests to `app_url`, ids from the stand-in.

    `secret` and `timestamp` overrides on `send` let tests check that the app answers 401 to a
    wrong signature or a request older than five minutes. With `socket_mode`, requests travel as
    envelopes over the stand-in's Socket Mode connection instead (no URL, no signature).
    """

    def __init__(self, app_url: str, signing_secret: str, standin: SlackStandIn, *,
                 team_id: str, clock: Callable[[], float] = time.time, timeout: float = 10.0,
                 socket_mode: bool = False):
        self.socket_mode = socket_mode
        self.timeout = timeout
        self.app_url = app_url
        self.signing_secret = signing_secret
        self.standin = standin
        self.team_id = team_id
        self.clock = clock
        self.http = httpx.Client(timeout=timeout)
        self._events = 0

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ transport

    def send(self, request: SlackRequest, *, secret: str | None = None,
             timestamp: int | None = None, retry_num: int | None = None,
             retry_reason: str | None = None) -> httpx.Response:
        """POST a request signed with the signing secret (or `secret`) at `timestamp`; in Socket
        Mode, deliver it over the app's connection and wait for the ack."""
        if self.socket_mode:
            return self.standin.socket.deliver(request, retry_num=retry_num, retry_reason=retry_reason,
                                               timeout=self.timeout)
        stamp = int(self.clock()) if timestamp is None else timestamp
        headers = {"Content-Type": request.content_type,
                   **sign(request.body, secret or self.signing_secret, stamp)}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        return self.http.post(self.app_url, content=request.body, headers=headers)

    # ------------------------------------------------------------ who is who

    def _user(self, user_id: str) -> dict[str, Any]:
        user = self.standin.user(user_id)
        return {"id": user.id, "username": user.name, "name": user.name, "team_id": user.team_id}

    def _team(self) -> dict[str, Any]:
        team = self.standin.team(self.team_id)
        return {"id": team.id, "domain": team.domain}

    @property
    def _app_id(self) -> str:
        return self.standin.app_id

    # ------------------------------------------------------------ user actions

    def slash_command(self, command: str, text: str = "", *, user_id: str,
                      channel_id: str) -> Interaction:
        """The user types `command text` in a channel; the immediate answer is checked as a
        message (an ephemeral reply to that user)."""
        trigger_id = self.standin.new_trigger_id(user_id, team_id=self.team_id)
        response_url = self.standin.new_response_url(channel_id, user_id, team_id=self.team_id)
        channel = self.standin.channel(channel_id)
        request = slash_command(command=command, text=text, user_id=user_id,
                                user_name=self.standin.user(user_id).name, team_id=self.team_id,
                                team_domain=self._team()["domain"], channel_id=channel_id,
                                channel_name=channel.name if channel else "directmessage",
                                trigger_id=trigger_id, response_url=response_url,
                                api_app_id=self._app_id)
        response = self.send(request)
        refusal = self.standin.accept_immediate_reply(channel_id, user_id, response)
        return Interaction(response, None, trigger_id, response_url, refusal)

    def click(self, action_id: str, *, user_id: str, channel: str | None = None,
              ts: str | None = None, view_id: str | None = None, block_id: str | None = None,
              choice: Any = None) -> Interaction:
        """The user uses the element `action_id` in a message (channel, ts) or a view; it must
        be there, as the app last left it."""
        if view_id is not None:
            return self._click_in_view(action_id, user_id, view_id, block_id, choice)
        if channel is None or ts is None:
            raise ValueError("click needs channel and ts of a message, or a view_id")
        message = self.standin.message(channel, ts)
        block, element = _find_element(message.blocks, action_id, block_id, where=f"{channel}/{ts}")
        trigger_id = self.standin.new_trigger_id(user_id, team_id=self.team_id)
        response_url = self.standin.new_response_url(channel, user_id, message_ts=ts,
                                                     team_id=self.team_id)
        known = self.standin.channel(channel)
        request = block_actions(
            user=self._user(user_id), team=self._team(), api_app_id=self._app_id,
            actions=[action_for(block, element, choice, f"{self.clock():.6f}")],
            trigger_id=trigger_id, message=message.as_slack(), response_url=response_url,
            channel={"id": channel, "name": known.name if known else ""})
        return Interaction(self.send(request), None, trigger_id, response_url)

    def _click_in_view(self, action_id: str, user_id: str, view_id: str, block_id: str | None,
                       choice: Any) -> Interaction:
        view = self.standin.view(view_id)
        block, element = _find_element(view.get("blocks") or [], action_id, block_id,
                                       where=f"view {view_id}")
        trigger_id = self.standin.new_trigger_id(user_id, team_id=self.team_id, view_id=view_id)
        request = block_actions(
            user=self._user(user_id), team=self._team(), api_app_id=self._app_id,
            actions=[action_for(block, element, choice, f"{self.clock():.6f}")],
            trigger_id=trigger_id, view=view)
        return Interaction(self.send(request), None, trigger_id)

    def submit(self, view_id: str, *, user_id: str,
               values: Mapping[str, Any] | None = None) -> Interaction:
        """The user fills the modal's inputs (keyed by block_id or action_id) and presses
        submit; the app's answer (response_action …) is checked and applied to the stand-in."""
        view = self.standin.view(view_id)
        if view.get("type") != "modal" or "submit" not in view:
            raise ValueError(f"view {view_id} has no submit button")
        state = state_values(view.get("blocks") or [], values or {})
        self.standin.record_view_state(view_id, state)
        view = self.standin.view(view_id)
        trigger_id = self.standin.new_trigger_id(user_id, team_id=self.team_id, view_id=view_id)
        response = self.send(view_submission(user=self._user(user_id), team=self._team(),
                                             api_app_id=self._app_id, view=view,
                                             trigger_id=trigger_id))
        body = _json_or_none(response) if response.content else None
        refusal = self.standin.apply_submission_response(view_id, body) \
            if response.status_code == 200 else None
        return Interaction(response, body, trigger_id, None, refusal)

    def close_modal(self, view_id: str, *, user_id: str, clear: bool = False) -> Interaction | None:
        """The user closes the modal; view_closed is only sent when notify_on_close is set."""
        view = self.standin.view(view_id)
        self.standin.close_view(view_id, clear=clear)
        if not view.get("notify_on_close"):
            return None
        request = view_closed(user=self._user(user_id), team=self._team(),
                              api_app_id=self._app_id, view=view, is_cleared=clear)
        return Interaction(self.send(request))

    def type_in_select(self, action_id: str, query: str, *, user_id: str,
                       view_id: str) -> Interaction:
        """The user types into an external_select; the app's options answer is checked."""
        view = self.standin.view(view_id)
        block, element = _find_element(view.get("blocks") or [], action_id, None,
                                       where=f"view {view_id}")
        minimum = int(element.get("min_query_length", 3))
        if len(query) < minimum:
            raise ValueError(f"Slack only asks for options after {minimum} characters")
        request = block_suggestion(user=self._user(user_id), team=self._team(),
                                   api_app_id=self._app_id, action_id=action_id,
                                   block_id=str(block.get("block_id")), value=query, view=view)
        response = self.send(request)
        body = _json_or_none(response)
        refusal = check_options_response(body) if response.status_code == 200 else None
        return Interaction(response, body, refusal=refusal)

    def open_home(self, user_id: str, *, retry_num: int | None = None) -> Interaction:
        """The user opens the app's Home tab (an app_home_opened event)."""
        channel = self.standin.dm_channel(self.team_id, user_id)
        current = self.standin.home_view(user_id, self.team_id)
        event = app_home_opened(user_id=user_id, channel_id=channel.id,
                                event_ts=f"{self.clock():.6f}", view=current)
        return self.event(event, retry_num=retry_num)

    def event(self, event: Mapping[str, Any], *, retry_num: int | None = None,
              retry_reason: str | None = None, event_id: str | None = None) -> Interaction:
        """Deliver an Events API event; pass the same event_id with retry_num for a retry."""
        self._events += 1
        bot = self.standin.team(self.team_id)
        request = event_callback(event, team_id=self.team_id, api_app_id=self._app_id,
                                 bot_user_id=bot.bot_user_id,
                                 event_id=event_id or f"Ev{self._events:08d}",
                                 event_time=int(self.clock()))
        return Interaction(self.send(request, retry_num=retry_num, retry_reason=retry_reason),
                           json.loads(request.body))

    def url_verification(self, challenge: str) -> Interaction:
        return Interaction(self.send(url_verification(challenge)))


def _find_element(blocks: Sequence[Any], action_id: str, block_id: str | None,
                  where: str) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    for block, element in all_elements(blocks):
        if element.get("action_id") == action_id and block_id in (None, block.get("block_id")):
            return block, element
    shown = [e.get("action_id") for _, e in all_elements(blocks)]
    raise LookupError(f"no element {action_id!r} in {where}; the user sees {shown}")


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text or None

