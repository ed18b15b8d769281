"""`briefwerk serve`: the HTTP side — Slack events and interactions, the OAuth install flow,
the intake API for ERPs (/api/v1), a health check, and the built-in customer portal under /portal (unless the company's own portal
is told by webhook) — as an ASGI app (Starlette) run by uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html import escape

from slack_bolt import App, BoltRequest
from slack_bolt.adapter.starlette.handler import to_starlette_response
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot import api
from bot.http_guard import Guard
from bot.portal import portal_mount
from bot.providers.registry import PLUGINS
from bot.slack.app import SlackDeps
from bot.slack.socket_mode import SocketLink
from domain.errors import BriefwerkError
from domain.services import links


def _bolt_request(request: Request, body: str) -> BoltRequest:
    return BoltRequest(body=body, query=str(request.query_params), headers=dict(request.headers))


def asgi_app(app: App, deps: SlackDeps, socket: SocketLink | None = None) -> Guard:
    """`socket`: in Socket Mode, its connection is part of the health check (503 while down,
    because Slack cannot reach the app then)."""
    verifier = SignatureVerifier(deps.wiring.settings.slack_signing_secret.get_secret_value()) \
        if deps.wiring.settings.slack_signing_secret else None

    async def events(request: Request) -> Response:
        """The signature is checked before the body is parsed (unsigned or stale: 401; signed but
        malformed: 400). Bolt's dispatch is synchronous and waits for ack(): run it off the loop."""
        body = await request.body()
        headers = request.headers
        try:
            text = body.decode("utf-8")  # Slack sends UTF-8; the verifier would fail on anything else
        except UnicodeDecodeError:
            return Response("malformed request body", status_code=400)
        if not _signed(verifier, body, headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature")):
            return Response("invalid request signature", status_code=401)
        try:
            bolt_request = _bolt_request(request, text)
        except ValueError:  # JSON or a form payload that does not parse
            return Response("malformed request body", status_code=400)
        response = await run_in_threadpool(app.dispatch, bolt_request)
        return to_starlette_response(response)

    async def install(request: Request) -> Response:
        if app.oauth_flow is None:
            return Response("OAuth is not configured", status_code=404)
        response = await run_in_threadpool(app.oauth_flow.handle_installation, _bolt_request(request, ""))
        return to_starlette_response(response)

    async def oauth_redirect(request: Request) -> Response:
        if app.oauth_flow is None:
            return Response("OAuth is not configured", status_code=404)
        response = await run_in_threadpool(app.oauth_flow.handle_callback, _bolt_request(request, ""))
        return to_starlette_response(response)

    async def healthz(_: Request) -> Response:
        def check() -> None:
            with deps.wiring.engine.connect() as connection:
                connection.execute(text("select 1"))

        try:
            await run_in_threadpool(check)
        except Exception as error:  # noqa: BLE001 - report any database failure as unhealthy
            return JSONResponse({"ok": False, "database": type(error).__name__}, status_code=503)
        if socket is None:
            return JSONResponse({"ok": True})
        if not socket.connected:
            return JSONResponse({"ok": False, "slack_socket": "disconnected"}, status_code=503)
        return JSONResponse({"ok": True, "slack_socket": "connected"})

    settings = deps.wiring.settings

    async def download(request: Request) -> Response:
        """A download link from an email: the PDF/A file, or a plain page saying why not."""

        def fetch() -> Response:
            """The file from this machine, or a short-lived address of the object storage."""
            try:
                with deps.wiring.unit_of_work() as (session, ports):
                    link, name = links.open_download(session, ports, request.path_params["token"], _visitor(request))
                    url = ports.files.url_for(link.path, name, seconds=300) if settings.storage_redirects else None
                    if url is not None:
                        return RedirectResponse(url, status_code=303)
                    return FileResponse(ports.files.local(link.path), media_type="application/pdf", filename=name)
            except BriefwerkError as error:
                return HTMLResponse(_page(error.render(deps.wiring.settings.locale)), status_code=404)

        return await run_in_threadpool(fetch)

    routes: list[BaseRoute] = [
        *api.routes(deps),
        *(route for plugin in PLUGINS.values() for route in plugin.routes(deps)),
        Route("/links/{token}", download, methods=["GET"]),
        Route("/slack/events", events, methods=["POST"]),
        Route("/slack/install", install, methods=["GET"]),
        Route("/slack/oauth_redirect", oauth_redirect, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    if deps.wiring.settings.portal_webhook_url is None:  # with a company portal, contacts sign in there
        routes.append(portal_mount(deps.wiring))

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(deps.background.shutdown)

    return Guard(Starlette(routes=routes, lifespan=lifespan), https=settings.public_url.startswith("https://"))


def _signed(verifier: SignatureVerifier | None, body: bytes, timestamp: str | None, signature: str | None) -> bool:
    """Slack's signature over the raw body, from the last five minutes (slack_sdk's verifier)."""
    if verifier is None or not timestamp or not signature:
        return False
    try:
        return verifier.is_valid(body, timestamp, signature)
    except ValueError:  # a timestamp that is no number
        return False


def _visitor(request: Request) -> links.Visitor | None:
    """Who opens a download link, counted once: a HEAD request or the rest of a download (Range)
    is not another use."""
    if request.method != "GET" or "range" in request.headers:
        return None
    address = request.client.host if request.client else ""
    return links.Visitor(address=address, agent=request.headers.get("user-agent", ""))


def _page(text: str) -> str:
    return f'<!doctype html><html lang="de"><meta charset="utf-8"><title>briefwerk</title><p>{escape(text)}</p></html>'
