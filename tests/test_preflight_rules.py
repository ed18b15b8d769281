"""The postal rules as properties over measured facts (no PDFs: thousands of positions a second),
and the facts store that lets a restart skip measuring."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session

from domain.dispatch import DispatchOptions, plan_dispatch
from domain.messages import Message
from domain.pdf.geometry import Rect
from domain.pdf.preflight import (
    DocumentFacts,
    Finding,
    FirstPage,
    Preflight,
    PreflightReport,
    Rule,
    Severity,
    StoredDocument,
    TextLine,
    address_verdict,
)
from domain.pdf.preflight.rules import LetterFacts, letter_findings
from domain.pdf.profiles import C4, C6_5, DIN_5008_B, DL, LETTERXPRESS, PINGEN, PROFILES
from domain.recipients import RecipientFilter
from domain.services import dispatch
from domain.services.preflight import DatabaseFacts
from tests import pdf_samples as samples
from tests.pdf_samples import ANNA
from tests.test_dispatch_plan import inputs_for, rows_strategy

LEADING, LINE = 4.23, 3.0  # mm: the layout's address leading, a 10 pt line's height
ADDRESS = ANNA.window_lines()
BLOCK_HEIGHT = (len(ADDRESS) - 1) * LEADING + LINE


def facts_with_address_at(left: float, top: float, width: float) -> DocumentFacts:
    """Page 1 as measured when the address block's top-left corner is at (left, top). The window
    reads the address whenever the block is inside the band (what the rules then compare)."""
    lines = tuple(
        TextLine(Rect(left, top + index * LEADING, width if index == 0 else width * 0.8, LINE), text)
        for index, text in enumerate(ADDRESS)
    )
    return DocumentFacts(size=10_000, pages=1, first_page=FirstPage("\n".join(ADDRESS), lines, ()))


def check(profile, facts: DocumentFacts) -> PreflightReport:
    letter = LetterFacts([facts], ANNA, profile, "DE", pages=facts.pages, size=facts.size)
    return PreflightReport(tuple(letter_findings(letter)))


def inside(band: Rect):
    """(left, top, width) of an address block anywhere inside `band`."""
    return st.floats(20.0, min(60.0, band.width)).flatmap(
        lambda width: st.tuples(
            st.floats(band.left, band.right - width),
            st.floats(band.top, band.bottom - BLOCK_HEIGHT),
            st.just(width),
        )
    )


def crossing(band: Rect):
    """(left, top, width) of a block that crosses one edge of `band` by 0.1 to 25 mm."""
    over = st.floats(0.1, 25.0)
    width = st.floats(20.0, 60.0)

    def place(edge: str, by: float, width: float) -> tuple[float, float, float]:
        left, top = band.left + 1.0, band.top + 1.0
        if edge == "top":
            top = band.top - by
        elif edge == "bottom":
            top = band.bottom - BLOCK_HEIGHT + by
        elif edge == "left":
            left = band.left - by
        else:
            left = band.right - width + by
        return left, top, width

    return st.builds(place, st.sampled_from(["top", "bottom", "left", "right"]), over, width)


profiles = st.sampled_from(list(PROFILES.values()))


@settings(max_examples=300)
@given(profiles, st.data())
def test_an_address_anywhere_inside_the_visible_band_never_blocks(profile, data) -> None:
    left, top, width = data.draw(inside(profile.visible_band))
    report = check(profile, facts_with_address_at(left, top, width))
    assert report.ok and not report.needs_cover_sheet, report.render("en")
    assert all(finding.severity is Severity.ADVISORY for finding in report.findings)


@settings(max_examples=300)
@given(profiles, st.data())
def test_an_address_crossing_the_bands_edge_always_blocks(profile, data) -> None:
    left, top, width = data.draw(crossing(profile.visible_band))
    report = check(profile, facts_with_address_at(left, top, width))
    assert not report.ok and report.needs_cover_sheet
    assert Rule.ADDRESS_OUTSIDE_WINDOW in {finding.rule for finding in report.blocking}


@given(profiles, st.data())
def test_the_picture_colours_the_block_as_the_rules_judge_it(profile, data) -> None:
    left, top, width = data.draw(st.one_of(inside(profile.visible_band), crossing(profile.visible_band)))
    facts = facts_with_address_at(left, top, width)
    block = facts.first_page.lines[0].rect.union(facts.first_page.lines[-1].rect)
    report = check(profile, facts)
    verdict = address_verdict(block, profile)
    assert (verdict is Severity.BLOCKS) == (not report.ok)
    assert (verdict is Severity.ADVISORY) == (report.ok and bool(report.advisories))


# --- the envelope model ------------------------------------------------------------------------


def test_the_band_is_the_window_less_the_letters_play_and_the_tolerance() -> None:
    """DL: 220 × 110 mm, window 90 × 45 mm at 20 mm from the left, 15 mm from the bottom; the
    folded letter (210 × 105 mm) slides 10 mm sideways and 5 mm up and down (DIN 680, DIN 678-1)."""
    assert DL.window == Rect(20.0, 50.0, 90.0, 45.0) and DL.play == (10.0, 5.0)
    assert DL.visible_band() == Rect(21.0, 51.0, 78.0, 38.0)
    assert C6_5.play == (19.0, 9.0) and C6_5.visible_band() == Rect(21.0, 55.0, 69.0, 34.0)
    assert C4.assumed and not DL.assumed  # the C4 window's place is an assumption, and says so
    # The ERP batch: blocks at 60.4–72.1 mm from the top show in both.
    for band in (DL.visible_band(), C6_5.visible_band()):
        assert band.contains(Rect(25.0, 60.4, 50.0, 11.7))


def test_each_profile_names_its_envelope_or_binds_the_providers_own_area() -> None:
    assert DIN_5008_B.envelope is DL and LETTERXPRESS.envelope is C6_5
    assert PINGEN.envelope is None and PINGEN.visible_band == PINGEN.address_zone
    for profile in PROFILES.values():
        assert profile.assumed, profile.key  # every profile says which of its numbers are assumed


def test_a_changed_profile_has_a_new_version() -> None:
    moved = DIN_5008_B.model_copy(update={"envelope": C6_5})
    assert moved.version != DIN_5008_B.version and DIN_5008_B.version == DIN_5008_B.model_copy().version


# --- advisories cost nothing -----------------------------------------------------------------


def advisory(rule_key: str = "preflight.address_field.top") -> Finding:
    return Finding(Rule.ADDRESS_OFF_FIELD, Message(rule_key, {"measured": 60.4, "limit": 62.7}), 1, 0)


@given(rows_strategy, st.booleans(), st.booleans(), st.booleans(), st.integers(0, 3), st.data())
def test_advisories_never_change_pages_sheets_or_cost(rows, duplex, merge, cover, count, data) -> None:
    """The same plan with and without advisory findings: same letters, pages, sheets, covers, cents."""
    ids = sorted({row.contact.id for row in rows})
    blocked = data.draw(st.sets(st.sampled_from(ids), max_size=3)) if ids else set()

    def with_advisories(letter, options):
        findings = [advisory()] * count
        if letter.contact.id in blocked and not letter.cover:
            findings.append(Finding(Rule.ADDRESS_MISMATCH, Message("preflight.recipient_missing"), 1, 0))
        return PreflightReport(tuple(findings))

    def without(letter, options):
        return PreflightReport(tuple(f for f in with_advisories(letter, options).findings if f.blocks))

    options = DispatchOptions(filter=RecipientFilter.ALL, duplex=duplex, merge=merge, cover_sheet=cover)
    noted, plain = (plan_dispatch(inputs_for(rows), options, check) for check in (with_advisories, without))
    for figure in ("pages", "sheets", "cost_cents", "cover_sheets", "blank_pages"):
        assert getattr(noted, figure) == getattr(plain, figure), figure
    assert [letter.fails for letter in noted.letters] == [letter.fails for letter in plain.letters]
    assert len(noted.failing) == len(plain.failing)


# --- the facts store: a restart does not measure again, a changed profile does ----------------


def stored(path: Path) -> tuple[StoredDocument, list[Path]]:
    """The file by its hash, and the list of times it was fetched to be measured."""
    import hashlib

    def fetch() -> Path:
        fetched.append(path)
        return path

    fetched: list[Path] = []
    document = StoredDocument(hashlib.sha256(path.read_bytes()).hexdigest(), fetch)
    return document, fetched


def test_a_restart_reads_the_facts_back_without_touching_the_file(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "brief.pdf"
    path.write_bytes(samples.address_at(ADDRESS, top_mm=63.0))
    document, fetched = stored(path)
    first = Preflight(DIN_5008_B, store=DatabaseFacts(session))
    report = first.check_letter([document], recipient=ANNA)
    session.commit()
    assert (first.misses, fetched) == (1, [path])
    assert report.ok and [f.rule for f in report.advisories] == [Rule.ADDRESS_OFF_FIELD]

    fetched.clear()
    after_restart = Preflight(DIN_5008_B, store=DatabaseFacts(session))
    again = after_restart.check_letter([document], recipient=ANNA)
    assert (after_restart.misses, after_restart.hits, fetched) == (0, 1, [])
    assert again == report

    changed = Preflight(DIN_5008_B.model_copy(update={"envelope": C6_5}), store=DatabaseFacts(session))
    changed.check_letter([document], recipient=ANNA)
    assert changed.misses == 1 and fetched == [path]


def test_prepare_measures_on_worker_processes_what_the_store_does_not_know(session: Session, tmp_path: Path) -> None:
    from domain.pdf.preflight.check import POOL_THRESHOLD

    paths = []
    for number in range(POOL_THRESHOLD + 2):
        path = tmp_path / f"brief-{number}.pdf"
        recipient = ANNA.model_copy(update={"name": f"Anna Müller {number}"})
        path.write_bytes(samples.letter(recipient, return_line=""))
        paths.append((path, recipient))
    store = DatabaseFacts(session)
    pooled = Preflight(DIN_5008_B)
    pooled.prepare([path for path, _ in paths], workers=2, store=store)
    session.commit()
    assert pooled.misses == len(paths)
    alone = Preflight(DIN_5008_B)
    for path, recipient in paths:
        assert pooled.check_letter([path], recipient=recipient) == alone.check_letter([path], recipient=recipient)
    restarted = Preflight(DIN_5008_B)
    with Session(session.get_bind()) as another_process:
        restarted.prepare([path for path, _ in paths], workers=2, store=DatabaseFacts(another_process))
    assert (restarted.misses, restarted.hits) == (0, len(paths))


def test_two_instances_storing_the_same_document_keep_one_row(engine: Engine) -> None:
    facts = {"ab" * 32: {"size": 1, "pages": 1}}
    for _ in range(2):
        with Session(engine) as instance:
            DatabaseFacts(instance).save("din5008b", "v1", facts)
            instance.commit()
    with Session(engine) as later:
        assert DatabaseFacts(later).load("din5008b", "v1", ["ab" * 32]) == facts
        assert DatabaseFacts(later).load("din5008b", "v2", ["ab" * 32]) == {}


def test_the_dispatch_plan_keeps_facts_in_its_unit_of_work_and_names_a_lost_file(session, ports, clerk, organisation) -> None:
    """Measured with the plan, committed with it; a file lost meanwhile is named, not measured."""
    from sqlmodel import select

    from domain.models import PreflightFacts
    from domain.services import documents
    from domain.storage import BlobMissing
    from tests.factories import estate
    from tests.test_preflight_scenario import serial_with_address_at

    ports.facts = DatabaseFacts(session)
    serial = serial_with_address_at(session, ports, clerk, estate(session, organisation), 65.8)
    dispatch.build_plan(session, ports, serial)
    session.commit()
    assert len(session.exec(select(PreflightFacts)).all()) == 5  # four statements, one attachment
    [attachment] = documents.attachments_of(session, serial.id)
    ports.files.backend.local_path(attachment.path).unlink()
    with pytest.raises(BlobMissing):
        dispatch.build_plan(session, ports, serial)
