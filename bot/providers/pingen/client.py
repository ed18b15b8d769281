"""Pingen (API v2) as a print-and-mail provider: uploads each print-ready PDF, creates the letter
with `auto_send` so Pingen validates and posts it, and reads its status, events and webhooks.

Sources followed (the API reference https://api.pingen.com/documentation could not be read from
here; its content was taken from Pingen's own SDKs, which implement it):
- Authentication: OAuth2 client credentials, `POST {identity}/auth/access-tokens`
  (https://api.pingen.com/documentation#section/Authentication; pingencom/pingen2-sdk-js
  src/oauth.ts, and third-party clients using https://identity.pingen.com/auth/access-tokens).
- Environments: api[-staging].pingen.com, identity[-staging].pingen.com
  (https://api.pingen.com/documentation#section/Basics/Environments; pingen2-sdk-python __init__.py).
- File upload: `GET /file-upload` → `url` + `url_signature`, then PUT the bytes to `url`
  (#tag/File-Upload; pingen2-sdk-python api_resources/file_upload.py).
- Letters: `POST/GET /organisations/{id}/deliveries/letters`, `GET …/letters/{id}`,
  `PATCH …/{id}/cancel`, `GET …/{id}/events` (pingen2-sdk-js src/resources/letters/letters.ts and
  events/letter-events.ts, read 2026-11-30; the stored Python and PHP SDK versions still use the
  older `/organisations/{id}/letters`, which "can be withdrawn without notice"); attributes
  file_original_name, file_url, file_url_signature, address_position, auto_send, delivery_product,
  print_mode, print_spectrum, meta_data (pingen2-sdk-python letters.py, pingen2-sdk-go letters.go).
  Every source with its date: bot/providers/pingen/sources.py.
- Cancelling is a request: the letter becomes `cancelling`, then cancellation_completed or
  cancellation_rejected (issue 13's reading of the API; `Capabilities.cancel_confirmed_later`).
- Idempotency: `Idempotency-Key` request header, `Idempotent-Replayed` in the answer
  (#section/Advanced; AMANDA-Technology/PingenApiNet ApiHeaderNames.cs, pingen2-sdk-js requestor.ts).
- Collections: `filter` is a JSON document such as {"and": [{"field": "value"}]}, paging with
  page[number]/page[limit] (#section/Advanced/Filtering-collections, …/Paginating-collections;
  PingenApiNet ApiPagingRequest.cs and its README).
- Webhooks: header `Signature` = hex HMAC-SHA256 of the raw body with the webhook's signing key;
  JSON:API body with `letter`/`deliverable` and `event` relationships
  (#tag/Webhooks; pingen2-sdk-python incoming_webhook.py, PingenApiNet WebhookEventRelationships.cs).
- Letter statuses and event codes: PingenApiNet LetterStates.cs / LetterEventCodes.cs, which its
  authors copied from Pingen's web app (not in the API reference); the lifecycle in
  shared/FIELD-NOTES.md (help.pingen.com).

Never twice: every create carries an `Idempotency-Key` derived from our reference and the print
file, so a repeated create (our retry after a lost answer) gets Pingen's first answer back.
Finding a letter by our reference, after a lost answer: Pingen has no free reference field, so
the reference is the letter's `file_original_name` ("BW12-3-00007.pdf"). No filter on that field
is documented (unknown filter keys are silently ignored), so `lookup` reads the collection newest
first (`sort=-created_at`) and stops at the first letter created before `since`, the moment our
first attempt began: a few letters, however long the account's history.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self

import httpx

from bot.providers.pingen.capabilities import capabilities
from bot.providers.pingen.settings import DeliveryProduct, PingenConfig
from bot.integrations.http import (
    CredentialsRefused,
    Sleep,
    Transient,
    exchange,
    provider_reason,
    read_print_file,
    refuse_registered_abroad,
    with_retries,
    require_newest_first,
)
from domain.addresses import PostalAddress
from domain.errors import InvalidInput
from domain.ports import (
    LetterStatus,
    PriceQuery,
    ProviderEvent,
    ProviderLetter,
    ProviderUnavailable,
    ShipmentRequest,
)

NAME = "Pingen"
JSON_API = "application/vnd.api+json"
# The SDKs moved letters under "deliveries" (pingen2-sdk-js src/resources/letters/letters.ts,
# checked 2026-11-30); the older /organisations/{id}/letters "can be withdrawn without notice".
LETTERS = "/organisations/{organisation}/deliveries/letters"
MAX_FILE_BYTES = 8_000_000  # "8 MB per file" (help.pingen.com letter standards)
TOKEN_MARGIN_SECONDS = 60.0  # renew a little before Pingen would refuse the token

# Pingen's letter status → our lifecycle. Cancellable "until printing starts", so everything
# before `printing` is still ACCEPTED.
STATUS_STATES: dict[str, LetterStatus] = {
    **dict.fromkeys(
        ("validating", "valid", "submitted", "accepted", "processing",
         "transferring", "inspection", "fixing"),
        LetterStatus.ACCEPTED,
    ),
    "cancelling": LetterStatus.CANCELLING,
    "awaiting_credits": LetterStatus.WAITING_FOR_CREDIT,
    "printing": LetterStatus.PRINTED,
    "sent": LetterStatus.POSTED,
    "delivered": LetterStatus.DELIVERED,
    **dict.fromkeys(
        ("invalid", "action_required", "unprintable", "undeliverable", "expired", "rejected"),
        LetterStatus.FAILED,
    ),
    "cancelled": LetterStatus.CANCELLED,
}

# Event codes that change the letter's state; the others (address purged, cancellation
# requested/rejected, rerouted …) are notes, not status changes, and are left out.
EVENT_STATES: dict[str, LetterStatus] = {
    **dict.fromkeys(
        ("created", "submitted", "auto_submitted", "initiated_sending", "auto_initiated_sending",
         "content_passed_inspection", "waiting_for_funds", "waiting_for_legitimacy",
         "queued_for_transfer", "transferred_to_pool", "accepted", "processing"),
        LetterStatus.ACCEPTED,
    ),
    "transferred_to_printcenter": LetterStatus.PRINTED,
    **dict.fromkeys(
        ("transferred_to_distributor", "receival_confirmed_by_distributor", "track_and_trace",
         "sent", "delivered"),
        LetterStatus.POSTED,
    ),
    **dict.fromkeys(
        ("content_failed_inspection", "content_inspection_error", "file_not_a4_portrait",
         "file_not_found", "file_not_readable", "file_size_over_limit", "file_too_many_pages",
         "invalid_pdf_binary_content", "meta_data_failed_requirements", "rejected_from_printcenter",
         "shipping_country_blocked", "shipping_organization_country_blocked",
         "unable_to_find_delivery_product", "undeliverable", "waiting_for_funds_expired",
         "waiting_for_legitimacy_expired"),
        LetterStatus.FAILED,
    ),
    "cancellation_completed": LetterStatus.CANCELLED,
}

# Webhook categories, for a body whose event is not included.
WEBHOOK_STATES: dict[str, LetterStatus] = {
    "webhook_issues": LetterStatus.FAILED,
    "webhook_undeliverable": LetterStatus.FAILED,
    "webhook_sent": LetterStatus.POSTED,
    "webhook_delivered": LetterStatus.POSTED,
}


class WebhookSignatureInvalid(ValueError):
    """A webhook whose `Signature` does not match its body: not from Pingen, or altered."""


@dataclass(frozen=True)
class Upload:
    url: str
    signature: str


@dataclass(frozen=True)
class _Token:
    value: str
    renew_at: float  # monotonic seconds


class PingenProvider:
    """The `Provider` port over Pingen's REST API. Thread-safe: the token is renewed under a lock
    and httpx's client may be shared."""

    key = "pingen"

    def __init__(
        self,
        config: PingenConfig,
        *,
        http: httpx.Client | None = None,
        sleep: Sleep = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.capabilities = capabilities(config)
        self._http = http or httpx.Client(timeout=config.timeout)
        self._sleep = sleep
        self._monotonic = monotonic
        self._token: _Token | None = None
        self._quotes: dict[PriceQuery, tuple[int | None, float]] = {}  # query -> (cents, good until)
        self._token_lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- the Provider port -----------------------------------------------------------------

    def lookup(self, reference: str, since: datetime | None = None) -> ProviderLetter | None:
        start = since or datetime.now(UTC) - self.config.lookup_window
        return self._retrying(lambda: self._find(reference, start), f"lookup {reference}")

    def status(self, letter: ProviderLetter) -> ProviderLetter | None:
        item = self._retrying(lambda: self._show(letter.provider_ref), f"show {letter.reference}")
        return provider_letter(letter.reference, item, letter.sha256) if item is not None else None

    def submit(self, request: ShipmentRequest) -> ProviderLetter:
        """Upload the file and create the letter under its idempotency key. After a lost answer
        the collection is read back to `request.since`; if the letter is not listed yet, the
        repeated create (same key) gets Pingen's first answer rather than a second letter."""
        refuse_registered_abroad(request, self.config.home_country)
        pdf = read_print_file(request, NAME, MAX_FILE_BYTES)
        upload = self._retrying(lambda: self._upload(pdf), f"upload {request.reference}")
        document = letter_document(request, upload, self.config)
        key = idempotency_key(request)
        since = request.since or datetime.now(UTC) - self.config.lookup_window
        return with_retries(
            lambda: self._create(request, document, key), self.config.retry, self._sleep,
            what=f"create {request.reference}", recover=lambda: self._find(request.reference, since),
        )

    def cancel(self, letter: ProviderLetter) -> bool:
        """True once Pingen accepted the cancellation; False when it refuses (printing started)."""
        if letter.state is LetterStatus.CANCELLED:
            return True
        path = f"{self._letters()}/{letter.provider_ref}/cancel"

        def attempt() -> bool:
            response = self._api("PATCH", path, headers={"Idempotency-Key": f"briefwerk-cancel-{letter.provider_ref}"})
            return response.is_success

        def cancelled_meanwhile() -> bool | None:
            status = self._status(letter.provider_ref)
            return True if status in ("cancelled", "cancelling") else None

        return with_retries(attempt, self.config.retry, self._sleep,
                            what=f"cancel {letter.reference}", recover=cancelled_meanwhile)

    def events(self, letter: ProviderLetter) -> list[ProviderEvent]:
        return self._retrying(lambda: self._events(letter.provider_ref), f"events {letter.reference}")

    def finish_order(self, order_key: str) -> None:
        """Letters go out one by one (auto_send); there is no batch to close."""

    def price(self, query: PriceQuery) -> int | None:
        """Pingen's price calculator (`POST …/deliveries/letters/price-calculator`, pingen2-sdk-js
        letters.ts calculatePrice; answer `currency` and `price`, pingen2-sdk-php
        LetterPriceAttributes.php), when switched on; a quote is kept for `price_cache`."""
        if not self.config.price_calculator:
            return None
        with self._token_lock:
            cached = self._quotes.get(query)
        if cached is not None and self._monotonic() < cached[1]:
            return cached[0]
        cents = self._retrying(lambda: self._quote(query), f"price for {query.pages} pages to {query.country}")
        with self._token_lock:
            self._quotes[query] = (cents, self._monotonic() + self.config.price_cache.total_seconds())
        return cents

    def parse_webhook(self, body: bytes, signature_header: str) -> list[ProviderEvent]:
        if self.config.webhook_secret is None:
            raise WebhookSignatureInvalid("no webhook secret configured for Pingen")
        return parse_webhook(body, signature_header, self.config.webhook_secret.get_secret_value())

    # --- requests ----------------------------------------------------------------------------

    def _retrying(self, attempt: Callable[[], Any], what: str) -> Any:
        return with_retries(attempt, self.config.retry, self._sleep, what=what)

    def _letters(self) -> str:
        return LETTERS.format(organisation=self.config.organisation_id)

    def _api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One authenticated API call; a 401 (token expired or revoked) earns one fresh token."""
        token = self._current_token()
        response = self._send(method, path, token, **kwargs)
        if response.status_code != 401:
            return response
        fresh = self._current_token(stale=token)
        response = self._send(method, path, fresh, **kwargs)
        if response.status_code == 401:
            raise CredentialsRefused(NAME, provider_reason(response))
        return response

    def _send(self, method: str, path: str, token: _Token, *, headers: dict[str, str] | None = None,
              **kwargs: Any) -> httpx.Response:
        headers = {"Accept": JSON_API, "Authorization": f"Bearer {token.value}", **(headers or {})}
        return exchange(self._http, method, self.config.base_api_url + path, headers=headers, **kwargs)

    def _current_token(self, stale: _Token | None = None) -> _Token:
        """The cached token, or a new one when it is due or was just refused (`stale`)."""
        with self._token_lock:
            token = self._token
            if token is None or token is stale or self._monotonic() >= token.renew_at:
                token = self._token = self._fetch_token()
            return token

    def _fetch_token(self) -> _Token:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.config.client_id,
            "client_secret": self.config.client_secret.get_secret_value(),
            "scope": self.config.scope,
        }
        url = f"{self.config.base_identity_url}/auth/access-tokens"
        response = exchange(self._http, "POST", url, data=form, headers={"Accept": "application/json"})
        if not response.is_success:
            raise CredentialsRefused(NAME, provider_reason(response))
        body = response.json()
        lifetime = float(body.get("expires_in", 0))
        return _Token(body["access_token"], self._monotonic() + max(0.0, lifetime - TOKEN_MARGIN_SECONDS))

    def _find(self, reference: str, since: datetime) -> ProviderLetter | None:
        """The letter named after `reference` among those created since `since`, newest first."""
        name = file_name(reference)
        params = {"sort": "-created_at", "page[limit]": "100"}
        oldest: datetime | None = None
        for number in range(1, self.config.lookup_pages + 1):
            response = self._api("GET", self._letters(), params={**params, "page[number]": str(number)})
            if not response.is_success:
                raise ProviderUnavailable(f"{NAME} refused the lookup of {reference}: {provider_reason(response)}")
            document = response.json()
            items = document.get("data", [])
            times = [created_at(item) for item in items]
            require_newest_first(times, oldest, f"{NAME} lookup of {reference}")
            oldest = times[-1] if times else oldest
            recent = [item for item, moment in zip(items, times) if moment >= since]
            matches = [item for item in recent if item.get("attributes", {}).get("file_original_name") == name]
            if matches:
                return provider_letter(reference, best_match(matches))
            if len(recent) < len(items) or not has_next_page(document):
                return None
        raise ProviderUnavailable(
            f"{NAME} lookup of {reference} inconclusive: more than {self.config.lookup_pages} pages since {since:%Y-%m-%d %H:%M}")

    def _show(self, letter_id: str) -> dict[str, Any] | None:
        response = self._api("GET", f"{self._letters()}/{letter_id}")
        if response.status_code == 404:
            return None
        if not response.is_success:
            raise ProviderUnavailable(f"{NAME} refused to show letter {letter_id}: {provider_reason(response)}")
        return response.json()["data"]

    def _status(self, letter_id: str) -> str | None:
        item = self._show(letter_id)
        return item["attributes"].get("status") if item is not None else None

    def _upload(self, pdf: bytes) -> Upload:
        """Ask for a signed upload URL and PUT the file there (no bearer token: the URL is the
        permission). A refused PUT (expired signature) starts over with a new URL."""
        response = self._api("GET", "/file-upload")
        if not response.is_success:
            raise ProviderUnavailable(f"{NAME} refused a file upload: {provider_reason(response)}")
        attributes = response.json()["data"]["attributes"]
        upload = Upload(attributes["url"], attributes["url_signature"])
        stored = exchange(self._http, "PUT", upload.url, content=pdf, timeout=self.config.upload_timeout)
        if not stored.is_success:
            raise Transient(f"file upload refused: HTTP {stored.status_code}", ambiguous=False)
        return upload

    def _create(self, request: ShipmentRequest, document: dict[str, Any], key: str) -> ProviderLetter:
        response = self._api(
            "POST", self._letters(), content=json.dumps(document),
            headers={"Content-Type": JSON_API, "Idempotency-Key": key},
        )
        if response.status_code == 409:  # the same key is still being worked on
            raise Transient(f"create {request.reference}: {provider_reason(response)}", ambiguous=True)
        if not response.is_success:
            raise InvalidInput("provider.rejected", provider=NAME, reference=request.reference,
                               reason=provider_reason(response))
        return provider_letter(request.reference, response.json()["data"], sha256=request.sha256)

    def _quote(self, query: PriceQuery) -> int | None:
        # paper_types names each page's paper, so its length carries the page count (our reading
        # of the SDKs: the calculator takes no other page figure)
        attributes = {
            "country": query.country, "paper_types": ["normal"] * query.pages,
            "print_mode": "duplex" if query.options.duplex else "simplex",
            "print_spectrum": "color" if query.options.colour else "grayscale",
            "delivery_product": self._product(query),
        }
        response = self._api("POST", f"{self._letters()}/price-calculator", headers={"Content-Type": JSON_API},
                             content=json.dumps({"data": {"type": "letter_price_calculator", "attributes": attributes}}))
        if not response.is_success:
            return None
        answer = response.json()["data"]["attributes"]
        return round(float(answer["price"]) * 100) if answer.get("currency") == "EUR" else None

    def _product(self, query: PriceQuery) -> DeliveryProduct:
        if query.options.registered:
            return self.config.registered_product
        return self.config.national_product if query.country == self.config.home_country else self.config.international_product

    def _events(self, letter_id: str) -> list[ProviderEvent]:
        events: list[ProviderEvent] = []
        for number in range(1, self.config.lookup_pages + 1):
            response = self._api("GET", f"{self._letters()}/{letter_id}/events",
                                 params={"page[limit]": "100", "page[number]": str(number)})
            if response.status_code == 404:
                return []
            if not response.is_success:
                raise ProviderUnavailable(f"{NAME} refused the events of {letter_id}: {provider_reason(response)}")
            document = response.json()
            events += [event for item in document.get("data", []) if (event := letter_event(letter_id, item))]
            if not has_next_page(document):
                break
        return sorted(events, key=lambda event: event.at)


# --- mapping ---------------------------------------------------------------------------------


def file_name(reference: str) -> str:
    """Our reference as the letter's file name: the field `lookup` filters on."""
    return f"{reference}.pdf"


def idempotency_key(request: ShipmentRequest) -> str:
    """Stable for one reference and one print file, so every retry of a create repeats it."""
    return f"briefwerk-{request.reference}-{request.sha256[:16]}"


def delivery_product(request: ShipmentRequest, config: PingenConfig) -> DeliveryProduct:
    if request.options.registered:
        return config.registered_product
    if request.recipient.country == config.home_country:
        return config.national_product
    return config.international_product


def letter_document(request: ShipmentRequest, upload: Upload, config: PingenConfig) -> dict[str, Any]:
    """The JSON:API document that creates the letter and lets Pingen send it once it is valid."""
    attributes: dict[str, Any] = {
        "file_original_name": file_name(request.reference),
        "file_url": upload.url,
        "file_url_signature": upload.signature,
        "address_position": config.address_position,
        "auto_send": True,
        "delivery_product": delivery_product(request, config),
        "print_mode": "duplex" if request.options.duplex else "simplex",
        "print_spectrum": "color" if request.options.colour else "grayscale",
    }
    if request.options.registered:
        attributes["meta_data"] = registered_meta_data(request.recipient, config.sender)
    return {"data": {"type": "letters", "attributes": attributes}}


def registered_meta_data(recipient: PostalAddress, sender: PostalAddress | None) -> dict[str, Any]:
    """Recipient (and sender) as separate fields, which registered products are checked against."""
    meta = {"recipient": meta_address(recipient)}
    if sender is not None:
        meta["sender"] = meta_address(sender)
    return meta


_HOUSE_NUMBER = re.compile(r"^(?P<street>.*?\D)\s*(?P<number>\d+\s*[a-zA-Z]?(?:\s*[-/]\s*\d+\s*[a-zA-Z]?)?)$")


def meta_address(address: PostalAddress) -> dict[str, str]:
    match = _HOUSE_NUMBER.match(address.street)
    street, number = (match["street"].strip(), match["number"]) if match else (address.street, "")
    name = f"{address.name}, {address.addition}" if address.addition else address.name
    return {"name": name, "street": street, "number": number, "zip": address.postcode,
            "city": address.city, "country": address.country}


def state_of(status: str) -> LetterStatus:
    return STATUS_STATES.get(status, LetterStatus.ACCEPTED)


def provider_letter(reference: str, item: dict[str, Any], sha256: str | None = None) -> ProviderLetter:
    attributes = item.get("attributes", {})
    status = attributes.get("status", "")
    return ProviderLetter(reference, str(item["id"]), status, sha256, state_of(status),
                          tracking_code=attributes.get("tracking_number") or None)


def created_at(item: dict[str, Any]) -> datetime:
    """When Pingen created the letter; unknown counts as long ago (it ends a lookup, never extends it)."""
    value = item.get("attributes", {}).get("created_at")
    return parse_time(value) if value else datetime(1970, 1, 1, tzinfo=UTC)


def best_match(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Several letters with one reference should not exist; if they do, the live one counts."""
    live = [item for item in items if item.get("attributes", {}).get("status") != "cancelled"]
    return (live or items)[0]


def has_next_page(document: dict[str, Any]) -> bool:
    meta = document.get("meta") or {}
    if "current_page" in meta and "last_page" in meta:
        return int(meta["current_page"]) < int(meta["last_page"])
    return bool((document.get("links") or {}).get("next"))


def letter_event(letter_id: str, item: dict[str, Any]) -> ProviderEvent | None:
    attributes = item.get("attributes", {})
    code = attributes.get("code", "")
    state = EVENT_STATES.get(code)
    if state is None:
        return None
    detail = f"{code}: {attributes['name']}" if attributes.get("name") else code
    return ProviderEvent(letter_id, state, parse_time(attributes.get("emitted_at") or attributes.get("created_at")), detail)


def parse_time(value: str | None) -> datetime:
    """Pingen's ISO 8601 times, made aware (UTC when they carry no offset)."""
    if not value:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)  # 3.11 reads "Z" and "+0100" too
    except ValueError:
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- webhooks --------------------------------------------------------------------------------


def verify_signature(body: bytes, signature_header: str, secret: str) -> None:
    if not secret.strip():  # anyone can sign with an empty key
        raise WebhookSignatureInvalid("the Pingen webhook secret is empty")
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    given = (signature_header or "").strip().lower()
    if not given:
        raise WebhookSignatureInvalid("the Pingen webhook carries no Signature header")
    if not hmac.compare_digest(expected, given):
        raise WebhookSignatureInvalid("the Pingen webhook signature does not match its body")


def parse_webhook(body: bytes, signature_header: str, secret: str) -> list[ProviderEvent]:
    """The status changes a Pingen webhook reports, after checking its signature (raises
    `WebhookSignatureInvalid` otherwise). Answer the webhook only after storing them."""
    verify_signature(body, signature_header, secret)
    try:
        document = json.loads(body)
    except ValueError as error:
        raise WebhookSignatureInvalid(f"the Pingen webhook body is not JSON: {error}") from error
    data = document.get("data")
    items = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    included = {(entry.get("type"), entry.get("id")): entry for entry in document.get("included", [])}
    return [event for item in items if (event := webhook_event(item, included)) is not None]


def webhook_event(item: dict[str, Any], included: dict[tuple[Any, Any], dict[str, Any]]) -> ProviderEvent | None:
    relationships = item.get("relationships", {})
    letter = _related(relationships, "deliverable") or _related(relationships, "letter")
    if letter is None:
        return None
    attributes = item.get("attributes", {})
    reason = attributes.get("reason") or ""
    event_ref = _related(relationships, "event")
    event = included.get((event_ref["type"], event_ref["id"])) if event_ref else None
    if event is not None and (found := letter_event(letter["id"], event)) is not None:
        return ProviderEvent(found.provider_ref, found.state, found.at, _joined(found.detail, reason))
    state = WEBHOOK_STATES.get(item.get("type", ""))
    if state is None:
        return None
    return ProviderEvent(str(letter["id"]), state, parse_time(attributes.get("created_at")),
                         _joined(item.get("type", "").removeprefix("webhook_"), reason))


def _related(relationships: dict[str, Any], name: str) -> dict[str, Any] | None:
    data = (relationships.get(name) or {}).get("data")
    return data if isinstance(data, dict) and data.get("id") else None


def _joined(detail: str, reason: str) -> str:
    return f"{detail}: {reason}" if reason else detail

