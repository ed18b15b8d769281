"""Use cases of the dispatch step (seed steps 5–11): configure, summary with preflight and the
order button, order, run and resume an order, cancel, and print files for checking."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from domain.actors import Actor
from domain.dispatch import (
    ButtonState,
    CoverSheet,
    DispatchOptions,
    DispatchPlan,
    DocPart,
    PlanInputs,
    PlannedLetter,
    button_state,
    plan_dispatch,
)
from domain.errors import Conflict, InvalidInput, NotFound
from domain.messages import Message
from domain.models import (
    Contact,
    DispatchOrder,
    Letter,
    LetterState,
    Organisation,
    SerialLetter,
    Shipment,
    ShipmentState,
    Unit,
    utcnow,
)
from domain.pdf.assemble import write_print_files
from domain.ports import Capabilities, Ports, PriceQuery, Provider, ProviderLetter, ProviderUnavailable
from domain.services.documents import (
    attachment_parts,
    get_serial_letter,
    overview_rows,
    unit_document_parts,
)
from domain.services.events import move, record
from domain.services.lookup import get_row, key_of
from domain.services.preflight import capabilities_of, letter_check, prepare_preflight, profile_for
from domain.services.printfiles import (
    berlin_today,
    order_key,
    print_context,
    print_job,
)
from domain.services.tracking import Timing, hand_over_due


def _organisation_of(session: Session, serial: SerialLetter) -> Organisation:
    return get_row(session, Organisation, serial.organisation_id, Message("what.organisation"))


def options_of(serial: SerialLetter) -> DispatchOptions:
    return DispatchOptions.model_validate(serial.dispatch or {})


def build_plan(session: Session, ports: Ports, serial: SerialLetter, options: DispatchOptions | None = None,
               only_contacts: set[int] | None = None) -> DispatchPlan:
    """The dispatch plan with preflight against the organisation's provider profile."""
    organisation = _organisation_of(session, serial)
    capabilities = capabilities_of(ports, organisation)
    inputs = PlanInputs(
        rows=overview_rows(session, serial),
        document_types=serial.document_types,
        unit_documents=unit_document_parts(session, serial),
        attachments=attachment_parts(session, key_of(serial)),
        capabilities=capabilities,
        prices=ports.prices,
        home_country=organisation.home_country,
        already_sent=already_sent(session, key_of(serial)),
        quote=quotes(ports.provider(organisation.provider)),
    )
    preflight = ports.checks.get(profile_for(capabilities), organisation.home_country)
    prepare_preflight(preflight, ports, inputs)
    return plan_dispatch(inputs, options or options_of(serial), letter_check(preflight, ports.files), only_contacts)


def cancel_until(session: Session, serial_id: int, capabilities: Capabilities) -> datetime | None:
    """The last moment to cancel the first letter of the current order, where the provider has a
    clock for it (none while nothing is handed over yet)."""
    if capabilities.cancel_deadline is None:
        return None
    first = session.exec(select(func.min(Shipment.submitted_at)).join(DispatchOrder).where(
        DispatchOrder.serial_letter_id == serial_id, col(DispatchOrder.cancelled_at).is_(None),
        Shipment.state == ShipmentState.SUBMITTED)).one()
    if first is None:
        return None
    return capabilities.cancel_deadline(first if first.tzinfo else first.replace(tzinfo=UTC))


def quotes(provider: Provider | None) -> Callable[[PriceQuery], int | None] | None:
    """The provider's quotes for one plan, each asked once; an unreachable calculator means our table."""
    if provider is None:
        return None
    asked: dict[PriceQuery, int | None] = {}

    def quote(query: PriceQuery) -> int | None:
        if query not in asked:
            try:
                asked[query] = provider.price(query)
            except ProviderUnavailable:
                asked[query] = None
        return asked[query]

    return quote


SENT_OR_GOING = (ShipmentState.PENDING, ShipmentState.SUBMITTED, ShipmentState.PRINTED, ShipmentState.POSTED)


def already_sent(session: Session, serial_id: int) -> frozenset[tuple[int, int]]:
    """(contact, unit) pairs of letters that earlier orders gave the provider, are giving it, or
    posted: a new order (after a partial cancel, or to resend failures) never repeats them."""
    rows = session.exec(select(Shipment.contact_id, Shipment.unit_ids).where(
        Shipment.serial_letter_id == serial_id, col(Shipment.state).in_(SENT_OR_GOING)))
    return frozenset((contact_id, unit_id) for contact_id, unit_ids in rows for unit_id in unit_ids)


@dataclass
class DispatchSummary:
    serial: SerialLetter
    plan: DispatchPlan
    button: ButtonState
    reasons: list[Message]
    capabilities: Capabilities
    contact_text: str = ""  # whom to ask about a missing feature


def dispatch_summary(session: Session, ports: Ports, actor: Actor, serial_id: int) -> DispatchSummary:
    serial = get_serial_letter(session, actor, serial_id)
    return _summary(session, ports, serial)


def _summary(session: Session, ports: Ports, serial: SerialLetter) -> DispatchSummary:
    organisation = _organisation_of(session, serial)
    capabilities = capabilities_of(ports, organisation)
    plan = build_plan(session, ports, serial)
    state, reasons = button_state(serial.state, plan, capabilities, organisation.provider_contact_text,
                                  cancel_until(session, key_of(serial), capabilities), ports.clock())
    return DispatchSummary(serial, plan, state, reasons, capabilities, organisation.provider_contact_text)


def configure_dispatch(session: Session, ports: Ports, actor: Actor, serial_id: int, changes: dict[str, Any],
                       expected_version: int | None = None) -> DispatchSummary:
    """Apply the modal's choices; options the contract lacks are refused, saying whom to ask."""
    serial = get_serial_letter(session, actor, serial_id)
    if serial.state in (LetterState.DELETED, LetterState.DISPATCH_ORDERED, LetterState.WITH_PROVIDER, LetterState.PRINTED):
        raise InvalidInput("dispatch.locked", state=Message(f"state.{serial.state.value}"))
    version = serial.version if expected_version is None else expected_version
    options = DispatchOptions.model_validate({**options_of(serial).model_dump(), **changes})
    organisation = _organisation_of(session, serial)
    _check_capabilities(options, capabilities_of(ports, organisation), organisation.provider_contact_text)
    stored = options.model_dump(mode="json")
    result = session.exec(update(SerialLetter).where(col(SerialLetter.id) == serial.id, col(SerialLetter.version) == version)
                          .values(dispatch=stored, version=version + 1).execution_options(synchronize_session=False))
    if result.rowcount != 1:  # a colleague or a second click changed it since the modal showed it
        session.rollback()
        raise Conflict("conflict.changed", title=serial.title)
    session.commit()
    serial.dispatch, serial.version = stored, version + 1
    return _summary(session, ports, serial)


def _check_capabilities(options: DispatchOptions, capabilities: Capabilities, contact: str) -> None:
    wanted = {"registered": options.registered, "colour": options.colour, "duplex": options.duplex}
    for feature, on in wanted.items():
        if on and not getattr(capabilities, feature):
            raise InvalidInput("dispatch.feature_unavailable", feature=Message(f"feature.{feature}"), contact=contact or "–")


def set_ticked(session: Session, ports: Ports, actor: Actor, serial_id: int, contact_id: int, ticked: bool,
               expected_version: int | None = None) -> DispatchSummary:
    """Tick or untick one contact on top of the filter (seed step 6)."""
    serial = get_serial_letter(session, actor, serial_id)
    options = options_of(serial)
    options = options.tick(contact_id) if ticked else options.untick(contact_id)
    return configure_dispatch(session, ports, actor, serial_id, {"ticked": options.ticked, "unticked": options.unticked}, expected_version)


# --- order ------------------------------------------------------------------------------------


@dataclass
class OrderOutcome:
    order: DispatchOrder
    submitted: int = 0
    already_there: int = 0  # found at the provider by reference, not sent again
    failed: list[tuple[str, str]] = field(default_factory=list)  # (reference, reason)
    deferred: int = 0  # the provider was unavailable: the worker retries them with backoff
    scheduled_for: date | None = None  # "send on" a later day: the worker hands them over then


def order_dispatch(session: Session, ports: Ports, actor: Actor, serial_id: int, expected_version: int | None = None,
                   send_on: date | None = None) -> DispatchOrder:
    """Fix the letters of the current plan as shipments and mark the dispatch ordered.

    Only a green button orders; the state change is a compare-and-set, so a double click or a
    stale modal orders nothing twice. `run_order` (or the worker) then hands the letters over —
    on `send_on` (default: the modal's "send on" date) when that is a later day."""
    serial = get_serial_letter(session, actor, serial_id)
    summary = _summary(session, ports, serial)
    if summary.button is not ButtonState.GREEN:
        if summary.button is ButtonState.RED:
            raise Conflict("order.already", title=serial.title)
        raise InvalidInput("order.not_possible", reasons=tuple(summary.reasons))
    organisation = _organisation_of(session, serial)
    later = _later_day(send_on or summary.plan.options.send_on, ports)
    move(session, serial, LetterState.DISPATCH_ORDERED, "order", expected_version)
    order = DispatchOrder(serial_letter_id=key_of(serial), provider=organisation.provider,
                          options=summary.plan.options.model_dump(mode="json"), ordered_by=actor.staff_id, send_on=later)
    session.add(order)
    session.flush()
    for number, letter in enumerate(summary.plan.letters, start=1):
        session.add(_shipment(order, serial, letter, number))
    record(session, serial, "ordered", actor, order=order.id, letters=len(summary.plan.letters),
           sheets=summary.plan.sheets, cost_cents=summary.plan.cost_cents, options=order.options)
    if later is not None:
        record(session, serial, "scheduled", actor, order=order.id, send_on=later.isoformat(), date=later.strftime("%d.%m.%Y"))
    session.commit()
    return order


def _later_day(send_on: date | None, ports: Ports) -> date | None:
    """Only a later day waits; today or a day already past means: hand over now."""
    return send_on if send_on is not None and send_on > berlin_today(ports.clock()) else None


def _shipment(order: DispatchOrder, serial: SerialLetter, letter: PlannedLetter, number: int) -> Shipment:
    address = letter.contact.address
    assert address is not None  # the plan only holds contacts with an address
    return Shipment(
        order_id=key_of(order), serial_letter_id=key_of(serial), contact_id=key_of(letter.contact),
        unit_ids=list(letter.unit_ids), reference=f"{order_key(order)}-{number:05d}",
        recipient=address.model_dump(), parts=part_recipes(letter),
        pages=letter.pages, sheets=letter.cost.sheets if letter.cost else 0,
        blank_pages=letter.blank_pages, cover_sheet=letter.cover, cost_cents=letter.cost.cents if letter.cost else 0,
    )


def part_recipes(letter: PlannedLetter) -> list[dict[str, Any]]:
    """The print file as data: stored with the shipment so a resumed order builds the same file."""
    recipes: list[dict[str, Any]] = []
    for part in letter.parts:
        if isinstance(part, DocPart):
            recipes.append({"kind": "document", "path": part.path, "sha256": part.sha256, "pages": part.page_count, "title": part.title})
        elif isinstance(part, CoverSheet):
            recipes.append({"kind": "cover", "pages": 1, "units": list(letter.unit_labels)})
        else:
            recipes.append({"kind": "blank", "pages": 1})
    return recipes


def run_order(session: Session, ports: Ports, order_id: int, owner: str | None = None,
              progress: Callable[[int, int], None] | None = None) -> OrderOutcome:
    """Hand this order's pending letters to the provider now, batch by batch, then complete it.

    Safe next to workers and after a crash: every letter is claimed in the database first (one
    a worker holds is left to it) and looked up by our reference before it is sent. An order to
    be sent on a later day is left to the worker; when the provider is unavailable the letters
    wait for the worker's retry."""
    order = session.get(DispatchOrder, order_id)
    if order is None:
        raise NotFound("not_found", what=Message("what.order"), ref=order_id)
    if ports.provider(order.provider) is None:
        raise InvalidInput("order.no_provider", provider=order.provider)
    outcome = OrderOutcome(order)
    if order.cancelled_at is not None:
        return outcome
    if order.send_on is not None and order.send_on > berlin_today(ports.clock()):
        outcome.scheduled_for = order.send_on
        return outcome
    total = len(session.exec(select(Shipment.id).where(Shipment.order_id == order.id)).all())
    report = None if progress is None else (
        lambda tally: progress(tally.submitted + tally.already_there + len(tally.failed), total))
    tally = hand_over_due(session, ports, owner or f"inline-{uuid.uuid4().hex[:12]}", Timing(), order_id=order.id,
                          progress=report)
    outcome.submitted, outcome.already_there, outcome.failed = tally.submitted, tally.already_there, tally.failed
    outcome.deferred = tally.deferred
    return outcome


# --- cancel -----------------------------------------------------------------------------------


@dataclass
class CancelOutcome:
    cancelled: int
    not_cancellable: list[str]  # references the provider refused (already printing)
    requested: int = 0  # the provider decides later; followed until completed or rejected


def cancel_dispatch(session: Session, ports: Ports, actor: Actor, serial_id: int, expected_version: int | None = None) -> CancelOutcome:
    serial = get_serial_letter(session, actor, serial_id)
    order = session.exec(select(DispatchOrder).where(DispatchOrder.serial_letter_id == serial.id)
                         .order_by(col(DispatchOrder.id).desc())).first()
    if order is None:
        raise Conflict("cancel.nothing", title=serial.title)
    move(session, serial, LetterState.CANCELLED, "cancel", expected_version)
    order.cancelled_at, order.cancelled_by = utcnow(), actor.staff_id
    session.add(order)
    session.commit()  # from here on `run_order` submits nothing more
    provider = ports.provider(order.provider)
    outcome = CancelOutcome(0, [])
    for shipment in session.exec(select(Shipment).where(Shipment.order_id == order.id)).all():
        _cancel_one(session, provider, shipment, outcome)
    record(session, serial, "cancelled", actor, order=order.id, cancelled=outcome.cancelled,
           not_cancellable=len(outcome.not_cancellable), requested=outcome.requested)
    session.commit()
    if outcome.not_cancellable:
        # letters still go out: the serial letter is with the provider, and cancel can be tried again
        move(session, serial, LetterState.WITH_PROVIDER, "provider_update")
        session.commit()
    return outcome


def _cancel_one(session: Session, provider: Provider | None, shipment: Shipment, outcome: CancelOutcome) -> None:
    """Withdraws one letter if it can still be stopped; every letter still going out is named."""
    if shipment.state is ShipmentState.PENDING:
        if _withdraw_pending(session, shipment):
            outcome.cancelled += 1
            return
        session.refresh(shipment)  # a worker handed it over in this very moment
    if shipment.state not in HANDED_OVER_LIVE:
        return
    try:
        letter = _handed_over(shipment) if provider and shipment.state is ShipmentState.SUBMITTED else None
        stopped = provider is not None and letter is not None and provider.cancel(letter)
    except ProviderUnavailable:
        stopped = False
    if stopped and provider is not None and provider.capabilities.cancel_confirmed_later:
        shipment.cancel_requested_at = shipment.updated_at = utcnow()  # polled until completed or rejected
        session.add(shipment)
        outcome.requested += 1
    elif stopped:
        shipment.state, shipment.updated_at = ShipmentState.CANCELLED, utcnow()
        session.add(shipment)
        outcome.cancelled += 1
    else:
        outcome.not_cancellable.append(shipment.reference)


def _handed_over(shipment: Shipment) -> ProviderLetter | None:
    """The letter as the provider knows it, from the id stored when it was handed over."""
    if shipment.provider_ref is None:
        return None
    return ProviderLetter(shipment.reference, shipment.provider_ref, shipment.provider_status, shipment.sha256)


# Letters at the provider that may still reach their recipient.
HANDED_OVER_LIVE = frozenset({ShipmentState.SUBMITTED, ShipmentState.PRINTED})


def _withdraw_pending(session: Session, shipment: Shipment) -> bool:
    """Compare-and-set from pending, committed at once: a letter a worker records as handed over
    at this moment is not overwritten (it is then cancelled at the provider like any other)."""
    result = session.exec(update(Shipment).where(col(Shipment.id) == shipment.id, col(Shipment.state) == ShipmentState.PENDING)
                          .values(state=ShipmentState.CANCELLED, updated_at=utcnow())
                          .execution_options(synchronize_session=False))
    session.commit()
    return result.rowcount == 1


# --- downloads for checking (seed step 2) -----------------------------------------------------


def _row(session: Session, actor: Actor, letter_id: int) -> tuple[SerialLetter, Letter]:
    letter = session.get(Letter, letter_id)
    if letter is None:
        raise NotFound("not_found", what=Message("what.letter"), ref=letter_id)
    serial = get_serial_letter(session, actor, letter.serial_letter_id)
    return serial, letter


def download_print_file(session: Session, ports: Ports, actor: Actor, letter_id: int) -> tuple[str, bytes]:
    """The print file this row's contact would receive under the current dispatch options
    (merged, with cover sheet and blank pages), even if the filter sends them none."""
    serial, row = _row(session, actor, letter_id)
    contact = get_row(session, Contact, row.contact_id, Message("what.contact"))
    if contact.address is None:
        raise InvalidInput("download.no_address", name=contact.name)
    options = options_of(serial).model_copy(update={"ticked": [row.contact_id], "unticked": []})
    plan = build_plan(session, ports, serial, options, only_contacts={row.contact_id})
    letter = next((item for item in plan.letters if item.contact.id == row.contact_id and row.unit_id in item.unit_ids), None)
    if letter is None or not letter.documents:
        raise InvalidInput("download.no_documents")
    with print_context(session, ports, serial) as context:  # scratch only: it holds a name and address
        job = print_job(ports, context, f"check-{row.id}", contact.address, part_recipes(letter))
        write_print_files([job], workers=1)
        data = job.target.read_bytes()
    _count_download(session, row)
    return f"{serial.title} - {letter.contact.name} - {' '.join(letter.unit_labels)}.pdf", data


def download_document(session: Session, ports: Ports, actor: Actor, letter_id: int, document_type: str) -> tuple[str, bytes]:
    """One unit document of one type, as stored (the letter per document type)."""
    serial, row = _row(session, actor, letter_id)
    parts = unit_document_parts(session, serial).get(row.unit_id, {})
    if document_type not in parts:
        raise InvalidInput("download.no_document_of_type", document_type=document_type)
    _count_download(session, row)
    unit = get_row(session, Unit, row.unit_id, Message("what.unit"))
    return f"{serial.title} - {document_type} - {unit.label}.pdf", ports.files.read(parts[document_type].path)


def _count_download(session: Session, row: Letter) -> None:
    row.downloads += 1
    session.add(row)
    session.commit()
