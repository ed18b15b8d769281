"""The Pingen client against the local Pingen stand-in, over real HTTP on loopback."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.integrations.http import CredentialsRefused, RetryPolicy
from bot.providers.pingen.client import (
    PingenConfig,
    PingenProvider,
    WebhookSignatureInvalid,
    parse_webhook,
)
from domain.addresses import PostalAddress
from domain.errors import InvalidInput
from domain.ports import (
    PriceQuery,
    LetterStatus,
    PrintOptions,
    ProviderLetter,
    ProviderUnavailable,
    ShipmentRequest,
)
from bot.providers.loopback import Fault
from bot.providers.pingen.standin import PingenStandIn

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
FAST = RetryPolicy(attempts=6, base_delay=0.001, max_delay=0.005, max_retry_after=0.005, jitter=0)
WEBHOOK_SECRET = "whsec-test"


@pytest.fixture
def standin() -> Iterator[PingenStandIn]:
    with PingenStandIn(slow_seconds=0.6) as server:
        yield server


def config_for(standin: PingenStandIn, **overrides: object) -> PingenConfig:
    settings: dict[str, object] = {
        "client_id": standin.client_id, "client_secret": standin.client_secret,
        "organisation_id": standin.organisation_id, "api_url": standin.base_url,
        "identity_url": standin.base_url, "webhook_secret": WEBHOOK_SECRET, "timeout": 0.25, "retry": FAST,
        "sender": PostalAddress(name="Hausverwaltung Sonnenschein GmbH", street="Hauptstraße 1",
                                postcode="10115", city="Berlin"),
    }
    return PingenConfig(**{**settings, **overrides})


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def pingen(standin: PingenStandIn, sleeps: list[float]) -> Iterator[PingenProvider]:
    with PingenProvider(config_for(standin), sleep=sleeps.append) as provider:
        yield provider


def shipment(tmp_path: Path, reference: str = "BW12-3-00007", *, country: str = "DE", colour: bool = False,
             duplex: bool = True, registered: bool = False, pdf: bytes = PDF) -> ShipmentRequest:
    path = tmp_path / f"{reference}.pdf"
    path.write_bytes(pdf)
    recipient = PostalAddress(name="Anna Müller", street="Lindenallee 12a", postcode="10115" if country == "DE" else "1010",
                              city="Berlin" if country == "DE" else "Wien", country=country)
    return ShipmentRequest(
        reference=reference, order_key=reference.rsplit("-", 1)[0], recipient=recipient, pdf_path=path,
        sha256=hashlib.sha256(pdf).hexdigest(), pages=1,
        options=PrintOptions(colour=colour, duplex=duplex, registered=registered),
    )


def creates(standin: PingenStandIn) -> int:
    return sum(1 for route, _ in standin.calls if route == "create")


# --- authentication ------------------------------------------------------------------------------


def test_authenticates_once_and_sends_the_token_with_every_call(pingen: PingenProvider, standin: PingenStandIn,
                                                                tmp_path: Path) -> None:
    pingen.submit(shipment(tmp_path))
    assert pingen.lookup("BW12-3-00007") is not None
    assert standin.token_requests == 1
    assert {route for route, _ in standin.calls} >= {"token", "list", "file_upload", "upload_put", "create"}


def test_wrong_credentials_are_refused_with_a_clear_error(standin: PingenStandIn) -> None:
    with PingenProvider(config_for(standin, client_secret="wrong")) as provider, \
            pytest.raises(CredentialsRefused) as refused:
        provider.lookup("BW12-3-00007")
    assert "Pingen" in str(refused.value)
    assert "Zugangsdaten" in refused.value.message.render("de")


def test_an_expired_token_is_renewed_once(pingen: PingenProvider, standin: PingenStandIn, tmp_path: Path) -> None:
    pingen.submit(shipment(tmp_path))
    standin.expire_tokens()
    assert pingen.lookup("BW12-3-00007") is not None
    assert standin.token_requests == 2


def test_a_token_refused_again_after_renewal_is_a_credentials_error(pingen: PingenProvider, standin: PingenStandIn) -> None:
    standin.faults.queue("list", Fault.UNAUTHORIZED, Fault.UNAUTHORIZED)
    with pytest.raises(CredentialsRefused):
        pingen.lookup("BW12-3-00007")
    assert standin.token_requests == 2


def test_environments_choose_pingens_hosts() -> None:
    staging = PingenConfig(client_id="c", client_secret="s", organisation_id="o")
    production = PingenConfig(client_id="c", client_secret="s", organisation_id="o", environment="production")
    assert (staging.base_api_url, staging.base_identity_url) == ("https://api-staging.pingen.com", "https://identity-staging.pingen.com")
    assert (production.base_api_url, production.base_identity_url) == ("https://api.pingen.com", "https://identity.pingen.com")


# --- submit and its options ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("colour", "duplex", "registered", "country", "expected"),
    [
        (False, True, False, "DE", {"print_spectrum": "grayscale", "print_mode": "duplex", "delivery_product": "cheap"}),
        (True, False, False, "DE", {"print_spectrum": "color", "print_mode": "simplex", "delivery_product": "cheap"}),
        (False, False, True, "DE", {"print_spectrum": "grayscale", "print_mode": "simplex", "delivery_product": "registered"}),
        (True, True, False, "AT", {"print_spectrum": "color", "print_mode": "duplex", "delivery_product": "fast"}),
    ],
)
def test_submit_maps_every_print_option(standin: PingenStandIn, tmp_path: Path, colour: bool, duplex: bool,
                                        registered: bool, country: str, expected: dict[str, str]) -> None:
    with PingenProvider(config_for(standin, international_product="fast")) as provider:
        letter = provider.submit(shipment(tmp_path, colour=colour, duplex=duplex, registered=registered, country=country))
    stored = standin.letter_for("BW12-3-00007")
    assert letter.provider_ref == stored.id and letter.state is LetterStatus.ACCEPTED and letter.status == "validating"
    assert {name: stored.requested[name] for name in expected} == expected
    assert stored.requested["auto_send"] is True and stored.requested["address_position"] == "left"
    assert stored.requested["file_original_name"] == "BW12-3-00007.pdf"
    assert stored.file == PDF
    if registered:
        assert stored.requested["meta_data"]["recipient"] == {
            "name": "Anna Müller", "street": "Lindenallee", "number": "12a", "zip": "10115", "city": "Berlin", "country": "DE"}
        assert stored.requested["meta_data"]["sender"]["number"] == "1"
    else:
        assert "meta_data" not in stored.requested


def test_registered_mail_abroad_is_refused_before_any_request(pingen: PingenProvider, standin: PingenStandIn,
                                                              tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as refused:
        pingen.submit(shipment(tmp_path, country="AT", registered=True))
    assert refused.value.message.key == "provider.registered_abroad"
    assert "Einwurfeinschreiben" in refused.value.render("de")
    assert standin.calls == []


def test_submit_returns_the_existing_letter_instead_of_a_second_one(pingen: PingenProvider, standin: PingenStandIn,
                                                                    tmp_path: Path) -> None:
    first = pingen.submit(shipment(tmp_path))
    again = pingen.submit(shipment(tmp_path))
    assert again.provider_ref == first.provider_ref
    assert standin.references() == {"BW12-3-00007": 1}


def test_a_print_file_over_pingens_limit_fails_that_letter(pingen: PingenProvider, standin: PingenStandIn,
                                                           tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as refused:
        pingen.submit(shipment(tmp_path, pdf=PDF + b"0" * 8_000_000))
    assert refused.value.message.key == "provider.too_large"
    assert creates(standin) == 0


# --- lookup --------------------------------------------------------------------------------------


def test_lookup_finds_letters_by_reference_only(pingen: PingenProvider, tmp_path: Path) -> None:
    created = {reference: pingen.submit(shipment(tmp_path, reference)) for reference in ("BW1-1-00001", "BW1-1-00002")}
    for reference, letter in created.items():
        found = pingen.lookup(reference)
        assert found is not None and found.provider_ref == letter.provider_ref and found.reference == reference
    assert pingen.lookup("BW1-1-00003") is None
    assert pingen.lookup("BW1-1-0000") is None  # a prefix is not a match


def test_a_lookup_that_cannot_see_everything_refuses_to_guess(standin: PingenStandIn, tmp_path: Path) -> None:
    with PingenProvider(config_for(standin, lookup_pages=1)) as provider:
        for number in range(3):
            provider.submit(shipment(tmp_path, f"BW1-1-0000{number}"))
        standin.ignore_filter = True  # as if Pingen ignored the filter: pages of unrelated letters
        for number in range(101):
            standin.letters[f"other-{number}"] = type(standin.letter_for("BW1-1-00000"))(
                id=f"other-{number}", sequence=1000 + number, listed=True, requested={}, file=PDF,
                attributes={"status": "sent", "file_original_name": f"invoice-{number}.pdf",
                                "created_at": datetime.now(UTC).isoformat()})
        with pytest.raises(ProviderUnavailable, match="inconclusive"):
            provider.lookup("BW9-9-99999")


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("validating", LetterStatus.ACCEPTED), ("valid", LetterStatus.ACCEPTED), ("submitted", LetterStatus.ACCEPTED),
        ("awaiting_credits", LetterStatus.WAITING_FOR_CREDIT), ("printing", LetterStatus.PRINTED), ("sent", LetterStatus.POSTED), ("delivered", LetterStatus.DELIVERED),
        ("invalid", LetterStatus.FAILED), ("action_required", LetterStatus.FAILED),
        ("undeliverable", LetterStatus.FAILED), ("cancelled", LetterStatus.CANCELLED),
    ],
)
def test_lookup_maps_pingens_status(pingen: PingenProvider, standin: PingenStandIn, tmp_path: Path,
                                    status: str, state: LetterStatus) -> None:
    letter = pingen.submit(shipment(tmp_path))
    standin.advance(letter.provider_ref, status)
    found = pingen.lookup("BW12-3-00007")
    assert found is not None and (found.status, found.state) == (status, state)


# --- cancel --------------------------------------------------------------------------------------


def test_cancel_before_printing_is_accepted(pingen: PingenProvider, standin: PingenStandIn, tmp_path: Path) -> None:
    letter = pingen.submit(shipment(tmp_path))
    assert pingen.cancel(letter) is True  # asked for: Pingen decides later
    assert pingen.capabilities.cancel_confirmed_later
    assert pingen.status(letter).state is LetterStatus.CANCELLING
    standin.settle_cancel(letter.provider_ref, completed=True)
    assert pingen.status(letter).state is LetterStatus.CANCELLED


def test_a_rejected_cancel_shows_the_letter_going_on(pingen: PingenProvider, standin: PingenStandIn, tmp_path: Path) -> None:
    letter = pingen.submit(shipment(tmp_path))
    assert pingen.cancel(letter) is True
    standin.settle_cancel(letter.provider_ref, completed=False)
    assert pingen.status(letter).state is LetterStatus.ACCEPTED


@pytest.mark.parametrize("legacy", [False, True])
def test_both_webhook_shapes_name_the_letter(pingen: PingenProvider, standin: PingenStandIn, tmp_path: Path,
                                             legacy: bool) -> None:
    letter = pingen.submit(shipment(tmp_path))
    body = standin.webhook(letter.provider_ref, "sent", "transferred_to_distributor", legacy=legacy)
    relationships = json.loads(body)["data"]["relationships"]
    assert ("deliverable" in relationships) is not legacy  # the 2026-07 shape by default
    [event] = pingen.parse_webhook(body, standin.sign(body, WEBHOOK_SECRET))
    assert (event.provider_ref, event.state) == (letter.provider_ref, LetterStatus.POSTED)


def test_cancel_once_printing_started_is_refused(pingen: PingenProvider, standin: PingenStandIn, tmp_path: Path) -> None:
    letter = pingen.submit(shipment(tmp_path))
    standin.advance(letter.provider_ref, "printing", "transferred_to_printcenter")
    assert pingen.cancel(letter) is False
    assert standin.letters[letter.provider_ref].attributes["status"] == "printing"


def test_cancelling_a_cancelled_letter_asks_nobody(pingen: PingenProvider, standin: PingenStandIn) -> None:
    letter = ProviderLetter("BW12-3-00007", "some-id", "cancelled", state=LetterStatus.CANCELLED)
    assert pingen.cancel(letter) is True
    assert standin.calls == []


def test_a_cancel_whose_answer_got_lost_is_checked_not_repeated(pingen: PingenProvider, standin: PingenStandIn,
                                                                tmp_path: Path) -> None:
    letter = pingen.submit(shipment(tmp_path))
    standin.faults.queue("cancel", Fault.CRASH_AFTER_ACCEPT)
    assert pingen.cancel(letter) is True
    assert sum(1 for route, _ in standin.calls if route == "cancel") == 1


def test_cancel_during_an_outage_is_unavailable_not_refused(pingen: PingenProvider, standin: PingenStandIn,
                                                            tmp_path: Path) -> None:
    letter = pingen.submit(shipment(tmp_path))
    standin.faults.queue("cancel", *[Fault.SERVER_ERROR] * FAST.attempts)
    with pytest.raises(ProviderUnavailable):
        pingen.cancel(letter)


# --- events and webhooks -------------------------------------------------------------------------


def test_events_map_to_our_lifecycle(pingen: PingenProvider, standin: PingenStandIn, tmp_path: Path) -> None:
    letter = pingen.submit(shipment(tmp_path))
    standin.advance(letter.provider_ref, "printing", "submitted", "address_purged", "transferred_to_printcenter")
    standin.advance(letter.provider_ref, "sent", "transferred_to_distributor")
    events = pingen.events(letter)
    assert [event.state for event in events] == [
        LetterStatus.ACCEPTED, LetterStatus.ACCEPTED, LetterStatus.PRINTED, LetterStatus.POSTED]
    assert events[0].detail.startswith("created") and events[-1].detail.startswith("transferred_to_distributor")
    assert all(event.provider_ref == letter.provider_ref and event.at.tzinfo is not None for event in events)


def test_a_failed_letter_reports_why(pingen: PingenProvider, standin: PingenStandIn, tmp_path: Path) -> None:
    letter = pingen.submit(shipment(tmp_path))
    standin.advance(letter.provider_ref, "invalid", "file_not_a4_portrait")
    assert pingen.events(letter)[-1].state is LetterStatus.FAILED
    assert "A4" in pingen.events(letter)[-1].detail


def test_webhooks_are_verified_and_mapped(pingen: PingenProvider, standin: PingenStandIn, tmp_path: Path) -> None:
    letter = pingen.submit(shipment(tmp_path))
    body = standin.webhook(letter.provider_ref, "sent", "transferred_to_distributor")
    [event] = pingen.parse_webhook(body, standin.sign(body, WEBHOOK_SECRET))
    assert (event.provider_ref, event.state) == (letter.provider_ref, LetterStatus.POSTED)

    body = standin.webhook(letter.provider_ref, "undeliverable", "undeliverable", reason="Empfänger unbekannt")
    [event] = parse_webhook(body, standin.sign(body, WEBHOOK_SECRET), WEBHOOK_SECRET)
    assert event.state is LetterStatus.FAILED and "Empfänger unbekannt" in event.detail


def test_a_webhook_without_its_event_falls_back_to_the_category(standin: PingenStandIn, pingen: PingenProvider,
                                                                tmp_path: Path) -> None:
    letter = pingen.submit(shipment(tmp_path))
    body = standin.webhook(letter.provider_ref, "issues", "some_new_code", reason="Adresse unvollständig")
    [event] = parse_webhook(body, standin.sign(body, WEBHOOK_SECRET), WEBHOOK_SECRET)
    assert event.state is LetterStatus.FAILED and event.detail == "issues: Adresse unvollständig"


@pytest.mark.parametrize("signature", ["", "0" * 64, "not-hex"])
def test_webhooks_with_a_bad_signature_are_refused(standin: PingenStandIn, pingen: PingenProvider, tmp_path: Path,
                                                   signature: str) -> None:
    letter = pingen.submit(shipment(tmp_path))
    body = standin.webhook(letter.provider_ref, "sent", "transferred_to_distributor")
    with pytest.raises(WebhookSignatureInvalid):
        pingen.parse_webhook(body, signature)
    tampered = body.replace(b"webhook_sent", b"webhook_issues")
    with pytest.raises(WebhookSignatureInvalid):
        parse_webhook(tampered, standin.sign(body, WEBHOOK_SECRET), WEBHOOK_SECRET)


# --- error answers -------------------------------------------------------------------------------


def test_a_validation_refusal_fails_that_letter_with_pingens_reason(pingen: PingenProvider, standin: PingenStandIn,
                                                                    tmp_path: Path) -> None:
    standin.faults.queue("create", Fault.VALIDATION)
    with pytest.raises(InvalidInput) as refused:
        pingen.submit(shipment(tmp_path))
    assert refused.value.message.key == "provider.rejected"
    assert "delivery_product" in refused.value.render("en") and "BW12-3-00007" in refused.value.render("de")
    assert standin.references() == {}


def test_a_file_pingen_cannot_read_is_refused_with_its_reason(pingen: PingenProvider, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not a PDF"):
        pingen.submit(shipment(tmp_path, pdf=b"Hello, not a PDF"))


def test_rate_limits_wait_as_long_as_pingen_asks(standin: PingenStandIn, tmp_path: Path) -> None:
    sleeps: list[float] = []
    policy = FAST.model_copy(update={"max_retry_after": 60.0})
    with PingenProvider(config_for(standin, retry=policy), sleep=sleeps.append) as provider:
        standin.faults.queue("create", Fault.RATE_LIMITED)
        provider.submit(shipment(tmp_path))
    assert sleeps == [1.0]
    assert standin.references() == {"BW12-3-00007": 1}


@pytest.mark.parametrize("fault", [Fault.SERVER_ERROR, Fault.SLOW, Fault.CRASH_AFTER_ACCEPT])
def test_an_unclear_create_is_looked_up_before_anything_is_resent(pingen: PingenProvider, standin: PingenStandIn,
                                                                  tmp_path: Path, fault: Fault) -> None:
    standin.faults.queue("create", fault)
    letter = pingen.submit(shipment(tmp_path))
    assert standin.references() == {"BW12-3-00007": 1}
    assert letter.provider_ref == standin.letter_for("BW12-3-00007").id
    expected_creates = 2 if fault is Fault.SERVER_ERROR else 1  # a 500 stored nothing: sent again, once
    assert creates(standin) == expected_creates


def test_the_idempotency_key_covers_a_lookup_that_lags(pingen: PingenProvider, standin: PingenStandIn,
                                                       tmp_path: Path) -> None:
    standin.list_lags = True
    standin.faults.queue("create", Fault.CRASH_AFTER_ACCEPT)
    letter = pingen.submit(shipment(tmp_path))
    assert creates(standin) == 2 and len(standin.replays) == 1
    assert standin.references() == {"BW12-3-00007": 1}
    assert letter.provider_ref == standin.letter_for("BW12-3-00007").id


def test_a_lasting_outage_raises_provider_unavailable(pingen: PingenProvider, standin: PingenStandIn) -> None:
    standin.faults.queue("list", *[Fault.SERVER_ERROR] * FAST.attempts)
    with pytest.raises(ProviderUnavailable, match="gave up after 6 attempts"):
        pingen.lookup("BW12-3-00007")


def test_a_create_lost_in_a_lasting_outage_is_found_on_the_next_run(pingen: PingenProvider, standin: PingenStandIn,
                                                                    tmp_path: Path) -> None:
    standin.faults.queue("create", Fault.CRASH_AFTER_ACCEPT)
    standin.faults.queue("list", *[Fault.SERVER_ERROR] * FAST.attempts)  # the lookup after the lost answer: outage
    with pytest.raises(ProviderUnavailable):
        pingen.submit(shipment(tmp_path))
    assert creates(standin) == 1  # never resent without a lookup saying "not there"
    standin.list_lags = True  # and Pingen's list does not show it yet: the idempotency key answers instead
    standin.letter_for("BW12-3-00007").listed = False
    assert pingen.submit(shipment(tmp_path)).provider_ref == standin.letter_for("BW12-3-00007").id
    assert standin.references() == {"BW12-3-00007": 1}


# --- exactly once --------------------------------------------------------------------------------


def test_two_hundred_letters_through_a_flaky_pingen_arrive_exactly_once(standin: PingenStandIn, tmp_path: Path) -> None:
    standin.faults.chaos(
        {"create": 0.3, "list": 0.15, "file_upload": 0.1, "upload_put": 0.1},
        [Fault.SERVER_ERROR, Fault.RATE_LIMITED, Fault.CRASH_AFTER_ACCEPT], seed=20240607,
    )
    references = [f"BW7-1-{number:05d}" for number in range(1, 201)]
    with PingenProvider(config_for(standin, retry=FAST.model_copy(update={"attempts": 4})), sleep=lambda _: None) as provider:
        for reference in references:
            request = shipment(tmp_path, reference)
            for _run in range(10):  # what the dispatch run does on ProviderUnavailable: try again later
                try:
                    provider.submit(request)
                    break
                except ProviderUnavailable:
                    continue
            else:
                pytest.fail(f"{reference} never got through")
    counts = standin.references()
    assert set(counts) == set(references)
    assert set(counts.values()) == {1}
    injected = {fault for _, fault in standin.faults.injected}
    assert injected == {Fault.SERVER_ERROR, Fault.RATE_LIMITED, Fault.CRASH_AFTER_ACCEPT}


def test_capabilities_describe_pingen(pingen: PingenProvider) -> None:
    capabilities = pingen.capabilities
    assert (capabilities.profile, capabilities.registered, capabilities.colour, capabilities.duplex) == ("pingen", False, True, True)
    assert capabilities.countries is None and "Druck" in capabilities.cancel_window.render("de")
    pingen.finish_order("BW12-3")  # nothing to close


def test_registered_mail_through_pingen_only_where_its_rules_allow(standin: PingenStandIn) -> None:
    german = PingenProvider(config_for(standin)).capabilities
    assert german.registered is False
    assert "nur für Absender in CH" in german.registered_reason.render("de")
    assert "only to senders in CH" in german.registered_reason.render("en")
    swiss = PingenProvider(config_for(standin, home_country="CH")).capabilities
    assert swiss.registered is True and swiss.registered_reason is None
    no_sender = PingenProvider(config_for(standin, home_country="CH", sender=None)).capabilities
    assert no_sender.registered is False  # meta_data needs the sender


def test_a_list_that_ignores_the_sort_is_no_answer(standin: PingenStandIn, tmp_path: Path) -> None:
    standin.add_history(150, before=datetime.now(UTC) - timedelta(days=3))
    standin.ignore_sort = True  # oldest first: stopping at the first old letter would miss ours
    with PingenProvider(config_for(standin)) as provider:
        provider.submit(shipment(tmp_path))
        with pytest.raises(ProviderUnavailable, match="did not list newest first"):
            provider.lookup("BW12-3-00007", since=datetime.now(UTC) - timedelta(minutes=10))


def test_the_price_calculator_quotes_in_cents_and_is_asked_once_an_hour(standin: PingenStandIn) -> None:
    query = PriceQuery("DE", 3, PrintOptions(colour=False, duplex=True, registered=False))
    with PingenProvider(config_for(standin)) as off:
        assert off.price(query) is None  # not configured: our table
    with PingenProvider(config_for(standin, price_calculator=True)) as provider:
        assert provider.price(query) == 87  # 0.60 + 3 × 0.09
        assert provider.price(query) == 87
        assert provider.price(PriceQuery("DE", 3, PrintOptions(colour=True))) == 141
    assert sum(route == "price" for route, _ in standin.calls) == 2
    standin.currency = "CHF"
    with PingenProvider(config_for(standin, price_calculator=True)) as provider:
        assert provider.price(query) is None  # a quote in another currency is no estimate in euro
