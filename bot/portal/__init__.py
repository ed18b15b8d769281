"""The built-in customer portal: contacts sign in with a link sent by email and download the
documents released to the units they hold. Served by `briefwerk serve` under /portal."""

from __future__ import annotations

from starlette.routing import Mount

from bot.portal.routes import portal_routes
from bot.wiring import Wiring

MOUNT_PATH = "/portal"


def portal_mount(wiring: Wiring) -> Mount:
    """The portal's routes under /portal, as `bot.server` and the tests mount them."""
    return Mount(MOUNT_PATH, routes=portal_routes(wiring), name="portal")


__all__ = ["MOUNT_PATH", "portal_mount", "portal_routes"]
