"""A local stand-in for the LetterXpress API v3 (LXP API), for the client's tests over real HTTP.

It follows:
- the LXP API documentation, https://www.letterxpress.de/briefe-uebertragen/api (and
  https://www.letterxpress.de/versandwege/api): JSON bodies with `Content-Type: application/json`,
  authentication by username and API key, up to 50 MB per request;
- the request and answer shapes implemented and verified against the live API by
  emuuu/Parcel.NET's LetterXpress v3 client (https://github.com/emuuu/Parcel.NET/pull/50):
  `auth` {username, apikey, mode} inside every body, also for GET and DELETE; an exact
  `application/json` content type (a charset suffix is refused with 400); `POST /v3/printjobs`
  with `letter` {base64_file, base64_file_checksum (md5 of the base64 text), specification
  {color "1"|"4", mode, shipping, c4}, filename_original, registered r1|r2, dispatch_date, notice};
  `GET /v3/printjobs?filter=queue|hold|done|canceled|draft&page=n` with 15 jobs a page and a
  `pagination` object; `GET` and `DELETE /v3/printjobs/{id}`; answers {status, message, data}
  whose `status` mirrors the HTTP code; times in Berlin local time without an offset;
- shared/FIELD-NOTES.md for what the pages above leave open: registered mail national only,
  120 requests a minute, cancellation about 2 hours after submission and before the hand-over.

Test mode (`auth.mode` "test") parks jobs in the Postbox (`draft`), as LXP does.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.providers.loopback import Fault, FaultPlan, Reply, Request, StandIn

BERLIN = ZoneInfo("Europe/Berlin")
PER_PAGE = 15
MAX_REQUEST_BYTES = 50 * 1024 * 1024
LISTS = {"queue", "hold", "done", "canceled", "draft"}
OPEN = {"queue", "hold", "draft"}
HISTORY_START = 1000  # ids of the history's jobs; the test's own come after


def _berlin_now() -> datetime:
    return datetime.now(BERLIN)


class LetterXpressStandIn(StandIn):
    """LetterXpress as the client sees it, with its print jobs open to inspection."""

    API_PATH = "/v3"

    def __init__(self, username: str = "hv-sonnenschein", api_key: str = "key-1", *,
                 slow_seconds: float = 1.0, now: Callable[[], datetime] = _berlin_now) -> None:
        self.username, self.api_key = username, api_key
        self.slow_seconds = slow_seconds
        self.now = now
        self.faults = FaultPlan()
        self.jobs: dict[int, dict[str, Any]] = {}
        self.files: dict[int, bytes] = {}
        self.locked: set[int] = set()  # jobs already in production: LXP refuses to delete them
        self.calls: list[tuple[str, str]] = []
        self.history: list[str] = []  # Berlin times of older, posted jobs from other software, oldest first
        self.pdf_bytes_served = 0  # showing a job sends its rendered PDF along
        self.no_credit = False  # new live jobs wait in `hold` until the account is topped up
        self.newest_first = True  # False: the lists come oldest first (the client must notice)
        self._ids = itertools.count(6035143)
        self._lock = threading.RLock()

    # --- inspection and scripting for tests ----------------------------------------------------

    def references(self) -> Counter[str]:
        """How many print jobs carry each notice (our reference)."""
        with self._lock:
            return Counter(notice for job in self.jobs.values() if (notice := job.get("notice")) is not None)

    def job_for(self, reference: str) -> dict[str, Any]:
        return next(job for job in self.jobs.values() if job.get("notice") == reference)

    def advance(self, job_id: int, status: str, tracking_code: str | None = None) -> None:
        with self._lock:
            job = self.jobs[job_id]
            job["status"] = status
            job["updated_at"] = _stamp(self.now())
            for item in job["items"]:
                item["status"] = "sent" if status == "done" else status
                item["tracking_code"] = tracking_code

    def add_history(self, count: int, before: datetime) -> None:
        """`count` posted jobs from before `before`, one a minute, ids below every job of the
        test's own; kept as times only, so 100,000 cost little memory."""
        with self._lock:
            assert not self.jobs, "history comes before the test's own jobs"
            self.history = [_stamp(before - timedelta(minutes=count - n)) for n in range(count)]
            self._ids = itertools.count(HISTORY_START + count)

    def add_jobs(self, count: int, status: str = "done") -> None:
        """Old jobs from other software (no notice), to make the lists long."""
        with self._lock:
            for _ in range(count):
                job_id = next(self._ids)
                self.jobs[job_id] = _job(job_id, {"specification": {}}, self.now(), status, notice=None)

    # --- the HTTP side -------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        route, job_id = _route(request)
        if route is None:  # the web framework's page, not an API answer
            return Reply(404, {"message": "Not Found."})
        with self._lock:
            self.calls.append((route, f"{request.method} {request.path}"))
        fault = self.faults.next(route)
        early = _fault_reply(fault)
        if early is not None:
            return early
        if request.headers.get("content-type") != "application/json":
            return _answer(400, "Content-Type must be application/json")
        if len(request.body) > MAX_REQUEST_BYTES:
            return _answer(413, "Request Entity Too Large")
        try:
            body = request.json()
        except ValueError:
            return _answer(400, "The body is not valid JSON.")
        auth = (body or {}).get("auth") or {}
        if (auth.get("username"), auth.get("apikey")) != (self.username, self.api_key) or auth.get("mode") not in ("test", "live"):
            return _answer(401, "Unauthorized.")
        with self._lock:
            if route == "create":
                reply = self._create(body.get("letter") or {}, auth["mode"])
            elif route == "list":
                reply = self._list(request)
            elif route == "show":
                reply = self._show(job_id)
            else:
                reply = self._cancel(job_id)
        if fault is Fault.SLOW:
            reply.delay = self.slow_seconds
        elif fault is Fault.CRASH_AFTER_ACCEPT:
            reply.drop = True
        return reply

    def _create(self, letter: dict[str, Any], mode: str) -> Reply:
        problem = _letter_problem(letter)
        if problem:
            return _answer(400, problem)
        job_id = next(self._ids)
        status = "draft" if mode == "test" else "hold" if self.no_credit else "queue"
        job = _job(job_id, letter, self.now(), status, letter.get("notice"))
        self.jobs[job_id] = job
        self.files[job_id] = base64.b64decode(letter["base64_file"])
        return _answer(200, "OK", dict(job))

    def _list(self, request: Request) -> Reply:
        wanted = request.param("filter")
        if wanted is not None and wanted not in LISTS:
            return _answer(400, f"Unknown filter {wanted}")
        own = sorted((job for job in self.jobs.values() if wanted is None or job["status"] == wanted),
                     key=lambda job: job["id"], reverse=self.newest_first)
        history = len(self.history) if wanted in (None, "done") else 0
        page = int(request.param("page") or 1)
        total = len(own) + history
        last_page = max(1, -(-total // PER_PAGE))
        start, end = (page - 1) * PER_PAGE, page * PER_PAGE
        chunk = own[start:end] + [self._historic(len(self.history) - 1 - n)
                                  for n in range(max(0, start - len(own)), min(history, end - len(own)))]
        next_url = f"{self.base_url}/printjobs?filter={wanted}&page={page + 1}" if page < last_page else None
        return _answer(200, "OK", {
            "printjobs": [dict(job) for job in chunk],
            "pagination": {"total": total, "count": len(chunk), "current_page": page, "last_page": last_page,
                           "per_page": PER_PAGE, "next_page_url": next_url},
        })

    def _historic(self, index: int) -> dict[str, Any]:
        job = _job(HISTORY_START + index, {"specification": {}}, self.now(), "done", notice=None)
        job["created_at"] = job["updated_at"] = self.history[index]
        return job

    def _show(self, job_id: int | None) -> Reply:
        job = self.jobs.get(job_id or -1)
        if job is None:
            return _answer(404, "Print job not found")
        pdf = base64.b64encode(self.files.get(job["id"], b"")).decode("ascii")
        self.pdf_bytes_served += len(pdf)
        return _answer(200, "OK", {**job, "pdf": pdf})

    def _cancel(self, job_id: int | None) -> Reply:
        job = self.jobs.get(job_id or -1)
        if job is None:
            return _answer(404, "Print job not found")
        if job["status"] not in OPEN or job["id"] in self.locked:
            return _answer(403, "Der Druckauftrag ist bereits in Bearbeitung und kann nicht mehr gelöscht werden.")
        job["status"] = "canceled"
        job["updated_at"] = _stamp(self.now())
        return _answer(200, "Print job deleted successfully")


def _route(request: Request) -> tuple[str | None, int | None]:
    parts = request.path.strip("/").split("/")
    if parts[:2] != ["v3", "printjobs"] or len(parts) > 3:
        return None, None
    if len(parts) == 2:
        return {"POST": "create", "GET": "list"}.get(request.method), None
    if not parts[2].isdigit():
        return None, None
    return {"GET": "show", "DELETE": "cancel"}.get(request.method), int(parts[2])


def _fault_reply(fault: Fault | None) -> Reply | None:
    if fault is Fault.UNAUTHORIZED:
        return _answer(401, "Unauthorized.")
    if fault is Fault.RATE_LIMITED:
        return Reply(429, {"status": 429, "message": "Too Many Attempts."}, headers={"Retry-After": "1"})
    if fault is Fault.SERVER_ERROR:
        return _answer(500, "Server Error")
    if fault is Fault.VALIDATION:
        return _answer(400, "Die Datei enthält Seiten, die nicht im Format A4 hoch sind.")
    return None


def _letter_problem(letter: dict[str, Any]) -> str | None:
    """The first reason LXP would refuse this letter, in its own words."""
    try:
        pdf = base64.b64decode(letter.get("base64_file") or "", validate=True)
    except (binascii.Error, ValueError):
        return "base64_file ist kein gültiges Base64."
    if not pdf.startswith(b"%PDF"):
        return "base64_file ist keine PDF-Datei."
    if hashlib.md5(letter["base64_file"].encode("ascii")).hexdigest() != letter.get("base64_file_checksum"):
        return "Die Prüfsumme base64_file_checksum stimmt nicht."
    spec = letter.get("specification") or {}
    if spec.get("color") not in ("1", "4"):
        return "specification.color muss 1 oder 4 sein."
    if spec.get("mode") not in ("simplex", "duplex"):
        return "specification.mode muss simplex oder duplex sein."
    if spec.get("shipping") not in ("national", "international", "auto"):
        return "specification.shipping muss national, international oder auto sein."
    if letter.get("registered") not in (None, "r1", "r2"):
        return "registered muss r1 oder r2 sein."
    if letter.get("registered") and spec.get("shipping") != "national":
        return "Einschreiben können nur national versendet werden."
    if len(letter.get("notice") or "") > 255:
        return "notice darf höchstens 255 Zeichen lang sein."
    return None


def _job(job_id: int, letter: dict[str, Any], now: datetime, status: str, notice: str | None) -> dict[str, Any]:
    spec = letter.get("specification") or {}
    return {
        "id": job_id, "shipping": spec.get("shipping", "national"), "mode": spec.get("mode", "simplex"),
        "color": spec.get("color", "1"), "c4": spec.get("c4", 0), "registered": letter.get("registered"),
        "bank_form": 0, "notice": notice, "status": status, "dispatch_date": letter.get("dispatch_date"),
        "filename_original": letter.get("filename_original"),
        "created_at": _stamp(now), "updated_at": _stamp(now),
        "items": [{"address": "", "pages": 1, "amount": 0.68, "vat": 0.13, "status": status, "tracking_code": None}],
    }


def _stamp(moment: datetime) -> str:
    return moment.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M:%S")


def _answer(status: int, message: str, data: Any = None) -> Reply:
    body: dict[str, Any] = {"status": status, "message": message}
    if data is not None:
        body["data"] = data
    return Reply(status, body)
