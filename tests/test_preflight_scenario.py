"""An ERP batch whose addresses sit a few millimetres off the DIN 5008 field, through the real
use cases: split, release, dispatch plan, order and the print files the provider receives."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from domain.dispatch import ButtonState
from domain.models import SerialLetter
from domain.pdf import layout
from domain.recipients import RecipientFilter
from domain.services import dispatch, documents, intake, release
from domain.split import ByMarker
from tests.factories import attachment, batch_for, estate


def serial_with_address_at(session, ports, clerk, found, baseline_mm: float) -> SerialLetter:
    """Statements whose first address line sits on `baseline_mm` (the layout's own: 65.8 mm)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(layout, "ADDRESS_FIRST_BASELINE_MM", baseline_mm)
        batch = batch_for(found)
    serial = documents.create_serial_letter(session, clerk, found.prop.id, "Abrechnung 2025", ["Hausgeldabrechnung"])
    intake.upload_batch(session, ports.files, clerk, serial.id, "Hausgeldabrechnung", "batch.pdf", batch, ByMarker())
    intake.add_attachment(session, ports.files, clerk, serial.id, "Einladung.pdf", attachment(3))
    release.release(session, ports, clerk, serial.id, notify=False)
    return serial


def summary_for(session, ports, clerk, serial):
    return dispatch.configure_dispatch(session, ports, clerk, serial.id,
                                       {"filter": RecipientFilter.ALL, "cover_sheet": True, "duplex": True})


def test_addresses_a_few_mm_above_the_din_field_get_no_cover_sheet(session, ports, clerk, organisation, home) -> None:
    found = estate(session, organisation)
    usual = summary_for(session, ports, clerk, serial_with_address_at(session, ports, clerk, found, 65.8))
    # 63.0 mm: the first line's capitals reach 60.2 mm, 2.5 mm into the endorsement zone (the
    # issue's ERP batch), well inside what a DL window shows wherever the letter sits.
    shifted = summary_for(session, ports, clerk, serial_with_address_at(session, ports, clerk, found, 63.0))
    assert shifted.button is ButtonState.GREEN and not shifted.plan.failing
    advised = {letter.contact.name for letter in shifted.plan.advised}
    assert advised == {"Anna Schäfer", "Bernd Groß"}  # their own letters; Clara's has a cover anyway
    for figure in ("cover_sheets", "pages", "sheets", "cost_cents", "blank_pages"):
        assert getattr(shifted.plan, figure) == getattr(usual.plan, figure), figure
    note = shifted.plan.advised[0].advisories[0].message
    assert note.key == "preflight.address_field.top" and "readable" in note.render("en")

    order = dispatch.order_dispatch(session, ports, clerk, shifted.serial.id)
    dispatch.run_order(session, ports, order.id)
    # What the provider receives: exactly the planned pages, and Anna's and Bernd's statements
    # themselves face the window (only Clara's letter, addressed to Bernd, has a cover sheet).
    files = sorted(path for path in (home / "outbox").rglob("BW*.pdf") if path.parent.name != "cancelled")
    readers = [PdfReader(io.BytesIO(path.read_bytes())) for path in files]
    assert sum(len(reader.pages) for reader in readers) == shifted.plan.pages
    opened_by_statement = [reader for reader in readers if "Hausgeldabrechnung" in reader.pages[0].extract_text()]
    assert len(opened_by_statement) == len(shifted.plan.letters) - shifted.plan.cover_sheets == 3


def test_an_address_the_window_cuts_off_gets_a_cover_sheet_or_holds_the_letter(session, ports, clerk, organisation) -> None:
    found = estate(session, organisation)
    serial = serial_with_address_at(session, ports, clerk, found, 84.0)  # last line ends near 94 mm
    summary = summary_for(session, ports, clerk, serial)
    assert summary.plan.cover_sheets == len(summary.plan.letters)
    held = dispatch.configure_dispatch(session, ports, clerk, serial.id, {"cover_sheet": False})
    assert held.button is ButtonState.DISABLED
    failing = {letter.contact.name for letter in held.plan.failing}
    assert {"Anna Schäfer", "Bernd Groß"} <= failing
    reasons = " ".join(problem.message.key for letter in held.plan.failing for problem in letter.problems)
    assert "preflight.address_outside.bottom" in reasons
