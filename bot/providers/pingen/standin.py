"""A local stand-in for Pingen's API v2, for the client's tests over real HTTP.

It follows, as far as they could be read from here (the reference itself,
https://api.pingen.com/documentation, was not retrievable; Pingen's SDKs implement it):
- Authentication, client credentials: https://api.pingen.com/documentation#section/Authentication
  (`POST /auth/access-tokens`, form fields grant_type, client_id, client_secret, scope;
  answer token_type, expires_in, access_token) — pingencom/pingen2-sdk-js src/oauth.ts.
- File upload: https://api.pingen.com/documentation#tag/File-Upload (`GET /file-upload` →
  data.attributes.url + url_signature; the file is PUT to that URL) — pingen2-sdk-python.
- Letters: https://api.pingen.com/documentation#tag/Letters (create, list, show, cancel, send,
  events; JSON:API documents, `application/vnd.api+json`) — pingen2-sdk-python letters.py,
  pingen2-sdk-go letters/letters.go (attribute names of a letter resource).
- Filtering and paging collections: https://api.pingen.com/documentation#section/Advanced
  (`filter` as JSON {"and"|"or": [...]} / {"field": "value"}, page[number], page[limit] ≤ 100,
  sort) — AMANDA-Technology/PingenApiNet README and ApiPagingRequest.cs.
- Idempotency-Key / Idempotent-Replayed headers — PingenApiNet ApiHeaderNames.cs.
- Webhooks: https://api.pingen.com/documentation#tag/Webhooks (header `Signature`, HMAC-SHA256
  of the body) — pingen2-sdk-python incoming_webhook.py, PingenApiNet WebhookEvent*.cs; the
  2026-07 shape (`relationships.deliverable`, `deliverables_events`) as issue 13 describes it:
  no stored SDK file shows it yet (pingen2-sdk-js webhook-event.ts still names `letter`, 2026-11-30).
- Paths under /organisations/{org}/deliveries/letters — pingen2-sdk-js letters.ts (2026-11-30).
- Cancelling is a request: `cancelling`, then cancellation_completed or cancellation_rejected.
Error answers are JSON:API `errors` lists, as the SDKs parse them. Letter statuses and event codes
follow PingenApiNet's LetterStates.cs and LetterEventCodes.cs.

The identity and API hosts are one server here; the client's URL overrides point both at it.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from bot.providers.loopback import Fault, FaultPlan, Reply, Request, StandIn

JSON_API = "application/vnd.api+json"
DELIVERY_PRODUCTS = {"cheap", "fast", "bulk", "premium", "registered"}
NOT_CANCELLABLE = {"printing", "sent", "delivered", "undeliverable", "cancelled", "expired"}
EVENT_NAMES = {
    "created": "Letter created",
    "cancellation_requested": "Cancellation requested",
    "cancellation_completed": "Letter cancelled",
    "transferred_to_printcenter": "Letter transferred to print center",
    "transferred_to_distributor": "Letter handed to the postal service",
    "undeliverable": "Letter is undeliverable",
    "file_not_a4_portrait": "File is not A4 portrait",
}


@dataclass
class StoredLetter:
    id: str
    sequence: int
    listed: bool
    attributes: dict[str, Any]
    requested: dict[str, Any]  # the attributes the client sent
    file: bytes
    events: list[dict[str, Any]] = field(default_factory=list)


class PingenStandIn(StandIn):
    """Pingen as the client sees it, with the letters it holds open to inspection."""

    def __init__(self, client_id: str = "client-1", client_secret: str = "secret-1",
                 organisation_id: str = "org-1", *, slow_seconds: float = 1.0, token_lifetime: int = 43200) -> None:
        self.client_id, self.client_secret, self.organisation_id = client_id, client_secret, organisation_id
        self.slow_seconds = slow_seconds
        self.token_lifetime = token_lifetime
        self.faults = FaultPlan()
        self.letters: dict[str, StoredLetter] = {}
        self.uploads: dict[str, dict[str, Any]] = {}
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.replays: dict[str, Reply] = {}
        self.calls: list[tuple[str, str]] = []  # (route, method path)
        self.list_lags = False  # newly created letters stay out of the list, as a lagging search index would
        # No source documents a filter on file_original_name, and Pingen ignores filter keys it does
        # not know: the stand-in does the same unless a test says otherwise.
        self.ignore_filter = True
        self.currency = "EUR"
        self.ignore_sort = False  # answer oldest first whatever `sort` asks, as an API ignoring the parameter would
        self._sequence = itertools.count(1)
        self._by_name: dict[str, list[str]] = {}  # file_original_name -> letter ids, for `_candidates`
        self.history: list[str] = []  # creation times of older letters from other software, oldest first
        self._lock = threading.RLock()

    # --- inspection and scripting for tests ----------------------------------------------------

    def references(self) -> Counter[str]:
        """How many letters carry each reference (file name without .pdf)."""
        with self._lock:
            return Counter(letter.attributes["file_original_name"].removesuffix(".pdf") for letter in self.letters.values())

    def letter_for(self, reference: str) -> StoredLetter:
        return next(letter for letter in self.letters.values()
                    if letter.attributes["file_original_name"] == f"{reference}.pdf")

    def add_history(self, count: int, before: datetime) -> None:
        """`count` letters sent before `before` by other software, one a minute: the long
        history a lookup must not read. Kept as times only, so 100,000 cost little memory."""
        with self._lock:
            assert not self.letters, "history comes before the test's own letters"
            self.history = [_iso(before - timedelta(minutes=count - n)) for n in range(count)]

    def settle_cancel(self, letter_id: str, completed: bool = True) -> None:
        """Pingen decides a requested cancel: cancellation_completed, or cancellation_rejected
        and the letter carries on where it was."""
        with self._lock:
            letter = self.letters[letter_id]
            before = letter.attributes.pop("status_before_cancel", "submitted")
            letter.attributes["status"] = "cancelled" if completed else before
            letter.events.append(self._event("cancellation_completed" if completed else "cancellation_rejected", _now()))

    def expire_tokens(self) -> None:
        with self._lock:
            self.tokens.clear()

    def advance(self, letter_id: str, status: str, *event_codes: str, at: datetime | None = None) -> None:
        """Move a letter on, as Pingen's processing would, recording its events."""
        with self._lock:
            letter = self.letters[letter_id]
            letter.attributes["status"] = status
            moment = at or _now()
            for code in event_codes:
                if letter.events:  # each event after the one before, as on Pingen's timeline
                    moment = max(moment, datetime.fromisoformat(letter.events[-1]["attributes"]["emitted_at"]) + timedelta(seconds=1))
                letter.events.append(self._event(code, moment))

    def webhook(self, letter_id: str, category: str, event_code: str, reason: str = "", *, legacy: bool = False) -> bytes:
        """A webhook body as Pingen sends it (JSON:API with the event included): since 2026-07 the
        letter is the `deliverable` and its event a `deliverables_events`; `legacy` gives the
        earlier `letter` / `letters_events` shape."""
        event = self._event(event_code, _now())
        subject, event_type = ("letter", "letters_events") if legacy else ("deliverable", "deliverables_events")
        event["type"] = event_type
        body = {
            "data": {
                "id": str(uuid.uuid4()), "type": f"webhook_{category}",
                "attributes": {"reason": reason, "url": "https://example.invalid/hook", "created_at": _iso(_now())},
                "relationships": {
                    "organisation": {"data": {"id": self.organisation_id, "type": "organisations"}},
                    subject: {"data": {"id": letter_id, "type": "letters"}},
                    "event": {"data": {"id": event["id"], "type": event_type}},
                },
            },
            "included": [
                {"id": self.organisation_id, "type": "organisations", "attributes": {"name": "HV Sonnenschein"}},
                {"id": letter_id, "type": "letters", "attributes": dict(self.letters[letter_id].attributes)},
                event,
            ],
        }
        return json.dumps(body).encode("utf-8")

    @staticmethod
    def sign(body: bytes, secret: str) -> str:
        return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()

    # --- the HTTP side -------------------------------------------------------------------------

    ROUTES = (
        ("POST", r"/auth/access-tokens", "token"),
        ("GET", r"/file-upload", "file_upload"),
        ("PUT", r"/uploads/(?P<upload_id>[^/]+)", "upload_put"),
        ("GET", r"/organisations/(?P<org>[^/]+)/deliveries/letters", "list"),
        ("POST", r"/organisations/(?P<org>[^/]+)/deliveries/letters", "create"),
        ("POST", r"/organisations/(?P<org>[^/]+)/deliveries/letters/price-calculator", "price"),
        ("GET", r"/organisations/(?P<org>[^/]+)/deliveries/letters/(?P<letter_id>[^/]+)", "show"),
        ("PATCH", r"/organisations/(?P<org>[^/]+)/deliveries/letters/(?P<letter_id>[^/]+)/cancel", "cancel"),
        ("PATCH", r"/organisations/(?P<org>[^/]+)/deliveries/letters/(?P<letter_id>[^/]+)/send", "send"),
        ("GET", r"/organisations/(?P<org>[^/]+)/deliveries/letters/(?P<letter_id>[^/]+)/events", "events"),
    )

    def handle(self, request: Request) -> Reply:
        for method, pattern, route in self.ROUTES:  # noqa: B007 - the matched route is used after the loop
            match = re.fullmatch(pattern, request.path)
            if method == request.method and match:
                break
        else:
            return _errors(404, "Not Found", f"No route for {request.method} {request.path}")
        with self._lock:
            self.calls.append((route, f"{request.method} {request.path}"))
        fault = self.faults.next(route)
        early = self._fault_reply(fault, request)
        if early is not None:
            return early
        if route not in ("token", "upload_put"):
            refused = self._check_auth(request, match.groupdict().get("org"))
            if refused is not None:
                return refused
        with self._lock:
            reply = getattr(self, f"_{route}")(request, **{k: v for k, v in match.groupdict().items() if k != "org"})
        if fault is Fault.SLOW:
            reply.delay = self.slow_seconds
        elif fault is Fault.CRASH_AFTER_ACCEPT:
            reply.drop = True
        return reply

    def _fault_reply(self, fault: Fault | None, request: Request) -> Reply | None:
        if fault is Fault.UNAUTHORIZED:
            with self._lock:  # the presented token has expired
                self.tokens.discard(_bearer(request) or "")
            return _errors(401, "Unauthenticated", "The access token has expired.")
        if fault is Fault.RATE_LIMITED:
            return Reply(429, {"errors": [{"status": "429", "title": "Too Many Requests", "detail": "Rate limit exceeded."}]},
                         headers={"Retry-After": "1"}, content_type=JSON_API)
        if fault is Fault.SERVER_ERROR:
            return _errors(500, "Server Error", "Something went wrong.")
        if fault is Fault.VALIDATION:
            return _errors(422, "Unprocessable Entity", "The delivery product is not available for this letter.",
                           pointer="/data/attributes/delivery_product")
        return None

    def _check_auth(self, request: Request, org: str | None) -> Reply | None:
        if _bearer(request) not in self.tokens:
            return _errors(401, "Unauthenticated", "The access token is missing, invalid or expired.")
        if org is not None and org != self.organisation_id:
            return _errors(403, "Forbidden", "You are not a member of this organisation.")
        return None

    def _token(self, request: Request) -> Reply:
        self.token_requests += 1
        form = {name: values[0] for name, values in parse_qs(request.body.decode("utf-8")).items()}
        if form.get("grant_type") != "client_credentials":
            return Reply(400, {"error": "unsupported_grant_type", "message": "Only client_credentials here."})
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
            return Reply(401, {"error": "invalid_client", "error_description": "Client authentication failed",
                               "message": "Client authentication failed"})
        token = uuid.uuid4().hex
        self.tokens.add(token)
        return Reply(200, {"token_type": "Bearer", "expires_in": self.token_lifetime, "access_token": token})

    def _file_upload(self, request: Request) -> Reply:
        upload_id = uuid.uuid4().hex
        signature = hashlib.sha256(upload_id.encode()).hexdigest()[:32]
        url = f"{self.base_url}/uploads/{upload_id}?signature={signature}"
        self.uploads[upload_id] = {"url": url, "signature": signature, "file": None}
        return Reply(200, {"data": {"id": upload_id, "type": "file_uploads", "attributes": {
            "url": url, "url_signature": signature, "expires_at": _iso(_now() + timedelta(minutes=30))}}},
            content_type=JSON_API)

    def _upload_put(self, request: Request, upload_id: str) -> Reply:
        upload = self.uploads.get(upload_id)
        if upload is None or request.param("signature") != upload["signature"]:
            return Reply(403, b"<Error><Code>SignatureDoesNotMatch</Code></Error>", content_type="application/xml")
        upload["file"] = request.body
        return Reply(200)

    def _create(self, request: Request) -> Reply:
        key = request.headers.get("idempotency-key")
        if key and key in self.replays:
            replay = self.replays[key]
            return Reply(replay.status, replay.body, {**replay.headers, "Idempotent-Replayed": "true"}, replay.content_type)
        if request.headers.get("content-type", "").split(";")[0] not in (JSON_API, "application/json"):
            return _errors(415, "Unsupported Media Type", "Send application/vnd.api+json.")
        try:
            data = request.json()["data"]
        except (ValueError, KeyError, TypeError):
            return _errors(400, "Bad Request", "The body is not a JSON:API document.")
        problems = self._letter_problems(data)
        if problems:
            return Reply(422, {"errors": problems}, content_type=JSON_API)
        attributes = data["attributes"]
        upload = next(u for u in self.uploads.values() if u["url"] == attributes["file_url"])
        letter_id = str(uuid.uuid4())
        now = _now()
        letter = StoredLetter(
            id=letter_id, sequence=next(self._sequence), listed=not self.list_lags, requested=dict(attributes), file=upload["file"],
            attributes={
                "status": "validating", "file_original_name": attributes["file_original_name"],
                "file_pages": None, "address": None, "address_position": attributes["address_position"],
                "country": None, "delivery_product": attributes.get("delivery_product"),
                "print_mode": attributes.get("print_mode"), "print_spectrum": attributes.get("print_spectrum"),
                "price_currency": "EUR", "price_value": None, "paper_types": ["normal"], "fonts": [],
                "source": "api", "tracking_number": None, "submitted_at": None,
                "created_at": _iso(now), "updated_at": _iso(now),
            },
        )
        letter.events.append(self._event("created", now))
        self.letters[letter_id] = letter
        self._by_name.setdefault(attributes["file_original_name"], []).append(letter_id)
        reply = Reply(201, self._document(letter), content_type=JSON_API)
        if key:
            self.replays[key] = reply
        return reply

    def _letter_problems(self, data: Any) -> list[dict[str, Any]]:
        if not isinstance(data, dict) or data.get("type") != "letters" or not isinstance(data.get("attributes"), dict):
            return [_error(422, "data: must be a letters resource", "/data")]
        attributes = data["attributes"]
        problems = [_error(422, f"The {name} field is required.", f"/data/attributes/{name}")
                    for name in ("file_original_name", "file_url", "file_url_signature", "address_position", "auto_send")
                    if name not in attributes]
        checks = (
            ("address_position", {"left", "right"}),
            ("delivery_product", DELIVERY_PRODUCTS),
            ("print_mode", {"simplex", "duplex"}),
            ("print_spectrum", {"grayscale", "color"}),
        )
        problems += [_error(422, f"The selected {name} is invalid.", f"/data/attributes/{name}")
                     for name, allowed in checks if name in attributes and attributes[name] not in allowed]
        upload = next((u for u in self.uploads.values() if u["url"] == attributes.get("file_url")), None)
        if upload is None or upload["signature"] != attributes.get("file_url_signature"):
            problems.append(_error(422, "The file could not be fetched from file_url.", "/data/attributes/file_url"))
        elif not (upload["file"] or b"").startswith(b"%PDF"):
            problems.append(_error(422, "The file is not a PDF.", "/data/attributes/file_url"))
        if attributes.get("delivery_product") == "registered":
            recipient = (attributes.get("meta_data") or {}).get("recipient") or {}
            missing = [name for name in ("name", "zip", "city", "country") if not recipient.get(name)]
            if missing:
                problems.append(_error(422, f"meta_data.recipient lacks {', '.join(missing)}.", "/data/attributes/meta_data"))
        return problems

    def _list(self, request: Request) -> Reply:
        try:
            condition = json.loads(request.param("filter") or "{}")
        except ValueError:
            return _errors(400, "Bad Request", "The filter parameter is not valid JSON.")
        if self.ignore_filter:
            condition = {}
        newest_first = (request.param("sort") or "").startswith("-") and not self.ignore_sort
        limit = min(100, int(request.param("page[limit]") or 20))
        number = int(request.param("page[number]") or 1)
        if condition:
            letters = [self._resource(letter) for letter in self._candidates(condition)
                       if letter.listed and _matches(letter.attributes, condition)]
            total, page = len(letters), (letters[::-1] if newest_first else letters)[(number - 1) * limit: number * limit]
        else:
            total = sum(letter.listed for letter in self.letters.values()) + len(self.history)
            page = list(itertools.islice(self._listing(newest_first), (number - 1) * limit, number * limit))
        last_page = max(1, -(-total // limit))
        next_link = f"{self.base_url}{request.path}?page[number]={number + 1}" if number < last_page else None
        return Reply(200, {
            "data": page,
            "links": {"self": f"{self.base_url}{request.path}", "next": next_link},
            "meta": {"current_page": number, "last_page": last_page, "per_page": limit, "total": total},
        }, content_type=JSON_API)

    def _listing(self, newest_first: bool) -> Iterator[dict[str, Any]]:
        """Every listed letter in creation order (the history first), built only when read."""
        own = [letter for letter in self.letters.values() if letter.listed]
        if newest_first:
            yield from (self._resource(letter) for letter in reversed(own))
            yield from (self._historic(index) for index in range(len(self.history) - 1, -1, -1))
        else:
            yield from (self._historic(index) for index in range(len(self.history)))
            yield from (self._resource(letter) for letter in own)

    def _historic(self, index: int) -> dict[str, Any]:
        created = self.history[index]
        return {"id": f"history-{index}", "type": "letters", "attributes": {
            "status": "sent", "file_original_name": f"Rechnung-{index}.pdf", "created_at": created, "updated_at": created}}

    def _candidates(self, condition: Any) -> list[StoredLetter]:
        """The letters a filter can match. A filter on the file name alone (what the client's
        lookup sends) is answered from an index, so 1,000 lookups among 1,000 letters stay fast;
        `_matches` still decides, so the answer is the same as scanning everything."""
        name = _file_name_only(condition)
        if name is None:
            return list(self.letters.values())
        return [self.letters[letter_id] for letter_id in self._by_name.get(name, ()) if letter_id in self.letters]

    def _price(self, request: Request) -> Reply:
        """A made-up tariff in the calculator's shape: 0.60 EUR a letter, 0.09 a page, colour and
        registered extra."""
        attributes = request.json()["data"]["attributes"]
        pages = len(attributes["paper_types"])
        price = 0.60 + 0.09 * pages * (3 if attributes["print_spectrum"] == "color" else 1)
        price += 3.20 if attributes["delivery_product"] == "registered" else 0.0
        return Reply(200, {"data": {"id": str(uuid.uuid4()), "type": "letter_price_calculator",
                                    "attributes": {"currency": self.currency, "price": round(price, 2)}}},
                     content_type=JSON_API)

    def _show(self, request: Request, letter_id: str) -> Reply:
        letter = self.letters.get(letter_id)
        if letter is None:
            return _errors(404, "Not Found", "No letter with this id.")
        return Reply(200, self._document(letter), content_type=JSON_API)

    def _cancel(self, request: Request, letter_id: str) -> Reply:
        letter = self.letters.get(letter_id)
        if letter is None:
            return _errors(404, "Not Found", "No letter with this id.")
        status = letter.attributes["status"]
        if status in NOT_CANCELLABLE:
            return _errors(422, "Unprocessable Entity", f"The letter cannot be cancelled any more (status: {status}).")
        # a cancel is a request: Pingen completes or rejects it later (`settle_cancel`)
        letter.attributes["status_before_cancel"] = status
        letter.attributes["status"] = "cancelling"
        letter.events.append(self._event("cancellation_requested", _now()))
        return Reply(204)

    def _send(self, request: Request, letter_id: str) -> Reply:
        letter = self.letters.get(letter_id)
        if letter is None:
            return _errors(404, "Not Found", "No letter with this id.")
        letter.attributes.update(status="submitted", **request.json()["data"]["attributes"])
        return Reply(200, self._document(letter), content_type=JSON_API)

    def _events(self, request: Request, letter_id: str) -> Reply:
        letter = self.letters.get(letter_id)
        if letter is None:
            return _errors(404, "Not Found", "No letter with this id.")
        return Reply(200, {"data": list(letter.events), "links": {"next": None},
                           "meta": {"current_page": 1, "last_page": 1, "total": len(letter.events)}},
                     content_type=JSON_API)

    # --- documents -----------------------------------------------------------------------------

    def _resource(self, letter: StoredLetter) -> dict[str, Any]:
        cancel = "state" if letter.attributes["status"] in NOT_CANCELLABLE else "ok"
        return {
            "id": letter.id, "type": "letters", "attributes": dict(letter.attributes),
            "relationships": {"organisation": {"data": {"id": self.organisation_id, "type": "organisations"}}},
            "links": {"self": f"{self.base_url}/organisations/{self.organisation_id}/deliveries/letters/{letter.id}"},
            "meta": {"abilities": {"self": {"cancel": cancel}}},
        }

    def _document(self, letter: StoredLetter) -> dict[str, Any]:
        return {"data": self._resource(letter)}

    @staticmethod
    def _event(code: str, at: datetime) -> dict[str, Any]:
        return {"id": str(uuid.uuid4()), "type": "letters_events", "attributes": {
            "code": code, "name": EVENT_NAMES.get(code, code.replace("_", " ")), "producer": "Pingen",
            "location": "", "has_image": False, "data": [], "emitted_at": _iso(at),
            "created_at": _iso(at), "updated_at": _iso(at)}}


def _matches(attributes: dict[str, Any], condition: Any) -> bool:
    """Pingen's filter language: {"and": [...]}, {"or": [...]} or {"field": "value"}."""
    if not isinstance(condition, dict) or not condition:
        return True
    return all(
        all(_matches(attributes, part) for part in value) if name == "and"
        else any(_matches(attributes, part) for part in value) if name == "or"
        else attributes.get(name) == value
        for name, value in condition.items()
    )


def _file_name_only(condition: Any) -> str | None:
    """The file name when a filter is {"file_original_name": x}, alone or as the only "and" part."""
    if isinstance(condition, dict) and list(condition) == ["and"] and isinstance(condition["and"], list) \
            and len(condition["and"]) == 1:
        condition = condition["and"][0]
    if isinstance(condition, dict) and list(condition) == ["file_original_name"]:
        return condition["file_original_name"]
    return None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None


def _error(status: int, detail: str, pointer: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"status": str(status), "title": "Unprocessable Entity", "detail": detail}
    if pointer:
        error["source"] = {"pointer": pointer}
    return error


def _errors(status: int, title: str, detail: str, pointer: str | None = None) -> Reply:
    error = {**_error(status, detail, pointer), "title": title}
    return Reply(status, {"errors": [error]}, content_type=JSON_API)


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
