"""`SlackStandIn`: a local HTTP server that speaks Slack's Web API, takes `response_url` posts
and file uploads, records every call and refuses what Slack would refuse.

Tests and `briefwerk demo` point slack_sdk's `WebClient(base_url=standin.api_url)` at it, so
they never reach slack.com; `transcript()` shows what users would have seen.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from bot.slackstandin.methods import APP_TOKEN_METHODS, METHODS, NO_TOKEN_METHODS, ApiError, Call, flag
from bot.slackstandin.render import render_call
from bot.slackstandin.socket import SocketModeStandIn
from bot.slackstandin.validation import (
    Problem,
    Rejection,
    check_message,
    check_submission_response,
    wants_delete,
)
from bot.slackstandin.workspace import (
    MODAL_STACK_LIMIT,
    RESPONSE_URL_LIFETIME_S,
    RESPONSE_URL_USES,
    Channel,
    Message,
    OAuthCode,
    ResponseUrl,
    Team,
    Token,
    Trigger,
    UploadedFile,
    User,
    View,
    Workspace,
    iter_messages,
    with_generated_ids,
)

JSON_PARAMS = {"blocks": "invalid_blocks_format", "attachments": "invalid_attachments",
               "view": "invalid_arguments", "files": "invalid_arguments",
               "metadata": "invalid_metadata_format"}


@dataclass(frozen=True)
class RecordedCall:
    """One request the app made: a Web API method, a response_url post or a file upload."""

    method: str
    params: dict[str, Any]
    token: str | None
    response: dict[str, Any]
    status: int = 200
    at: float = 0.0
    channel: str | None = None  # where a response_url post landed
    user: str | None = None     # who a response_url post was for

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        return None if self.ok else str(self.response.get("error"))

    def problems(self) -> list[str]:
        """Slack's `response_metadata.messages` of a refused call."""
        return list(self.response.get("response_metadata", {}).get("messages", []))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    standin: SlackStandIn


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, content_type, payload, *extra = self.server.standin._route(
            self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (extra[0] if extra else {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        return


@dataclass
class _Parsed:
    params: dict[str, Any] = field(default_factory=dict)
    token: str | None = None
    error: str | None = None


class SlackStandIn:
    """A Slack Web API stand-in on 127.0.0.1 with its own state; use as a context manager.

    Register who exists (`add_token`, `add_user`, `add_channel`), hand out what Slack would
    hand the app (`new_trigger_id`, `new_response_url`, `issue_oauth_code`), then inspect
    `calls`, `messages()`, `view()`, `files` or `transcript()`.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time, app_id: str = "A0STANDIN1"):
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._calls: list[RecordedCall] = []
        self.ws = Workspace(clock=clock, app_id=app_id)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._rate_limits: dict[str, tuple[int, int]] = {}  # method -> (answers left, Retry-After seconds)
        self.socket = SocketModeStandIn(self._admit)

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` get Slack's HTTP 429 with Retry-After, as a busy
        workspace's do (https://docs.slack.dev/apis/web-api/rate-limits)."""
        with self._lock:
            self._rate_limits[method] = (times, retry_after)

    # ------------------------------------------------------------ lifecycle

    def start(self, port: int = 0) -> SlackStandIn:
        """Listens on 127.0.0.1:`port` (0: any free port)."""
        server = _Server(("127.0.0.1", port), _Handler)
        server.standin = self
        server.timeout = 0.05
        self._server = server
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(server, self._stopping),
                                        name="slack-standin", daemon=True)
        self._thread.start()
        self.socket.start()
        with self._lock:
            self.ws.socket_url = self.socket.base_url
        return self

    @staticmethod
    def _serve(server: _Server, stopping: threading.Event) -> None:
        # Our own loop instead of serve_forever: stop() then never waits unboundedly, even
        # when called while the interpreter shuts down.
        while not stopping.is_set():
            server.handle_request()

    def stop(self) -> None:
        if self._server is None:
            return
        self.socket.stop()
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server.server_close()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the stand-in is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        """The `base_url` for slack_sdk's WebClient (ends with a slash, as it expects)."""
        return f"{self.base_url}/api/"

    # ------------------------------------------------------------ who exists

    def add_team(self, team_id: str, name: str, domain: str | None = None) -> None:
        with self._lock:
            team = self.ws.team(team_id)
            team.name, team.domain = name, domain or team.domain

    def add_token(self, token: str, team_id: str, bot_user_id: str | None = None,
                  scopes: tuple[str, ...] = ("chat:write", "commands", "users:read",
                                             "files:write", "im:write")) -> Token:
        """Accept `token` as the bot token of `team_id` (registers the bot user too)."""
        with self._lock:
            team = self.ws.ensure_bot(team_id, bot_user_id)
            registered = Token(token, team_id, team.bot_user_id, team.bot_id, tuple(scopes))
            self.ws.tokens[token] = registered
            return registered

    def add_app_token(self, token: str, team_id: str) -> Token:
        """Accept `token` as the app-level token (xapp-…, connections:write) Socket Mode needs."""
        with self._lock:
            registered = Token(token, team_id, "", "", ("connections:write",), kind="app")
            self.ws.tokens[token] = registered
            return registered

    def _admit(self, ticket: str) -> str | None:
        """The app id a Socket Mode ticket was issued for; each ticket opens one connection."""
        with self._lock:
            return self.ws.socket_tickets.pop(ticket, None)

    def add_user(self, user_id: str, name: str, real_name: str, email: str = "", *,
                 team_id: str | None = None, is_restricted: bool = False, is_bot: bool = False,
                 tz: str = "Europe/Berlin", is_admin: bool = False, single_channel_guest: bool = False) -> User:
        """`is_restricted`: a guest; `single_channel_guest`: one who sees one channel only (Slack
        sets is_restricted and is_ultra_restricted for them)."""
        with self._lock:
            team = team_id or next(iter(self.ws.teams), "T0STANDIN")
            user = User(user_id, team, name, real_name, email, is_restricted or single_channel_guest, is_bot, tz,
                        is_admin, is_ultra_restricted=single_channel_guest)
            self.ws.users[user_id] = user
            return user

    def add_channel(self, channel_id: str, name: str, *, team_id: str | None = None,
                    is_private: bool = False, bot_is_member: bool = True) -> Channel:
        with self._lock:
            team = team_id or next(iter(self.ws.teams), "T0STANDIN")
            channel = Channel(channel_id, team, name, is_private=is_private,
                              bot_is_member=bot_is_member, created=int(self.ws.clock()))
            self.ws.channels[channel_id] = channel
            return channel

    def set_oauth_client(self, client_id: str, client_secret: str) -> None:
        """Make oauth.v2.access check the app's client credentials."""
        with self._lock:
            self.ws.oauth_client = (client_id, client_secret)

    # ------------------------------------------------------------ what Slack hands the app

    def new_trigger_id(self, user_id: str, *, team_id: str | None = None,
                       view_id: str | None = None) -> str:
        """A trigger the app may exchange once within 3 s; `view_id` when the click happened
        inside a modal (views.push then pushes onto that modal's stack)."""
        with self._lock:
            team = team_id or self._team_of(user_id)
            trigger_id = f"{int(self.ws.clock())}.{self.ws.next_id('', 8)}.{secrets.token_hex(8)}"
            self.ws.triggers[trigger_id] = Trigger(trigger_id, team, user_id, self.ws.clock(),
                                                   view_id)
            return trigger_id

    def new_response_url(self, channel_id: str = "", user_id: str = "", *,
                         message_ts: str | None = None, team_id: str | None = None) -> str:
        """A response_url for an interaction in `channel_id` by `user_id`; `message_ts` names
        the message replace_original/delete_original act on. Without a channel, posts are
        checked and recorded but land nowhere."""
        with self._lock:
            hook = ResponseUrl(secrets.token_urlsafe(16), team_id or self._team_of(user_id),
                               channel_id, user_id, message_ts, self.ws.clock())
            self.ws.response_urls[hook.id] = hook
            return f"{self.base_url}/actions/{hook.team_id}/{hook.id}"

    def issue_oauth_code(self, team_id: str, user_id: str, scopes: tuple[str, ...] | list[str],
                         *, user_scopes: tuple[str, ...] = (),
                         redirect_uri: str | None = None) -> str:
        """A code as Slack's OAuth redirect would deliver it, for oauth.v2.access."""
        with self._lock:
            code = f"{team_id}.{secrets.token_hex(10)}"
            self.ws.oauth_codes[code] = OAuthCode(code, team_id, user_id, tuple(scopes),
                                                  tuple(user_scopes), redirect_uri)
            return code

    def _team_of(self, user_id: str) -> str:
        user = self.ws.users.get(user_id)
        return user.team_id if user else next(iter(self.ws.teams), "T0STANDIN")

    # ------------------------------------------------------------ what happened

    @property
    def calls(self) -> list[RecordedCall]:
        """A snapshot of all recorded calls, oldest first."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[RecordedCall]:
        return [call for call in self.calls if call.method == method]

    def last_call(self, method: str) -> RecordedCall:
        found = self.calls_to(method)
        if not found:
            raise AssertionError(f"no call to {method}; calls so far: "
                                 f"{[c.method for c in self.calls]}")
        return found[-1]

    def refused_calls(self) -> list[RecordedCall]:
        """Calls Slack would have refused: the first thing to look at when a test fails."""
        return [call for call in self.calls if not call.ok]

    def assert_no_refusals(self) -> None:
        refused = self.refused_calls()
        if refused:
            details = "\n".join(f"{c.method}: {c.error}\n  " + "\n  ".join(c.problems())
                                for c in refused)
            raise AssertionError(f"Slack would have refused {len(refused)} call(s):\n{details}")

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[RecordedCall]:
        """Block until `count` calls to `method` arrived (listeners often run after the ack)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len([c for c in self._calls if c.method == method]) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"waited {timeout} s for {count} call(s) to {method}; "
                                         f"got {[c.method for c in self._calls]}")
                self._changed.wait(remaining)
            return [c for c in self._calls if c.method == method]

    def messages(self, channel: str | None = None) -> list[Message]:
        """Messages currently in a channel (or everywhere), oldest first; no ephemerals."""
        with self._lock:
            return list(iter_messages(self.ws.messages, channel))

    def message(self, channel: str, ts: str) -> Message:
        with self._lock:
            return self.ws.messages[(channel, ts)]

    def thread(self, channel: str, thread_ts: str) -> list[Message]:
        """The parent and its replies, in order."""
        with self._lock:
            parent = self.ws.messages[(channel, thread_ts)]
            return [parent] + [self.ws.messages[(channel, ts)] for ts in parent.replies
                               if (channel, ts) in self.ws.messages]

    def ephemerals(self, user_id: str | None = None) -> list[Message]:
        with self._lock:
            return [m for m in self.ws.ephemerals if user_id in (None, m.ephemeral_to)]

    def view(self, view_id: str) -> dict[str, Any]:
        """A view as Slack would send it in payloads (id, hash, state …)."""
        with self._lock:
            view = self.ws.views[view_id]
            return view.as_slack(self.ws.app_id, self.ws.ensure_bot(view.team_id).bot_id)

    def home_view(self, user_id: str, team_id: str | None = None) -> dict[str, Any] | None:
        with self._lock:
            view_id = self.ws.home_views.get((team_id or self._team_of(user_id), user_id))
            return self.view(view_id) if view_id else None

    def modal_stack(self, user_id: str) -> list[dict[str, Any]]:
        """The user's open modal views, root first (empty when no modal is open)."""
        with self._lock:
            stack = self.ws.user_stack(user_id) or []
            return [self.view(view_id) for view_id in stack]

    @property
    def files(self) -> dict[str, UploadedFile]:
        with self._lock:
            return dict(self.ws.files)

    def user(self, user_id: str) -> User:
        with self._lock:
            return self.ws.users[user_id]

    def channel(self, channel_id: str) -> Channel | None:
        with self._lock:
            return self.ws.channels.get(channel_id)

    def team(self, team_id: str) -> Team:
        """The team, with its bot user registered (created on first use)."""
        with self._lock:
            return self.ws.ensure_bot(team_id)

    def dm_channel(self, team_id: str, user_id: str) -> Channel:
        """The app's DM with a user, as conversations.open would return it."""
        with self._lock:
            return self.ws.open_dm(team_id, user_id)

    @property
    def app_id(self) -> str:
        return self.ws.app_id

    def transcript(self) -> str:
        """What users would have seen, call by call, as readable text."""
        with self._lock:
            names = {**{c.id: f"#{c.name}" if not c.is_im else f"DM @{self._user_name(c.im_user)}"
                        for c in self.ws.channels.values()},
                     **{u.id: f"@{u.name}" for u in self.ws.users.values()}}
        parts = [render_call(call, names) for call in self.calls]
        return "\n\n".join(part for part in parts if part)

    def _user_name(self, user_id: str) -> str:
        user = self.ws.users.get(user_id)
        return user.name if user else user_id

    # ------------------------------------------------------------ modal lifecycle (for the sim)

    def record_view_state(self, view_id: str, values: Mapping[str, Any]) -> None:
        """Keep what the user entered, as Slack keeps state.values between interactions."""
        with self._lock:
            self.ws.views[view_id].state_values = dict(values)

    def apply_submission_response(self, view_id: str, body: Any) -> Rejection | None:
        """Do to the modal stack what Slack does with the app's view_submission answer:
        close the view, show errors, update, push or clear. Refused answers are recorded."""
        with self._lock:
            view = self.ws.views[view_id]
            rejection = check_submission_response(body, view.definition)
            pushing = isinstance(body, Mapping) and body.get("response_action") == "push"
            if rejection is None and pushing and len(self.ws.stack_of(view)) >= MODAL_STACK_LIMIT:
                rejection = Rejection("push_limit_reached", (Problem(
                    "/response_action", "push_limit_reached",
                    "a modal stack holds the root view and at most 2 pushed views "
                    "(https://docs.slack.dev/reference/methods/views.push)"),))
            if rejection is None:
                self._apply_response_action(view, body or {})
            self._record(RecordedCall("view_submission.response", {"view_id": view_id,
                                                                    "body": body}, None,
                                      rejection.as_response() if rejection else {"ok": True},
                                      at=self.ws.clock()))
            return rejection

    def _apply_response_action(self, view: View, body: Mapping[str, Any]) -> None:
        action = body.get("response_action")
        if action is None:
            self.ws.pop_view(view)
        elif action == "clear":
            self.ws.close_stack(view.root_view_id or view.id)
        elif action == "update":
            definition = dict(body["view"])
            definition["blocks"] = with_generated_ids(definition.get("blocks") or [])
            view.definition, view.hash = definition, self.ws.new_hash()
        elif action == "push":
            self._push_from_submission(view, dict(body["view"]))

    def _push_from_submission(self, view: View, definition: dict[str, Any]) -> None:
        stack = self.ws.stack_of(view)
        definition["blocks"] = with_generated_ids(definition.get("blocks") or [])
        pushed = View(self.ws.next_id("V"), view.team_id, view.user_id, definition,
                      self.ws.new_hash(), root_view_id=stack[0], previous_view_id=view.id)
        self.ws.views[pushed.id] = pushed
        stack.append(pushed.id)

    def accept_immediate_reply(self, channel_id: str, user_id: str,
                               response: Any) -> Rejection | None:
        """The app's HTTP answer to a slash command, which Slack shows the user as a message:
        plain text, or JSON checked like any message. `response` is an httpx.Response."""
        if response.status_code != 200 or not response.content:
            return None
        try:
            body = response.json()
        except ValueError:
            body = {"text": response.text}
        params = body if isinstance(body, dict) else {"text": str(body)}
        rejection = check_message(params)
        with self._lock:
            team_id = self._team_of(user_id)
            if rejection is None:
                hook = ResponseUrl("immediate", team_id, channel_id, user_id, None,
                                   self.ws.clock())
                self._apply_response_url(hook, params)
            self._record(RecordedCall("command.reply", params, None,
                                      rejection.as_response() if rejection else {"ok": True},
                                      at=self.ws.clock(), channel=channel_id, user=user_id))
        return rejection

    def close_view(self, view_id: str, *, clear: bool = False) -> None:
        """The user closed a modal view (its Close button, or Escape)."""
        with self._lock:
            view = self.ws.views[view_id]
            if clear:
                self.ws.close_stack(view.root_view_id or view.id)
            else:
                self.ws.pop_view(view)

    # ------------------------------------------------------------ HTTP routing

    def _route(self, verb: str, target: str, headers: Mapping[str, str],
               body: bytes) -> tuple[Any, ...]:
        parts = urlsplit(target)
        path = parts.path
        if path.startswith("/api/"):
            return self._web_api(path[len("/api/"):], parts.query, headers, body)
        if path.startswith("/upload/v1/") and verb == "POST":
            return self._upload(path[len("/upload/v1/"):], headers, body)
        if path.startswith("/actions/") and verb == "POST":
            return self._response_url(path.rsplit("/", 1)[-1], headers, body)
        if path.startswith("/files-pri/") and verb == "GET":
            return self._private_file(path, headers)
        return 404, "text/plain; charset=utf-8", b"not_found"

    def user_upload(self, user_id: str, filename: str, content: bytes, *, team_id: str | None = None) -> dict[str, Any]:
        """A file the user put into a modal's file_input: the file object Slack hands the app
        in `state.values`, downloadable with a bot token from `url_private_download`."""
        with self._lock:
            team = team_id or self._team_of(user_id)
            upload = UploadedFile(self.ws.next_id("F", 11), team, user_id, filename, len(content),
                                  content=content, completed=True)
            self.ws.files[upload.id] = upload
        url = f"{self.base_url}/files-pri/{team}-{upload.id}/{filename}"
        return {**upload.as_slack(), "url_private": url, "url_private_download": url + "?download=1"}

    def _private_file(self, path: str, headers: Mapping[str, str]) -> tuple[int, str, bytes]:
        """Slack serves private files only with a valid token in the Authorization header."""
        token = headers.get("authorization", "").removeprefix("Bearer ").strip()
        with self._lock:
            if token not in self.ws.tokens:
                return 403, "text/plain; charset=utf-8", b"forbidden"
            file_id = path.split("/")[2].split("-", 1)[-1]
            upload = self.ws.files.get(file_id)
        if upload is None or upload.content is None:
            return 404, "text/plain; charset=utf-8", b"not_found"
        return 200, "application/octet-stream", upload.content

    def _web_api(self, method: str, query: str, headers: Mapping[str, str],
                 body: bytes) -> tuple[Any, ...]:
        parsed = _parse_request(query, headers, body)
        with self._lock:
            left, retry_after = self._rate_limits.get(method, (0, 0))
            if left > 0:
                self._rate_limits[method] = (left - 1, retry_after)
                answer = {"ok": False, "error": "ratelimited"}
                self._record(RecordedCall(method, parsed.params, parsed.token, answer, status=429, at=self.ws.clock()))
                return 429, "application/json; charset=utf-8", json.dumps(answer).encode(), {"Retry-After": str(retry_after)}
            answer = self._dispatch(method, parsed, headers)
            self._record(RecordedCall(method, parsed.params, parsed.token, answer,
                                      at=self.ws.clock(), user=self._viewer(answer)))
        return 200, "application/json; charset=utf-8", json.dumps(answer).encode("utf-8")

    def _dispatch(self, method: str, parsed: _Parsed,
                  headers: Mapping[str, str]) -> dict[str, Any]:
        if parsed.error:
            return {"ok": False, "error": parsed.error}
        implementation = METHODS.get(method)
        if implementation is None:
            return {"ok": False, "error": "unknown_method", "req_method": method}
        token = self.ws.tokens.get(parsed.token or "")
        if method not in NO_TOKEN_METHODS:
            if not parsed.token:
                return {"ok": False, "error": "not_authed"}
            if token is None:
                return {"ok": False, "error": "invalid_auth"}
            if (token.kind == "app") != (method in APP_TOKEN_METHODS):
                return {"ok": False, "error": "not_allowed_token_type"}
        call = Call(method, parsed.params, token, self.base_url,
                    authorization=headers.get("authorization", ""))
        try:
            return {"ok": True, **implementation(self.ws, call)}
        except ApiError as refusal:
            return refusal.rejection.as_response()

    def _viewer(self, answer: Mapping[str, Any]) -> str | None:
        """Who sees the view a views.* call returned (for the transcript)."""
        view = answer.get("view")
        stored = self.ws.views.get(view.get("id", "")) if isinstance(view, Mapping) else None
        return stored.user_id if stored else None

    def _record(self, call: RecordedCall) -> None:
        with self._changed:
            self._calls.append(call)
            self._changed.notify_all()

    def _upload(self, ticket: str, headers: Mapping[str, str],
                body: bytes) -> tuple[int, str, bytes]:
        """The POST to an upload_url: raw bytes (as slack_sdk sends) or a multipart file."""
        content = _uploaded_bytes(headers, body)
        with self._lock:
            file_id = self.ws.uploads.pop(ticket, None)
            upload = self.ws.files.get(file_id or "")
            if upload is None:
                status, answer = 404, {"ok": False, "error": "upload_url_not_found"}
            else:
                upload.content = content
                status, answer = 200, {"ok": True, "file_id": upload.id, "size": len(content),
                                       "declared_length": upload.length}
            self._record(RecordedCall("upload", {"file_id": file_id, "size": len(content)},
                                      None, answer, status=status, at=self.ws.clock()))
        text = f"OK - {len(content)}" if status == 200 else "upload_url_not_found"
        return status, "text/plain; charset=utf-8", text.encode("utf-8")

    def _response_url(self, hook_id: str, headers: Mapping[str, str],
                      body: bytes) -> tuple[int, str, bytes]:
        """A post to a response_url: JSON with text/blocks and replace/delete_original."""
        with self._lock:
            hook = self.ws.response_urls.get(hook_id)
            params, status, answer = self._answer_response_url(hook, headers, body)
            self._record(RecordedCall("response_url", params, None, answer, status=status,
                                      at=self.ws.clock(),
                                      channel=hook.channel_id if hook else None,
                                      user=hook.user_id if hook else None))
        return status, "application/json; charset=utf-8", json.dumps(answer).encode("utf-8")

    def _answer_response_url(self, hook: ResponseUrl | None, headers: Mapping[str, str],
                             body: bytes) -> tuple[dict[str, Any], int, dict[str, Any]]:
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            return {}, 400, {"ok": False, "error": "invalid_payload"}
        if not isinstance(params, dict):
            return {}, 400, {"ok": False, "error": "invalid_payload"}
        if hook is None:
            return params, 404, {"ok": False, "error": "expired_url"}
        expired = self.ws.clock() - hook.issued_at > RESPONSE_URL_LIFETIME_S
        if expired or hook.uses >= RESPONSE_URL_USES:
            return params, 404, {"ok": False, "error": "expired_url",
                                 "response_metadata": {"messages": [
                                     "a response_url works 5 times within 30 minutes"]}}
        if not wants_delete(params):
            rejection = check_message(params)
            if rejection is not None:
                return params, 400, rejection.as_response()
        hook.uses += 1
        self._apply_response_url(hook, params)
        return params, 200, {"ok": True}

    def _apply_response_url(self, hook: ResponseUrl, params: Mapping[str, Any]) -> None:
        if not hook.channel_id:
            return
        team = self.ws.ensure_bot(hook.team_id)
        original = self.ws.messages.get((hook.channel_id, hook.message_ts or ""))
        if wants_delete(params):
            if original is not None:
                del self.ws.messages[(original.channel, original.ts)]
            return
        if flag(params.get("replace_original")) and original is not None:
            original.text = params.get("text") or ""
            original.blocks = with_generated_ids(params.get("blocks") or [])
            original.edited = True
            return
        message = Message(hook.channel_id, self.ws.next_ts(), hook.team_id, team.bot_user_id,
                          team.bot_id, self.ws.app_id, text=params.get("text") or "",
                          blocks=with_generated_ids(params.get("blocks") or []),
                          thread_ts=params.get("thread_ts") or None)
        if params.get("response_type") == "in_channel":
            self.ws.messages[(message.channel, message.ts)] = message
        else:
            message.ephemeral_to = hook.user_id
            self.ws.ephemerals.append(message)


# ---------------------------------------------------------------- request parsing


def _parse_request(query: str, headers: Mapping[str, str], body: bytes) -> _Parsed:
    """Params from query string plus form, multipart or JSON body, the token from the
    Authorization header (or, for forms, a `token` param), JSON-string params decoded."""
    parsed = _Parsed(params=dict(parse_qsl(query, keep_blank_values=True)))
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        parsed.params.update(_body_params(content_type, headers, body))
    except ValueError as error:
        parsed.error = str(error)
        return parsed
    authorization = headers.get("authorization", "")
    form_token = parsed.params.pop("token", None)
    if authorization.lower().startswith("bearer "):
        parsed.token = authorization[7:].strip()
    elif content_type != "application/json" and isinstance(form_token, str):
        parsed.token = form_token  # Slack ignores a token inside JSON bodies
    parsed.error = _decode_json_params(parsed.params)
    return parsed


def _body_params(content_type: str, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    if content_type == "application/json":
        try:
            data = json.loads(body)
        except ValueError:
            raise ValueError("invalid_json") from None
        if not isinstance(data, dict):
            raise ValueError("invalid_json")
        return data
    if content_type == "multipart/form-data":
        return {name: value.decode("utf-8", "replace") if isinstance(value, bytes) else value
                for name, value in _multipart(headers, body)}
    if content_type in ("application/x-www-form-urlencoded", "text/plain", ""):
        try:
            return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise ValueError("invalid_form_data") from None
    raise ValueError("invalid_post_type")


def _multipart(headers: Mapping[str, str], body: bytes) -> Iterator[tuple[str, bytes]]:
    head = f"Content-Type: {headers.get('content-type', '')}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            yield str(name), part.get_payload(decode=True) or b""


def _uploaded_bytes(headers: Mapping[str, str], body: bytes) -> bytes:
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        parts = dict(_multipart(headers, body))
        return parts.get("file") or next(iter(parts.values()), b"")
    return body


def _decode_json_params(params: dict[str, Any]) -> str | None:
    for key, error in JSON_PARAMS.items():
        value = params.get(key)
        if isinstance(value, str):
            try:
                params[key] = json.loads(value) if value else None
            except ValueError:
                return error
    return None
