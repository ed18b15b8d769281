"""The app served on a loopback port against the local Slack stand-in, driven as Slack drives it.
Used by `briefwerk demo` and by the scenario tests: nothing leaves 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import uvicorn
from pydantic import SecretStr

from bot.server import asgi_app
from bot.settings import Settings
from bot.slack.app import SlackDeps, build_app
from bot.slack.socket_mode import SocketLink
from bot.slackstandin import SlackClientSim, SlackStandIn
from bot.wiring import Wiring
from handlers import register_listeners

TEAM = "T0SONNE"
BOT_TOKEN = "xoxb-local-briefwerk"
APP_TOKEN = "xapp-local-briefwerk"  # Socket Mode's app-level token
SIGNING_SECRET = "local-signing-secret"
BOT_USER = "U0BRIEFWERK"
CHANNEL = "C0BRIEFE"
OAUTH_CLIENT = ("1234.5678", "local-client-secret")
SECRET_KEY = "bG9jYWwtc2VjcmV0LWtleS1mb3ItdGVzdHMtb25seSE="  # a Fernet key for the local stand-in only


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    email: str


SABINE = Person("U0SABINE", "Sabine Sachbearbeiterin", "sabine@sonnenschein-hv.example")
MARKUS = Person("U0MARKUS", "Markus Manager", "markus@sonnenschein-hv.example")
ANNA = Person("U0ANNA", "Anna Admin", "anna@sonnenschein-hv.example")
PEOPLE = (SABINE, MARKUS, ANNA)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def set_up_workspace(standin: SlackStandIn, oauth: bool = False) -> None:
    """The Sonnenschein workspace: its people (and a guest), the status channel, the app's token."""
    standin.add_team(TEAM, "Hausverwaltung Sonnenschein")
    if oauth:
        standin.set_oauth_client(*OAUTH_CLIENT)
    else:
        standin.add_token(BOT_TOKEN, TEAM, BOT_USER)
    for person in PEOPLE:
        standin.add_user(person.user_id, person.name.split()[0].lower(), person.name, person.email, team_id=TEAM)
    standin.add_user("U0GAST", "gast", "Gerd Gast", "gast@example.com", team_id=TEAM, is_restricted=True)
    standin.add_user("U0EINKANAL", "einkanal", "Erna Einkanal", "erna@example.com", team_id=TEAM,
                     single_channel_guest=True)
    standin.add_channel(CHANNEL, "serienbriefe", team_id=TEAM)


class LocalSlack:
    """`with LocalSlack(settings) as slack:` starts the stand-in and the app; `slack.sim`
    plays Slack toward the app, `slack.standin` shows what the app sent, `slack.settle()`
    waits for background work."""

    def __init__(self, settings: Settings, admins: tuple[str, ...] = (ANNA.user_id,), oauth: bool = False,
                 socket_mode: bool = False) -> None:
        """`oauth`: a multi-workspace install (client id and secret, tokens from installations).
        `socket_mode`: Slack reaches the app over a Socket Mode connection instead of HTTP."""
        self.standin = SlackStandIn()
        self._base_settings = settings
        self._admins = admins
        self._oauth = oauth
        self._socket_mode = socket_mode
        self.socket: SocketLink | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> LocalSlack:
        self.standin.start()
        self._workspace()
        self.settings = self._base_settings.model_copy(update={
            "slack_api_url": self.standin.api_url, "slack_bot_token": None if self._oauth else SecretStr(BOT_TOKEN),
            "slack_signing_secret": SecretStr(SIGNING_SECRET), "slack_admins": list(self._admins),
            "slack_client_id": OAUTH_CLIENT[0] if self._oauth else None,
            "slack_client_secret": SecretStr(OAUTH_CLIENT[1]) if self._oauth else None,
            "slack_app_token": SecretStr(APP_TOKEN) if self._socket_mode else None,
            "secret_key": self._base_settings.secret_key or (SecretStr(SECRET_KEY) if self._oauth else None),
        })
        self.deps = SlackDeps(Wiring(self.settings))
        self.app = build_app(self.deps, register_listeners)
        if self._socket_mode:
            self._connect()
        self.port = free_port()
        self._serve()
        self.url = f"http://127.0.0.1:{self.port}"
        self.sim = SlackClientSim(f"{self.url}/slack/events", SIGNING_SECRET, self.standin, team_id=TEAM,
                                  socket_mode=self._socket_mode)
        return self

    def _connect(self) -> None:
        self.standin.add_app_token(APP_TOKEN, TEAM)
        self.socket = SocketLink(self.app, APP_TOKEN, ping_interval=1.0)  # notice a drop within a second
        self.socket.connect()
        if not self.standin.socket.wait_connected(10):
            raise RuntimeError("the app did not connect over Socket Mode")

    def __exit__(self, *exc: object) -> None:
        self.sim.close()
        if self.socket is not None:
            self.socket.close()
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self.deps.background.shutdown()
        self.standin.stop()

    def _workspace(self) -> None:
        set_up_workspace(self.standin, oauth=self._oauth)

    def _serve(self) -> None:
        config = uvicorn.Config(asgi_app(self.app, self.deps, self.socket), host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True, name="briefwerk-http")
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the app did not start")
            time.sleep(0.02)

    def settle(self, timeout: float = 60) -> None:
        """Waits for the app's background work (and the work it queued) to finish."""
        self.deps.background.drain(timeout)

    def top_view(self, user_id: str) -> dict:
        stack = self.standin.modal_stack(user_id)
        return stack[-1] if stack else {}
