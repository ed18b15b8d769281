"""The portal's HTTP endpoints: thin handlers that read the request, call one use case of
`domain.services.portal` off the event loop, and answer with a page, a redirect or a file."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from sqlmodel import Session
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.portal import templates as pages
from bot.portal.web import (
    BadForm,
    base_path,
    chosen_locale,
    clear_session_cookie,
    csrf_matches,
    csrf_token,
    read_form,
    remember_locale,
    session_token,
    set_session_cookie,
    with_page_headers,
)
from bot.wiring import Wiring
from domain.errors import InvalidInput, NotAllowed
from domain.models import Organisation
from domain.ports import Ports
from domain.services import portal
from domain.services.portal import PortalPolicy, Viewer, VisibleDocument

log = logging.getLogger(__name__)
T = TypeVar("T")
EMAIL = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")


class PortalEndpoints:
    """One instance per app; it holds the wiring, nothing per request."""

    def __init__(self, wiring: Wiring) -> None:
        self.wiring = wiring
        settings = wiring.settings
        self.public_url = settings.public_url
        self.policy = PortalPolicy(login_minutes=settings.portal_login_minutes,
                                   session_hours=settings.portal_session_hours)

    # --- plumbing -------------------------------------------------------------------------------

    async def in_db(self, work: Callable[[Session, Ports], T]) -> T:
        """Database work runs in the thread pool, one unit of work each."""
        def run() -> T:
            with self.wiring.unit_of_work() as (session, ports):
                return work(session, ports)

        return await run_in_threadpool(run)

    async def current(self, request: Request) -> tuple[Viewer | None, datetime]:
        token = session_token(request)

        def look(session: Session, ports: Ports) -> tuple[Viewer | None, datetime]:
            now = ports.clock()
            return portal.viewer(session, token, now), now

        return await self.in_db(look)

    def nav(self, request: Request, current: str, organisation: str) -> pages.Nav:
        return pages.Nav(organisation=organisation, csrf=csrf_token(session_token(request) or ""), current=current)

    def page(self, request: Request, html: str, status: int = 200) -> Response:
        response = with_page_headers(HTMLResponse(html, status_code=status))
        remember_locale(request, response, self.public_url)
        return response

    def redirect(self, request: Request, path: str) -> Response:
        """303: after a POST the browser fetches the next page with GET."""
        return with_page_headers(RedirectResponse(base_path(request) + path, status_code=303))

    def to_sign_in(self, request: Request) -> Response:
        """No valid session: back to the form, and a stale cookie is dropped."""
        response = self.redirect(request, "/")
        if session_token(request):
            clear_session_cookie(response, request, self.public_url)
        return response

    def not_found(self, request: Request, nav: pages.Nav | None = None) -> Response:
        html = pages.not_found_page(chosen_locale(request), base_path(request), nav)
        return self.page(request, html, 404)

    def bad_request(self, request: Request, reason: str) -> Response:
        log.info("portal refused a form: %s", reason)
        return self.page(request, pages.bad_request_page(chosen_locale(request), base_path(request)), 400)

    # --- signing in -----------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        viewer, _ = await self.current(request)
        if viewer is not None:
            return self.redirect(request, "/documents")
        locale = chosen_locale(request)
        notice = pages.say(locale, "portal.signed_out") if request.query_params.get("signed_out") else ""
        response = self.page(request, pages.sign_in_page(locale, base_path(request), notice=notice))
        if session_token(request):
            clear_session_cookie(response, request, self.public_url)
        return response

    async def request_link(self, request: Request) -> Response:
        """Always the same answer, at once: the work (and its timing) happens after the response."""
        try:
            form = await read_form(request, self.public_url)
        except BadForm as error:
            return self.bad_request(request, str(error))
        locale = form.get("lang") if form.get("lang") in ("de", "en") else chosen_locale(request)
        email = form.get("email", "").strip()
        if len(email) > 254 or not EMAIL.match(email):
            error = pages.say(locale, "portal.sign_in.email_invalid")
            return self.page(request, pages.sign_in_page(locale, base_path(request), error=error, email=email[:254]), 400)
        login_url = f"{self.public_url.rstrip('/')}{base_path(request)}/login"  # never the Host header
        response = self.redirect(request, "/check-email")
        client = request.client.host if request.client else "unknown"  # behind a trusted proxy: its X-Forwarded-For
        response.background = BackgroundTask(self.send_link, email, login_url, locale, client)
        return response

    def send_link(self, email: str, login_url: str, locale: str, client: str) -> None:
        try:
            with self.wiring.unit_of_work() as (session, ports):
                portal.request_sign_in(session, ports.mailer, email, login_url, ports.clock(), self.policy, locale,
                                       client)
        except Exception:  # after the response nobody else would hear of it: log it
            log.exception("portal: sending a sign-in link failed")

    async def check_email(self, request: Request) -> Response:
        html = pages.check_email_page(chosen_locale(request), base_path(request), self.policy.login_minutes)
        return self.page(request, html)

    async def confirm(self, request: Request) -> Response:
        token = request.path_params["token"]
        locale = chosen_locale(request)
        usable = await self.in_db(lambda session, ports: portal.link_usable(session, token, ports.clock()))
        if not usable:
            error = pages.say(locale, "portal.link_invalid")
            return self.page(request, pages.sign_in_page(locale, base_path(request), error=error), 400)
        return self.page(request, pages.confirm_page(locale, base_path(request), token))

    async def log_in(self, request: Request) -> Response:
        try:
            form = await read_form(request, self.public_url)
        except BadForm as error:
            return self.bad_request(request, str(error))
        token, previous = form.get("token", ""), session_token(request)
        try:
            signed_in = await self.in_db(
                lambda session, ports: portal.sign_in(session, token, ports.clock(), self.policy, replacing=previous))
        except NotAllowed as refused:
            locale = chosen_locale(request)
            html = pages.sign_in_page(locale, base_path(request), error=pages.esc(refused.render(locale)))
            return self.page(request, html, 400)
        response = self.redirect(request, "/documents")
        max_age = int(self.policy.session_hours * 3600)
        set_session_cookie(response, request, signed_in.token, max_age, self.public_url)
        return response

    async def sign_out(self, request: Request) -> Response:
        try:
            form = await read_form(request, self.public_url)
        except BadForm as error:
            return self.bad_request(request, str(error))
        token = session_token(request)
        viewer, _ = await self.current(request)
        if viewer is not None and not csrf_matches(token or "", form.get("csrf")):
            return self.bad_request(request, "sign-out without a matching CSRF token")
        if viewer is not None:
            await self.in_db(lambda session, ports: portal.sign_out(session, token, ports.clock()))
        response = self.redirect(request, "/?signed_out=1")
        clear_session_cookie(response, request, self.public_url)
        return response

    # --- signed in ------------------------------------------------------------------------------

    async def documents(self, request: Request) -> Response:
        token = session_token(request)

        def load(session: Session, ports: Ports) -> tuple[Viewer, list[VisibleDocument], str] | None:
            now = ports.clock()
            found = portal.viewer(session, token, now)
            if found is None:
                return None
            docs = portal.visible_documents(session, found.contact, now.date())
            return found, docs, _organisation_name(session, found)

        loaded = await self.in_db(load)
        if loaded is None:
            return self.to_sign_in(request)
        viewer, docs, organisation = loaded
        locale = chosen_locale(request)
        nav = self.nav(request, "documents", organisation)
        return self.page(request, pages.documents_page(locale, base_path(request), nav, viewer.contact.name, docs))

    async def download(self, request: Request) -> Response:
        """404 for anything the session's contact may not see, exactly as for what does not exist;
        without a session, the sign-in page (which says nothing about the document either)."""
        token, public_id = session_token(request), request.path_params["public_id"]

        def find(session: Session, ports: Ports) -> tuple[Viewer | None, tuple[Path, str] | None]:
            now = ports.clock()
            found = portal.viewer(session, token, now)
            if found is None:
                return None, None
            document = portal.document_for(session, found.contact, public_id, now.date())
            return found, (ports.files.local(document.path), document.title) if document else None

        viewer, document = await self.in_db(find)
        if viewer is None:
            return self.to_sign_in(request)
        if document is None or not document[0].is_file():
            if document is not None:
                log.error("portal: document file missing: %s", document[0])
            return self.not_found(request)
        path, title = document
        response = FileResponse(path, media_type="application/pdf", filename=download_name(title),
                                content_disposition_type="attachment")
        return with_page_headers(response)

    async def preference(self, request: Request) -> Response:
        viewer, _ = await self.current(request)
        if viewer is None:
            return self.to_sign_in(request)
        organisation = await self.in_db(lambda session, ports: _organisation_name(session, viewer))
        nav = self.nav(request, "preference", organisation)
        html = pages.preference_page(chosen_locale(request), base_path(request), nav, viewer.contact.preference,
                                     saved=bool(request.query_params.get("saved")))
        return self.page(request, html)

    async def save_preference(self, request: Request) -> Response:
        try:
            form = await read_form(request, self.public_url)
        except BadForm as error:
            return self.bad_request(request, str(error))
        viewer, _ = await self.current(request)
        if viewer is None:
            return self.to_sign_in(request)
        if not csrf_matches(session_token(request) or "", form.get("csrf")):
            return self.bad_request(request, "preference without a matching CSRF token")
        try:
            await self.in_db(lambda session, ports: portal.set_preference(session, viewer.contact.id,
                                                                           form.get("preference", "")))
        except InvalidInput:
            organisation = await self.in_db(lambda session, ports: _organisation_name(session, viewer))
            nav = self.nav(request, "preference", organisation)
            html = pages.preference_page(chosen_locale(request), base_path(request), nav, viewer.contact.preference,
                                         error=True)
            return self.page(request, html, 400)
        return self.redirect(request, "/preference?saved=1")

    async def stylesheet(self, _: Request) -> Response:
        return Response(pages.STYLESHEET, media_type="text/css",
                        headers={"Cache-Control": "public, max-age=3600"})

    async def unknown(self, request: Request) -> Response:
        return self.not_found(request)


def _organisation_name(session: Session, viewer: Viewer) -> str:
    organisation = session.get(Organisation, viewer.contact.organisation_id)
    return organisation.name if organisation else ""


def download_name(title: str) -> str:
    """A file name from the document's title: no path separators or control characters."""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]+', "_", title).strip(" .") or "Dokument"
    return name if name.lower().endswith(".pdf") else f"{name}.pdf"


def portal_routes(wiring: Wiring) -> list[Route]:
    """The portal's routes, to be mounted under /portal (see `portal_mount`)."""
    endpoints = PortalEndpoints(wiring)
    return [
        Route("/", endpoints.home, methods=["GET"], name="home"),
        Route("/sign-in", endpoints.request_link, methods=["POST"], name="request_link"),
        Route("/check-email", endpoints.check_email, methods=["GET"], name="check_email"),
        Route("/login/{token}", endpoints.confirm, methods=["GET"], name="confirm"),
        Route("/login", endpoints.log_in, methods=["POST"], name="log_in"),
        Route("/documents", endpoints.documents, methods=["GET"], name="documents"),
        Route("/d/{public_id}", endpoints.download, methods=["GET"], name="download"),
        Route("/preference", endpoints.preference, methods=["GET"], name="preference"),
        Route("/preference", endpoints.save_preference, methods=["POST"], name="save_preference"),
        Route("/sign-out", endpoints.sign_out, methods=["POST"], name="sign_out"),
        Route("/portal.css", endpoints.stylesheet, methods=["GET"], name="stylesheet"),
        Route("/{rest:path}", endpoints.unknown, methods=["GET", "POST"], name="unknown"),
    ]
