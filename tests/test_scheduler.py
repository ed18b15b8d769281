"""The scheduler's jobs: hand-over with backoff and "send on" dates, provider status polling,
approval reminders and expiry, link expiry and retention — and the headline: two worker
instances on one PostgreSQL database hand 1,000 letters to the Pingen stand-in and report their
way to "posted", each letter submitted once and each status change posted once."""

from __future__ import annotations

import hashlib

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.integrations.http import RetryPolicy
from bot.providers.pingen.client import PingenConfig
from bot.scheduler import JobIntervals, Worker, build_scheduler
from bot.settings import Settings
from bot.slack import views
from bot.slack.app import SlackDeps
from bot.slack.notifier import QUIET
from bot.slackstandin import SlackStandIn
from bot.wiring import Wiring
from domain.actors import Actor
from domain.addresses import PostalAddress
from domain.errors import Conflict, InvalidInput
from domain.models import (
    Approval,
    ApprovalKind,
    ApprovalState,
    Contact,
    DownloadLink,
    Event,
    LetterState,
    Occupancy,
    Organisation,
    Property,
    SerialLetter,
    Shipment,
    ShipmentState,
    SourceDocument,
    SourceKind,
    Staff,
    Unit,
    UnitDocument,
)
from domain.pdf.layout import LetterSpec, render_letter
from domain.ports import (
    Capabilities,
    LetterStatus,
    Ports,
    ProviderEvent,
    ProviderLetter,
    ProviderUnavailable,
    ShipmentRequest,
)
from domain.recipients import RecipientFilter
from domain.services import approvals, dispatch, documents, intake, release, tracking
from domain.split import ByMarker
from tests.conftest import empty_tables
from tests.factories import attachment, batch_for, estate
from bot.providers.pingen.standin import PingenStandIn

BOT_TOKEN = "xoxb-scheduler-test"
THREAD_CHANNEL = "C0THREADS"
APPROVAL_CHANNEL = "C0APPROVE"


class Clock:
    """Time the test moves on; workers and use cases read it through `Ports.clock`."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class MemoryProvider:
    """A provider in memory: letters by reference, scripted outages and refusals, and status the
    test moves on. Thread-safe, like the real clients."""

    key = "memory"

    def __init__(self) -> None:
        self.capabilities = Capabilities(profile="din5008b")
        self.letters: dict[str, ProviderLetter] = {}
        self.submits: Counter[str] = Counter()
        self.outages = 0  # the next n submits find the provider unavailable
        self.refused: dict[str, str] = {}  # reference -> the provider's reason
        self.broken: set[str] = set()  # references whose submit fails with a bug, not a refusal
        self.cancelled: list[str] = []
        self.on_submit: Callable[[ShipmentRequest], None] | None = None  # runs while a submit is in flight
        self.on_cancel: Callable[[ProviderLetter], None] | None = None
        self.details: dict[str, str] = {}
        self._lock = threading.Lock()

    def lookup(self, reference: str, since: datetime | None = None) -> ProviderLetter | None:
        return self.letters.get(reference)

    def status(self, letter: ProviderLetter) -> ProviderLetter | None:
        return self.letters.get(letter.reference)

    def submit(self, request: ShipmentRequest) -> ProviderLetter:
        with self._lock:
            if self.outages:
                self.outages -= 1
                raise ProviderUnavailable("HTTP 503 Service Unavailable")
            if request.reference in self.broken:
                raise KeyError("data")  # as a client tripping over an odd answer would
            if request.reference in self.refused:
                raise InvalidInput("provider.rejected", provider="Memory", reference=request.reference,
                                   reason=self.refused[request.reference])
            assert request.pdf_path.read_bytes().startswith(b"%PDF")
            if self.on_submit is not None:
                self.on_submit(request)
            self.submits[request.reference] += 1
            letter = ProviderLetter(request.reference, f"m-{len(self.letters) + 1}", "accepted", request.sha256)
            self.letters[request.reference] = letter
            return letter

    def cancel(self, letter: ProviderLetter) -> bool:
        self.cancelled.append(letter.reference)
        if self.on_cancel is not None:
            self.on_cancel(letter)
        return True

    def events(self, letter: ProviderLetter) -> list[ProviderEvent]:
        current = self.letters[letter.reference]
        return [ProviderEvent(current.provider_ref, current.state, datetime.now(UTC),
                              self.details.get(letter.reference, current.status))]

    def finish_order(self, order_key: str) -> None:
        return None

    def price(self, query: Any) -> int | None:
        return None

    def advance(self, state: LetterStatus, status: str, references: list[str] | None = None, detail: str = "") -> None:
        with self._lock:
            for reference in references or list(self.letters):
                old = self.letters[reference]
                self.letters[reference] = ProviderLetter(reference, old.provider_ref, status, old.sha256, state)
                if detail:
                    self.details[reference] = detail


# --- helpers --------------------------------------------------------------------------------------


def wiring_on(engine: Engine, home: Path, providers: dict[str, Any], **settings: Any) -> Wiring:
    """The app's wiring on the test's engine and data home, with the given providers."""
    wiring = Wiring(Settings(home=home, database_url=engine.url.render_as_string(hide_password=False),
                             print_workers=1, **settings))
    wiring.engine = engine  # the test's engine: no second pool, no second migration
    wiring.providers = providers
    return wiring


def shipments_of(session: Session, order_id: int) -> list[Shipment]:
    session.expire_all()
    return list(session.exec(select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id)))


def events_of(session: Session, serial_id: int, kind: str | None = None) -> list[Event]:
    query = select(Event).where(Event.serial_letter_id == serial_id).order_by(Event.id)
    if kind is not None:
        query = query.where(Event.kind == kind)
    return list(session.exec(query))


def state_of(session: Session, serial_id: int) -> LetterState:
    session.expire_all()
    return session.get(SerialLetter, serial_id).state


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def provider() -> MemoryProvider:
    return MemoryProvider()


@pytest.fixture
def memory_org(session: Session, organisation: Organisation, ports: Ports, provider: MemoryProvider,
               clock: Clock) -> Organisation:
    organisation.provider = "memory"
    session.add(organisation)
    session.commit()
    ports.providers["memory"] = provider
    ports.clock = clock
    return organisation


@pytest.fixture
def serial(session: Session, ports: Ports, clerk: Actor, memory_org: Organisation) -> SerialLetter:
    """Released, to all contacts: four letters (Anna twice, Bernd, Clara; Dora has no address)."""
    found = estate(session, memory_org)
    created = documents.create_serial_letter(session, clerk, found.prop.id, "Abrechnung 2025", ["Hausgeldabrechnung"])
    intake.upload_batch(session, ports.files, clerk, created.id, "Hausgeldabrechnung", "batch.pdf", batch_for(found), ByMarker())
    intake.add_attachment(session, ports.files, clerk, created.id, "Einladung.pdf", attachment(1))
    release.release(session, ports, clerk, created.id, notify=False)
    dispatch.configure_dispatch(session, ports, clerk, created.id, {"filter": RecipientFilter.ALL})
    return created


@pytest.fixture
def worker(engine: Engine, home: Path, provider: MemoryProvider, clock: Clock) -> Worker:
    return Worker(wiring_on(engine, home, {"memory": provider}), None, "worker-a", clock)


# --- hand-over --------------------------------------------------------------------------------------


def test_an_unavailable_provider_means_backoff_and_the_letter_goes_later(session, ports, clerk, serial, provider,
                                                                          worker, clock) -> None:
    order = dispatch.order_dispatch(session, ports, clerk, serial.id)
    provider.outages = 1
    done = worker.run_once()
    assert (done["deferred"], done["submitted"]) == (1, 0)  # away: the run sends it nothing more
    [first, *rest] = shipments_of(session, order.id)
    assert (first.state, first.attempts, first.lease_owner) == (ShipmentState.PENDING, 1, None)
    assert first.next_attempt_at == clock.now + timedelta(minutes=1) and "nicht erreichbar" in first.reason
    assert all((s.attempts, s.next_attempt_at, s.lease_owner) == (0, None, None) for s in rest)  # given back untried

    assert worker.run_once()["submitted"] == 3  # the next run: the untried ones, not the one backing off
    waiting = [s for s in shipments_of(session, order.id) if s.state is ShipmentState.PENDING]
    assert [s.id for s in waiting] == [first.id]
    assert state_of(session, serial.id) is LetterState.DISPATCH_ORDERED
    clock.advance(seconds=61)
    provider.outages = 1  # down again: the pause doubles
    worker.run_once()
    retried = next(s for s in shipments_of(session, order.id) if s.id == waiting[0].id)
    assert (retried.attempts, retried.next_attempt_at) == (2, clock.now + timedelta(minutes=2))

    clock.advance(minutes=2, seconds=1)
    assert worker.run_once()["submitted"] == 1
    assert all(s.state is ShipmentState.SUBMITTED for s in shipments_of(session, order.id))
    assert all(count == 1 for count in provider.submits.values()) and len(provider.submits) == 4
    assert state_of(session, serial.id) is LetterState.WITH_PROVIDER
    assert len(events_of(session, serial.id, "handover_delayed")) == 1  # the thread hears it once, not per retry
    assert len(events_of(session, serial.id, "with_provider")) == 1


def test_backoff_doubles_up_to_the_cap() -> None:
    timing = tracking.Timing(backoff_first=timedelta(minutes=1), backoff_cap=timedelta(minutes=10))
    assert [tracking.backoff(n, timing) for n in (1, 2, 3, 4, 5, 9)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 8, 10, 10)]


def test_a_letter_the_provider_refuses_fails_with_the_reason_and_the_rest_go(session, ports, clerk, serial, provider,
                                                                            worker) -> None:
    order = dispatch.order_dispatch(session, ports, clerk, serial.id)
    refused = shipments_of(session, order.id)[2].reference
    provider.refused[refused] = "address window: the address starts 8 mm too low"
    worker.run_once()
    states = {s.reference: s for s in shipments_of(session, order.id)}
    assert states[refused].state is ShipmentState.FAILED and "8 mm too low" in states[refused].reason
    assert sum(s.state is ShipmentState.SUBMITTED for s in states.values()) == 3
    assert state_of(session, serial.id) is LetterState.WITH_PROVIDER
    [failed] = events_of(session, serial.id, "shipment_failed")
    assert failed.data["reference"] == refused and failed.announced_at is None  # shown in the thread
    [handed] = events_of(session, serial.id, "with_provider")
    assert (handed.data["submitted"], handed.data["failed"]) == (3, 1)


def test_an_unexpected_error_on_one_letter_does_not_hold_up_the_others(session, ports, clerk, serial, provider,
                                                                        worker) -> None:
    order = dispatch.order_dispatch(session, ports, clerk, serial.id)
    odd = shipments_of(session, order.id)[1]
    provider.broken.add(odd.reference)
    done = worker.run_once()
    assert (done["submitted"], done["deferred"]) == (3, 1)
    assert next(s for s in shipments_of(session, order.id) if s.id == odd.id).attempts == 1


def test_a_cancel_while_a_letter_is_being_handed_over_takes_it_back(session, ports, clerk, serial, provider, worker,
                                                                      engine) -> None:
    order = dispatch.order_dispatch(session, ports, clerk, serial.id)

    def user_cancels(request: ShipmentRequest) -> None:  # the click lands while Pingen is busy with the first letter
        provider.on_submit = None
        with Session(engine, expire_on_commit=False) as other:
            dispatch.cancel_dispatch(other, ports, clerk, serial.id)

    provider.on_submit = user_cancels
    done = worker.run_once()
    assert done["submitted"] == 1  # that one was already on its way
    assert len(provider.cancelled) == 1 and provider.letters[provider.cancelled[0]]  # and is taken back at once
    assert {s.state for s in shipments_of(session, order.id)} == {ShipmentState.CANCELLED}
    assert state_of(session, serial.id) is LetterState.CANCELLED


def test_a_letter_handed_over_while_the_cancel_runs_is_cancelled_at_the_provider(session, ports, clerk, serial, provider,
                                                                                   engine, clock) -> None:
    order = dispatch.order_dispatch(session, ports, clerk, serial.id)
    tracking.hand_over_due(session, ports, "app", tracking.Timing(hand_over_batch=1), max_batches=1)
    first, second, *_ = shipments_of(session, order.id)
    assert (first.state, second.state) == (ShipmentState.SUBMITTED, ShipmentState.PENDING)

    def worker_hands_over_the_second(letter: ProviderLetter) -> None:  # a worker finishes it meanwhile
        provider.on_cancel = None
        provider.letters[second.reference] = ProviderLetter(second.reference, "m-late", "accepted")
        with Session(engine) as other:
            late = other.get(Shipment, second.id)
            late.state, late.provider_ref = ShipmentState.SUBMITTED, "m-late"
            other.add(late)
            other.commit()

    provider.on_cancel = worker_hands_over_the_second
    outcome = dispatch.cancel_dispatch(session, ports, clerk, serial.id)
    assert outcome.cancelled == 4 and outcome.not_cancellable == []
    assert provider.cancelled == [first.reference, second.reference]
    assert {s.state for s in shipments_of(session, order.id)} == {ShipmentState.CANCELLED}


def test_run_order_in_process_hands_over_and_the_worker_finds_nothing_left(session, ports, clerk, serial, provider,
                                                                          worker) -> None:
    order = dispatch.order_dispatch(session, ports, clerk, serial.id)
    outcome = dispatch.run_order(session, ports, order.id)
    assert (outcome.submitted, outcome.deferred, outcome.scheduled_for) == (4, 0, None)
    assert worker.run_once().get("submitted", 0) == 0
    assert state_of(session, serial.id) is LetterState.WITH_PROVIDER
    assert len(events_of(session, serial.id, "with_provider")) == 1


def test_send_on_a_later_day_waits_until_that_day_in_berlin(session, ports, clerk, serial, provider, worker, clock) -> None:
    clock.now = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    order = dispatch.order_dispatch(session, ports, clerk, serial.id, send_on=date(2026, 3, 12))
    assert order.send_on == date(2026, 3, 12)
    assert events_of(session, serial.id, "scheduled")[0].data["date"] == "12.03.2026"
    outcome = dispatch.run_order(session, ports, order.id)  # what the Slack path does right after ordering
    assert outcome.scheduled_for == date(2026, 3, 12) and outcome.submitted == 0 and provider.submits == Counter()

    clock.now = datetime(2026, 3, 11, 22, 59, tzinfo=UTC)  # 23:59 on the 11th in Berlin
    assert worker.run_once().get("submitted", 0) == 0
    clock.now = datetime(2026, 3, 11, 23, 0, tzinfo=UTC)  # midnight: the 12th has begun in Berlin
    assert worker.run_once()["submitted"] == 4
    assert state_of(session, serial.id) is LetterState.WITH_PROVIDER


def test_the_send_on_date_chosen_in_the_modal_is_the_orders(session, ports, clerk, serial, clock) -> None:
    later = clock.now.date() + timedelta(days=7)
    dispatch.configure_dispatch(session, ports, clerk, serial.id, {"send_on": later.isoformat()})
    order = dispatch.order_dispatch(session, ports, clerk, serial.id)
    assert order.send_on == later and dispatch.run_order(session, ports, order.id).scheduled_for == later


def test_a_send_on_date_in_the_past_means_now(session, ports, clerk, serial, clock) -> None:
    order = dispatch.order_dispatch(session, ports, clerk, serial.id, send_on=clock.now.date() - timedelta(days=3))
    assert order.send_on is None and dispatch.run_order(session, ports, order.id).submitted == 4


def test_a_crashed_workers_letters_are_taken_over_after_its_lease(session, ports, clerk, serial, provider, worker,
                                                                 clock) -> None:
    order = dispatch.order_dispatch(session, ports, clerk, serial.id)
    crashed = tracking.Lease("crashed-worker", clock.now, tracking.Timing().lease)
    held = tracking.claim_leased(session, Shipment, Shipment.state == ShipmentState.PENDING, crashed, limit=2)
    first = session.get(Shipment, held[0])
    first.submit_started_at = clock.now  # the crashed worker began its create (committed first) ...
    session.add(first)
    session.commit()
    provider.letters[first.reference] = ProviderLetter(first.reference, "m-early", "accepted")  # ... accepted, then the crash

    assert worker.run_once()["submitted"] == 2  # the two nobody holds
    assert dispatch.run_order(session, ports, order.id).submitted == 0  # the in-process path leaves held rows alone too
    assert state_of(session, serial.id) is LetterState.DISPATCH_ORDERED

    clock.advance(minutes=5, seconds=1)
    done = worker.run_once()
    assert (done["submitted"], done["already_there"], done["orders_finished"]) == (1, 1, 1)
    assert all(s.state is ShipmentState.SUBMITTED and s.lease_owner is None for s in shipments_of(session, order.id))
    assert sum(provider.submits.values()) == 3 and max(provider.submits.values()) == 1  # the early one never again
    assert state_of(session, serial.id) is LetterState.WITH_PROVIDER


def test_claims_skip_rows_another_holds_and_give_back_only_their_own(session, ports, clerk, serial, clock) -> None:
    order = dispatch.order_dispatch(session, ports, clerk, serial.id)
    timing = tracking.Timing()
    pending = Shipment.state == ShipmentState.PENDING
    a = tracking.claim_leased(session, Shipment, pending, tracking.Lease("a", clock.now, timing.lease), limit=3)
    b = tracking.claim_leased(session, Shipment, pending, tracking.Lease("b", clock.now, timing.lease), limit=3)
    assert len(a) == 3 and len(b) == 1 and not set(a) & set(b)
    tracking.release(session, Shipment, a + b, "a")
    owners = {s.id: s.lease_owner for s in shipments_of(session, order.id)}
    assert [owners[i] for i in a] == [None] * 3 and owners[b[0]] == "b"


# --- status from the provider -----------------------------------------------------------------------


def test_status_changes_are_recorded_once_and_move_the_serial_letter(session, ports, clerk, serial, provider, engine,
                                                                     home, clock) -> None:
    workers = [Worker(wiring_on(engine, home, {"memory": provider}), None, name, clock) for name in ("a", "b")]
    order = dispatch.order_dispatch(session, ports, clerk, serial.id)
    dispatch.run_order(session, ports, order.id)
    references = [s.reference for s in shipments_of(session, order.id)]

    provider.advance(LetterStatus.PRINTED, "printing")
    clock.advance(seconds=301)
    assert sum(w.run_once()["changed"] for w in workers) == 4
    assert all(s.state is ShipmentState.PRINTED and s.provider_status == "printing" for s in shipments_of(session, order.id))
    assert state_of(session, serial.id) is LetterState.PRINTED
    assert sum(e.data["count"] for e in events_of(session, serial.id, "printed")) == 4
    assert len(events_of(session, serial.id, "all_printed")) == 1

    provider.advance(LetterStatus.FAILED, "undeliverable", references[:1], detail="undeliverable: addressee unknown")
    provider.advance(LetterStatus.POSTED, "sent", references[1:])
    clock.advance(seconds=301)
    for w in workers:
        w.run_once()
    clock.advance(seconds=301)
    assert sum(w.run_once()["changed"] for w in workers) == 0  # asked again: nothing new, nothing recorded twice
    shipments = shipments_of(session, order.id)
    assert shipments[0].state is ShipmentState.FAILED and shipments[0].reason == "undeliverable: addressee unknown"
    assert all(s.state is ShipmentState.POSTED for s in shipments[1:])
    assert state_of(session, serial.id) is LetterState.POSTED
    per_letter = Counter((e.kind, e.shipment_id) for e in events_of(session, serial.id) if e.shipment_id)
    assert all(count == 1 for count in per_letter.values())
    assert sum(kind == "shipment_posted" for kind, _ in per_letter) == 3
    [failed] = events_of(session, serial.id, "provider_failed")
    assert failed.data["count"] == 1 and "addressee unknown" in failed.data["letters"][0]
    [done] = events_of(session, serial.id, "all_posted")
    assert (done.data["posted"], done.data["failed"]) == (3, 1)
    assert all(e.announced_at is not None for e in events_of(session, serial.id, "shipment_posted"))  # quiet


def test_the_outbox_is_never_polled(session, ports, clerk, organisation, engine, home, clock) -> None:
    found = estate(session, organisation)
    created = documents.create_serial_letter(session, clerk, found.prop.id, "Info", ["Info"])
    intake.upload_batch(session, ports.files, clerk, created.id, "Info", "b.pdf", batch_for(found), ByMarker())
    release.release(session, ports, clerk, created.id, notify=False)
    order = dispatch.order_dispatch(session, ports, clerk, created.id)
    dispatch.run_order(session, ports, order.id)
    clock.advance(hours=1)
    worker = Worker(wiring_on(engine, home, ports.providers), None, "w", clock)
    assert worker.run_once().get("polled", 0) == 0


STATES = st.lists(st.sampled_from(list(ShipmentState)), min_size=1, max_size=12)


@given(STATES)
def test_the_serial_letter_is_posted_only_when_every_letter_is_done_and_one_went_out(states) -> None:
    target = tracking.settled_state(states)
    live = [s for s in states if s is not ShipmentState.HELD]
    if target is LetterState.POSTED:
        assert ShipmentState.POSTED in live and all(s in tracking.FINAL for s in live)
    if target is LetterState.FAILED:
        assert ShipmentState.POSTED not in live and ShipmentState.FAILED in live
    if any(s in (ShipmentState.PENDING, ShipmentState.SUBMITTED) for s in live):
        assert target is None


# --- approvals --------------------------------------------------------------------------------------


@pytest.fixture
def slack(engine: Engine, home: Path, organisation: Organisation, session: Session) -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        standin.add_team(organisation.slack_team_id, "Hausverwaltung Sonnenschein")
        standin.add_token(BOT_TOKEN, organisation.slack_team_id, "U0BOT")
        for user in ("U_CLERK", "U_MANAGER"):
            standin.add_user(user, user.lower(), user.title(), team_id=organisation.slack_team_id)
        standin.add_channel(THREAD_CHANNEL, "serienbriefe", team_id=organisation.slack_team_id)
        standin.add_channel(APPROVAL_CHANNEL, "freigaben", team_id=organisation.slack_team_id)
        organisation.notify_channel = THREAD_CHANNEL
        session.add(organisation)
        session.commit()
        yield standin
        standin.assert_no_refusals()


def slack_worker(engine: Engine, home: Path, standin: SlackStandIn, clock: Clock, providers: dict[str, Any]) -> Worker:
    wiring = wiring_on(engine, home, providers, slack_api_url=standin.api_url, slack_bot_token=SecretStr(BOT_TOKEN))
    return Worker(wiring, SlackDeps(wiring), "worker-slack", clock)


def texts_in(standin: SlackStandIn, channel: str) -> list[str]:
    return [message.text for message in standin.messages(channel)]


def requested_now(session: Session, approval: Approval, clock: Clock) -> Approval:
    approval.requested_at = clock.now
    session.add(approval)
    session.commit()
    return approval


def test_managers_are_reminded_once_then_the_request_expires(session, ports, clerk, manager, organisation, serial, slack,
                                                            engine, home, clock, provider) -> None:
    approval = approvals.request_approval(session, clerk, serial.id, ApprovalKind.ORDER, {"version": serial.version})
    requested_now(session, approval, clock)
    worker = slack_worker(engine, home, slack, clock, {"memory": provider})
    assert worker.run_once().get("approvals_reminded", 0) == 0  # fresh: nobody is reminded yet

    clock.advance(hours=25)
    assert worker.run_once()["approvals_reminded"] == 1
    dm = slack.dm_channel(organisation.slack_team_id, "U_MANAGER")
    [prompt] = slack.messages(dm.id)  # no prompt had been posted: the manager gets it now, with the buttons
    assert any(block["type"] == "actions" for block in prompt.blocks)
    assert worker.run_once().get("approvals_reminded", 0) == 0  # once only
    session.expire_all()
    assert session.get(Approval, approval.id).prompts == [{"channel": dm.id, "ts": prompt.ts}]

    clock.advance(hours=48)
    assert worker.run_once()["approvals_expired"] == 1
    session.expire_all()
    expired = session.get(Approval, approval.id)
    assert expired.state is ApprovalState.EXPIRED and "72 Stunden" in expired.outcome
    updated = slack.message(dm.id, prompt.ts)
    assert updated.edited and "Abgelaufen" in str(updated.blocks)
    assert not any(block["type"] == "actions" for block in updated.blocks)
    requester_dm = slack.dm_channel(organisation.slack_team_id, "U_CLERK")
    assert any("Abgelaufen" in text for text in texts_in(slack, requester_dm.id))
    thread = slack.thread(THREAD_CHANNEL, session.get(SerialLetter, serial.id).thread_ts)
    assert sum("Anfrage abgelaufen" in message.text for message in thread) == 1
    with pytest.raises(Conflict):
        approvals.decide(session, manager, approval.id, approve=True)
    assert worker.run_once().get("approvals_expired", 0) == 0


def test_a_reminder_goes_under_the_prompt_in_the_approval_channel(session, ports, clerk, manager, serial, slack, engine,
                                                                  home, clock, provider) -> None:
    approval = requested_now(session, approvals.request_approval(session, clerk, serial.id, ApprovalKind.RELEASE,
                                                                 {"notify": True}), clock)
    client = WebClient(token=BOT_TOKEN, base_url=slack.api_url)
    posted = client.chat_postMessage(channel=APPROVAL_CHANNEL, **views.approval_prompt(approval, serial, "U_CLERK", None, "de"))
    approval.prompts = [{"channel": APPROVAL_CHANNEL, "ts": posted["ts"]}]
    session.add(approval)
    session.commit()
    clock.advance(hours=24, seconds=1)
    slack_worker(engine, home, slack, clock, {"memory": provider}).run_once()
    [parent] = [m for m in slack.messages(APPROVAL_CHANNEL) if m.ts == posted["ts"]]
    [reminder] = slack.thread(APPROVAL_CHANNEL, parent.ts)[1:]
    assert "Erinnerung" in reminder.text and "24 Stunden" in reminder.text and "Abrechnung 2025" in reminder.text


# --- links and retention ----------------------------------------------------------------------------


def test_an_expired_link_loses_its_file_and_keeps_its_record(session, ports, clerk, serial, worker, clock) -> None:
    def link(name: str, expires: datetime) -> DownloadLink:
        path = ports.files.put(attachment(1, name))
        ports.files.committed()
        found = DownloadLink(organisation_id=serial.organisation_id, serial_letter_id=serial.id, token_sha256=name * 8,
                             path=path, expires_at=expires, recipients=["m@example.de"])
        session.add(found)
        session.commit()
        return found

    old, fresh = link("old", clock.now - timedelta(minutes=1)), link("new", clock.now + timedelta(days=7))
    assert worker.run_once()["links_purged"] == 1
    session.expire_all()
    assert session.get(DownloadLink, old.id).purged_at == clock.now and not ports.files.has(old.path)
    assert session.get(DownloadLink, fresh.id).purged_at is None and ports.files.has(fresh.path)
    assert worker.run_once().get("links_purged", 0) == 0


def test_print_files_past_retention_are_deleted_and_the_evidence_stays(session, ports, clerk, serial, worker, clock) -> None:
    order = dispatch.order_dispatch(session, ports, clerk, serial.id)
    dispatch.run_order(session, ports, order.id)
    paths = [s.print_path for s in shipments_of(session, order.id)]
    assert all(ports.files.has(path) for path in paths)
    clock.advance(days=399)
    assert worker.run_once().get("print_files_purged", 0) == 0
    clock.advance(days=2)
    assert worker.run_once()["print_files_purged"] == 4
    after = shipments_of(session, order.id)
    assert all(s.print_path is None and s.sha256 for s in after)
    assert not any(ports.files.has(path) for path in paths)
    assert len(events_of(session, serial.id, "shipment_submitted")) == 4


def test_replaced_documents_are_swept_a_day_later_and_named_ones_stay(session, ports, clerk, memory_org, worker) -> None:
    import os
    import time

    from domain.models import UnitDocument

    found = estate(session, memory_org)
    serial = documents.create_serial_letter(session, clerk, found.prop.id, "Entwurf", ["Hausgeldabrechnung"])
    intake.upload_batch(session, ports.files, clerk, serial.id, "Hausgeldabrechnung", "batch.pdf", batch_for(found), ByMarker())
    before = {d.path for d in session.exec(select(UnitDocument).where(UnitDocument.serial_letter_id == serial.id))}
    intake.upload_batch(session, ports.files, clerk, serial.id, "Hausgeldabrechnung", "neu.pdf",
                        batch_for(found, {"WE 01": 3, "WE 02": 3, "WE 03": 3, "WE 04": 3}), ByMarker(), mode=intake.Mode.REPLACE)
    session.expire_all()
    after = {d.path for d in session.exec(select(UnitDocument).where(UnitDocument.serial_letter_id == serial.id))}
    assert before.isdisjoint(after) and all(ports.files.has(p) for p in before)  # not gone at once
    assert worker.run_once().get("blobs_swept", 0) == 0  # younger than a day
    two_days_ago = time.time() - 2 * 86400
    for path in (ports.files.root / "blobs").rglob("*.pdf"):
        os.utime(path, (two_days_ago, two_days_ago))
    assert worker.run_once()["blobs_swept"] == len(before)  # the first batch stays: its source row names it
    assert not any(ports.files.has(p) for p in before) and all(ports.files.has(p) for p in after)


# --- the scheduler itself ---------------------------------------------------------------------------


def test_build_scheduler_registers_every_job_with_the_intervals_from_settings(engine, home) -> None:
    wiring = wiring_on(engine, home, {}, poll_seconds=120)
    scheduler = build_scheduler(Worker(wiring, None, "w"))
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == set(Worker(wiring, None, "w").jobs())
    assert {name: job.trigger.interval for name, job in jobs.items()} == {
        "hand_over": timedelta(seconds=60), "poll": timedelta(seconds=24), "announce": timedelta(seconds=15),
        "approvals": timedelta(seconds=300), "housekeeping": timedelta(seconds=3600),
        "portal_webhooks": timedelta(seconds=30)}
    assert all(job.max_instances == 1 and job.coalesce for job in jobs.values())
    assert JobIntervals.from_settings(Settings(poll_seconds=10)).poll == 2


def test_briefwerk_worker_once_runs_every_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from bot.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BRIEFWERK_HOME", str(tmp_path / "var"))
    answer = CliRunner().invoke(app, ["worker", "--once", "--id", "cli"])
    assert answer.exit_code == 0, answer.output
    assert "nichts zu tun" in answer.output


def test_a_background_scheduler_runs_the_jobs_and_stops_cleanly(session, ports, clerk, serial, provider, engine, home) -> None:
    order = dispatch.order_dispatch(session, ports, clerk, serial.id)
    scheduler = build_scheduler(Worker(wiring_on(engine, home, {"memory": provider}), None, "bg"))
    scheduler.start()
    try:
        deadline = time.monotonic() + 20
        while state_of(session, serial.id) is not LetterState.WITH_PROVIDER and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.shutdown(wait=True)
    assert all(s.state is ShipmentState.SUBMITTED for s in shipments_of(session, order.id))


# --- the headline: two workers, one PostgreSQL database, 1,000 letters ------------------------------


LETTERS = 1000
TEAM = "T0HEADLINE"


@pytest.fixture
def pg(postgresql_engine: Engine) -> Engine:
    """PostgreSQL only (the point is row locking between instances); skips only without a server."""
    empty_tables(postgresql_engine)
    return postgresql_engine


HOUSEHOLD = PostalAddress(name="Familie Groß", street="Lindenweg 1", postcode="10115", city="Berlin")


def thousand_letters(session: Session, files: Any, org: Organisation, actor: Actor) -> SerialLetter:
    """1,000 units, each with its own owner and its own one-page document addressed to that owner,
    and one general attachment; released, to all contacts. Built in bulk: the test is about the
    workers. Every owner lives at one address, so one rendered page fits every window (Pingen's
    layout: no return line) and no letter needs a cover sheet."""
    prop = Property(organisation_id=org.id, external_id="GROSS", name="Wohnpark Groß")
    session.add(prop)
    session.flush()
    units = [Unit(property_id=prop.id, external_id=f"E{i}", label=f"WE {i:04d}", position=i) for i in range(LETTERS)]
    contacts = [Contact(organisation_id=org.id, external_id=f"K{i}", name=HOUSEHOLD.name, street=HOUSEHOLD.street,
                        postcode=HOUSEHOLD.postcode, city=HOUSEHOLD.city) for i in range(LETTERS)]
    session.add_all(units + contacts)
    session.flush()
    session.add_all(Occupancy(unit_id=u.id, contact_id=c.id) for u, c in zip(units, contacts))
    session.commit()
    serial = documents.create_serial_letter(session, actor, prop.id, "Einladung 2026", ["Einladung"])
    page = render_letter(LetterSpec(return_line="", address_lines=HOUSEHOLD.window_lines(), subject="Einladung",
                                    paragraphs=["Einladung zur Eigentümerversammlung 2026"], footer="Einladung", pages=1))
    page_key, page_sha = files.put(page), hashlib.sha256(page).hexdigest()
    source = SourceDocument(serial_letter_id=serial.id, kind=SourceKind.UNIT_FILE, document_type="Einladung",
                            filename="einladung.pdf", path=page_key, sha256=page_sha, page_count=1)
    session.add(source)
    session.flush()
    for unit in units:
        session.add(UnitDocument(serial_letter_id=serial.id, unit_id=unit.id, document_type="Einladung", source_id=source.id,
                                 source_pages=[0], path=page_key, sha256=page_sha, page_count=1))
    plan = attachment(1, "Wirtschaftsplan")
    session.add(SourceDocument(serial_letter_id=serial.id, kind=SourceKind.ATTACHMENT, filename="Wirtschaftsplan.pdf",
                               path=files.put(plan), sha256=hashlib.sha256(plan).hexdigest(), page_count=1))
    serial.state, serial.dispatch = LetterState.RELEASED, {"filter": RecipientFilter.ALL.value}
    session.add(serial)
    session.commit()
    return serial


def run_until_quiet(workers: list[Worker], rounds: int = 60) -> list[dict[str, int]]:
    """Both workers run every job at the same moment, round after round, until neither finds work."""
    history = []
    with ThreadPoolExecutor(len(workers)) as pool:
        for _ in range(rounds):
            done = list(pool.map(lambda worker: worker.run_once(), workers))
            history.append(done)
            if not any(any(result.values()) for result in done):
                return history
    raise AssertionError(f"still busy after {rounds} rounds: {history[-1]}")


def test_two_workers_hand_over_1000_letters_once_and_post_each_change_once(pg: Engine, tmp_path: Path) -> None:
    started = time.monotonic()
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    with PingenStandIn() as pingen, SlackStandIn() as slack:
        slack.add_team(TEAM, "Hausverwaltung Groß")
        slack.add_token(BOT_TOKEN, TEAM, "U0BOT")
        slack.add_channel(THREAD_CHANNEL, "serienbriefe", team_id=TEAM)
        settings = Settings(
            home=tmp_path / "var", database_url=pg.url.render_as_string(hide_password=False), print_workers=1,
            poll_seconds=300, slack_api_url=slack.api_url, slack_bot_token=SecretStr(BOT_TOKEN),
            pingen=PingenConfig(client_id=pingen.client_id, client_secret=SecretStr(pingen.client_secret),
                                organisation_id=pingen.organisation_id, api_url=pingen.base_url,
                                identity_url=pingen.base_url, timeout=10,
                                retry=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, jitter=0)),
        )
        wirings = [Wiring(settings), Wiring(settings)]  # two instances: own engines, own Pingen clients
        workers = [Worker(wiring, SlackDeps(wiring), f"instance-{n}", clock) for n, wiring in enumerate(wirings, 1)]

        with Session(pg, expire_on_commit=False) as session:
            org = Organisation(name="HV Groß", slack_team_id=TEAM, notify_channel=THREAD_CHANNEL, provider="pingen")
            session.add(org)
            session.commit()
            staff = Staff(organisation_id=org.id, slack_user_id="U0SABINE", name="Sabine")
            session.add(staff)
            session.commit()
            actor = Actor.of(staff)
            ports = wirings[0].ports(session)
            ports.clock = clock
            serial = thousand_letters(session, ports.files, org, actor)
            order_id, serial_id = dispatch.order_dispatch(session, ports, actor, serial.id).id, serial.id
            assert not any(s.cover_sheet for s in shipments_of(session, order_id))
        set_up = time.monotonic() - started

        # 1. hand-over: each letter at Pingen exactly once
        run_until_quiet(workers)
        handed_over = time.monotonic() - started - set_up
        references = pingen.references()
        assert len(references) == LETTERS and set(references.values()) == {1}
        assert sum(route == "create" for route, _ in pingen.calls) == LETTERS  # not even a second attempt
        with Session(pg) as session:
            shipments = shipments_of(session, order_id)
            assert len(shipments) == LETTERS and {s.state for s in shipments} == {ShipmentState.SUBMITTED}
            assert {s.reference for s in shipments} == set(references)
            assert Counter(s.lease_owner for s in shipments) == {None: LETTERS}
            assert state_of(session, serial_id) is LetterState.WITH_PROVIDER
            assert len(events_of(session, serial_id, "with_provider")) == 1
            assert len({e.shipment_id for e in events_of(session, serial_id, "shipment_submitted")}) == LETTERS

        # 2. Pingen prints them, 3. and posts them; the workers notice on their next polls
        for status, code, state, kind in (("printing", "transferred_to_printcenter", ShipmentState.PRINTED, "printed"),
                                          ("sent", "transferred_to_distributor", ShipmentState.POSTED, "posted")):
            for letter in list(pingen.letters.values()):
                pingen.advance(letter.id, status, code)
            clock.advance(seconds=settings.poll_seconds + 1)
            phase = time.monotonic()
            run_until_quiet(workers)
            print(f"\n{kind}: {time.monotonic() - phase:.1f} s")
            with Session(pg) as session:
                assert {s.state for s in shipments_of(session, order_id)} == {state}
                per_letter = Counter(e.shipment_id for e in events_of(session, serial_id, f"shipment_{kind}"))
                assert len(per_letter) == LETTERS and set(per_letter.values()) == {1}
                assert sum(e.data["count"] for e in events_of(session, serial_id, kind)) == LETTERS
        assert sum(route == "create" for route, _ in pingen.calls) == LETTERS

        with Session(pg) as session:
            assert state_of(session, serial_id) is LetterState.POSTED
            assert len(events_of(session, serial_id, "all_printed")) == 1
            assert len(events_of(session, serial_id, "all_posted")) == 1
            thread_ts = session.get(SerialLetter, serial_id).thread_ts
            shown = [e for e in events_of(session, serial_id)
                     if e.kind not in QUIET and e.kind not in tracking.LETTER_KIND.values()]
            assert all(e.announced_at is not None for e in shown)
        # every event of the serial letter is in its thread exactly once (two workers posting)
        [parent, *replies] = slack.thread(THREAD_CHANNEL, thread_ts)
        assert Counter(reply.text for reply in replies) == Counter(views.event_text(e, "de") for e in shown)
        posts = [c for c in slack.calls_to("chat.postMessage") if c.params.get("thread_ts") == thread_ts]
        assert len(posts) == len(replies) == len(shown)
        assert len([m for m in slack.messages(THREAD_CHANNEL) if not m.thread_ts]) == 1  # one parent
        assert "versendet" in parent.text
        slack.assert_no_refusals()
        for wiring in wirings:
            wiring.engine.dispose()
    print(f"\n1,000 letters: set-up and order {set_up:.1f} s, hand-over {handed_over:.1f} s, "
          f"total {time.monotonic() - started:.1f} s")


def test_housekeeping_purges_sign_ins_sessions_and_counts_a_day_after_their_end(session, memory_org, engine, home,
                                                                                 clock) -> None:
    from domain.models import PortalLogin, PortalSession, RateCount
    from domain.services import portal
    from tests.factories import add_contact

    contact = add_contact(session, memory_org, "P1", "Paula Portal", email="paula@example.de")
    session.commit()
    start = clock.now
    from bot.integrations.mail import FileMailer

    sent = portal.request_sign_in(session, FileMailer(home / "mail"), "paula@example.de", "https://p.example/login", start,
                                  client="192.0.2.1")
    assert sent == 1
    session.add(PortalSession(contact_id=contact.id, token_sha256="s" * 64, created_at=start,
                              expires_at=start + timedelta(hours=12)))
    session.commit()
    worker = Worker(wiring_on(engine, home, {}), None, "w", clock)
    clock.advance(hours=13)
    assert worker.housekeeping()["sign_ins_purged"] == 0  # ended, but less than a day ago
    clock.advance(days=1)
    assert worker.housekeeping()["sign_ins_purged"] == 4  # the link, the session, two counts
    session.expire_all()
    assert [session.exec(select(model)).all() for model in (PortalLogin, PortalSession, RateCount)] == [[], [], []]
