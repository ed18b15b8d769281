"""The app's Socket Mode connection: slack_sdk's built-in client, which acks each envelope with
Bolt's answer, follows Slack's `disconnect` to a new URL and reconnects after a drop by itself.

https://docs.slack.dev/apis/events-api/using-socket-mode
"""

from __future__ import annotations

import logging
import threading
import time

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.slack.texts import t

log = logging.getLogger("briefwerk.slack.socket")


class SocketLink:
    """`connect()` once; `connected` tells the health check whether Slack can reach the app, and
    the log says (in the app's language) when the connection goes and comes back."""

    def __init__(self, app: App, app_token: str, ping_interval: float = 5.0, locale: str = "de") -> None:
        self.token = app_token
        self._ping_interval = ping_interval
        self._locale = locale
        self._handler = SocketModeHandler(app, app_token, logger=log, ping_interval=ping_interval)
        self._closed = threading.Event()

    def connect(self) -> bool:
        """Opens the connection; a refused app token raises SlackApiError here, before slack_sdk
        would log it and retry. Returns whether the WebSocket is up (else it keeps retrying)."""
        client = self._handler.client
        client.wss_uri = client.web_client.apps_connections_open(app_token=self.token)["url"]
        self._handler.connect()
        up = self.connected
        threading.Thread(target=self._watch, args=(up,), name="briefwerk-socket-watch", daemon=True).start()
        return up

    @property
    def connected(self) -> bool:
        """Open and answering: slack_sdk drops a dead connection only after five failed pings,
        so a connection whose last pong is three ping intervals old counts as gone already."""
        session = self._handler.client.current_session
        if session is None or not session.is_active():
            return False
        last = session.last_ping_pong_time
        return last is None or time.time() - last <= 3 * self._ping_interval

    def _watch(self, was_up: bool) -> None:
        while not self._closed.wait(1.0):
            up = self.connected
            if up != was_up:
                log.warning(t("socket.up" if up else "socket.down", self._locale))
            was_up = up

    def close(self) -> None:
        self._closed.set()
        self._handler.close()
