"""The dispatch plan: from the overview's rows and the dispatch options to the exact letters that
would be printed (merge, cover sheets, blank pages), their sheets and cost, the letters that must
be held and why, and the state of the order button."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from domain.costs import LetterCost, PriceTable, letter_cost
from domain.messages import Message
from domain.models import Contact, LetterState, Relation, Unit
from domain.ports import Capabilities, PriceQuery, PrintOptions
from domain.recipients import PaperDecision, PaperReason, RecipientFilter, recipients_for_post
from domain.services.lookup import key_of

BERLIN = ZoneInfo("Europe/Berlin")  # the companies' and the providers' clock


class DispatchOptions(BaseModel):
    """What the dispatch modal sets; stored as JSON on the serial letter."""

    model_config = ConfigDict(extra="ignore")

    filter: RecipientFilter = RecipientFilter.BY_PREFERENCE
    ticked: list[int] = []
    unticked: list[int] = []
    merge: bool = False
    registered: bool = False
    colour: bool = False
    duplex: bool = False
    optimise_duplex: bool = True
    cover_sheet: bool = True  # a letter addressed to someone else gets a cover sheet, else is held
    send_on: date | None = None

    def tick(self, contact_id: int) -> DispatchOptions:
        return self.model_copy(update={
            "ticked": sorted(set(self.ticked) | {contact_id}),
            "unticked": sorted(set(self.unticked) - {contact_id}),
        })

    def untick(self, contact_id: int) -> DispatchOptions:
        return self.model_copy(update={
            "ticked": sorted(set(self.ticked) - {contact_id}),
            "unticked": sorted(set(self.unticked) | {contact_id}),
        })

    @property
    def pads_parts(self) -> bool:
        return self.duplex and self.optimise_duplex


@dataclass(frozen=True)
class Row:
    """One overview row: a contact receiving one unit's documents."""

    letter_id: int
    contact: Contact
    unit: Unit
    relation: Relation
    downloads: int = 0  # how often someone downloaded it to check

    @property
    def contact_id(self) -> int:
        return key_of(self.contact)

    @property
    def unit_id(self) -> int:
        return key_of(self.unit)


@dataclass(frozen=True)
class DocPart:
    """A stored PDF that becomes part of a print file."""

    path: str
    sha256: str
    page_count: int
    title: str


@dataclass(frozen=True)
class BlankPage:
    page_count: int = 1


@dataclass(frozen=True)
class CoverSheet:
    """Our own address sheet in front of documents addressed to someone else."""

    page_count: int = 1


PrintPart = DocPart | BlankPage | CoverSheet


def pad_for_duplex(parts: Sequence[PrintPart]) -> list[PrintPart]:
    """After every part with an odd page count, one blank page: the next part then starts on a
    new sheet. Never reorders or drops a part."""
    padded: list[PrintPart] = []
    for part in parts:
        padded.append(part)
        if part.page_count % 2:
            padded.append(BlankPage())
    return padded


@dataclass(frozen=True)
class Problem:
    """Why a letter cannot go as planned; `blocking` problems disable the order button."""

    message: Message
    blocking: bool = True


@dataclass
class PlannedLetter:
    contact: Contact
    unit_ids: tuple[int, ...]
    unit_labels: tuple[str, ...]
    documents: tuple[DocPart, ...]
    attachments: tuple[DocPart, ...]
    cover: bool = False
    parts: list[PrintPart] = field(default_factory=list)
    cost: LetterCost | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return sum(part.page_count for part in self.parts)

    @property
    def blank_pages(self) -> int:
        return sum(1 for part in self.parts if isinstance(part, BlankPage))

    @property
    def fails(self) -> bool:
        return any(problem.blocking for problem in self.problems)

    @property
    def advisories(self) -> list[Problem]:
        return [problem for problem in self.problems if not problem.blocking]

    @property
    def first_document(self) -> DocPart | None:
        return self.documents[0] if self.documents else None


class ButtonState(StrEnum):
    GREEN = "green"  # can be ordered
    RED = "red"  # ordered, can still be cancelled
    YELLOW = "yellow"  # the contract lacks the feature
    DISABLED = "disabled"  # nothing qualifies or letters fail; reasons say which


@dataclass
class DispatchPlan:
    options: DispatchOptions
    decisions: dict[int, PaperDecision]
    letters: list[PlannedLetter]
    contacts: dict[int, Contact] = field(default_factory=dict)  # everyone in the overview
    already_sent: int = 0  # rows left out because an earlier order already sent them

    @property
    def unreached(self) -> list[Contact]:
        """Contacts this serial letter reaches neither by post (no complete postal address) nor in
        the portal (not registered): nobody will tell them unless someone acts."""
        return [contact for key, contact in self.contacts.items() if not contact.portal_registered
                and (decision := self.decisions.get(key)) is not None
                and decision.reason is PaperReason.NO_POSTAL_ADDRESS]

    @property
    def sendable(self) -> list[PlannedLetter]:
        return [letter for letter in self.letters if not letter.fails]

    @property
    def failing(self) -> list[PlannedLetter]:
        return [letter for letter in self.letters if letter.fails]

    @property
    def advised(self) -> list[PlannedLetter]:
        """Letters that can go, with notes on DIN 5008 deviations the window still shows."""
        return [letter for letter in self.letters if letter.advisories and not letter.fails]

    @property
    def sheets(self) -> int:
        return sum(letter.cost.sheets for letter in self.letters if letter.cost)

    @property
    def pages(self) -> int:
        return sum(letter.pages for letter in self.letters)

    @property
    def blank_pages(self) -> int:
        return sum(letter.blank_pages for letter in self.letters)

    @property
    def cost_cents(self) -> int:
        return sum(letter.cost.cents for letter in self.letters if letter.cost)

    @property
    def cover_sheets(self) -> int:
        return sum(1 for letter in self.letters if letter.cover)


@dataclass(frozen=True)
class PlanInputs:
    rows: Sequence[Row]
    document_types: Sequence[str]
    unit_documents: dict[int, dict[str, DocPart]]  # unit id -> document type -> part
    attachments: Sequence[DocPart]
    capabilities: Capabilities
    prices: PriceTable
    home_country: str = "DE"
    # (contact, unit) pairs an earlier order already gave the provider (or posted): never again
    already_sent: frozenset[tuple[int, int]] = frozenset()
    quote: Callable[[PriceQuery], int | None] | None = None  # the provider's price, where it has one


class LetterReport(Protocol):
    """What preflight says of one letter (domain.pdf.preflight.PreflightReport); each finding
    says whether it `blocks` dispatch or is advisory."""

    @property
    def findings(self) -> Sequence[Any]: ...

    @property
    def needs_cover_sheet(self) -> bool: ...


LetterCheck = Callable[[PlannedLetter, DispatchOptions], LetterReport]


def plan_dispatch(inputs: PlanInputs, options: DispatchOptions, check: LetterCheck | None = None,
                  only_contacts: set[int] | None = None) -> DispatchPlan:
    """`check` is the provider's preflight; without it no cover sheet is decided and nothing is
    verified (fast estimates only). `only_contacts` plans just their letters."""
    decisions = recipients_for_post(
        options.filter, (row.contact for row in inputs.rows), options.ticked, options.unticked
    )
    paper_rows = [row for row in inputs.rows if decisions[row.contact_id].gets_paper
                  and (only_contacts is None or row.contact_id in only_contacts)]
    sent = [row for row in paper_rows if (row.contact_id, row.unit_id) in inputs.already_sent]
    paper_rows = [row for row in paper_rows if (row.contact_id, row.unit_id) not in inputs.already_sent]
    letters = [_build_letter(group, inputs, options, check) for group in _group(paper_rows, options.merge)]
    contacts = {row.contact_id: row.contact for row in inputs.rows}
    return DispatchPlan(options=options, decisions=decisions, letters=letters, contacts=contacts, already_sent=len(sent))


def _group(rows: Sequence[Row], merge: bool) -> list[list[Row]]:
    """Merged: one letter per contact with its units in overview order; else one per row."""
    if not merge:
        return [[row] for row in rows]
    groups: dict[int, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.contact_id, []).append(row)
    return list(groups.values())


def _build_letter(rows: list[Row], inputs: PlanInputs, options: DispatchOptions, check: LetterCheck | None) -> PlannedLetter:
    contact = rows[0].contact
    documents, problems = _documents_for(rows, inputs)
    letter = PlannedLetter(
        contact=contact,
        unit_ids=tuple(row.unit_id for row in rows),
        unit_labels=tuple(row.unit.label for row in rows),
        documents=tuple(documents),
        attachments=tuple(inputs.attachments),
        problems=problems,
    )
    letter.parts = print_parts(letter, options)
    if check is not None and documents:
        letter.problems += _preflight(letter, options, check)
    abroad = contact.country != inputs.home_country
    letter.cost = letter_cost(
        inputs.prices, pages=letter.pages, duplex=options.duplex, colour=options.colour,
        registered=options.registered, abroad=abroad,
    )
    letter.cost = _quoted(letter.cost, contact.country, options, inputs.quote)
    letter.problems += _postal_problems(letter, inputs)
    return letter


def _quoted(cost: LetterCost, country: str, options: DispatchOptions,
            quote: Callable[[PriceQuery], int | None] | None) -> LetterCost:
    """The provider's own price replaces the table's where it gives one."""
    if quote is None:
        return cost
    cents = quote(PriceQuery(country, cost.pages, PrintOptions(options.colour, options.duplex, options.registered)))
    return cost if cents is None else replace(cost, cents=cents, quoted=True)


def _preflight(letter: PlannedLetter, options: DispatchOptions, check: LetterCheck) -> list[Problem]:
    """A window showing someone else's address (or none readable, or cutting it off) gets our
    cover sheet, when switched on; whatever else blocks holds the letter. Advisories are shown
    and change nothing: no cover sheet, no page, no cent."""
    report = check(letter, options)
    if report.needs_cover_sheet and options.cover_sheet:
        letter.cover = True
        letter.parts = print_parts(letter, options)
        report = check(letter, options)
    return [Problem(finding.message, blocking=finding.blocks) for finding in report.findings]


def _documents_for(rows: list[Row], inputs: PlanInputs) -> tuple[list[DocPart], list[Problem]]:
    documents: list[DocPart] = []
    problems: list[Problem] = []
    for row in rows:
        by_type = inputs.unit_documents.get(row.unit_id, {})
        missing = [kind for kind in inputs.document_types if kind not in by_type]
        if missing:
            problems.append(Problem(Message("plan.unit_missing_documents", {"unit": row.unit.label, "types": ", ".join(missing)})))
        documents += [by_type[kind] for kind in inputs.document_types if kind in by_type]
    return documents, problems


def print_parts(letter: PlannedLetter, options: DispatchOptions) -> list[PrintPart]:
    """The print file's parts: cover sheet, unit documents, general attachments, blank pages.

    In duplex the cover sheet always gets a blank back, so no document starts on it."""
    body: list[PrintPart] = [*letter.documents, *letter.attachments]
    if options.pads_parts:
        body = pad_for_duplex(body)
    if not letter.cover:
        return body
    head: list[PrintPart] = [CoverSheet(), BlankPage()] if options.duplex else [CoverSheet()]
    return head + body


def _postal_problems(letter: PlannedLetter, inputs: PlanInputs) -> list[Problem]:
    """What the provider's contract and the envelope table say; page limits, file size and
    registered mail abroad are preflight's."""
    problems: list[Problem] = []
    countries = inputs.capabilities.countries
    if countries is not None and letter.contact.country not in countries:
        problems.append(Problem(Message("plan.country_not_served", {"country": letter.contact.country})))
    if letter.cost is not None and letter.cost.envelope is None:
        problems.append(Problem(Message("plan.too_thick", {"sheets": letter.cost.sheets})))
    return problems


def button_state(
    state: LetterState, plan: DispatchPlan | None, capabilities: Capabilities, contact_text: str = "",
    cancel_until: datetime | None = None, now: datetime | None = None,
) -> tuple[ButtonState, list[Message]]:
    """The order button's four states and the reasons shown beside it (seed step 11). With
    `cancel_until` (the first handed-over letter's last moment to cancel) the red button counts down."""
    if not capabilities.available:
        return ButtonState.YELLOW, [Message("button.yellow", {"contact": contact_text or "–"})]
    if state in (LetterState.DISPATCH_ORDERED, LetterState.WITH_PROVIDER):
        return ButtonState.RED, [cancel_window_line(capabilities, cancel_until, now)]
    if state not in (LetterState.RELEASED, LetterState.CANCELLED, LetterState.FAILED, LetterState.POSTED):
        return ButtonState.DISABLED, [Message("button.not_released", {"state": Message(f"state.{state.value}")})]
    if plan is not None and not plan.letters and plan.already_sent:
        return ButtonState.DISABLED, [Message("button.all_sent", {"count": plan.already_sent})]
    if plan is None or not plan.letters:
        return ButtonState.DISABLED, [Message("button.no_letters")]
    if plan.failing:
        reasons = [Message("button.letters_fail", {"count": len(plan.failing)})]
        return ButtonState.DISABLED, reasons + [letter_problem_line(letter) for letter in plan.failing]
    return ButtonState.GREEN, [Message("button.green", {"count": len(plan.letters)})]


def cancel_window_line(capabilities: Capabilities, cancel_until: datetime | None, now: datetime | None) -> Message:
    """'can still be cancelled for 12 minutes (until 15:57)', or the window in words."""
    if cancel_until is None or now is None:
        return Message("button.red", {"window": capabilities.cancel_window})
    at = cancel_until.astimezone(BERLIN).strftime("%H:%M")
    left = cancel_until - now
    if left <= timedelta(0):
        return Message("button.red_closed", {"time": at})
    return Message("button.red_countdown", {"minutes": max(1, int(left.total_seconds() // 60)), "time": at})


def letter_problem_line(letter: PlannedLetter, blocking: bool = True) -> Message:
    """'Müller (WE 03): address starts 8 mm too low; …' for one failing letter (or, with
    `blocking` False, its advisories)."""
    return Message("plan.letter_problems", {
        "name": letter.contact.name,
        "units": ", ".join(letter.unit_labels),
        "problems": _joined([problem.message for problem in letter.problems if problem.blocking == blocking]),
    })


def _joined(messages: list[Message]) -> Message:
    return Message("joined", {"items": tuple(messages)})
