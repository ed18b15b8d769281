"""The Web API methods the stand-in answers, each a small function over the `Workspace`,
following the request and response shapes on docs.slack.dev/reference/methods/<name>.

A method returns the success body or raises `ApiError`, which becomes Slack's
`{"ok": false, "error": …}` answer (HTTP 200) with a readable detail in
`response_metadata.messages`.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.slackstandin.validation import (
    Problem,
    Rejection,
    Surface,
    check_message,
    check_view,
)
from bot.slackstandin.workspace import (
    MODAL_STACK_LIMIT,
    TRIGGER_LIFETIME_S,
    Channel,
    Message,
    Token,
    UploadedFile,
    View,
    Workspace,
    with_generated_ids,
)

METHODS_DOC = "https://docs.slack.dev/reference/methods"


class ApiError(Exception):
    """A Slack error answer: its error name and, when useful, the problems behind it."""

    def __init__(self, error: str, detail: str = "", *, problems: tuple[Problem, ...] = ()):
        super().__init__(error)
        self.rejection = Rejection(error, problems or ((Problem("", error, detail),) if detail
                                                       else ()))

    @classmethod
    def from_rejection(cls, rejection: Rejection) -> ApiError:
        error = cls(rejection.error)
        error.rejection = rejection
        return error


@dataclass
class Call:
    """One Web API request as the method functions see it."""

    method: str
    params: dict[str, Any]
    token: Token | None
    base_url: str
    authorization: str = ""

    @property
    def team_id(self) -> str:
        assert self.token is not None
        return self.token.team_id

    def require(self, *names: str) -> None:
        missing = [name for name in names if self.params.get(name) in (None, "")]
        if missing:
            raise ApiError("invalid_arguments", f"missing required argument(s): "
                           f"{', '.join(missing)} ({METHODS_DOC}/{self.method})")


Method = Callable[[Workspace, Call], dict[str, Any]]
NO_TOKEN_METHODS = {"oauth.v2.access", "api.test"}
APP_TOKEN_METHODS = {"apps.connections.open"}  # the only ones an app-level token (xapp-) may call


def flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))


# ---------------------------------------------------------------- auth, team, users


def auth_test(ws: Workspace, call: Call) -> dict[str, Any]:
    """https://docs.slack.dev/reference/methods/auth.test"""
    token = call.token
    assert token is not None
    team = ws.team(token.team_id)
    user = ws.users.get(token.user_id)
    body: dict[str, Any] = {"url": f"{call.base_url}/", "team": team.name,
                            "user": user.name if user else "", "team_id": team.id,
                            "user_id": token.user_id, "is_enterprise_install": False}
    if token.kind == "bot":
        body["bot_id"] = token.bot_id
    return body


def apps_connections_open(ws: Workspace, call: Call) -> dict[str, Any]:
    """https://docs.slack.dev/reference/methods/apps.connections.open: a single-use WebSocket
    URL for Socket Mode (the stand-in lets only app-level tokens call it)."""
    if not ws.socket_url:
        raise ApiError("internal_error", "the stand-in's Socket Mode server is not running")
    ticket = ws.next_id("ticket", 8)
    ws.socket_tickets[ticket] = ws.app_id
    return {"url": f"{ws.socket_url}/link/?ticket={ticket}&app_id={ws.app_id}"}


def api_test(ws: Workspace, call: Call) -> dict[str, Any]:
    return {"args": {k: v for k, v in call.params.items() if isinstance(v, str)}}


def team_info(ws: Workspace, call: Call) -> dict[str, Any]:
    """https://docs.slack.dev/reference/methods/team.info"""
    team_id = call.params.get("team") or call.team_id
    if team_id not in ws.teams:
        raise ApiError("team_not_found")
    return {"team": ws.teams[team_id].as_slack()}


def users_info(ws: Workspace, call: Call) -> dict[str, Any]:
    """https://docs.slack.dev/reference/methods/users.info"""
    call.require("user")
    user = ws.users.get(call.params["user"])
    if user is None:
        raise ApiError("user_not_found", f"no user {call.params['user']!r} in the stand-in")
    return {"user": user.as_slack()}


# ---------------------------------------------------------------- conversations


def conversations_open(ws: Workspace, call: Call) -> dict[str, Any]:
    """https://docs.slack.dev/reference/methods/conversations.open (one user: the bot's DM)."""
    if call.params.get("channel"):
        channel = ws.channels.get(call.params["channel"])
        if channel is None:
            raise ApiError("channel_not_found")
    else:
        call.require("users")
        users = [u.strip() for u in str(call.params["users"]).split(",") if u.strip()]
        if len(users) != 1:
            raise ApiError("invalid_arguments", "the stand-in opens DMs with exactly one user")
        if users[0] not in ws.users:
            raise ApiError("user_not_found", f"no user {users[0]!r} in the stand-in")
        channel = ws.open_dm(call.team_id, users[0])
    if flag(call.params.get("return_im")):
        return {"channel": channel.as_slack()}
    return {"channel": {"id": channel.id}}


def conversations_info(ws: Workspace, call: Call) -> dict[str, Any]:
    """https://docs.slack.dev/reference/methods/conversations.info"""
    return {"channel": _channel(ws, call, "channel").as_slack()}


def _channel(ws: Workspace, call: Call, key: str, *, posting: bool = False) -> Channel:
    call.require(key)
    channel = ws.find_channel(call.team_id, str(call.params[key]))
    if channel is None:
        raise ApiError("channel_not_found", f"no channel {call.params[key]!r} in the stand-in")
    if posting and not channel.bot_is_member and not channel.is_im:
        raise ApiError("not_in_channel", f"the app is not a member of #{channel.name}; invite it")
    return channel


# ---------------------------------------------------------------- chat


def _validated_message(call: Call) -> None:
    rejection = check_message(call.params)
    if rejection is not None:
        raise ApiError.from_rejection(rejection)


def _new_message(ws: Workspace, call: Call, channel: Channel, *, ephemeral_to: str | None = None,
                 files: list[dict[str, Any]] | None = None) -> Message:
    token = call.token
    assert token is not None
    thread_ts = call.params.get("thread_ts") or None
    if thread_ts and (channel.id, thread_ts) not in ws.messages:
        raise ApiError("thread_not_found", f"no message {thread_ts} in {channel.id} to reply to "
                       "(stand-in rule: Slack would post an orphaned reply)")
    message = Message(channel.id, ws.next_ts(), token.team_id, token.user_id, token.bot_id,
                      ws.app_id, text=call.params.get("text") or "",
                      blocks=with_generated_ids(call.params.get("blocks") or []),
                      attachments=list(call.params.get("attachments") or []),
                      thread_ts=thread_ts, files=files or [], ephemeral_to=ephemeral_to)
    if ephemeral_to:
        ws.ephemerals.append(message)
        return message
    ws.messages[(channel.id, message.ts)] = message
    if thread_ts:
        ws.messages[(channel.id, thread_ts)].replies.append(message.ts)
    return message


def chat_post_message(ws: Workspace, call: Call) -> dict[str, Any]:
    """https://docs.slack.dev/reference/methods/chat.postMessage"""
    channel = _channel(ws, call, "channel", posting=True)
    _validated_message(call)
    message = _new_message(ws, call, channel)
    return {"channel": channel.id, "ts": message.ts, "message": message.as_slack()}


def chat_post_ephemeral(ws: Workspace, call: Call) -> dict[str, Any]:
    """https://docs.slack.dev/reference/methods/chat.postEphemeral"""
    channel = _channel(ws, call, "channel", posting=True)
    call.require("user")
    if call.params["user"] not in ws.users:
        raise ApiError("user_not_in_channel", f"no user {call.params['user']!r} in the stand-in")
    _validated_message(call)
    message = _new_message(ws, call, channel, ephemeral_to=str(call.params["user"]))
    return {"message_ts": message.ts}


def _existing_message(ws: Workspace, call: Call, ts_key: str) -> Message:
    channel = _channel(ws, call, "channel")
    call.require(ts_key)
    message = ws.messages.get((channel.id, str(call.params[ts_key])))
    if message is None:
        raise ApiError("message_not_found",
                       f"no message {call.params[ts_key]} in {channel.id} (deleted, ephemeral "
                       "or never posted)")
    return message


def chat_update(ws: Workspace, call: Call) -> dict[str, Any]:
    """https://docs.slack.dev/reference/methods/chat.update"""
    message = _existing_message(ws, call, "ts")
    assert call.token is not None
    if message.bot_id != call.token.bot_id:
        raise ApiError("cant_update_message", "only the app's own messages can be updated")
    _validated_message(call)
    message.text = call.params.get("text") or ""
    if "blocks" in call.params:
        message.blocks = with_generated_ids(call.params.get("blocks") or [])
    if "attachments" in call.params:
        message.attachments = list(call.params.get("attachments") or [])
    message.edited = True
    return {"channel": message.channel, "ts": message.ts, "text": message.text,
            "message": message.as_slack()}


def chat_delete(ws: Workspace, call: Call) -> dict[str, Any]:
    """https://docs.slack.dev/reference/methods/chat.delete"""
    message = _existing_message(ws, call, "ts")
    assert call.token is not None
    if message.bot_id != call.token.bot_id:
        raise ApiError("cant_delete_message", "only the app's own messages can be deleted")
    del ws.messages[(message.channel, message.ts)]
    return {"channel": message.channel, "ts": message.ts}


def chat_get_permalink(ws: Workspace, call: Call) -> dict[str, Any]:
    """https://docs.slack.dev/reference/methods/chat.getPermalink (links onto the stand-in)."""
    message = _existing_message(ws, call, "message_ts")
    link = f"{call.base_url}/archives/{message.channel}/p{message.ts.replace('.', '')}"
    if message.thread_ts:
        link += f"?thread_ts={message.thread_ts}&cid={message.channel}"
    return {"channel": message.channel, "permalink": link}


# ---------------------------------------------------------------- views


def _view_definition(call: Call, expected: Surface) -> dict[str, Any]:
    call.require("view")
    rejection = check_view(call.params["view"], expected=expected)
    if rejection is not None:
        raise ApiError.from_rejection(rejection)
    definition = dict(call.params["view"])
    definition["blocks"] = with_generated_ids(definition.get("blocks") or [])
    return definition


def _exchange_trigger(ws: Workspace, call: Call) -> tuple[str, str | None]:
    """Use a trigger once within 3 s, as Slack allows
    (https://docs.slack.dev/interactivity/handling-user-interaction); returns the user it was
    issued for and the modal it came from, if any."""
    trigger_id = call.params.get("trigger_id") or call.params.get("interactivity_pointer")
    if not trigger_id:
        raise ApiError("invalid_arguments", "trigger_id is required")
    trigger = ws.triggers.get(str(trigger_id))
    if trigger is None or trigger.team_id != call.team_id:
        raise ApiError("invalid_trigger_id", f"the stand-in never issued trigger {trigger_id!r}")
    if trigger.used:
        raise ApiError("exchanged_trigger_id", "a trigger_id works once; this one was used")
    age = ws.clock() - trigger.issued_at
    if age > TRIGGER_LIFETIME_S:
        raise ApiError("expired_trigger_id",
                       f"trigger_id used {age:.1f} s after the interaction; Slack allows 3 s")
    trigger.used = True
    return trigger.user_id, trigger.view_id


def _claim_external_id(ws: Workspace, call: Call, definition: Mapping[str, Any],
                       current: View | None = None) -> str:
    external_id = str(definition.get("external_id") or "")
    owner = ws.external_ids.get((call.team_id, external_id)) if external_id else None
    if owner and (current is None or owner != current.id):
        raise ApiError("duplicate_external_id",
                       f"external_id {external_id!r} already names view {owner}")
    return external_id


def _store_view(ws: Workspace, call: Call, definition: dict[str, Any], user_id: str,
                root: str | None, previous: str | None) -> View:
    external_id = _claim_external_id(ws, call, definition)
    view_id = ws.next_id("V")
    view = View(view_id, call.team_id, user_id, definition, ws.new_hash(),
                root_view_id=root or view_id, previous_view_id=previous, external_id=external_id)
    ws.views[view_id] = view
    ws.register_external_id(view)
    return view


def _view_answer(ws: Workspace, view: View) -> dict[str, Any]:
    team = ws.ensure_bot(view.team_id)
    return {"view": view.as_slack(ws.app_id, team.bot_id)}


def views_open(ws: Workspace, call: Call) -> dict[str, Any]:
    """https://docs.slack.dev/reference/methods/views.open"""
    definition = _view_definition(call, Surface.MODAL)
    user_id, _ = _exchange_trigger(ws, call)
    view = _store_view(ws, call, definition, user_id, root=None, previous=None)
    ws.stacks[view.id] = [view.id]
    return _view_answer(ws, view)


def views_push(ws: Workspace, call: Call) -> dict[str, Any]:
    """https://docs.slack.dev/reference/methods/views.push: root + 2 pushes at most."""
    definition = _view_definition(call, Surface.MODAL)
    user_id, from_view = _exchange_trigger(ws, call)
    stack = ws.stack_of(ws.views[from_view]) if from_view in ws.views else ws.user_stack(user_id)
    if not stack:
        raise ApiError("not_found", "views.push needs an open modal to push onto; this trigger "
                       "did not come from one")
    if len(stack) >= MODAL_STACK_LIMIT:
        raise ApiError("push_limit_reached", "after a modal is opened, the app is limited to "
                       f"pushing 2 additional views ({METHODS_DOC}/views.push)")
    view = _store_view(ws, call, definition, user_id, root=stack[0], previous=stack[-1])
    stack.append(view.id)
    return _view_answer(ws, view)


def views_update(ws: Workspace, call: Call) -> dict[str, Any]:
    """https://docs.slack.dev/reference/methods/views.update (view_id or external_id, hash)."""
    view_id, external_id = call.params.get("view_id"), call.params.get("external_id")
    if not view_id and not external_id:
        raise ApiError("invalid_arguments", "views.update needs view_id or external_id")
    view = ws.view_by_ref(call.team_id, view_id, external_id)
    if view is None or view.team_id != call.team_id:
        raise ApiError("not_found", f"no view {view_id or external_id!r}")
    expected = Surface.HOME if view.kind == "home" else Surface.MODAL
    definition = _view_definition(call, expected)
    stale = call.params.get("hash")
    if stale and stale != view.hash:
        raise ApiError("hash_conflict", f"hash {stale!r} is stale; the view now has "
                       f"{view.hash!r} (someone updated it in between)")
    if view.closed:
        raise ApiError("not_found", f"view {view.id} was closed by the user")
    view.external_id = _claim_external_id(ws, call, definition, current=view)
    ws.register_external_id(view)
    view.definition = definition
    view.hash = ws.new_hash()
    return _view_answer(ws, view)


def views_publish(ws: Workspace, call: Call) -> dict[str, Any]:
    """https://docs.slack.dev/reference/methods/views.publish (the user's Home tab)."""
    call.require("user_id")
    user_id = str(call.params["user_id"])
    if user_id not in ws.users:
        raise ApiError("not_found", f"no user {user_id!r} in the stand-in")
    definition = _view_definition(call, Surface.HOME)
    current_id = ws.home_views.get((call.team_id, user_id))
    current = ws.views.get(current_id) if current_id else None
    stale = call.params.get("hash")
    if current and stale and stale != current.hash:
        raise ApiError("hash_conflict", f"hash {stale!r} is stale; the Home tab now has "
                       f"{current.hash!r}")
    if current is None:
        current = _store_view(ws, call, definition, user_id, root=None, previous=None)
        current.root_view_id = None
        ws.home_views[(call.team_id, user_id)] = current.id
    else:
        current.external_id = _claim_external_id(ws, call, definition, current=current)
        current.definition, current.hash = definition, ws.new_hash()
    return _view_answer(ws, current)


# ---------------------------------------------------------------- files


def files_get_upload_url_external(ws: Workspace, call: Call) -> dict[str, Any]:
    """https://docs.slack.dev/reference/methods/files.getUploadURLExternal"""
    call.require("filename")
    try:
        length = int(call.params.get("length") or 0)
    except (TypeError, ValueError):
        length = 0
    if length <= 0:
        raise ApiError("missing_argument", "length must be the file size in bytes (> 0)")
    alt_txt = str(call.params.get("alt_txt") or "")
    if len(alt_txt) > 1000:
        raise ApiError("alt_txt_too_large", "alt_txt is limited to 1000 characters")
    assert call.token is not None
    upload = UploadedFile(ws.next_id("F", 11), call.team_id, call.token.user_id,
                          str(call.params["filename"]), length, alt_txt=alt_txt)
    ws.files[upload.id] = upload
    ticket = secrets.token_urlsafe(12)
    ws.uploads[ticket] = upload.id
    return {"upload_url": f"{call.base_url}/upload/v1/{ticket}", "file_id": upload.id}


def files_complete_upload_external(ws: Workspace, call: Call) -> dict[str, Any]:
    """https://docs.slack.dev/reference/methods/files.completeUploadExternal"""
    call.require("files")
    entries = call.params["files"]
    if not isinstance(entries, list) or not entries:
        raise ApiError("invalid_arguments", "files must be a JSON array of {id, title}")
    uploads = [_uploaded(ws, entry) for entry in entries]
    channel = _share_target(ws, call)
    for upload, entry in zip(uploads, entries):
        upload.title = str(entry.get("title") or upload.filename)
        upload.completed = True
        upload.channel_id = channel.id if channel else None
        upload.thread_ts = call.params.get("thread_ts") or None
        upload.initial_comment = str(call.params.get("initial_comment") or "")
    if channel is not None:
        shared = dict(call.params, text=call.params.get("initial_comment") or "")
        share_call = Call(call.method, shared, call.token, call.base_url)
        _new_message(ws, share_call, channel, files=[u.as_slack() for u in uploads])
    return {"files": [u.as_slack() for u in uploads]}


def _uploaded(ws: Workspace, entry: Any) -> UploadedFile:
    file_id = entry.get("id") if isinstance(entry, Mapping) else None
    upload = ws.files.get(str(file_id))
    if upload is None or upload.content is None:
        raise ApiError("file_not_found", f"file {file_id!r} was not uploaded to its upload_url")
    return upload


def _share_target(ws: Workspace, call: Call) -> Channel | None:
    ref = call.params.get("channel_id") or (str(call.params.get("channels") or "").split(",")[0]
                                            or None)
    if not ref:
        return None
    channel = ws.find_channel(call.team_id, str(ref))
    if channel is None:
        raise ApiError("invalid_channel", f"no channel {ref!r} in the stand-in")
    if not channel.bot_is_member and not channel.is_im:
        raise ApiError("not_in_channel", f"the app is not a member of #{channel.name}")
    return channel


# ---------------------------------------------------------------- oauth


def oauth_v2_access(ws: Workspace, call: Call) -> dict[str, Any]:
    """https://docs.slack.dev/reference/methods/oauth.v2.access: code → bot token."""
    _check_client(ws, call)
    code = ws.oauth_codes.get(str(call.params.get("code") or ""))
    if code is None or code.used:
        raise ApiError("invalid_code", "the code is unknown or was already exchanged")
    if code.redirect_uri and call.params.get("redirect_uri") != code.redirect_uri:
        raise ApiError("bad_redirect_uri", "redirect_uri differs from the authorize request")
    code.used = True
    team = ws.ensure_bot(code.team_id)
    token = Token(f"xoxb-{code.team_id}-{secrets.token_hex(6)}", team.id, team.bot_user_id,
                  team.bot_id, code.scopes)
    ws.tokens[token.token] = token
    authed_user: dict[str, Any] = {"id": code.user_id}
    if code.user_scopes:
        user_token = Token(f"xoxp-{code.team_id}-{secrets.token_hex(6)}", team.id, code.user_id,
                           scopes=code.user_scopes, kind="user")
        ws.tokens[user_token.token] = user_token
        authed_user.update(scope=",".join(code.user_scopes), access_token=user_token.token,
                           token_type="user")
    return {"access_token": token.token, "token_type": "bot", "scope": ",".join(code.scopes),
            "bot_user_id": team.bot_user_id, "app_id": ws.app_id,
            "team": {"name": team.name, "id": team.id}, "enterprise": None,
            "authed_user": authed_user, "is_enterprise_install": False}


def _check_client(ws: Workspace, call: Call) -> None:
    if ws.oauth_client is None:
        return
    client_id, client_secret = call.params.get("client_id"), call.params.get("client_secret")
    if call.authorization.lower().startswith("basic "):
        decoded = base64.b64decode(call.authorization[6:]).decode("utf-8", "replace")
        client_id, _, client_secret = decoded.partition(":")
    if client_id != ws.oauth_client[0]:
        raise ApiError("invalid_client_id")
    if client_secret != ws.oauth_client[1]:
        raise ApiError("bad_client_secret")


METHODS: dict[str, Method] = {
    "api.test": api_test,
    "auth.test": auth_test,
    "apps.connections.open": apps_connections_open,
    "team.info": team_info,
    "users.info": users_info,
    "conversations.open": conversations_open,
    "conversations.info": conversations_info,
    "chat.postMessage": chat_post_message,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.update": chat_update,
    "chat.delete": chat_delete,
    "chat.getPermalink": chat_get_permalink,
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
    "files.getUploadURLExternal": files_get_upload_url_external,
    "files.completeUploadExternal": files_complete_upload_external,
    "oauth.v2.access": oauth_v2_access,
}
