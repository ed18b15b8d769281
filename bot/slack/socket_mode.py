"""The app's Socket Mode connection: slack_sdk's built-in client, which acks each envelope with
Bolt's answer, follows Slack's `disconnect` to a new URL and reconnects after a drop by itself.

https://docs.slack.dev/apis/events-api/using-socket-mode
"""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

log = logging.getLogger("briefwerk.slack.socket")


class SocketLink:
    """`connect()` once; `connected` tells the health check whether Slack can reach the app."""

    def __init__(self, app: App, app_token: str, ping_interval: float = 10.0) -> None:
        self._token = app_token
        self._handler = SocketModeHandler(app, app_token, logger=log, ping_interval=ping_interval)

    def connect(self) -> bool:
        """Opens the connection; a refused app token raises SlackApiError here, before slack_sdk
        would log it and retry. Returns whether the WebSocket is up (else it keeps retrying)."""
        client = self._handler.client
        client.wss_uri = client.web_client.apps_connections_open(app_token=self._token)["url"]
        self._handler.connect()
        return self.connected

    @property
    def connected(self) -> bool:
        return self._handler.client.is_connected()

    def close(self) -> None:
        self._handler.close()
