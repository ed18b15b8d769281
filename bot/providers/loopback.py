"""Local stand-ins for the print-and-mail providers' HTTP APIs: real HTTP on 127.0.0.1 (a free
port, served from a daemon thread), with faults that can be queued per route or sprinkled at
random with a fixed seed.

A stand-in is an `App` (request in, `Reply` out) behind `LoopbackServer`. Faults every stand-in
understands:
- validation: a 4xx refusal in the provider's error format;
- unauthorized: 401, as for an expired token or wrong credentials;
- rate_limited: 429 with Retry-After;
- server_error: 500;
- slow: the normal answer, but only after `slow_seconds` (longer than the client's timeout);
- crash_after_accept: the request takes effect (the letter is stored) but the connection is
  closed without an answer, as when a provider crashes after committing.
"""

from __future__ import annotations

import json
import random
import threading
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, Self
from urllib.parse import parse_qs, urlsplit

HOST = "127.0.0.1"  # stand-ins are reachable from this machine only


class Fault(StrEnum):
    VALIDATION = "validation"
    UNAUTHORIZED = "unauthorized"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    SLOW = "slow"
    CRASH_AFTER_ACCEPT = "crash_after_accept"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list → JSON, bytes → as is, None → empty
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    delay: float = 0.0  # seconds to wait before answering
    drop: bool = False  # close the connection without any answer

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode("utf-8")


class App(Protocol):
    def handle(self, request: Request) -> Reply: ...


class FaultPlan:
    """Which request fails how. Queued faults hit the next requests to a route, in order;
    `chaos` makes a seeded share of the requests to some routes fail with a random fault."""

    def __init__(self) -> None:
        self._queued: dict[str, deque[Fault | None]] = defaultdict(deque)
        self._chaos: tuple[dict[str, float], random.Random, tuple[Fault, ...]] | None = None
        self._lock = threading.Lock()
        self.injected: list[tuple[str, Fault]] = []

    def queue(self, route: str, *faults: Fault | None) -> None:
        """The next requests to `route` fail with these faults in turn; None lets one pass."""
        with self._lock:
            self._queued[route].extend(faults)

    def chaos(self, rates: Mapping[str, float], faults: Iterable[Fault], seed: int = 7) -> None:
        """Each request to a route in `rates` fails with that probability, with a random fault."""
        with self._lock:
            self._chaos = (dict(rates), random.Random(seed), tuple(faults))

    def calm(self) -> None:
        with self._lock:
            self._chaos = None
            self._queued.clear()

    def next(self, route: str) -> Fault | None:
        with self._lock:
            if self._queued[route]:
                fault = self._queued[route].popleft()
            elif self._chaos is not None:
                rates, rng, faults = self._chaos
                fault = rng.choice(faults) if rng.random() < rates.get(route, 0.0) else None
            else:
                fault = None
            if fault is not None:
                self.injected.append((route, fault))
            return fault


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection: a dropped answer hits only itself

    def _serve(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(
            method=self.command, path=split.path, query=parse_qs(split.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()}, body=body,
        )
        reply = self.server.app.handle(request)
        if reply.delay:
            threading.Event().wait(reply.delay)
        if reply.drop:
            self.close_connection = True
            return
        payload = reply.encoded()
        self.send_response(reply.status)
        if payload:
            self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout): fine
            pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, app: App) -> None:
        self.app = app
        super().__init__((HOST, 0), _Handler)


class LoopbackServer:
    """Serves `app` on 127.0.0.1 at a free port until `stop()` (or the end of a `with`)."""

    def __init__(self, app: App) -> None:
        self._server = _Server(app)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._server.server_port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class StandIn:
    """What every provider stand-in shares: served by `LoopbackServer` from `start()` until
    `stop()` (or a `with`); `base_url` is where its API answers, below `API_PATH`."""

    API_PATH = ""

    base_url: str = ""
    _server: LoopbackServer | None = None

    def handle(self, request: Request) -> Reply:
        raise NotImplementedError

    def start(self) -> Self:
        self._server = LoopbackServer(self).start()
        self.base_url = f"{self._server.url}{self.API_PATH}"
        return self

    def stop(self) -> None:
        if self._server:
            self._server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
