"""What happens to an order after the click, safe with several workers on one database: letters
are claimed (leased) in the database before anyone builds, submits or polls them; hand-over runs
in batches with backoff when the provider is away; the provider's status comes back per letter and
is summarised per serial letter; expired approvals and download links, and old print files, are
cleared away."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, exists, func, or_, update
from sqlmodel import Session, SQLModel, col, select

from domain.addresses import PostalAddress
from domain.errors import BriefwerkError, Conflict, IllegalTransition, InvalidInput
from domain.storage import BlobCorrupt, BlobMissing
from domain.services.storage import remove_unnamed
from domain.messages import Message
from domain.models import (
    Approval,
    ApprovalState,
    DispatchOrder,
    DownloadLink,
    Event,
    LetterState,
    Organisation,
    SerialLetter,
    Shipment,
    ShipmentState,
    utcnow,
)
from domain.ports import (
    LetterStatus,
    Ports,
    PrintOptions,
    Provider,
    ProviderLetter,
    ProviderUnavailable,
    ShipmentRequest,
)
from domain.services.printfiles import PrintContext, berlin_today, build_print_files, order_key, print_context
from domain.services.events import move, record
from domain.states import can_move

log = logging.getLogger(__name__)

Model = TypeVar("Model", bound=SQLModel)


@dataclass(frozen=True)
class Timing:
    """How long a claim lasts, how often letters are asked for news, how retries back off and
    how many rows one claim takes. The worker builds it from settings; tests shrink it."""

    lease: timedelta = timedelta(minutes=5)
    poll_every: timedelta = timedelta(minutes=5)
    backoff_first: timedelta = timedelta(minutes=1)
    backoff_cap: timedelta = timedelta(hours=1)
    follow_posted: timedelta = timedelta(days=21)  # asked for "delivered" / "undeliverable" after posting
    credit_reminder: timedelta = timedelta(hours=24)  # letters still held for credit are reminded of this often
    hand_over_batch: int = 50
    poll_batch: int = 200
    housekeeping_batch: int = 200


def backoff(attempts: int, timing: Timing) -> timedelta:
    """1 min, 2 min, 4 min … after the 1st, 2nd, 3rd failed attempt, never longer than the cap."""
    return min(timing.backoff_cap, timing.backoff_first * (2 ** max(0, attempts - 1)))


# --- claims -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lease:
    """Who holds a claim (one worker instance, or one in-process order run) and until when."""

    owner: str
    now: datetime
    duration: timedelta

    @property
    def until(self) -> datetime:
        return self.now + self.duration

    def renewed(self, now: datetime) -> Lease:
        return Lease(self.owner, now, self.duration)


def lease_free(model: Any, now: datetime) -> ColumnElement[bool]:
    """Nobody holds the row, or the holder's lease ran out (a crashed worker's rows are taken over)."""
    return or_(col(model.lease_until).is_(None), col(model.lease_until) < now)


def claim(session: Session, model: type[Model], where: ColumnElement[bool], values: dict[str, Any], *,
          limit: int, attempts: int = 3) -> list[int]:
    """Marks up to `limit` rows matching `where` with `values` and returns their ids, committed.

    PostgreSQL: the rows are selected FOR UPDATE SKIP LOCKED, so two workers never wait for each
    other nor get the same row. SQLite has no row locks (SQLAlchemy leaves the clause out) but
    writes one at a time; the update repeats `where`, so a row another writer marked in between is
    not taken twice. `values` must make `where` false (a lease, a timestamp, a new state)."""
    for _ in range(attempts):
        ids = list(session.exec(select(model.id).where(where).order_by(model.id).limit(limit)
                                .with_for_update(skip_locked=True)))
        if not ids:
            session.commit()
            return []
        claimed = session.exec(update(model).where(col(model.id).in_(ids), where).values(**values)
                               .returning(model.id).execution_options(synchronize_session=False))
        taken = sorted(claimed.scalars().all())
        session.commit()
        if taken:
            return taken
    return []  # others keep taking what we select (SQLite only): leave it to them


def claim_leased(session: Session, model: type[Model], where: ColumnElement[bool], lease: Lease, *, limit: int) -> list[int]:
    return claim(session, model, and_(where, lease_free(model, lease.now)),
                 {"lease_owner": lease.owner, "lease_until": lease.until}, limit=limit)


def held_by(model: Any, owner: str) -> ColumnElement[bool]:
    return col(model.lease_owner) == owner


def extend(session: Session, model: type[Model], ids: list[int], lease: Lease) -> None:
    """Pushes our leases on (a long batch outlives its first lease); rows taken over stay theirs."""
    session.exec(update(model).where(col(model.id).in_(ids), held_by(model, lease.owner)).values(lease_until=lease.until)
                 .execution_options(synchronize_session=False))
    session.commit()


def release(session: Session, model: type[Model], ids: Iterable[int], owner: str, **values: Any) -> None:
    """Gives rows back (with `values` set), but only those still ours."""
    ids = list(ids)
    if not ids:
        return
    session.exec(update(model).where(col(model.id).in_(ids), held_by(model, owner))
                 .values(lease_owner=None, lease_until=None, **values).execution_options(synchronize_session=False))
    session.commit()


@contextmanager
def given_back(session: Session, model: type[Model], ids: list[int], owner: str) -> Iterator[None]:
    """Whatever happens in the block, the claimed rows still ours are given back at its end: an
    error (or SystemExit) does not leave them leased until the lease runs out."""
    try:
        yield
    except BaseException:
        session.rollback()
        try:
            release(session, model, ids, owner)
        except Exception:  # the database itself failed: the leases run out instead
            log.exception("could not give back %s rows %s", model.__name__, ids)
        raise
    release(session, model, ids, owner)


def locked_rows(session: Session, model: type[Model], where: ColumnElement[bool], limit: int) -> list[Model]:
    """Rows locked until the caller commits (SKIP LOCKED: another worker takes the next ones).
    For short work without a lease column: deleting a file, then marking the row."""
    return list(session.exec(select(model).where(where).order_by(model.id).limit(limit)
                             .with_for_update(skip_locked=True).execution_options(populate_existing=True)))


def _load(session: Session, model: type[Model], ids: Collection[int]) -> list[Model]:
    return list(session.exec(select(model).where(col(model.id).in_(list(ids))).order_by(model.id)
                             .execution_options(populate_existing=True)))


# --- hand-over ----------------------------------------------------------------------------------


@dataclass
class HandOverTally:
    """What one hand-over run did (only its own share when several run at once)."""

    submitted: int = 0
    already_there: int = 0  # found at the provider by reference, not sent again
    failed: list[tuple[str, str]] = field(default_factory=list)  # (reference, reason)
    deferred: int = 0  # provider unavailable: retried later with backoff
    finished: int = 0  # orders completed by this run


def due_orders(ports: Ports, today: date, order_id: int | None = None, away: Collection[str] = ()) -> Any:
    """Orders whose letters may go now: not cancelled, not complete, "send on" today or past,
    with a provider this installation has (and that did not just turn out to be away)."""
    query = select(DispatchOrder.id).where(
        col(DispatchOrder.cancelled_at).is_(None), col(DispatchOrder.completed_at).is_(None),
        or_(col(DispatchOrder.send_on).is_(None), col(DispatchOrder.send_on) <= today),
        col(DispatchOrder.provider).in_([key for key in ports.providers if key not in away]))
    return query.where(DispatchOrder.id == order_id) if order_id is not None else query


def _pending_due(ports: Ports, now: datetime, order_id: int | None, away: Collection[str]) -> ColumnElement[bool]:
    return and_(Shipment.state == ShipmentState.PENDING,
                col(Shipment.order_id).in_(due_orders(ports, berlin_today(now), order_id, away)),
                or_(col(Shipment.next_attempt_at).is_(None), col(Shipment.next_attempt_at) <= now))


def hand_over_due(session: Session, ports: Ports, owner: str, timing: Timing, *, order_id: int | None = None,
                  max_batches: int | None = None, progress: Callable[[HandOverTally], None] | None = None) -> HandOverTally:
    """Claims due letters batch by batch and hands them over until none is left (or
    `max_batches`); then completes the orders that have no pending letter left. A provider
    found unavailable gets no more letters in this run: they wait for the next."""
    tally = HandOverTally()
    away: set[str] = set()
    batches = 0
    while max_batches is None or batches < max_batches:
        lease = Lease(owner, ports.clock(), timing.lease)
        due = _pending_due(ports, lease.now, order_id, away)
        ids = claim_leased(session, Shipment, due, lease, limit=timing.hand_over_batch)
        if not ids:
            break
        with given_back(session, Shipment, ids, owner):
            away |= hand_over_batch(session, ports, ids, lease, timing, tally)
        batches += 1
        if progress is not None:
            progress(tally)
    tally.finished += finish_orders(session, ports, owner, timing, order_id=order_id)
    return tally


def hand_over_batch(session: Session, ports: Ports, ids: list[int], lease: Lease, timing: Timing,
                    tally: HandOverTally) -> set[str]:
    """Builds the print files of the claimed letters and submits them order by order. When a
    provider is away, the letter that hit it backs off and the rest of the batch is given back;
    returns the providers found away."""
    by_order: dict[int, list[Shipment]] = defaultdict(list)
    for shipment in _load(session, Shipment, ids):
        by_order[shipment.order_id].append(shipment)
    away: set[str] = set()
    for order_id, shipments in by_order.items():
        order = session.get(DispatchOrder, order_id, populate_existing=True)
        provider = ports.provider(order.provider)
        if order.cancelled_at is not None or provider is None or order.provider in away:
            release(session, Shipment, [s.id for s in shipments], lease.owner)
            continue
        serial = session.get(SerialLetter, order.serial_letter_id)
        with print_context(session, ports, serial) as context:
            ready = _with_print_files(session, ports, context, order, shipments, lease, timing, tally)
            if not _submit_all(session, ports, provider, serial, order, ready, lease, timing, tally):
                away.add(order.provider)
    return away


def _with_print_files(session: Session, ports: Ports, context: PrintContext, order: DispatchOrder,
                      shipments: list[Shipment], lease: Lease, timing: Timing, tally: HandOverTally) -> list[Shipment]:
    """All print files in one go; if that fails, one by one, so only the broken letter fails. A
    stored file missing or altered, or a full disk, is not the letter's fault: it waits for a
    retry, and the thread hears of it once."""
    try:
        build_print_files(session, ports, context, shipments)
        return shipments
    except (BriefwerkError, OSError):
        session.rollback()
    ready = []
    for shipment in shipments:
        try:
            build_print_files(session, ports, context, [shipment])
            ready.append(shipment)
        except (BlobMissing, BlobCorrupt, OSError) as error:
            reason = error.message if isinstance(error, BriefwerkError) else Message(
                "tracking.storage_error", {"detail": str(error)[:300]})
            _defer(session, ports, context.serial, order, shipment, reason, lease, timing, tally, tell_thread=True,
                   event="files_unavailable")
        except BriefwerkError as error:
            session.rollback()
            detail = error.render("de") if isinstance(error, BriefwerkError) else str(error)
            reason = Message("tracking.print_file_failed", {"reference": shipment.reference, "reason": detail}).render("de")
            _fail(session, context.serial, shipment, reason, lease, tally)
    return ready


def _submit_all(session: Session, ports: Ports, provider: Provider, serial: SerialLetter, order: DispatchOrder,
                shipments: list[Shipment], lease: Lease, timing: Timing, tally: HandOverTally) -> bool:
    """False when the provider was unavailable (the rest of the batch is given back untried)."""
    options = PrintOptions(**{k: bool(order.options.get(k, False)) for k in ("colour", "duplex", "registered")})
    current = lease
    for index, shipment in enumerate(shipments):
        if ports.clock() - current.now > current.duration / 3:
            current = lease.renewed(ports.clock())
            extend(session, Shipment, [s.id for s in shipments[index:]], current)
        if not _still_ours(session, shipment.id, lease.owner):
            continue  # cancelled meanwhile, or taken over after our lease ran out
        try:
            _submit_one(session, ports, provider, serial, order, shipment, options, lease, timing, tally)
        except (BlobMissing, BlobCorrupt) as error:
            _defer(session, ports, serial, order, shipment, error.message, lease, timing, tally, tell_thread=True,
                   event="files_unavailable")
        except ProviderUnavailable as error:
            reason = Message("tracking.retry", {"provider": order.provider, "detail": str(error)[:300]})
            _defer(session, ports, serial, order, shipment, reason, lease, timing, tally, tell_thread=True)
            release(session, Shipment, [s.id for s in shipments[index + 1:]], lease.owner)
            return False
        except Exception as error:  # one odd letter must not hold up the others
            log.exception("hand-over of %s failed unexpectedly", shipment.reference)
            reason = Message("tracking.retry_error", {"reference": shipment.reference, "detail": repr(error)[:300]})
            _defer(session, ports, serial, order, shipment, reason, lease, timing, tally, tell_thread=False)
    return True


def _still_ours(session: Session, shipment_id: int, owner: str) -> bool:
    """Read just before submitting: still pending, still our lease, the order not cancelled. A
    cancel in the moment after is caught by the compare-and-set that records the hand-over."""
    row = session.exec(select(Shipment.state, Shipment.lease_owner, DispatchOrder.cancelled_at)
                       .join(DispatchOrder, col(DispatchOrder.id) == Shipment.order_id)
                       .where(Shipment.id == shipment_id)).one()
    session.commit()  # no transaction stays open while the provider answers
    state, holder, cancelled_at = row
    return state is ShipmentState.PENDING and holder == owner and cancelled_at is None


def _submit_one(session: Session, ports: Ports, provider: Provider, serial: SerialLetter, order: DispatchOrder,
                shipment: Shipment, options: PrintOptions, lease: Lease, timing: Timing, tally: HandOverTally) -> None:
    """Submits a letter the provider cannot have yet. One an earlier attempt may have created
    is looked up first, back to when that attempt began (never the provider's whole history)."""
    started = _aware(shipment.submit_started_at)
    letter = provider.lookup(shipment.reference, since=started - CLOCK_MARGIN) if started is not None else None
    if letter is not None:
        tally.already_there += 1
    else:
        started = started or _start_submitting(session, shipment, ports.clock())
        request = ShipmentRequest(
            reference=shipment.reference, order_key=order_key(order), recipient=PostalAddress(**shipment.recipient),
            pdf_path=ports.files.local(shipment.print_path), sha256=shipment.sha256, pages=shipment.pages, options=options,
            since=started - CLOCK_MARGIN)
        try:
            letter = provider.submit(request)
        except InvalidInput as error:
            _fail(session, serial, shipment, error.render("de"), lease, tally)
            return
        tally.submitted += 1
    _mark_submitted(session, ports, provider, serial, shipment, letter, lease, timing)


# Our clock and the provider's may disagree a little: a lookup reads this much further back.
CLOCK_MARGIN = timedelta(minutes=10)


def _start_submitting(session: Session, shipment: Shipment, now: datetime) -> datetime:
    """Committed before the first create request: from here on the provider may have the letter."""
    session.exec(update(Shipment).where(col(Shipment.id) == shipment.id, col(Shipment.submit_started_at).is_(None))
                 .values(submit_started_at=now).execution_options(synchronize_session=False))
    session.commit()
    return now


def _mark_submitted(session: Session, ports: Ports, provider: Provider, serial: SerialLetter, shipment: Shipment,
                    letter: ProviderLetter, lease: Lease, timing: Timing) -> None:
    now = ports.clock()
    # held for credit from the start: left unsaid here, so the first poll tells the thread once for all
    status = "" if letter.state is LetterStatus.WAITING_FOR_CREDIT else letter.status
    result = session.exec(update(Shipment).where(
        col(Shipment.id) == shipment.id, Shipment.state == ShipmentState.PENDING, held_by(Shipment, lease.owner))
        .values(state=ShipmentState.SUBMITTED, provider_ref=letter.provider_ref, provider_status=status,
                submitted_at=now, updated_at=now, next_poll_at=now + timing.poll_every, reason=None,
                lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        session.rollback()
        _submitted_too_late(session, provider, serial, shipment, letter)
        return
    record(session, serial, "shipment_submitted", who="system", shipment_id=shipment.id,
           reference=shipment.reference, provider_ref=letter.provider_ref, sha256=shipment.sha256)
    session.commit()


def _submitted_too_late(session: Session, provider: Provider, serial: SerialLetter, shipment: Shipment,
                        letter: ProviderLetter) -> None:
    """The order was cancelled while the letter was on its way: take it back at the provider; if
    the provider refuses, the letter is with it after all and is tracked as such."""
    current = session.get(Shipment, shipment.id, populate_existing=True)
    if current.state is not ShipmentState.CANCELLED:
        return  # someone else handed it over (our lease had run out): the lookup found the same letter
    withdrawn = provider.cancel(letter)
    if withdrawn and not provider.capabilities.cancel_confirmed_later:
        log.info("letter %s was cancelled during hand-over and withdrawn at the provider", shipment.reference)
        return
    # refused, or only requested: the letter is with the provider and followed like any other
    requested = utcnow() if withdrawn else None
    session.exec(update(Shipment).where(col(Shipment.id) == shipment.id, Shipment.state == ShipmentState.CANCELLED)
                 .values(state=ShipmentState.SUBMITTED, provider_ref=letter.provider_ref, provider_status=letter.status,
                         cancel_requested_at=requested)
                 .execution_options(synchronize_session=False))
    record(session, serial, "shipment_submitted", who="system", shipment_id=shipment.id, reference=shipment.reference,
           provider_ref=letter.provider_ref, sha256=shipment.sha256, too_late_to_cancel=not withdrawn)
    session.commit()


def _fail(session: Session, serial: SerialLetter, shipment: Shipment, reason: str, lease: Lease, tally: HandOverTally) -> None:
    """The provider (or the print file) refused this letter: it fails with the reason, the rest go."""
    result = session.exec(update(Shipment).where(
        col(Shipment.id) == shipment.id, Shipment.state == ShipmentState.PENDING, held_by(Shipment, lease.owner))
        .values(state=ShipmentState.FAILED, reason=reason[:1000], updated_at=lease.now, lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        session.rollback()
        return
    record(session, serial, "shipment_failed", who="system", shipment_id=shipment.id, reference=shipment.reference, reason=reason)
    session.commit()
    tally.failed.append((shipment.reference, reason))


def _defer(session: Session, ports: Ports, serial: SerialLetter, order: DispatchOrder, shipment: Shipment,
           reason: Message, lease: Lease, timing: Timing, tally: HandOverTally, *, tell_thread: bool,
           event: str = "handover_delayed") -> None:
    """Nothing was decided: the letter stays pending and is tried again after a growing pause.
    An unavailable provider (or storage) is told to the thread once per order, not on every retry."""
    session.rollback()
    first_delay = not session.exec(select(exists().where(Shipment.order_id == order.id, col(Shipment.attempts) > 0))).one()
    attempts = shipment.attempts + 1
    now = ports.clock()
    session.exec(update(Shipment).where(col(Shipment.id) == shipment.id, held_by(Shipment, lease.owner))
                 .values(attempts=attempts, next_attempt_at=now + backoff(attempts, timing), reason=reason.render("de"),
                         updated_at=now, lease_owner=None, lease_until=None)
                 .execution_options(synchronize_session=False))
    if tell_thread and first_delay:
        record(session, serial, event, who="system", order=order.id, provider=order.provider,
               reason=reason.render("de"))
    session.commit()
    tally.deferred += 1
    log.warning("hand-over of %s deferred (attempt %s): %s", shipment.reference, attempts, reason.render("en"))


@dataclass(frozen=True)
class OpenLetter:
    """A letter of an order not handed over yet, and why."""

    reference: str
    held_by: str | None  # another instance working on it now
    held_until: datetime | None
    reason: str | None  # why it waits for a retry
    next_attempt_at: datetime | None


def open_letters(session: Session, order_id: int, now: datetime) -> list[OpenLetter]:
    """The pending letters of an order: those another instance holds (until its lease runs out)
    and those waiting for a retry, with the reason."""
    rows = session.exec(select(Shipment).where(Shipment.order_id == order_id, Shipment.state == ShipmentState.PENDING)
                        .order_by(Shipment.id)).all()
    letters = []
    for shipment in rows:
        until = _aware(shipment.lease_until)
        held = shipment.lease_owner if until is not None and until > now else None
        letters.append(OpenLetter(shipment.reference, held, until if held else None, shipment.reason,
                                  _aware(shipment.next_attempt_at)))
    return letters


def _aware(moment: datetime | None) -> datetime | None:
    """The database hands back naive UTC on SQLite."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


# --- completing an order ------------------------------------------------------------------------


HANDED_OVER = frozenset({ShipmentState.SUBMITTED, ShipmentState.PRINTED, ShipmentState.POSTED})


def finish_orders(session: Session, ports: Ports, owner: str, timing: Timing, *, order_id: int | None = None) -> int:
    """Completes orders without a pending letter (also after a crash between the last hand-over
    and the completion). Each order is claimed first; the serial letter moves by compare-and-set."""
    lease = Lease(owner, ports.clock(), timing.lease)
    no_pending = ~exists().where(Shipment.order_id == DispatchOrder.id, Shipment.state == ShipmentState.PENDING)
    where = and_(col(DispatchOrder.completed_at).is_(None), col(DispatchOrder.cancelled_at).is_(None), no_pending,
                 col(DispatchOrder.provider).in_(list(ports.providers)))
    if order_id is not None:
        where = and_(where, DispatchOrder.id == order_id)
    finished = 0
    claimed = claim_leased(session, DispatchOrder, where, lease, limit=timing.housekeeping_batch)
    with given_back(session, DispatchOrder, claimed, owner):
        finished += sum(finish_order(session, ports, order_id_) for order_id_ in claimed)
    return finished


def finish_order(session: Session, ports: Ports, order_id: int) -> bool:
    """The serial letter goes from "dispatch ordered" to "with the provider" (or "failed" when no
    letter was taken), exactly once: whoever loses the compare-and-set does nothing."""
    order = session.get(DispatchOrder, order_id, populate_existing=True)
    serial = session.get(SerialLetter, order.serial_letter_id, populate_existing=True)
    states = Counter(session.exec(select(Shipment.state).where(Shipment.order_id == order.id)))
    if states[ShipmentState.PENDING] or order.completed_at is not None or order.cancelled_at is not None:
        return False
    provider = ports.provider(order.provider)
    if provider is not None:
        provider.finish_order(order_key(order))
    submitted = sum(states[state] for state in HANDED_OVER)
    if serial.state is LetterState.DISPATCH_ORDERED:
        target = LetterState.WITH_PROVIDER if submitted else LetterState.FAILED
        try:
            move(session, serial, target, "provider_update")
        except (Conflict, IllegalTransition):
            return False  # another worker (or the in-process order run) completed it
        record(session, serial, target.value, who="system", order=order.id, submitted=submitted,
               failed=states[ShipmentState.FAILED])
    order.completed_at = ports.clock()
    session.add(order)
    session.commit()
    return True


# --- status from the provider -------------------------------------------------------------------


STATUS_TO_STATE: dict[LetterStatus, ShipmentState] = {
    LetterStatus.ACCEPTED: ShipmentState.SUBMITTED,
    LetterStatus.PRINTED: ShipmentState.PRINTED,
    LetterStatus.POSTED: ShipmentState.POSTED,
    LetterStatus.FAILED: ShipmentState.FAILED,
    LetterStatus.CANCELLING: ShipmentState.SUBMITTED,
    LetterStatus.WAITING_FOR_CREDIT: ShipmentState.SUBMITTED,
    LetterStatus.DELIVERED: ShipmentState.POSTED,
    LetterStatus.CANCELLED: ShipmentState.CANCELLED,
}
PROGRESS: dict[ShipmentState, int] = {
    ShipmentState.SUBMITTED: 0, ShipmentState.PRINTED: 1,
    ShipmentState.POSTED: 2, ShipmentState.FAILED: 2, ShipmentState.CANCELLED: 2,
}
POLLED = (ShipmentState.SUBMITTED, ShipmentState.PRINTED)
# per letter (quiet: the evidence record) and per serial letter (the thread's summary)
LETTER_KIND = {ShipmentState.PRINTED: "shipment_printed", ShipmentState.POSTED: "shipment_posted",
               ShipmentState.FAILED: "shipment_provider_failed", ShipmentState.CANCELLED: "shipment_cancelled"}
SERIAL_KIND = {ShipmentState.PRINTED: "printed", ShipmentState.POSTED: "posted",
               ShipmentState.FAILED: "provider_failed", ShipmentState.CANCELLED: "provider_cancelled"}


@dataclass(frozen=True)
class Change:
    """A letter's new state as the provider reports it."""

    shipment_id: int
    serial_id: int
    reference: str
    old: ShipmentState
    new: ShipmentState
    status: str
    reason: str = ""
    cancel_rejected: bool = False  # a cancel we asked for was refused: the letter goes out after all
    note: str = ""  # news without a new state: "waiting_for_credit", "delivered"
    tracking_code: str | None = None


@dataclass
class PollTally:
    polled: int = 0
    changed: int = 0
    unavailable: int = 0
    settled: int = 0  # serial letters moved to printed / posted / failed


def pollable(ports: Ports) -> list[str]:
    """Providers that report a letter's status after hand-over; the others are never polled."""
    return [key for key, provider in ports.providers.items() if provider.capabilities.reports_status]


def poll_due(session: Session, ports: Ports, owner: str, timing: Timing, *, max_batches: int | None = None) -> PollTally:
    """Asks the provider about every letter whose next poll is due, batch by batch, then moves
    serial letters whose letters all reached a new stage."""
    tally = PollTally()
    away: set[str] = set()
    batches = 0
    while max_batches is None or batches < max_batches:
        lease = Lease(owner, ports.clock(), timing.lease)
        providers = [key for key in pollable(ports) if key not in away]
        where = and_(followed(lease.now, timing),
                     col(Shipment.order_id).in_(select(DispatchOrder.id).where(col(DispatchOrder.provider).in_(providers))),
                     or_(col(Shipment.next_poll_at).is_(None), col(Shipment.next_poll_at) <= lease.now))
        ids = claim_leased(session, Shipment, where, lease, limit=timing.poll_batch)
        if not ids:
            break
        with given_back(session, Shipment, ids, owner):
            away |= poll_batch(session, ports, ids, lease, timing, tally)
        batches += 1
    tally.settled += settle_serial_letters(session, ports)
    return tally


def poll_batch(session: Session, ports: Ports, ids: list[int], lease: Lease, timing: Timing, tally: PollTally) -> set[str]:
    """Asks first (no transaction open while waiting for the provider), then stores every change
    of the batch with one summary event per serial letter and status, in one transaction.
    Returns the providers found away (their letters are asked again after `poll_every`)."""
    shipments = _load(session, Shipment, ids)
    providers = _providers_of(session, ports, shipments)
    session.commit()
    changes, asked = [], []
    away: set[str] = set()
    for shipment in shipments:
        key, provider = providers[shipment.id]
        if provider is None or key in away:
            continue
        try:
            change = _ask(provider, shipment, remind_before=lease.now - timing.credit_reminder)
        except ProviderUnavailable as error:
            log.warning("%s unavailable while polling %s: %s", key, shipment.reference, error)
            away.add(key)
            tally.unavailable += 1
            continue
        except Exception:  # one odd answer must not stop the others being asked
            log.exception("polling %s failed unexpectedly", shipment.reference)
            continue
        asked.append(shipment.id)
        if change is not None:
            changes.append(change)
    tally.polled += len(asked)
    tally.changed += _store_changes(session, changes, lease)
    release(session, Shipment, ids, lease.owner, next_poll_at=lease.now + timing.poll_every)
    return away


def followed(now: datetime, timing: Timing) -> ColumnElement[bool]:
    """Letters the provider is asked about: not yet posted, or posted within `follow_posted`
    and not yet delivered (so a late "undeliverable" still reaches the thread)."""
    return or_(col(Shipment.state).in_(POLLED),
               and_(Shipment.state == ShipmentState.POSTED, col(Shipment.posted_at) >= now - timing.follow_posted))


def poll_soon(session: Session, provider_refs: Collection[str]) -> int:
    """A provider's webhook says these letters moved on: ask about them in the next poll run,
    which applies the change with its usual claims (so a webhook never records anything twice)."""
    if not provider_refs:
        return 0
    result = session.exec(update(Shipment).where(
        col(Shipment.provider_ref).in_(list(provider_refs)),
        or_(col(Shipment.state).in_(POLLED), col(Shipment.posted_at).is_not(None)))
        .values(next_poll_at=None).execution_options(synchronize_session=False))
    session.commit()
    return result.rowcount


def _providers_of(session: Session, ports: Ports, shipments: list[Shipment]) -> dict[int, tuple[str, Provider | None]]:
    keys = dict(session.exec(select(DispatchOrder.id, DispatchOrder.provider).where(
        col(DispatchOrder.id).in_({s.order_id for s in shipments}))).all())
    return {s.id: (keys[s.order_id], ports.provider(keys[s.order_id])) for s in shipments}


def _ask(provider: Provider, shipment: Shipment, remind_before: datetime | None = None) -> Change | None:
    """The letter's state at the provider if it moved on; a failure brings the provider's reason."""
    if shipment.provider_ref is None:
        return None
    letter = provider.status(ProviderLetter(shipment.reference, shipment.provider_ref, shipment.provider_status,
                                            shipment.sha256))
    if letter is None:
        log.warning("provider has no letter %s any more", shipment.reference)
        return None
    new = STATUS_TO_STATE[letter.state]
    change = Change(shipment.id, shipment.serial_letter_id, shipment.reference, shipment.state, new, letter.status,
                    tracking_code=letter.tracking_code)
    rejected = shipment.cancel_requested_at is not None and letter.state not in (
        LetterStatus.CANCELLING, LetterStatus.CANCELLED)
    if rejected:
        return replace(change, new=max(new, shipment.state, key=PROGRESS.__getitem__), cancel_rejected=True)
    if _news_without_progress(shipment, letter):
        return replace(change, new=shipment.state, note=letter.state.value)
    if _still_waiting_for_credit(shipment, letter, remind_before):
        return replace(change, new=shipment.state, note=CREDIT_REMINDER)
    if not _moves_on(shipment.state, new):
        return None  # no news, or an older state reported late: never go back
    reason = _failure_reason(provider, letter) if new is ShipmentState.FAILED else ""
    return replace(change, reason=reason)


CREDIT_REMINDER = "waiting_for_credit_reminder"


def _still_waiting_for_credit(shipment: Shipment, letter: ProviderLetter, remind_before: datetime | None) -> bool:
    """Told before and nothing happened since `remind_before`: the thread is reminded (and the
    reminder's own record restarts the clock)."""
    updated = _aware(shipment.updated_at)
    return (letter.state is LetterStatus.WAITING_FOR_CREDIT and shipment.provider_status == letter.status
            and remind_before is not None and updated is not None and updated <= remind_before)


def _moves_on(old: ShipmentState, new: ShipmentState) -> bool:
    """Forward only; the one step back from "posted" is the postal service's "undeliverable"."""
    return PROGRESS[new] > PROGRESS[old] or (old is ShipmentState.POSTED and new is ShipmentState.FAILED)


def _news_without_progress(shipment: Shipment, letter: ProviderLetter) -> bool:
    """Held for lack of credit (told once, when it starts), or delivered (ends the following)."""
    if letter.state is LetterStatus.WAITING_FOR_CREDIT:
        return shipment.provider_status != letter.status
    return letter.state is LetterStatus.DELIVERED and shipment.state is ShipmentState.POSTED


def _failure_reason(provider: Provider, letter: ProviderLetter) -> str:
    try:
        failures = [event for event in provider.events(letter) if event.state is LetterStatus.FAILED]
    except ProviderUnavailable:
        failures = []
    return failures[-1].detail if failures and failures[-1].detail else letter.status


def _store_changes(session: Session, changes: list[Change], lease: Lease) -> int:
    """Each letter's change is applied by compare-and-set (so recorded exactly once), with a quiet
    per-letter event; each serial letter gets one event per new status with the count."""
    applied: list[Change] = []
    serials: dict[int, SerialLetter] = {}
    for change in changes:
        values: dict[str, Any] = {"state": change.new, "provider_status": change.status, "updated_at": lease.now}
        if change.reason:
            values["reason"] = change.reason[:1000]
        if change.cancel_rejected or change.new is ShipmentState.CANCELLED:
            values["cancel_requested_at"] = None
        if change.new is ShipmentState.POSTED and change.old is not ShipmentState.POSTED:
            values["posted_at"] = lease.now  # followed from here on
        elif change.old is ShipmentState.POSTED and (change.new is not ShipmentState.POSTED or change.note):
            values["posted_at"] = None  # delivered or undeliverable: nothing more to wait for
        result = session.exec(update(Shipment).where(
            col(Shipment.id) == change.shipment_id, Shipment.state == change.old, held_by(Shipment, lease.owner))
            .values(**values).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            continue
        serial = serials.get(change.serial_id) or session.get(SerialLetter, change.serial_id)
        serials[change.serial_id] = serial
        facts = {"reference": change.reference, "status": change.status}
        if change.reason:
            facts["reason"] = change.reason
        if change.tracking_code:
            facts["tracking_code"] = change.tracking_code  # registered mail: the evidence keeps the Sendungsnummer
        if change.note:
            quiet(record(session, serial, f"shipment_{change.note}", who="provider", shipment_id=change.shipment_id,
                         **facts), lease.now)
        if change.cancel_rejected:
            quiet(record(session, serial, "shipment_cancel_rejected", who="provider", shipment_id=change.shipment_id,
                         note="wird doch versendet", **facts), lease.now)
        if change.new is not change.old:
            quiet(record(session, serial, LETTER_KIND[change.new], who="provider", shipment_id=change.shipment_id, **facts),
                  lease.now)
        applied.append(change)
    _cancels_rejected(session, serials, [change for change in applied if change.cancel_rejected])
    for (serial_id, kind), group in _grouped(applied).items():
        facts: dict[str, Any] = {"count": len(group)}
        if group[0].new is ShipmentState.FAILED:
            facts["letters"] = [f"{c.reference}: {c.reason}" for c in group[:20]]
        record(session, serials[serial_id], kind, who="provider", **facts)
    session.commit()
    return len(applied)


def _cancels_rejected(session: Session, serials: dict[int, SerialLetter], changes: list[Change]) -> None:
    """The thread hears it, and a serial letter shown as cancelled is with the provider again."""
    for serial_id in {change.serial_id for change in changes}:
        serial = serials[serial_id]
        references = [change.reference for change in changes if change.serial_id == serial_id]
        record(session, serial, "cancel_rejected", who="provider", count=len(references), letters=references[:20])
        if serial.state is LetterState.CANCELLED:
            session.refresh(serial)
            if serial.state is LetterState.CANCELLED and can_move(serial.state, LetterState.WITH_PROVIDER):
                try:
                    move(session, serial, LetterState.WITH_PROVIDER, "provider_update")
                except (Conflict, IllegalTransition):
                    pass  # someone moved it meanwhile; the letter's own state is what counts


def _grouped(changes: list[Change]) -> dict[tuple[int, str], list[Change]]:
    """The thread's summary lines: per serial letter and kind of news."""
    groups: dict[tuple[int, str], list[Change]] = defaultdict(list)
    for change in changes:
        kind = _serial_kind(change)
        if kind is not None:
            groups[(change.serial_id, kind)].append(change)
    return groups


def _serial_kind(change: Change) -> str | None:
    if change.old is ShipmentState.POSTED and change.new is ShipmentState.FAILED:
        return "undeliverable"
    if change.note in (LetterStatus.WAITING_FOR_CREDIT.value, CREDIT_REMINDER):
        return change.note
    return SERIAL_KIND.get(change.new) if change.new is not change.old else None


def quiet(event: Event, now: datetime) -> Event:
    """Per-letter records are summarised by the serial letter's own events; they are born
    announced so no thread ever posts them one by one (as `shipment_submitted` is never posted)."""
    event.announced_at = now
    return event


# --- the serial letter's state from its letters -------------------------------------------------


FINAL = frozenset({ShipmentState.POSTED, ShipmentState.FAILED, ShipmentState.CANCELLED})
AT_LEAST_PRINTED = FINAL | {ShipmentState.PRINTED}


def settled_state(states: Iterable[ShipmentState]) -> LetterState | None:
    """Where the letters of the current order put the serial letter: posted once every letter is
    done and one went out; failed when none went out and one failed; printed once every letter is
    at least printed; None while a letter waits (or when all were cancelled: the cancel said so)."""
    live = [state for state in states if state is not ShipmentState.HELD]
    if not live or not all(state in AT_LEAST_PRINTED for state in live):
        return None
    if all(state in FINAL for state in live):
        if ShipmentState.POSTED in live:
            return LetterState.POSTED
        return LetterState.FAILED if ShipmentState.FAILED in live else None
    return LetterState.PRINTED


def settle_serial_letters(session: Session, ports: Ports) -> int:
    """Moves serial letters with the provider whose letters reached a new stage; several workers
    may try at once, the compare-and-set lets one win and the others skip. Only letters whose
    current order has no letter still waiting are looked at (not every order ever sent)."""
    current_order = (select(func.max(DispatchOrder.id)).where(DispatchOrder.serial_letter_id == SerialLetter.id)
                     .correlate(SerialLetter).scalar_subquery())
    waiting = exists().where(Shipment.order_id == current_order,
                             col(Shipment.state).in_([ShipmentState.PENDING, ShipmentState.SUBMITTED]))
    serial_ids = list(session.exec(select(SerialLetter.id).where(
        col(SerialLetter.state).in_([LetterState.WITH_PROVIDER, LetterState.PRINTED]), ~waiting)))
    session.commit()
    return sum(settle_serial_letter(session, serial_id) for serial_id in serial_ids)


def settle_serial_letter(session: Session, serial_id: int) -> bool:
    serial = session.get(SerialLetter, serial_id, populate_existing=True)
    order_id = session.exec(select(func.max(DispatchOrder.id)).where(DispatchOrder.serial_letter_id == serial_id)).one()
    states = Counter(session.exec(select(Shipment.state).where(Shipment.order_id == order_id)))
    target = settled_state(states.elements())
    if target is None or target is serial.state or not can_move(serial.state, target):
        session.commit()
        return False
    try:
        move(session, serial, target, "provider_update")
    except (Conflict, IllegalTransition):
        return False
    kind, facts = _settled_event(target, states)
    record(session, serial, kind, who="system", **facts)
    session.commit()
    return True


def _settled_event(target: LetterState, states: Counter[ShipmentState]) -> tuple[str, dict[str, Any]]:
    """The thread's line for the move (it also refreshes the thread's parent message)."""
    posted, failed = states[ShipmentState.POSTED], states[ShipmentState.FAILED]
    if target is LetterState.POSTED:
        return "all_posted", {"posted": posted, "failed": failed}
    if target is LetterState.PRINTED:
        return "all_printed", {"printed": states[ShipmentState.PRINTED] + posted, "failed": failed}
    return "failed", {"failed": failed}


# --- approvals ----------------------------------------------------------------------------------


def approvals_to_remind(session: Session, now: datetime, after: timedelta, limit: int = 200) -> list[int]:
    """Pending requests older than `after`, not reminded yet; claimed by setting `reminded_at`
    (a reminder lost in a crash is not sent twice, nor at all: the expiry still follows)."""
    where = and_(Approval.state == ApprovalState.PENDING, col(Approval.reminded_at).is_(None),
                 col(Approval.requested_at) <= now - after)
    return claim(session, Approval, where, {"reminded_at": now}, limit=limit)


def expire_approvals(session: Session, now: datetime, after: timedelta, limit: int = 200) -> list[int]:
    """Pending requests older than `after` become expired: compare-and-set from pending, so a
    manager deciding at the same moment either wins or sees "already expired"."""
    where = and_(Approval.state == ApprovalState.PENDING, col(Approval.requested_at) <= now - after)
    expired = claim(session, Approval, where, {"state": ApprovalState.EXPIRED, "decided_at": now}, limit=limit)
    hours = round(after.total_seconds() / 3600, 1)
    for approval in _load(session, Approval, expired):
        org = session.get(Organisation, approval.organisation_id)
        approval.outcome = Message("tracking.approval_expired", {"hours": _hours(hours)}).render(org.locale)
        session.add(approval)
        serial = session.get(SerialLetter, approval.serial_letter_id)
        record(session, serial, "approval_expired", who="system", approval=approval.id, request=approval.kind.value,
               hours=_hours(hours))
    session.commit()
    return expired


def _hours(hours: float) -> int | float:
    return int(hours) if float(hours).is_integer() else hours


# --- download links and retention ---------------------------------------------------------------


def purge_links(session: Session, ports: Ports, retention: timedelta, limit: int = 200) -> int:
    """Expired links (and links past the retention period) lose their file; the record stays.
    The row forgets the file first, then the file goes unless another row still names it."""
    now = ports.clock()
    where = and_(col(DownloadLink.purged_at).is_(None),
                 or_(col(DownloadLink.expires_at) < now, col(DownloadLink.created_at) < now - retention))
    purged = 0
    while links := locked_rows(session, DownloadLink, where, limit):
        keys = [link.path for link in links]
        for link in links:
            link.purged_at, link.path = now, ""
            session.add(link)
        session.commit()
        remove_unnamed(session, ports.files, keys)
        purged += len(links)
    session.commit()
    return purged


def purge_print_files(session: Session, ports: Ports, retention: timedelta, limit: int = 200) -> int:
    """Print files of orders older than the retention period are deleted; `print_path` becomes
    NULL ("no file any more") while sha256, pages and events stay as evidence."""
    now = ports.clock()
    old_orders = select(DispatchOrder.id).where(col(DispatchOrder.ordered_at) < now - retention)
    where = and_(col(Shipment.print_path).is_not(None), Shipment.state != ShipmentState.PENDING,
                 col(Shipment.order_id).in_(old_orders), lease_free(Shipment, now))
    purged = 0
    while shipments := locked_rows(session, Shipment, where, limit):
        keys = [shipment.print_path for shipment in shipments]
        for shipment in shipments:
            shipment.print_path = None
            session.add(shipment)
        session.commit()
        remove_unnamed(session, ports.files, keys)
        purged += len(shipments)
    session.commit()
    return purged
