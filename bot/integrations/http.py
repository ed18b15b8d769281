"""HTTP plumbing shared by the print-and-mail clients: one exchange in which timeouts, dropped
connections, 429 and 5xx become `Transient` failures, and a retry loop with capped exponential
backoff that looks the letter up before it repeats anything the provider may already have done.

The loop is where "never twice" is kept: after an *ambiguous* failure (the request may have
reached the provider: a timeout, a connection dropped mid-answer, a 5xx) nothing is sent again
until a lookup has answered "not there". A failed lookup is itself a reason to wait, never a
licence to send blindly.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field

from domain.errors import InvalidInput
from domain.messages import Message
from domain.ports import ProviderUnavailable, ShipmentRequest

T = TypeVar("T")
Sleep = Callable[[float], None]
Clock = Callable[[], datetime]


class Transient(Exception):
    """The provider gave no decision this time; `ambiguous` when it may still have acted."""

    def __init__(self, reason: str, *, ambiguous: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.ambiguous = ambiguous
        self.retry_after = retry_after


class CredentialsRefused(ProviderUnavailable):
    """The provider refused our credentials (even after a fresh token): a setting to fix, not a
    letter to fail. A `ProviderUnavailable`, so callers that wait and retry stay correct."""

    def __init__(self, provider: str, detail: str) -> None:
        self.message = Message("provider.credentials_refused", {"provider": provider, "detail": detail})
        super().__init__(self.message.render("en"))


class RetryPolicy(BaseModel):
    """How long to keep trying: `attempts` sends in all, waiting base·2ⁿ seconds (capped) in
    between, or what the provider's Retry-After asks for (capped too, so a confused provider
    cannot park a dispatch run for hours)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    attempts: int = Field(default=6, ge=1)
    base_delay: float = Field(default=0.5, ge=0)
    max_delay: float = Field(default=30.0, ge=0)
    max_retry_after: float = Field(default=120.0, ge=0)
    jitter: float = Field(default=0.1, ge=0, le=1)  # ± fraction, so parallel runs do not march in step

    def delay(self, retry: int, retry_after: float | None = None, rand: Callable[[], float] = random.random) -> float:
        backoff = min(self.max_delay, self.base_delay * (2**retry))
        backoff *= 1 + self.jitter * (2 * rand() - 1)
        if retry_after is not None:
            return max(backoff, min(retry_after, self.max_retry_after))
        return backoff


def exchange(client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request. Raises `Transient` for answers that decide nothing (429, 408, 5xx) and for
    network failures; a connection that never opened is not ambiguous, everything else is."""
    try:
        response = client.request(method, url, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout) as error:
        raise Transient(f"{method} {url}: cannot connect ({error.__class__.__name__})", ambiguous=False) from error
    except httpx.TimeoutException as error:
        raise Transient(f"{method} {url}: no answer in time", ambiguous=True) from error
    except httpx.TransportError as error:  # dropped mid-request or mid-answer
        raise Transient(f"{method} {url}: connection lost ({error.__class__.__name__})", ambiguous=True) from error
    status = response.status_code
    if status == 429:
        raise Transient(f"{method} {url}: rate limited", ambiguous=False, retry_after=retry_after_seconds(response))
    if status == 408 or status >= 500:
        raise Transient(f"{method} {url}: HTTP {status}", ambiguous=True, retry_after=retry_after_seconds(response))
    return response


def retry_after_seconds(response: httpx.Response, now: Clock | None = None) -> float | None:
    """Retry-After as seconds: either a number or an HTTP date (RFC 9110 §10.2.3)."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = now() if now else datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


def with_retries(
    attempt: Callable[[], T],
    policy: RetryPolicy,
    sleep: Sleep,
    *,
    what: str,
    recover: Callable[[], T | None] | None = None,
) -> T:
    """Run `attempt` until it returns or raises something other than `Transient`.

    `recover` looks up whether an earlier, ambiguous attempt took effect; after such a failure it
    must answer None before `attempt` runs again, and whatever it finds is returned instead. A
    `recover` that fails transiently leaves the question open, so the next round asks again.
    Exhausted attempts raise `ProviderUnavailable` naming the last reason.
    """
    must_check = False
    last, retry_after = "no attempt made", None
    for retry in range(policy.attempts):
        if retry:
            sleep(policy.delay(retry - 1, retry_after))
        try:
            if must_check and recover is not None:
                found = recover()
                if found is not None:
                    return found
                must_check = False
            return attempt()
        except Transient as failure:
            last, retry_after = failure.reason, failure.retry_after
            must_check = must_check or failure.ambiguous
    raise ProviderUnavailable(f"{what}: gave up after {policy.attempts} attempts ({last})")


def provider_reason(response: httpx.Response, limit: int = 300) -> str:
    """The provider's own words for a refusal, from the usual JSON shapes, else the raw text."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:limit] or f"HTTP {response.status_code}"
    return _reason_from(body, limit) or f"HTTP {response.status_code}"


def _reason_from(body: Any, limit: int) -> str:
    if not isinstance(body, dict):
        return str(body)[:limit]
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        parts = [_one_error(error) for error in errors if isinstance(error, dict)]
        return "; ".join(part for part in parts if part)[:limit]
    for key in ("message", "error_description", "error", "detail", "title"):
        if isinstance(body.get(key), str) and body[key]:
            return body[key][:limit]
    return ""


def _one_error(error: dict[str, Any]) -> str:
    """A JSON:API error object: its detail (or title), with the field it points at."""
    text = error.get("detail") or error.get("title") or error.get("code") or ""
    pointer = (error.get("source") or {}).get("pointer") if isinstance(error.get("source"), dict) else None
    field = pointer.rsplit("/", 1)[-1] if isinstance(pointer, str) and pointer else ""
    return f"{field}: {text}" if field and field not in str(text) else str(text)


class Throttle:
    """Keeps at least `min_interval` seconds between request starts (LetterXpress allows 120 a
    minute); cheaper than collecting 429s. Not shared between processes: the 429 handling still
    covers several instances."""

    def __init__(self, min_interval: float, sleep: Sleep, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.min_interval = min_interval
        self._sleep = sleep
        self._monotonic = monotonic
        self._last: float | None = None
        self._lock = threading.Lock()

    def wait(self) -> None:
        if self.min_interval <= 0:
            return
        with self._lock:  # threads queue up: each start keeps its distance to the one before
            now = self._monotonic()
            if self._last is not None and now - self._last < self.min_interval:
                self._sleep(self.min_interval - (now - self._last))
                now = self._monotonic()
            self._last = now


def require_newest_first(times: list[datetime], before: datetime | None, what: str) -> None:
    """A lookup that stops at the first letter older than its start is only sound on a list
    sorted newest first; a provider ignoring the sort would turn "not read" into "not there"."""
    ordered = [before, *times] if before is not None else times
    if any(later > earlier for earlier, later in zip(ordered, ordered[1:])):
        raise ProviderUnavailable(f"{what} inconclusive: the provider did not list newest first")


# --- checks every provider client makes before it spends a request ------------------------------


def refuse_registered_abroad(request: ShipmentRequest, home_country: str) -> None:
    """Registered mail (Einwurfeinschreiben) is a domestic product: refuse it before paying for it."""
    if request.options.registered and request.recipient.country != home_country:
        raise InvalidInput("provider.registered_abroad", reference=request.reference,
                           country=request.recipient.country)


def read_print_file(request: ShipmentRequest, provider: str, limit: int) -> bytes:
    """The print file's bytes; a missing file or one over the provider's size limit fails this
    letter only, with a reason the user can act on."""
    try:
        data = request.pdf_path.read_bytes()
    except OSError as error:
        raise InvalidInput("provider.file_unreadable", reference=request.reference,
                           detail=error.strerror or error.__class__.__name__) from error
    if len(data) > limit:
        raise InvalidInput("provider.too_large", reference=request.reference, provider=provider,
                           size=round(len(data) / 1_000_000, 1), limit=round(limit / 1_000_000, 1))
    return data
