"""One contract for every provider in the registry, through the use cases on SQLite and
PostgreSQL: a letter is created once, found again by a bounded lookup, cancelled, followed in its
status, and survives a crash after the provider accepted it, a 429 and a 5xx without a second letter."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.integrations.http import RetryPolicy
from bot.providers.letterxpress.client import LetterXpressProvider
from bot.providers.letterxpress.settings import LetterXpressConfig
from bot.providers.letterxpress.standin import LetterXpressStandIn
from bot.providers.loopback import Fault
from bot.providers.outbox.client import OutboxProvider
from bot.providers.pingen.client import PingenProvider
from bot.providers.pingen.settings import PingenConfig
from bot.providers.pingen.standin import PingenStandIn
from bot.providers.registry import PLUGINS
from bot.slack import views
from bot.slack.texts import t as text
from domain.actors import Actor
from domain.models import Event, LetterState, Organisation, SerialLetter, Shipment, ShipmentState
from domain.ports import Ports, Provider
from domain.recipients import RecipientFilter
from domain.services import dispatch, documents, intake, release, tracking
from domain.split import ByMarker
from domain.storage import LocalBackend
from tests.factories import Estate, attachment, batch_for, estate


def render_event(event: Event, locale: str) -> str:
    return text(f"event.{event.kind}", locale, **event.data)

FAST = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.005, max_retry_after=0.005, jitter=0)
HISTORY = 100_000  # older letters of other software in each stand-in: lookups must not read them
NOW_AGAIN = tracking.Timing(backoff_first=timedelta(0), poll_every=timedelta(0))  # retries and polls at once


@dataclass
class Contract:
    """One provider and the handles a test needs on the other side of it."""

    provider: Provider
    count: Callable[[str], int]  # letters the provider holds for a reference
    fail_next_create: Callable[[Fault], None]
    post: Callable[..., None]  # the provider posts the letter (with a tracking code, if given)
    cancelled: Callable[[str], bool]
    reports_status: bool  # what the provider is documented to do after hand-over
    settle_cancel: Callable[[str, bool], None] = lambda reference, completed: None  # the provider decides a requested cancel
    fail_next_lookups: Callable[[], None] = lambda: None  # the provider's lists are away for a while
    hold: Callable[[str], None] = lambda reference: None  # held for lack of credit
    undeliverable: Callable[[str], None] = lambda reference: None  # the postal service brings it back
    hold_new_jobs: Callable[[], None] = lambda: None  # the account has no credit: new jobs wait
    fail_price: Callable[[], None] = lambda: None  # the price calculator is away


class FlakyBackend(LocalBackend):
    """The outbox's folder, with the failures a storage can have: the next writes fail or take
    effect with the process dying before it hears so."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.faults: list[Fault] = []

    def put_named(self, name: str, source: Path) -> None:
        fault = self.faults.pop(0) if self.faults and name.endswith(".json") else None
        if fault is Fault.CRASH_AFTER_ACCEPT:
            super().put_named(name, source)
            raise SystemExit("crash after the sidecar was written")
        if fault is not None:
            raise OSError(f"storage unavailable ({fault})")
        super().put_named(name, source)


def outbox(tmp_path: Path) -> Iterator[Contract]:
    storage = FlakyBackend(tmp_path / "outbox")
    provider = OutboxProvider(storage)

    def count(reference: str) -> int:
        return int(provider.lookup(reference) is not None)

    def cancelled(reference: str) -> bool:
        return any(name.endswith(f"cancelled/{reference}.json") for name in storage.names(reference.rsplit("-", 1)[0]))

    yield Contract(provider, count, storage.faults.append, lambda reference: None, cancelled, reports_status=False)


def pingen(tmp_path: Path) -> Iterator[Contract]:
    with PingenStandIn() as standin:
        standin.add_history(HISTORY, before=datetime.now(UTC) - timedelta(days=3))
        config = PingenConfig(client_id=standin.client_id, client_secret=standin.client_secret,
                              organisation_id=standin.organisation_id, api_url=standin.base_url,
                              identity_url=standin.base_url, timeout=5, retry=FAST)
        provider = PingenProvider(config, sleep=lambda _: None)
        # the estate's letters are laid out for DIN windows; Pingen's own zones are preflight's tests
        provider.capabilities = dataclasses.replace(provider.capabilities, profile="din5008b")

        def fail(fault: Fault) -> None:
            standin.faults.queue("create", *[fault] * (FAST.attempts if fault is not Fault.CRASH_AFTER_ACCEPT else 1))

        def post(reference: str) -> None:
            letter = standin.letter_for(reference)
            standin.advance(letter.id, "sent", "transferred_to_distributor")

        def cancelled(reference: str) -> bool:
            return standin.letter_for(reference).attributes["status"] == "cancelled"

        def settle(reference: str, completed: bool) -> None:
            standin.settle_cancel(standin.letter_for(reference).id, completed)

        def undeliverable(reference: str) -> None:
            standin.advance(standin.letter_for(reference).id, "undeliverable", "undeliverable")

        yield Contract(provider, lambda reference: standin.references()[reference], fail, post, cancelled,
                       reports_status=True, fail_next_lookups=lambda: standin.faults.queue("list", *[Fault.SERVER_ERROR] * FAST.attempts),
                       settle_cancel=settle, undeliverable=undeliverable,
                       fail_price=lambda: standin.faults.queue("price", *[Fault.SERVER_ERROR] * FAST.attempts * 10))
        provider.close()


def letterxpress(tmp_path: Path) -> Iterator[Contract]:
    with LetterXpressStandIn() as standin:
        standin.add_history(HISTORY, before=datetime.now(UTC) - timedelta(days=3))
        config = LetterXpressConfig(username=standin.username, api_key=standin.api_key, mode="live",
                                    api_url=standin.base_url, timeout=5, min_interval=0.0, retry=FAST)
        provider = LetterXpressProvider(config, sleep=lambda _: None)

        def fail(fault: Fault) -> None:
            standin.faults.queue("create", *[fault] * (FAST.attempts if fault is not Fault.CRASH_AFTER_ACCEPT else 1))

        def post(reference: str, tracking_code: str | None = None) -> None:
            standin.advance(standin.job_for(reference)["id"], "done", tracking_code)

        def status(name: str) -> Callable[[str], None]:
            return lambda reference: standin.advance(standin.job_for(reference)["id"], name)

        def cancelled(reference: str) -> bool:
            return standin.job_for(reference)["status"] == "canceled"

        yield Contract(provider, lambda reference: standin.references()[reference], fail, post, cancelled,
                       reports_status=True, fail_next_lookups=lambda: standin.faults.queue("list", *[Fault.SERVER_ERROR] * FAST.attempts),
                       hold=status("hold"), hold_new_jobs=lambda: setattr(standin, "no_credit", True))
        provider.close()


HARNESSES = {"outbox": outbox, "pingen": pingen, "letterxpress": letterxpress}


def test_every_registered_provider_is_under_contract() -> None:
    assert set(HARNESSES) == set(PLUGINS)


@pytest.fixture(params=sorted(HARNESSES))
def contract(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Contract]:
    yield from HARNESSES[request.param](tmp_path)


@pytest.fixture
def drafted(session: Session, ports: Ports, clerk: Actor, organisation: Organisation,
            contract: Contract) -> tuple[Estate, SerialLetter]:
    """The estate and a draft serial letter of an organisation that posts through the provider."""
    organisation.provider = contract.provider.key
    session.add(organisation)
    session.commit()
    ports.providers = {contract.provider.key: contract.provider}
    found = estate(session, organisation)
    return found, documents.create_serial_letter(session, clerk, found.prop.id, "Abrechnung 2025", ["Hausgeldabrechnung"])


@pytest.fixture
def ordered(session: Session, ports: Ports, clerk: Actor, drafted: tuple[Estate, SerialLetter]) -> int:
    """A released serial letter, ordered to all contacts through the provider: its order's id."""
    found, serial = drafted
    intake.upload_batch(session, ports.files, clerk, serial.id, "Hausgeldabrechnung", "batch.pdf", batch_for(found), ByMarker())
    intake.add_attachment(session, ports.files, clerk, serial.id, "Einladung.pdf", attachment(1))
    release.release(session, ports, clerk, serial.id, notify=False)
    dispatch.configure_dispatch(session, ports, clerk, serial.id, {"filter": RecipientFilter.ALL})
    return dispatch.order_dispatch(session, ports, clerk, serial.id).id


def shipments(session: Session, order_id: int) -> list[Shipment]:
    session.expire_all()
    return list(session.exec(select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id)))


def hand_over(session: Session, ports: Ports) -> tracking.HandOverTally:
    return tracking.hand_over_due(session, ports, "contract", NOW_AGAIN)


def assert_each_once(session: Session, contract: Contract, order_id: int) -> None:
    letters = shipments(session, order_id)
    assert {s.state for s in letters} == {ShipmentState.SUBMITTED}
    assert all(s.provider_ref for s in letters)
    assert [contract.count(s.reference) for s in letters] == [1] * len(letters)


def test_create_stores_the_providers_id_and_each_letter_exists_once(session, ports, contract, ordered) -> None:
    tally = hand_over(session, ports)
    assert tally.submitted == len(shipments(session, ordered)) and tally.already_there == 0
    assert_each_once(session, contract, ordered)
    assert all(s.submit_started_at is not None for s in shipments(session, ordered))


def test_lookup_finds_a_letter_back_to_the_attempts_start_and_nothing_else(session, ports, contract, ordered) -> None:
    hand_over(session, ports)
    first = shipments(session, ordered)[0]
    started = first.submit_started_at.replace(tzinfo=UTC) - tracking.CLOCK_MARGIN
    found = contract.provider.lookup(first.reference, since=started)
    assert found is not None and found.provider_ref == first.provider_ref
    assert contract.provider.lookup(first.reference + "9", since=started) is None


def test_cancel_withdraws_every_letter_at_the_provider(session, ports, clerk, contract, ordered) -> None:
    hand_over(session, ports)
    serial_id = shipments(session, ordered)[0].serial_letter_id
    outcome = dispatch.cancel_dispatch(session, ports, clerk, serial_id)
    assert outcome.not_cancellable == []
    for shipment in shipments(session, ordered):  # where a cancel is a request, the provider completes it
        contract.settle_cancel(shipment.reference, True)
    tracking.poll_due(session, ports, "contract", NOW_AGAIN, max_batches=1)
    letters = shipments(session, ordered)
    assert {s.state for s in letters} == {ShipmentState.CANCELLED}
    assert all(contract.cancelled(s.reference) for s in letters)
    assert all(s.cancel_requested_at is None for s in letters)


@pytest.mark.parametrize("contract", ["pingen"], indirect=True)
def test_a_rejected_cancel_reaches_the_thread_and_the_evidence_as_going_out_after_all(session, ports, clerk, contract,
                                                                                      ordered) -> None:
    hand_over(session, ports)
    first, *others = shipments(session, ordered)
    serial_id = first.serial_letter_id
    outcome = dispatch.cancel_dispatch(session, ports, clerk, serial_id)
    assert outcome.requested == len(others) + 1 and outcome.cancelled == 0
    contract.settle_cancel(first.reference, False)
    for shipment in others:
        contract.settle_cancel(shipment.reference, True)
    tracking.poll_due(session, ports, "contract", NOW_AGAIN, max_batches=1)
    states = {s.reference: s.state for s in shipments(session, ordered)}
    assert states.pop(first.reference) is ShipmentState.SUBMITTED and set(states.values()) == {ShipmentState.CANCELLED}
    events = list(session.exec(select(Event).where(Event.serial_letter_id == serial_id).order_by(Event.id)))
    [thread] = [e for e in events if e.kind == "cancel_rejected"]
    assert thread.announced_at is None and thread.data["letters"] == [first.reference]  # posted to the thread
    [evidence] = [e for e in events if e.kind == "shipment_cancel_rejected"]
    assert evidence.shipment_id == first.id and evidence.data["note"] == "wird doch versendet"
    session.expire_all()
    assert session.get(SerialLetter, serial_id).state is LetterState.WITH_PROVIDER


def test_status_comes_back_from_providers_that_report_it(session, ports, contract, ordered) -> None:
    hand_over(session, ports)
    for shipment in shipments(session, ordered):
        contract.post(shipment.reference)
    tally = tracking.poll_due(session, ports, "contract", NOW_AGAIN, max_batches=1)
    states = {s.state for s in shipments(session, ordered)}
    assert contract.provider.capabilities.reports_status is contract.reports_status
    if contract.reports_status:
        assert states == {ShipmentState.POSTED} and tally.changed == len(shipments(session, ordered))
    else:  # nothing comes back from the own provider: never asked
        assert states == {ShipmentState.SUBMITTED} and tally.polled == 0


def test_a_crash_after_the_provider_accepted_never_sends_twice(session, ports, contract, ordered) -> None:
    contract.fail_next_create(Fault.CRASH_AFTER_ACCEPT)
    try:
        hand_over(session, ports)
    except SystemExit:  # the own provider's process died with it; the letter stays claimed until its lease runs out
        session.rollback()
        session.exec(Shipment.__table__.update().values(lease_owner=None, lease_until=None))
        session.commit()
    hand_over(session, ports)
    assert_each_once(session, contract, ordered)


def test_a_crash_after_accept_then_an_outage_is_looked_up_before_it_is_sent_again(session, ports, contract,
                                                                                 ordered) -> None:
    contract.fail_next_create(Fault.CRASH_AFTER_ACCEPT)
    contract.fail_next_lookups()  # the client's own lookup after the lost answer fails too: the run gives up
    try:
        hand_over(session, ports)
    except SystemExit:
        session.rollback()
        session.exec(Shipment.__table__.update().values(lease_owner=None, lease_until=None))
        session.commit()
    hand_over(session, ports)
    assert_each_once(session, contract, ordered)


@pytest.mark.parametrize("fault", [Fault.RATE_LIMITED, Fault.SERVER_ERROR])
def test_a_429_or_5xx_defers_the_letter_and_it_goes_later_once(session, ports, contract, ordered, fault) -> None:
    contract.fail_next_create(fault)
    first = hand_over(session, ports)
    assert first.deferred == 1
    assert [s.attempts for s in shipments(session, ordered)].count(1) == 1  # that letter backs off, nothing is lost
    hand_over(session, ports)
    assert_each_once(session, contract, ordered)


# --- after the hand-over: cancel window, credit, delivery -------------------------------------------


def serial_events(session: Session, order_id: int, kind: str) -> list[Event]:
    serial_id = shipments(session, order_id)[0].serial_letter_id
    return list(session.exec(select(Event).where(Event.serial_letter_id == serial_id, Event.kind == kind)))


@pytest.mark.parametrize("contract", ["letterxpress"], indirect=True)
def test_the_red_button_counts_down_letterxpress_cancel_window(session, ports, clerk, contract, ordered) -> None:
    hand_over(session, ports)
    serial_id = shipments(session, ordered)[0].serial_letter_id
    summary = dispatch.dispatch_summary(session, ports, clerk, serial_id)
    [line] = summary.reasons
    assert line.key == "button.red_countdown" and 1 <= line.facts["minutes"] <= 15
    assert "Minuten storniert werden" in line.render("de") and "cancelled for" in line.render("en")
    ports.clock = lambda: datetime.now(UTC) + timedelta(minutes=16)
    [line] = dispatch.dispatch_summary(session, ports, clerk, serial_id).reasons
    assert line.key == "button.red_closed"


@pytest.mark.parametrize("contract", ["pingen"], indirect=True)
def test_providers_without_a_clock_keep_the_window_in_words(session, ports, clerk, contract, ordered) -> None:
    hand_over(session, ports)
    serial_id = shipments(session, ordered)[0].serial_letter_id
    [line] = dispatch.dispatch_summary(session, ports, clerk, serial_id).reasons
    assert line.key == "button.red" and "bis der Druck beginnt" in line.render("de")


@pytest.mark.parametrize("contract", ["letterxpress"], indirect=True)
def test_a_job_held_for_credit_is_told_to_the_thread_once(session, ports, contract, ordered) -> None:
    hand_over(session, ports)
    standin_advance = contract.hold
    for shipment in shipments(session, ordered):
        standin_advance(shipment.reference)
    tracking.poll_due(session, ports, "contract", NOW_AGAIN, max_batches=1)
    tracking.poll_due(session, ports, "contract", NOW_AGAIN, max_batches=1)
    [told] = serial_events(session, ordered, "waiting_for_credit")
    assert told.announced_at is None and told.data["count"] == len(shipments(session, ordered))
    assert "Wartet auf Guthaben" in render_event(told, "de") and "Waiting for credit" in render_event(told, "en")
    assert {s.state for s in shipments(session, ordered)} == {ShipmentState.SUBMITTED}


@pytest.mark.parametrize("contract", ["pingen"], indirect=True)  # LXP's API reports no returns
def test_posted_letters_are_followed_until_undeliverable_and_the_thread_hears_it(session, ports, contract, ordered) -> None:
    hand_over(session, ports)
    first, *others = shipments(session, ordered)
    for shipment in (first, *others):
        contract.post(shipment.reference)
    tracking.poll_due(session, ports, "contract", NOW_AGAIN, max_batches=1)
    assert all(s.posted_at is not None for s in shipments(session, ordered))
    contract.undeliverable(first.reference)
    tracking.poll_due(session, ports, "contract", NOW_AGAIN, max_batches=1)
    states = {s.reference: s.state for s in shipments(session, ordered)}
    assert states.pop(first.reference) is ShipmentState.FAILED and set(states.values()) == {ShipmentState.POSTED}
    [told] = serial_events(session, ordered, "undeliverable")
    assert told.announced_at is None and told.data["count"] == 1 and first.reference in told.data["letters"][0]


@pytest.mark.parametrize("contract", ["pingen", "letterxpress"], indirect=True)
def test_following_ends_after_the_configured_days(session, ports, contract, ordered) -> None:
    hand_over(session, ports)
    for shipment in shipments(session, ordered):
        contract.post(shipment.reference)
    tracking.poll_due(session, ports, "contract", NOW_AGAIN, max_batches=1)
    ports.clock = lambda: datetime.now(UTC) + timedelta(days=22)
    assert tracking.poll_due(session, ports, "contract", NOW_AGAIN, max_batches=1).polled == 0
    ports.clock = lambda: datetime.now(UTC) + timedelta(days=20)
    assert tracking.poll_due(session, ports, "contract", NOW_AGAIN, max_batches=1).polled == len(shipments(session, ordered))


@pytest.mark.parametrize("contract", ["letterxpress"], indirect=True)
def test_a_registered_letters_tracking_code_goes_into_the_evidence(session, ports, contract, ordered) -> None:
    hand_over(session, ports)
    first = shipments(session, ordered)[0]
    contract.post(first.reference, "RR123456789DE")
    tracking.poll_due(session, ports, "contract", NOW_AGAIN, max_batches=1)
    [posted] = [e for e in serial_events(session, ordered, "shipment_posted") if e.shipment_id == first.id]
    assert posted.data["tracking_code"] == "RR123456789DE"


def test_the_domain_names_no_provider() -> None:
    """Providers live in bot/providers; the domain sees capabilities. Exceptions: the postal
    profiles (domain/pdf holds every provider's rules as data) and the default key of a new
    organisation's provider column."""
    root = Path(__file__).resolve().parents[1] / "domain"
    names = [plugin.key for plugin in PLUGINS.values()]
    offenders = [f"{path.relative_to(root)}: {name}" for path in root.rglob("*.py")
                 if path.parent.name != "pdf" and path.name != "models.py"
                 for name in names if name in path.read_text(encoding="utf-8").lower()]
    assert offenders == []


def modal_text(modal: dict[str, Any]) -> str:
    return json.dumps(modal, ensure_ascii=False)


@pytest.mark.parametrize("contract", ["pingen"], indirect=True)
def test_the_dispatch_modal_says_why_pingen_offers_no_registered_mail(session, ports, clerk, drafted) -> None:
    _, serial = drafted
    summary = dispatch.dispatch_summary(session, ports, clerk, serial.id)
    for locale, words in (("de", "bietet Einschreiben nur für Absender in CH"), ("en", "registered mail only to senders in CH")):
        shown = modal_text(views.dispatch_modal(summary, serial, None, locale))
        assert words in shown and '"value": "registered"' not in shown


@pytest.mark.parametrize("contract", ["letterxpress"], indirect=True)
def test_the_dispatch_modal_counts_down_the_cancel_window(session, ports, clerk, contract, ordered) -> None:
    hand_over(session, ports)
    serial = session.get(SerialLetter, shipments(session, ordered)[0].serial_letter_id)
    summary = dispatch.dispatch_summary(session, ports, clerk, serial.id)
    assert "Minuten storniert werden (bis" in modal_text(views.dispatch_modal(summary, serial, None, "de"))


@pytest.mark.parametrize("contract", ["letterxpress"], indirect=True)
def test_a_job_held_for_credit_from_its_upload_is_told_too(session, ports, contract, ordered) -> None:
    contract.hold_new_jobs()
    hand_over(session, ports)
    tracking.poll_due(session, ports, "contract", NOW_AGAIN, max_batches=1)
    [told] = serial_events(session, ordered, "waiting_for_credit")
    assert told.data["count"] == len(shipments(session, ordered))


def test_each_provider_reads_its_own_briefwerk_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from bot.settings import Settings
    from bot.wiring import Wiring

    for name, value in {"BRIEFWERK_PINGEN__CLIENT_ID": "c", "BRIEFWERK_PINGEN__CLIENT_SECRET": "changeme",
                        "BRIEFWERK_PINGEN__ORGANISATION_ID": "o", "BRIEFWERK_PINGEN__ENVIRONMENT": "production",
                        "BRIEFWERK_LETTERXPRESS__USERNAME": "u", "BRIEFWERK_LETTERXPRESS__API_KEY": "k-123456",
                        "BRIEFWERK_LETTERXPRESS__MODE": "live"}.items():
        monkeypatch.setenv(name, value)
    settings = Settings(home=tmp_path)
    assert settings.pingen.environment == "production" and settings.letterxpress.mode == "live"
    assert settings.weak_secrets() == ["BRIEFWERK_PINGEN__CLIENT_SECRET"]  # a plugin's secrets are checked too
    assert set(Wiring(settings).providers) == {"outbox", "pingen", "letterxpress"}
    monkeypatch.delenv("BRIEFWERK_LETTERXPRESS__USERNAME")
    monkeypatch.delenv("BRIEFWERK_LETTERXPRESS__API_KEY")
    monkeypatch.delenv("BRIEFWERK_LETTERXPRESS__MODE")
    assert set(Wiring(Settings(home=tmp_path)).providers) == {"outbox", "pingen"}  # not configured: not offered


@pytest.mark.parametrize("contract", ["letterxpress"], indirect=True)
def test_letters_still_held_for_credit_are_reminded_a_day_later(session, ports, contract, ordered) -> None:
    hand_over(session, ports)
    for shipment in shipments(session, ordered):
        contract.hold(shipment.reference)
    tracking.poll_due(session, ports, "contract", NOW_AGAIN, max_batches=1)
    tracking.poll_due(session, ports, "contract", NOW_AGAIN, max_batches=1)
    assert serial_events(session, ordered, "waiting_for_credit_reminder") == []  # not yet
    ports.clock = lambda: datetime.now(UTC) + timedelta(hours=25)
    tracking.poll_due(session, ports, "contract", NOW_AGAIN, max_batches=1)
    tracking.poll_due(session, ports, "contract", NOW_AGAIN, max_batches=1)
    [reminder] = serial_events(session, ordered, "waiting_for_credit_reminder")
    assert reminder.data["count"] == len(shipments(session, ordered))
    assert "Erinnerung" in render_event(reminder, "de") and "Reminder" in render_event(reminder, "en")


@pytest.mark.parametrize("contract", ["pingen"], indirect=True)
def test_the_estimate_uses_pingens_price_calculator_and_falls_back_to_the_table(session, ports, clerk, contract,
                                                                              drafted) -> None:
    found, serial = drafted
    intake.upload_batch(session, ports.files, clerk, serial.id, "Hausgeldabrechnung", "batch.pdf", batch_for(found), ByMarker())
    table = dispatch.dispatch_summary(session, ports, clerk, serial.id).plan
    assert table.letters and not any(letter.cost.quoted for letter in table.letters)
    # switched on, and every plan asks afresh (no quote kept), so the outage below is seen
    contract.provider.config = contract.provider.config.model_copy(update={"price_calculator": True,
                                                                            "price_cache": timedelta(0)})
    quoted = dispatch.dispatch_summary(session, ports, clerk, serial.id).plan
    assert all(letter.cost.quoted for letter in quoted.letters)
    assert [letter.cost.cents for letter in quoted.letters] == [
        round((0.60 + 0.09 * letter.pages) * 100) for letter in quoted.letters]
    shown = modal_text(views.dispatch_modal(dispatch.dispatch_summary(session, ports, clerk, serial.id), serial, None, "de"))
    assert "Preisrechner des Dienstleisters" in shown
    contract.fail_price()
    fallback = dispatch.dispatch_summary(session, ports, clerk, serial.id).plan
    assert [letter.cost.cents for letter in fallback.letters] == [letter.cost.cents for letter in table.letters]
