"""POST /webhooks/pingen: Pingen's signed webhook. The letters it names are polled at once
(claims and compare-and-set apply as usual); a bad signature is refused."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.providers.pingen.client import PingenProvider, WebhookSignatureInvalid
from domain.services import tracking

if TYPE_CHECKING:
    from bot.slack.app import SlackDeps


def routes(deps: SlackDeps) -> list[BaseRoute]:
    async def pingen_webhook(request: Request) -> Response:
        provider = deps.wiring.providers.get("pingen")
        if not isinstance(provider, PingenProvider):
            return Response(status_code=404)
        body = await request.body()
        try:
            events = provider.parse_webhook(body, request.headers.get("signature", ""))
        except WebhookSignatureInvalid:
            return Response(status_code=401)

        def store() -> None:
            with deps.wiring.unit_of_work() as (session, _):
                tracking.poll_soon(session, {event.provider_ref for event in events})

        await run_in_threadpool(store)
        return Response(status_code=204)

    return [Route("/webhooks/pingen", pingen_webhook, methods=["POST"])]
