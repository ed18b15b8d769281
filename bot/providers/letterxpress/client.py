"""LetterXpress (LXP API v3) as a print-and-mail provider: sends each print-ready PDF as one print
job, reads its status, and cancels it while LetterXpress still allows that.

Sources followed:
- LXP API documentation (v3), https://www.letterxpress.de/briefe-uebertragen/api and
  https://www.letterxpress.de/versandwege/api: JSON requests with `Content-Type: application/json`,
  username + API key, up to 50 MB per request.
- Endpoint and field details as implemented, and verified against the live API, by
  emuuu/Parcel.NET (LetterXpress v3 carrier, PR #50 https://github.com/emuuu/Parcel.NET/pull/50):
  `auth` {username, apikey, mode test|live} inside the body of *every* request (GET and DELETE
  too); exactly `application/json` (a charset suffix is refused with 400); `POST /printjobs` with
  `letter` {base64_file, base64_file_checksum = md5 hex of the base64 text, specification
  {color "1"|"4", mode simplex|duplex, shipping national|international, c4}, filename_original,
  registered r1|r2, notice ≤ 255 chars}; `GET /printjobs?filter=queue|hold|done|canceled|draft&page=n`
  (15 a page, `pagination`), `GET|DELETE /printjobs/{id}`; answers {status, message, data}, the
  body's `status` mirroring the HTTP code; times in Berlin local time without offset.
- Registered mail national only, 120 requests a minute, cancellation within about 2 hours and
  before the daily hand-over: shared/FIELD-NOTES.md (cut-off times have changed, so they are
  settings here).

Finding a job by our reference: the job's `notice` (a documented free text returned with every
job) carries the reference, and `filename_original` repeats it. LXP cannot search by notice, so
`lookup` reads each job list newest first and stops at the first job created before `since` (the
moment our first attempt began): its cost follows the letters of the last hours, not the account's
history. It reads the lists only, never a single job (whose answer carries the rendered PDF).
A window longer than `lookup_max_pages` pages per list raises `ProviderUnavailable` rather than
guessing "not there". That LXP lists newest first is what the stand-in and Parcel.NET show; the
client still checks each job's time, so an older order only costs pages, never a wrong answer.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time as clock_time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self
from zoneinfo import ZoneInfo

import httpx

from bot.providers.letterxpress.capabilities import cancel_deadline, capabilities
from bot.providers.letterxpress.settings import LetterXpressConfig
from bot.integrations.http import (
    Clock,
    CredentialsRefused,
    Sleep,
    Throttle,
    Transient,
    exchange,
    read_print_file,
    require_newest_first,
    refuse_registered_abroad,
    with_retries,
)
from domain.errors import InvalidInput
from domain.ports import (
    LetterStatus,
    PriceQuery,
    ProviderEvent,
    ProviderLetter,
    ProviderUnavailable,
    ShipmentRequest,
    system_clock,
)

NAME = "LetterXpress"
BERLIN = ZoneInfo("Europe/Berlin")
# 50 MB per request and base64 adds a third: the profile's 36 MB leaves room for the JSON around it.
MAX_FILE_BYTES = 36_000_000
OPEN_LISTS = ("queue", "hold", "draft")
ALL_LISTS = (*OPEN_LISTS, "done", "canceled")

STATUS_STATES: dict[str, LetterStatus] = {
    "queue": LetterStatus.ACCEPTED,
    "hold": LetterStatus.WAITING_FOR_CREDIT,  # held until the account has credit again
    "draft": LetterStatus.ACCEPTED,  # test mode: parked in the Postbox
    "done": LetterStatus.POSTED,
    "sent": LetterStatus.POSTED,
    "canceled": LetterStatus.CANCELLED,
    "cancelled": LetterStatus.CANCELLED,
}


@dataclass(frozen=True)
class Answer:
    """A LetterXpress answer: the effective status (the body's, which mirrors HTTP) and data."""

    status: int
    message: str
    data: Any
    from_lxp: bool = True  # False: not LXP's {status, message, data} envelope (a proxy's page, a wrong URL)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class LetterXpressProvider:
    """The `Provider` port over LXP API v3. Thread-safe: it keeps no state between requests but the throttle."""

    key = "letterxpress"

    def __init__(
        self,
        config: LetterXpressConfig,
        *,
        http: httpx.Client | None = None,
        sleep: Sleep = clock_time.sleep,
        clock: Clock = system_clock,
        monotonic: Callable[[], float] = clock_time.monotonic,
    ) -> None:
        self.config = config
        self.capabilities = capabilities(config)
        self._http = http or httpx.Client(timeout=config.timeout)
        self._sleep = sleep
        self._clock = clock
        self._monotonic = monotonic
        self._throttle = Throttle(config.min_interval, sleep, monotonic)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- the Provider port -----------------------------------------------------------------

    def lookup(self, reference: str, since: datetime | None = None) -> ProviderLetter | None:
        """The job carrying `reference` among the jobs created since `since`, from the lists alone."""
        start = since or self._clock() - self.config.lookup_window
        return self._retrying(lambda: self._find(reference, start), f"lookup {reference}")

    def status(self, letter: ProviderLetter) -> ProviderLetter | None:
        job = self._retrying(lambda: self._job(letter.provider_ref), f"show {letter.reference}")
        return job_letter(job, letter.reference, letter.sha256) if job is not None else None

    def submit(self, request: ShipmentRequest) -> ProviderLetter:
        """Create the print job. LXP takes no idempotency key, so after a lost answer the lists
        are read back to `request.since` before anything is sent again."""
        refuse_registered_abroad(request, self.config.home_country)
        letter = printjob_letter(request, read_print_file(request, NAME, MAX_FILE_BYTES), self.config)
        since = request.since or self._clock() - self.config.lookup_window
        return with_retries(
            lambda: self._create(request, letter), self.config.retry, self._sleep,
            what=f"create {request.reference}", recover=lambda: self._find(request.reference, since),
        )

    def cancel(self, letter: ProviderLetter) -> bool:
        """True once the job is cancelled; False when LXP has it in production, the window has
        passed (see `cancel_deadline`) or LXP refuses."""
        if letter.state is LetterStatus.CANCELLED:
            return True
        job = self._retrying(lambda: self._job(letter.provider_ref), f"show {letter.reference}")
        if job is None:
            return False
        status = job.get("status", "")
        if STATUS_STATES.get(status) is LetterStatus.CANCELLED:
            return True
        if status not in OPEN_LISTS or self._clock() >= cancel_deadline(job_created_at(job), self.config):
            return False

        def attempt() -> bool:
            return self._call("DELETE", f"/printjobs/{letter.provider_ref}").ok

        def cancelled_meanwhile() -> bool | None:
            found = self._job(letter.provider_ref)
            return True if found and STATUS_STATES.get(found.get("status", "")) is LetterStatus.CANCELLED else None

        return with_retries(attempt, self.config.retry, self._sleep,
                            what=f"cancel {letter.reference}", recover=cancelled_meanwhile)

    def events(self, letter: ProviderLetter) -> list[ProviderEvent]:
        """LXP keeps no event history: the job's current status, as one event (repeat-safe)."""
        job = self._retrying(lambda: self._job(letter.provider_ref), f"events {letter.reference}")
        if job is None:
            return []
        return [job_event(job)]

    def price(self, query: PriceQuery) -> int | None:
        """No price endpoint of LXP API v3 could be confirmed from here: our table estimates."""
        return None

    def finish_order(self, order_key: str) -> None:
        """Every letter is its own print job; there is no batch to close."""

    # --- requests ----------------------------------------------------------------------------

    def _retrying(self, attempt: Callable[[], Any], what: str) -> Any:
        return with_retries(attempt, self.config.retry, self._sleep, what=what)

    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None,
              params: dict[str, str] | None = None) -> Answer:
        """One request with the credentials in its body, as LXP wants even for GET and DELETE."""
        body = {"auth": {"username": self.config.username, "apikey": self.config.api_key.get_secret_value(),
                         "mode": self.config.mode}, **(payload or {})}
        self._throttle.wait()
        response = exchange(
            self._http, method, self.config.base_url + path, params=params,
            content=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        answer = read_answer(response)
        if answer.status == 401:
            raise CredentialsRefused(NAME, answer.message)
        if answer.status == 429 or answer.status >= 500:  # reported in the body of an HTTP 200
            raise Transient(f"{method} {path}: {answer.status} {answer.message}", ambiguous=answer.status != 429)
        return answer

    def _create(self, request: ShipmentRequest, letter: dict[str, Any]) -> ProviderLetter:
        answer = self._call("POST", "/printjobs", {"letter": letter})
        if not answer.ok:
            raise InvalidInput("provider.rejected", provider=NAME, reference=request.reference,
                               reason=answer.message or f"HTTP {answer.status}")
        if not isinstance(answer.data, dict) or "id" not in answer.data:
            raise Transient(f"create {request.reference}: answer without a job id", ambiguous=True)
        return job_letter(answer.data, request.reference, sha256=request.sha256)

    def _job(self, job_id: str) -> dict[str, Any] | None:
        answer = self._call("GET", f"/printjobs/{job_id}")
        if answer.status == 404:
            return None
        if not answer.ok or not isinstance(answer.data, dict):
            raise ProviderUnavailable(f"{NAME} refused to show job {job_id}: {answer.message}")
        return answer.data

    def _find(self, reference: str, since: datetime) -> ProviderLetter | None:
        found = [job for name in ALL_LISTS for job in self._jobs_since(name, since)
                 if (job.get("notice") or "").strip() == reference]
        if not found:
            return None
        live = [job for job in found if state_of(str(job.get("status") or "")) is not LetterStatus.CANCELLED]
        return job_letter((live or found)[0], reference)

    def _jobs_since(self, list_name: str, since: datetime) -> list[dict[str, Any]]:
        """The list's jobs created at or after `since`, reading newest first and stopping at the
        first older one."""
        jobs: list[dict[str, Any]] = []
        oldest: datetime | None = None
        for page in range(1, self.config.lookup_max_pages + 1):
            answer = self._call("GET", "/printjobs", params={"filter": list_name, "page": str(page)})
            if answer.status == 404 and answer.from_lxp:  # LXP's "no data" for an empty list
                return jobs
            if not answer.ok:
                raise ProviderUnavailable(f"{NAME} refused to list {list_name} jobs: {answer.message}")
            data = answer.data if isinstance(answer.data, dict) else {}
            page_jobs = data.get("printjobs") or []
            times = [job_created_at(job) for job in page_jobs]
            require_newest_first(times, oldest, f"{NAME} lookup in {list_name}")
            oldest = times[-1] if times else oldest
            recent = [job for job, moment in zip(page_jobs, times) if moment >= since]
            jobs += recent
            if len(recent) < len(page_jobs) or not has_next_page(data.get("pagination") or {}):
                return jobs
        raise ProviderUnavailable(
            f"{NAME} lookup inconclusive: more than {self.config.lookup_max_pages} pages of {list_name} jobs since {since:%Y-%m-%d %H:%M}")


# --- mapping ---------------------------------------------------------------------------------


def read_answer(response: httpx.Response) -> Answer:
    try:
        body = response.json()
    except ValueError:
        if response.is_success:  # a 2xx we cannot read may still have created the job
            raise Transient(f"unreadable answer (HTTP {response.status_code})", ambiguous=True) from None
        return Answer(response.status_code, response.text[:300], None, from_lxp=False)
    if not isinstance(body, dict):
        return Answer(response.status_code, str(body)[:300], body, from_lxp=False)
    status = response.status_code
    if response.is_success and isinstance(body.get("status"), int) and body["status"] not in (0, 200):
        status = body["status"]
    message = body.get("message") or body.get("error") or ""
    return Answer(status, str(message), body.get("data"), from_lxp="status" in body)


def printjob_letter(request: ShipmentRequest, pdf: bytes, config: LetterXpressConfig) -> dict[str, Any]:
    """The `letter` object of a print job: file, print options and our reference as the notice."""
    encoded = base64.b64encode(pdf).decode("ascii")
    letter: dict[str, Any] = {
        "base64_file": encoded,
        "base64_file_checksum": hashlib.md5(encoded.encode("ascii")).hexdigest(),
        "specification": {
            "color": "4" if request.options.colour else "1",
            "mode": "duplex" if request.options.duplex else "simplex",
            "shipping": "national" if request.recipient.country == config.home_country else "international",
            "c4": 0,
        },
        "filename_original": f"{request.reference}.pdf",
        "notice": request.reference,
    }
    if request.options.registered:
        letter["registered"] = config.registered_kind
    return letter


def state_of(status: str) -> LetterStatus:
    return STATUS_STATES.get(status, LetterStatus.ACCEPTED)


def job_letter(job: dict[str, Any], reference: str, sha256: str | None = None) -> ProviderLetter:
    status = str(job.get("status") or "")
    codes = [item["tracking_code"] for item in job.get("items") or [] if item.get("tracking_code")]
    return ProviderLetter(reference, str(job["id"]), status, sha256, state_of(status),
                          tracking_code=", ".join(codes) or None)


def job_event(job: dict[str, Any]) -> ProviderEvent:
    status = str(job.get("status") or "")
    tracking = [item["tracking_code"] for item in job.get("items") or [] if item.get("tracking_code")]
    detail = f"{status}; Sendungsnummer {', '.join(tracking)}" if tracking else status
    moment = berlin_time(job.get("updated_at")) or berlin_time(job.get("created_at")) or datetime.now(UTC)
    return ProviderEvent(str(job["id"]), state_of(status), moment.astimezone(UTC), detail)


def has_next_page(pagination: dict[str, Any]) -> bool:
    if "current_page" in pagination and "last_page" in pagination:
        return int(pagination["current_page"]) < int(pagination["last_page"])
    return bool(pagination.get("next_page_url"))


def berlin_time(value: str | None) -> datetime | None:
    """LXP's "2022-08-01 13:38:07" (Berlin local time, no offset) as an aware datetime."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=BERLIN)


def job_created_at(job: dict[str, Any]) -> datetime:
    created = berlin_time(job.get("created_at"))
    if created is None:  # unknown age: assume the worst, the window has passed
        return datetime(1970, 1, 1, tzinfo=UTC)
    return created
