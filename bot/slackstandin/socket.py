"""Slack's Socket Mode side, on loopback: the WebSocket the app connects to with the URL that
`apps.connections.open` handed out, the `hello` on connect, envelopes for slash commands,
interactions and events, the app's acks, and the `disconnect` Slack sends before it drops a
connection.

Protocol: https://docs.slack.dev/apis/events-api/using-socket-mode (envelopes, acks with
`envelope_id` and an optional `payload`, `hello`, `disconnect` with `refresh_requested`), and
slack_sdk's own client (slack_sdk/socket_mode/client.py, request.py), which the app runs.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.frames import Opcode
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

if TYPE_CHECKING:
    from bot.slackstandin.requests import SlackRequest

SLACK_ACK_S = 3.0  # Slack shows the user an error when no ack arrives within 3 s
QUIET = logging.getLogger("briefwerk.slackstandin.socket")  # the stand-in's comings and goings are no news
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False


class NotConnected(RuntimeError):
    """No app holds a Socket Mode connection, so Slack cannot deliver anything."""


class SocketModeStandIn:
    """The WebSocket end that `apps.connections.open` sends the app to (`base_url`/link/?ticket=…);
    `deliver` sends one envelope to a connected app and waits for its ack."""

    def __init__(self, admit: Callable[[str], str | None]) -> None:
        """`admit(ticket)` returns the app id a ticket was issued for, once; else None."""
        self._admit = admit
        self._lock = threading.Lock()
        self._connected = threading.Condition(self._lock)
        self._connections: list[ServerConnection] = []
        self._pending: dict[str, Future[dict[str, Any]]] = {}
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self.opened = 0  # connections accepted so far, reconnects included
        self.delivered = 0  # envelopes sent to the app
        self.acked = 0  # of those, acknowledged by the app
        self.accepting = True  # False: every new connection is refused, as when Slack cannot be reached

    # ------------------------------------------------------------ lifecycle

    def start(self) -> SocketModeStandIn:
        self._server = serve(self._session, "127.0.0.1", 0, process_request=self._handshake, logger=QUIET)
        self._thread = threading.Thread(target=self._server.serve_forever, name="slack-socket", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self.drop()
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Socket Mode stand-in is not running")
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}"

    # ------------------------------------------------------------ connections

    def _handshake(self, connection: ServerConnection, request: Request) -> Response | None:
        """Only a ticket from `apps.connections.open`, used once, opens a connection."""
        if not self.accepting:
            return connection.respond(503, "unavailable\n")
        ticket = parse_qs(urlsplit(request.path).query).get("ticket", [""])[0]
        if urlsplit(request.path).path != "/link/" or self._admit(ticket) is None:
            return connection.respond(401, "invalid or used ticket\n")
        return None

    def _session(self, connection: ServerConnection) -> None:
        connection.send(json.dumps({
            "type": "hello", "num_connections": len(self._connections) + 1,
            "debug_info": {"host": "applink-standin", "approximate_connection_time": 18060},
            "connection_info": {"app_id": parse_qs(urlsplit(connection.request.path).query)["app_id"][0]}}))
        with self._connected:
            self._connections.append(connection)
            self.opened += 1
            self._connected.notify_all()
        try:
            for raw in connection:
                self._acked(raw)
        except ConnectionClosed:
            pass
        finally:
            with self._connected:
                self._connections.remove(connection)
                self._connected.notify_all()

    def _acked(self, raw: str | bytes) -> None:
        try:
            ack = json.loads(raw)
        except ValueError:
            return
        future = self._pending.pop(str(ack.get("envelope_id")), None) if isinstance(ack, dict) else None
        if future is not None:
            with self._lock:
                self.acked += 1
            future.set_result(ack)

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._connections)

    def wait_connected(self, timeout: float = 10.0, at_least: int = 1) -> bool:
        with self._connected:
            return self._connected.wait_for(lambda: len(self._connections) >= at_least, timeout)

    def refresh(self) -> None:
        """Slack's `disconnect` (refresh_requested): the app should open a new connection; this
        one is closed shortly after, as Slack does."""
        for connection in self._snapshot():
            connection.send(json.dumps({"type": "disconnect", "reason": "refresh_requested",
                                        "debug_info": {"host": "applink-standin"}}))

    def drop(self) -> None:
        """Every connection closes at once, without a `disconnect` first (a network failure)."""
        for connection in self._snapshot():
            with contextlib.suppress(OSError):  # already gone
                connection.socket.shutdown(socket.SHUT_RDWR)

    def mute(self) -> None:
        """Every connection stays open but answers nothing, not even a ping (a peer gone silent)."""
        for connection in self._snapshot():
            send_frame = connection.protocol.send_frame
            connection.protocol.send_frame = lambda frame, send=send_frame: None if frame.opcode is Opcode.PONG \
                else send(frame)

    def _snapshot(self) -> list[ServerConnection]:
        with self._lock:
            return list(self._connections)

    # ------------------------------------------------------------ delivery

    def deliver(self, request: SlackRequest, *, retry_num: int | None = None, retry_reason: str | None = None,
                timeout: float = SLACK_ACK_S) -> httpx.Response:
        """The request as Slack sends it over the socket; the ack comes back as the HTTP answer
        would (200 with the ack's payload as JSON), or 504 when no ack came in time."""
        envelope = envelope_for(request, retry_num, retry_reason)
        future: Future[dict[str, Any]] = Future()
        with self._lock:
            if not self._connections:
                raise NotConnected("no app is connected over Socket Mode")
            connection = self._connections[-1]  # the newest, as after a refresh
            self._pending[envelope["envelope_id"]] = future
            self.delivered += 1
        connection.send(json.dumps(envelope, ensure_ascii=False))
        try:
            ack = future.result(timeout)
        except FutureTimeout:
            self._pending.pop(envelope["envelope_id"], None)
            return httpx.Response(504, text=f"no ack within {timeout:g} s")
        if "payload" in ack and ack["payload"] is not None:
            return httpx.Response(200, json=ack["payload"])
        return httpx.Response(200)


def envelope_for(request: SlackRequest, retry_num: int | None = None,
                 retry_reason: str | None = None) -> dict[str, Any]:
    """A request body in its Socket Mode envelope: interactions carry their `payload` JSON,
    slash commands their form fields, events their JSON body."""
    from bot.slackstandin.requests import JSON

    envelope_id = secrets.token_hex(16)
    if request.content_type == JSON:
        return {"envelope_id": envelope_id, "type": "events_api", "accepts_response_payload": False,
                "retry_attempt": retry_num or 0, "retry_reason": retry_reason or "",
                "payload": json.loads(request.body)}
    fields = {key: values[0] for key, values in parse_qs(request.body.decode(), keep_blank_values=True).items()}
    if "payload" in fields:
        return {"envelope_id": envelope_id, "type": "interactive", "accepts_response_payload": True,
                "payload": json.loads(fields["payload"])}
    return {"envelope_id": envelope_id, "type": "slash_commands", "accepts_response_payload": True,
            "payload": fields}
