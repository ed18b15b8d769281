"""What every request passes before any route reads it: a size limit per path (a declared
Content-Length over it is refused at once, a body that grows past it is refused as soon as it
does; small bodies are read here whole, so no route parses a body before its limit is known),
and the headers every answer carries (HSTS when the public address is https)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

KB, MB = 1 << 10, 1 << 20


@dataclass(frozen=True)
class BodyLimits:
    """Largest request body per path prefix, in bytes; the first prefix that matches applies.
    None: the route streams its body and limits it itself (the intake API)."""

    by_prefix: tuple[tuple[str, int | None], ...]
    default: int = 64 * KB

    def for_path(self, path: str) -> int | None:
        return next((limit for prefix, limit in self.by_prefix if path.startswith(prefix)), self.default)


# Slack sends events and interactions well under 1 MB (a view submission with many inputs is the
# largest); providers' webhooks are small JSON; portal forms hold an address or a choice.
BODY_LIMITS = BodyLimits(by_prefix=(("/api/v1/", None), ("/slack/", 2 * MB), ("/webhooks/", 1 * MB),
                                    ("/portal/", 16 * KB)))


class Guard:
    """ASGI middleware: body size limits, then the headers of every answer."""

    def __init__(self, app: ASGIApp, https: bool, limits: BodyLimits = BODY_LIMITS) -> None:
        self.app, self.limits, self.https = app, limits, https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_path(scope["path"])
        if limit is not None:
            declared = _content_length(scope)
            if declared is not None and declared > limit:
                await _refuse(send, limit)
                return
            body = await _read_up_to(receive, limit)
            if body is None:
                await _refuse(send, limit)
                return
            receive = _replaying(body, receive)

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                message["headers"] = headers + [(n, v) for n, v in self._headers(scope["path"]) if n not in present]
            await send(message)

        await self.app(scope, receive, sending)

    def _headers(self, path: str) -> list[tuple[bytes, bytes]]:
        headers = [(b"x-content-type-options", b"nosniff")]
        if self.https:
            headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
        if path.startswith("/links/"):  # a download link: never cached, never named to another site
            headers += [(b"cache-control", b"no-store"), (b"referrer-policy", b"no-referrer")]
        return headers


async def _read_up_to(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it is longer than the limit (the rest is never read)."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return bytes(body)
        body += message.get("body", b"")
        if len(body) > limit:
            return None
        if not message.get("more_body", False):
            return bytes(body)


def _replaying(body: bytes, receive: Receive) -> Receive:
    given = False

    async def replay() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send, limit: int) -> None:
    body = f"Request body too large (more than {limit // KB} KB)\n".encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
