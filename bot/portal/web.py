"""HTTP details of the portal that are about safety, not pages: cookies, CSRF tokens bound to the
session, same-origin checks, form parsing with a size cap, the reader's language, and the
headers every answer carries."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "briefwerk_portal"
LANGUAGE_COOKIE = "briefwerk_portal_lang"
LOCALES = ("de", "en")
FORM_LIMIT = 8 * 1024  # bytes; the portal's forms hold an email address or a choice

# No script runs anywhere, styles come from our own stylesheet, forms post only to us, and no
# other site may frame a page (clickjacking a sign-out or preference button).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # nosniff (and HSTS) come for every answer from bot/http_guard.py
    # The landing page's URL holds a sign-in token: never tell another site. ("no-referrer" would
    # also make browsers send "Origin: null" on our own forms, and the origin check needs it.)
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # personal pages and documents stay out of shared caches
}


class BadForm(Exception):
    """A POST the portal will not act on: wrong type, too large, foreign origin, stale CSRF token."""


def base_path(request: Request) -> str:
    """Where the portal is mounted ("/portal"); links are built from it so they stay relative."""
    return request.scope.get("root_path", "").rstrip("/")


def is_https(request: Request, public_url: str) -> bool:
    """Behind a TLS-terminating proxy the request itself may be plain HTTP; the public URL tells."""
    return request.url.scheme == "https" or public_url.startswith("https://")


def set_session_cookie(response: Response, request: Request, token: str, max_age: int, public_url: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, path=base_path(request) or "/", httponly=True,
                        secure=is_https(request, public_url), samesite="lax")


def clear_session_cookie(response: Response, request: Request, public_url: str) -> None:
    response.delete_cookie(SESSION_COOKIE, path=base_path(request) or "/", httponly=True,
                           secure=is_https(request, public_url), samesite="lax")


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


def csrf_token(session_token: str) -> str:
    """Derived from the session's secret token, so it is bound to that session, needs no storage,
    and cannot be computed by a page that cannot read the HttpOnly cookie."""
    return hmac.new(session_token.encode(), b"briefwerk portal csrf", hashlib.sha256).hexdigest()


def csrf_matches(session_token: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(csrf_token(session_token), sent)


def same_origin(request: Request, public_url: str) -> bool:
    """Browsers name the page a POST came from; one from another site is refused (login CSRF on
    the token form has no session to bind a CSRF token to)."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        return False
    origin = request.headers.get("origin")
    if origin is None:  # older browsers and non-browser clients; the CSRF token still guards sessions
        return True
    allowed = {request.headers.get("host", ""), urlsplit(public_url).netloc}
    return origin != "null" and urlsplit(origin).netloc in allowed


async def read_form(request: Request, public_url: str) -> dict[str, str]:
    """The URL-encoded form of a POST (the first value of each field), read with a size cap.
    Plain parsing, so the portal needs no multipart library."""
    if not same_origin(request, public_url):
        raise BadForm("foreign origin")
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise BadForm(f"content type {content_type or 'missing'}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_LIMIT:
            raise BadForm("form too large")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as error:
        raise BadForm(str(error)) from error
    return {name: values[0] for name, values in fields.items()}


def chosen_locale(request: Request) -> str:
    """?lang= first (and remembered in a cookie), then that cookie, then Accept-Language; German
    when nothing says otherwise."""
    asked = request.query_params.get("lang")
    if asked in LOCALES:
        return asked
    remembered = request.cookies.get(LANGUAGE_COOKIE)
    if remembered in LOCALES:
        return remembered
    return accepted_locale(request.headers.get("accept-language", ""))


def accepted_locale(header: str) -> str:
    """The language of ours the browser ranks highest (RFC 9110 quality values)."""
    best, best_quality = "de", 0.0
    for item in header.split(","):
        tag, _, params = item.strip().partition(";")
        language = tag.strip().lower().split("-", 1)[0]
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if language in LOCALES and quality > best_quality:
            best, best_quality = language, quality  # strictly greater: the earlier wins a tie
    return best


def remember_locale(request: Request, response: Response, public_url: str) -> None:
    asked = request.query_params.get("lang")
    if asked in LOCALES:
        response.set_cookie(LANGUAGE_COOKIE, asked, max_age=365 * 24 * 3600, path=base_path(request) or "/",
                            httponly=True, secure=is_https(request, public_url), samesite="lax")


def with_page_headers(response: Response) -> Response:
    for name, value in PAGE_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
