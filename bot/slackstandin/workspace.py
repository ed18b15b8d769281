"""What the stand-in remembers about one Slack installation: teams, tokens, users, channels,
messages, views and their modal stacks, triggers, response URLs and uploaded files.

A `Workspace` belongs to exactly one `SlackStandIn` and is only touched under its lock; the
dataclasses render themselves in the shapes Slack's Web API returns.
"""

from __future__ import annotations

import copy
import secrets
import string
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.slackstandin.validation import all_elements

TRIGGER_LIFETIME_S = 3.0
RESPONSE_URL_LIFETIME_S = 30 * 60.0
RESPONSE_URL_USES = 5
MODAL_STACK_LIMIT = 3  # root view + 2 pushes (views.push: "Currently the limit is 3")


@dataclass
class Team:
    id: str
    name: str
    domain: str
    bot_user_id: str = ""
    bot_id: str = ""

    def as_slack(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "domain": self.domain,
                "email_domain": "", "icon": {"image_default": True}}


@dataclass
class Token:
    token: str
    team_id: str
    user_id: str  # the bot user for bot tokens, the person for user tokens
    bot_id: str = ""
    scopes: tuple[str, ...] = ()
    kind: str = "bot"


@dataclass
class User:
    id: str
    team_id: str
    name: str
    real_name: str
    email: str = ""
    is_restricted: bool = False
    is_bot: bool = False
    tz: str = "Europe/Berlin"
    is_admin: bool = False
    deleted: bool = False
    is_ultra_restricted: bool = False  # a single-channel guest (is_restricted is true for them too)

    def as_slack(self) -> dict[str, Any]:
        """users.info's `user` object (https://docs.slack.dev/reference/objects/user-object)."""
        berlin = self.tz == "Europe/Berlin"
        return {
            "id": self.id, "team_id": self.team_id, "name": self.name, "deleted": self.deleted,
            "real_name": self.real_name, "tz": self.tz,
            "tz_label": "Central European Time" if berlin else self.tz,
            "tz_offset": 3600 if berlin else 0,
            "is_admin": self.is_admin, "is_owner": False, "is_primary_owner": False,
            "is_restricted": self.is_restricted, "is_ultra_restricted": self.is_ultra_restricted,
            "is_bot": self.is_bot, "is_app_user": False, "updated": 0,
            "profile": {"real_name": self.real_name, "real_name_normalized": self.real_name,
                        "display_name": self.name, "display_name_normalized": self.name,
                        "email": self.email, "team": self.team_id},
        }


@dataclass
class Channel:
    id: str
    team_id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    im_user: str = ""
    bot_is_member: bool = True
    created: int = 0

    def as_slack(self) -> dict[str, Any]:
        """conversations.info's `channel` object."""
        if self.is_im:
            return {"id": self.id, "created": self.created, "is_im": True, "is_org_shared": False,
                    "user": self.im_user, "is_user_deleted": False, "priority": 0}
        return {"id": self.id, "name": self.name, "is_channel": not self.is_private,
                "is_group": False, "is_im": False, "is_mpim": False,
                "is_private": self.is_private, "created": self.created, "is_archived": False,
                "is_general": self.name == "general", "is_member": self.bot_is_member,
                "name_normalized": self.name, "context_team_id": self.team_id}


@dataclass
class Message:
    channel: str
    ts: str
    team_id: str
    user: str
    bot_id: str
    app_id: str
    text: str = ""
    blocks: list[Any] = field(default_factory=list)
    attachments: list[Any] = field(default_factory=list)
    thread_ts: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    edited: bool = False
    ephemeral_to: str | None = None  # user id when only that user sees it

    def as_slack(self) -> dict[str, Any]:
        """The message object as chat.postMessage/chat.update return it."""
        body: dict[str, Any] = {"type": "message", "text": self.text, "user": self.user,
                                "bot_id": self.bot_id, "app_id": self.app_id,
                                "team": self.team_id, "ts": self.ts}
        if self.blocks:
            body["blocks"] = self.blocks
        if self.attachments:
            body["attachments"] = self.attachments
        if self.thread_ts:
            body["thread_ts"] = self.thread_ts
        if self.files:
            body["files"] = self.files
            body["subtype"] = "file_share"
        if self.replies:
            body["reply_count"] = len(self.replies)
            body["latest_reply"] = self.replies[-1]
        if self.edited:
            body["edited"] = {"user": self.user, "ts": self.ts}
        return body


@dataclass
class View:
    id: str
    team_id: str
    user_id: str
    definition: dict[str, Any]
    hash: str
    root_view_id: str | None
    previous_view_id: str | None = None
    external_id: str = ""
    state_values: dict[str, Any] = field(default_factory=dict)
    closed: bool = False

    @property
    def kind(self) -> str:
        return str(self.definition.get("type"))

    def as_slack(self, app_id: str, bot_id: str) -> dict[str, Any]:
        """The view object views.open/update/push/publish return and payloads carry."""
        body = copy.deepcopy(self.definition)
        body.update({
            "id": self.id, "team_id": self.team_id, "state": {"values": self.state_values},
            "hash": self.hash, "private_metadata": body.get("private_metadata", ""),
            "callback_id": body.get("callback_id", ""), "external_id": self.external_id,
            "root_view_id": self.root_view_id, "previous_view_id": self.previous_view_id,
            "app_id": app_id, "app_installed_team_id": self.team_id, "bot_id": bot_id,
        })
        if self.kind == "modal":
            body.setdefault("clear_on_close", False)
            body.setdefault("notify_on_close", False)
        return body


@dataclass
class Trigger:
    id: str
    team_id: str
    user_id: str
    issued_at: float
    view_id: str | None = None  # set when the interaction happened inside a modal
    used: bool = False


@dataclass
class ResponseUrl:
    id: str
    team_id: str
    channel_id: str
    user_id: str
    message_ts: str | None
    issued_at: float
    uses: int = 0


@dataclass
class UploadedFile:
    id: str
    team_id: str
    user_id: str
    filename: str
    length: int
    alt_txt: str = ""
    title: str = ""
    content: bytes | None = None
    channel_id: str | None = None
    thread_ts: str | None = None
    initial_comment: str = ""
    completed: bool = False

    def as_slack(self) -> dict[str, Any]:
        """The file object files.completeUploadExternal returns."""
        return {"id": self.id, "name": self.filename, "title": self.title or self.filename,
                "size": len(self.content or b""), "mimetype": _mimetype(self.filename),
                "filetype": _suffix(self.filename),
                "user": self.user_id, "is_external": False, "alt_txt": self.alt_txt}


@dataclass
class OAuthCode:
    code: str
    team_id: str
    user_id: str
    scopes: tuple[str, ...]
    user_scopes: tuple[str, ...]
    redirect_uri: str | None
    used: bool = False


def _suffix(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def _mimetype(filename: str) -> str:
    suffix = _suffix(filename)
    return {"pdf": "application/pdf", "csv": "text/csv", "txt": "text/plain",
            "zip": "application/zip", "png": "image/png"}.get(suffix, "application/octet-stream")


@dataclass
class Workspace:
    """All state of one stand-in; ids are sequential per instance so transcripts are stable."""

    clock: Callable[[], float]
    app_id: str = "A0STANDIN1"
    teams: dict[str, Team] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    messages: dict[tuple[str, str], Message] = field(default_factory=dict)
    ephemerals: list[Message] = field(default_factory=list)
    views: dict[str, View] = field(default_factory=dict)
    external_ids: dict[tuple[str, str], str] = field(default_factory=dict)
    home_views: dict[tuple[str, str], str] = field(default_factory=dict)
    stacks: dict[str, list[str]] = field(default_factory=dict)
    triggers: dict[str, Trigger] = field(default_factory=dict)
    response_urls: dict[str, ResponseUrl] = field(default_factory=dict)
    uploads: dict[str, str] = field(default_factory=dict)  # upload ticket -> file id
    files: dict[str, UploadedFile] = field(default_factory=dict)
    oauth_codes: dict[str, OAuthCode] = field(default_factory=dict)
    oauth_client: tuple[str, str] | None = None
    socket_url: str = ""  # the Socket Mode stand-in's ws:// address, once started
    socket_tickets: dict[str, str] = field(default_factory=dict)  # ticket -> app id, used once
    _counters: dict[str, int] = field(default_factory=dict)
    _last_ts: tuple[int, int] = (0, 0)

    # ------------------------------------------------------------ ids

    def next_id(self, prefix: str, width: int = 9) -> str:
        """A Slack-looking id: prefix plus upper-case base-36 digits, unique per instance."""
        number = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = number
        return prefix + _base36(number).rjust(width - len(prefix), "0")

    def next_ts(self) -> str:
        """A message ts 'seconds.micro-sequence', strictly increasing even on a frozen clock."""
        seconds = int(self.clock())
        last_seconds, last_seq = self._last_ts
        sequence = last_seq + 1 if seconds <= last_seconds else 1
        seconds = max(seconds, last_seconds)
        self._last_ts = (seconds, sequence)
        return f"{seconds}.{sequence:06d}"

    def new_hash(self) -> str:
        return f"{int(self.clock())}.{secrets.token_hex(4)}"

    # ------------------------------------------------------------ lookups

    def team(self, team_id: str) -> Team:
        if team_id not in self.teams:
            self.teams[team_id] = Team(team_id, f"Team {team_id}", team_id.lower())
        return self.teams[team_id]

    def ensure_bot(self, team_id: str, bot_user_id: str | None = None) -> Team:
        """The team with a bot user registered, creating the bot's user record if needed."""
        team = self.team(team_id)
        if bot_user_id:
            team.bot_user_id = bot_user_id
        if not team.bot_user_id:
            team.bot_user_id = self.next_id("U")
        if not team.bot_id:
            team.bot_id = self.next_id("B")
        if team.bot_user_id not in self.users:
            self.users[team.bot_user_id] = User(team.bot_user_id, team_id, "briefwerk",
                                                "briefwerk", is_bot=True)
        return team

    def find_channel(self, team_id: str, ref: str) -> Channel | None:
        """A channel by id, '#name' or name; a user id resolves to the DM with that user."""
        if ref in self.channels:
            return self.channels[ref]
        if ref.startswith(("U", "W")) and ref in self.users:
            return self.open_dm(team_id, ref)
        name = ref.lstrip("#")
        return next((c for c in self.channels.values()
                     if c.team_id == team_id and not c.is_im and c.name == name), None)

    def open_dm(self, team_id: str, user_id: str) -> Channel:
        """The bot's DM with a user, the same one every time (as conversations.open)."""
        for channel in self.channels.values():
            if channel.is_im and channel.im_user == user_id and channel.team_id == team_id:
                return channel
        channel = Channel(self.next_id("D"), team_id, "", is_im=True, im_user=user_id,
                          created=int(self.clock()))
        self.channels[channel.id] = channel
        return channel

    def view_by_ref(self, team_id: str, view_id: str | None,
                    external_id: str | None) -> View | None:
        if view_id:
            return self.views.get(view_id)
        if external_id:
            found = self.external_ids.get((team_id, external_id))
            return self.views.get(found) if found else None
        return None

    def stack_of(self, view: View) -> list[str]:
        return self.stacks.get(view.root_view_id or view.id, [])

    def user_stack(self, user_id: str) -> list[str] | None:
        """The most recently opened modal stack a user still has open."""
        for root, stack in reversed(list(self.stacks.items())):
            if stack and self.views[root].user_id == user_id:
                return stack
        return None

    def close_stack(self, root_view_id: str) -> None:
        for view_id in self.stacks.pop(root_view_id, []):
            self.views[view_id].closed = True

    def pop_view(self, view: View) -> None:
        """The user left this view (submitted without response, or went back)."""
        stack = self.stack_of(view)
        if view.id in stack:
            del stack[stack.index(view.id):]
        view.closed = True
        if not stack:
            self.stacks.pop(view.root_view_id or view.id, None)

    def register_external_id(self, view: View) -> None:
        if view.external_id:
            self.external_ids[(view.team_id, view.external_id)] = view.id


def _base36(number: int) -> str:
    digits = string.digits + string.ascii_uppercase
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"


def short_id() -> str:
    """A block_id/action_id like those Slack generates for blocks the app left unnamed."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(5))


def with_generated_ids(blocks: list[Any]) -> list[Any]:
    """A copy of blocks where every block has a block_id and every element an action_id, as
    Slack stores them (interaction payloads always name both)."""
    named = copy.deepcopy(blocks)
    for block in named:
        if isinstance(block, dict):
            block.setdefault("block_id", short_id())
    for _block, element in all_elements(named):
        if isinstance(element, dict) and element.get("type") != "image":
            element.setdefault("action_id", short_id())
    return named


def iter_messages(messages: Mapping[tuple[str, str], Message],
                  channel: str | None = None) -> Iterator[Message]:
    for (channel_id, _ts), message in sorted(messages.items(), key=lambda item: item[0][1]):
        if channel is None or channel_id == channel:
            yield message
