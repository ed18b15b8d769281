"""Preflight against real PDFs: every rule broken once, with the measured fact in the message."""

from __future__ import annotations

import io
import re

import pypdfium2 as pdfium
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from pydantic import ValidationError
from pypdf import PdfWriter

from domain.addresses import PostalAddress
from domain.errors import InvalidInput, NotFound
from domain.messages import CATALOG
from domain.pdf.geometry import A4_MM, Rect, mm_to_pt
from domain.pdf.preflight import (
    ADVISORY_COLOUR,
    OK_COLOUR,
    PageFrame,
    Preflight,
    Rule,
    TextLine,
    locate_address,
    render_window_preview,
    window_text,
)
from domain.pdf.profiles import DIN_5008_B, LETTERXPRESS, PINGEN, PROFILES, get_profile
from tests import pdf_samples as samples
from tests.pdf_samples import ANNA, MAX

AUSTRIAN = PostalAddress(
    name="Eva Gruber", street="Ringstraße 1", postcode="1010", city="Wien", country="AT"
)
DUTCH = PostalAddress(
    name="Jan de Vries",
    street="Keizersgracht 1",
    postcode="1015 CJ",
    city="Amsterdam",
    country="NL",
)


@pytest.fixture(scope="module")
def din() -> Preflight:
    return Preflight(DIN_5008_B)


@pytest.fixture(scope="module")
def pingen() -> Preflight:
    return Preflight(PINGEN)


def only(report, rule: Rule):
    """The one finding of `rule`, after checking nothing else was found."""
    assert report.rules == {rule}, report.render("en")
    [finding] = report.findings
    return finding


def number(text: str, after: str) -> float:
    match = re.search(re.escape(after) + r"\s*(\d+[.,]\d)", text)
    assert match, (after, text)
    return float(match.group(1).replace(",", "."))


# --- good letters ------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", [DIN_5008_B, LETTERXPRESS], ids=lambda p: p.key)
def test_layout_letters_pass_din_profiles(profile):
    preflight = Preflight(profile)
    letter = samples.letter(pages=3)
    report = preflight.check_letter([letter, samples.cached("attachment")], recipient=ANNA)
    assert report.ok, report.render("en")
    assert not preflight.check_letter([samples.cover_sheet(), letter], recipient=ANNA).findings


def test_return_line_fails_pingen_postage_area_so_pingen_letters_leave_it_out(pingen):
    """Pingen prints the sender in its postage area itself: a return line there is a blank-zone
    finding, and its profile tells the layout to leave the line out."""
    finding = only(pingen.check_letter([samples.cached("letter")], recipient=ANNA), Rule.BLANK_ZONE)
    assert "Frankier" in finding.render("de") or "postage" in finding.render("en")
    assert not PINGEN.prints_return_line and DIN_5008_B.prints_return_line


def test_layout_letter_without_return_line_passes_pingen(pingen):
    letter = samples.cached("letter_pingen")
    assert pingen.check_letter([letter, samples.cached("attachment")], recipient=ANNA).ok


def test_letters_abroad_pass_with_the_country_line(din, pingen):
    letter = samples.letter(DUTCH, return_line="")
    for preflight in (din, pingen):
        assert preflight.check_letter([letter], recipient=DUTCH).ok


# --- readable, not encrypted -------------------------------------------------------------------


def test_truncated_pdf_is_unreadable(din):
    finding = only(
        din.check_letter([samples.truncated(samples.cached("letter"))], recipient=ANNA),
        Rule.UNREADABLE,
    )
    assert finding.document == 0
    assert (
        finding.render("en")
        == "The PDF cannot be read: it is incomplete, the %%EOF marker at its end is missing."
    )
    assert "am Ende fehlt die Marke %%EOF" in finding.render("de")


def test_garbage_is_unreadable(din):
    findings = din.check_document(b"PK\x03\x04 this is a zip file", first_in_letter=False)
    assert [f.rule for f in findings] == [Rule.UNREADABLE]
    assert "damaged or not a PDF" in findings[0].render("en")


@pytest.mark.parametrize("user_password", ["", "geheim"], ids=["owner-only", "user-password"])
def test_encrypted_pdf_is_refused(din, user_password):
    pdf = samples.encrypted(samples.cached("attachment"), user_password)
    findings = din.check_document(pdf, first_in_letter=False)
    assert [f.rule for f in findings] == [Rule.ENCRYPTED]
    assert findings[0].render("de") == "Die PDF-Datei ist verschlüsselt oder kennwortgeschützt."


def test_an_unreadable_attachment_names_its_document(din):
    broken = samples.truncated(samples.cached("attachment"))
    report = din.check_letter([samples.cached("letter"), broken], recipient=ANNA)
    assert [(f.rule, f.document) for f in report.findings] == [(Rule.UNREADABLE, 1)]


# --- A4 portrait -------------------------------------------------------------------------------


def test_landscape_page_is_reported_with_letter_page_and_size(din):
    letter = samples.letter(pages=2)
    report = din.check_letter([letter, samples.landscape_attachment()], recipient=ANNA)
    finding = only(report, Rule.PAGE_FORMAT)
    assert (finding.page, finding.document) == (4, 1)  # page 2 of the attachment, 4 of the letter
    assert finding.render("en") == (
        "Page 4 measures 297.0 × 210.0 mm (landscape); A4 portrait is required, 210 × 297 mm (± 1.0 mm)."
    )
    assert finding.render("de") == (
        "Seite 4 ist 297,0 × 210,0 mm groß (quer); verlangt ist A4 hochkant, 210 × 297 mm (± 1,0 mm)."
    )


def test_us_letter_page_is_not_a4(din):
    [finding] = din.check_document(samples.us_letter_attachment(), first_in_letter=False)
    assert finding.rule is Rule.PAGE_FORMAT and finding.page == 1
    assert "215.9 × 279.4 mm (portrait)" in finding.render("en")


def test_rotate_turns_a_portrait_page_into_landscape(din):
    [finding] = din.check_document(
        samples.rotated(samples.cached("attachment"), 90, page_index=2), first_in_letter=False
    )
    assert (finding.rule, finding.page) == (Rule.PAGE_FORMAT, 3)
    assert "297.0 × 210.0 mm (landscape)" in finding.render("en")


def test_a_landscape_page_rotated_upright_prints_as_a4_portrait(din):
    pdf = samples.rotated(samples.landscape_attachment(), 90, page_index=1)
    assert din.check_document(pdf, first_in_letter=False) == []


def test_tolerance_allows_a_millimetre():
    pdf = samples.document(page_sizes={0: (mm_to_pt(210.8), mm_to_pt(296.3))})
    assert Preflight(DIN_5008_B).check_document(pdf, first_in_letter=False) == []


# --- the address: machine-readable, inside the window, the right person ------------------------


def test_address_as_an_image_is_not_machine_readable(din):
    report = din.check_letter([samples.address_as_image()], recipient=ANNA)
    finding = only(report, Rule.ADDRESS_IMAGE)
    assert report.needs_cover_sheet and not report.cover_cannot_fix
    assert finding.render("en") == (
        "The address is an image or scan, not machine-readable text: the part the envelope window "
        "shows (21.0–99.0 mm from the left, 51.0–89.0 mm from the top) holds only an image (60.0 × 20.0 mm)."
    )
    assert "ist ein Bild oder Scan" in finding.render("de")


def test_a_first_page_without_any_address(din):
    report = din.check_letter([samples.cached("attachment")], recipient=ANNA)
    finding = only(report, Rule.ADDRESS_MISSING)
    assert report.needs_cover_sheet
    assert (
        "(21.0–99.0 mm from the left, 51.0–89.0 mm from the top) holds no machine-readable text"
        in finding.render("en")
    )


def test_address_below_the_window(din):
    pdf = samples.address_at(ANNA.window_lines(), top_mm=83.0)  # last baseline at 91.5 mm
    report = din.check_letter([pdf], recipient=ANNA)
    finding = only(report, Rule.ADDRESS_OUTSIDE_WINDOW)
    assert report.needs_cover_sheet and finding.blocks
    text = finding.render("en")
    assert text.endswith("the window shows only up to 89.0 mm.")
    ends_at = number(text, "The address block ends at")
    assert 91.0 < ends_at < 93.0  # the last baseline, give or take descenders
    assert finding.message.facts["measured"] == pytest.approx(ends_at, abs=0.05)
    german = f"{ends_at:.1f}".replace(".", ",")
    assert (
        finding.render("de")
        == f"Der Anschriftblock endet {german} mm von oben; das Fenster zeigt, wie auch immer der "
        "Brief im Umschlag liegt, nur bis 89,0 mm."
    )


def test_address_starting_in_pingens_postage_area(pingen):
    pdf = samples.address_at(ANNA.window_lines(), top_mm=60.0)  # capitals reach 2.7 mm higher
    report = pingen.check_letter([pdf], recipient=ANNA)
    outside = [f for f in report.findings if f.rule is Rule.ADDRESS_OUTSIDE_WINDOW]
    assert [f.message.key for f in outside] == ["preflight.address_outside.top"]
    assert outside[0].blocks  # Pingen's own area binds for Pingen
    assert outside[0].render("en").endswith("the window shows only from 60.0 mm.")
    assert 57.0 < outside[0].message.facts["measured"] < 58.0
    # ... and the tops of the letters are ink in the postage area.
    assert Rule.BLANK_ZONE in report.rules


def test_address_running_out_of_the_window_to_the_right(pingen):
    pdf = samples.address_at(ANNA.window_lines(), top_mm=66.0, left_mm=90.0)
    finding = only(pingen.check_letter([pdf], recipient=ANNA), Rule.ADDRESS_OUTSIDE_WINDOW)
    assert finding.message.key == "preflight.address_outside.right"
    assert finding.render("en").endswith("the window shows only up to 107.5 mm.")
    assert 115 < finding.message.facts["measured"] < 125


def test_letter_to_someone_else_at_another_address(din):
    report = din.check_letter([samples.letter(MAX)], recipient=ANNA)
    finding = only(report, Rule.ADDRESS_MISMATCH)
    assert report.needs_cover_sheet and not report.cover_cannot_fix
    assert finding.render("en") == (
        "The address in the window does not match the recipient Anna Müller, Musterstraße 5, 12345 Musterstadt "
        "(differs: name, street, postcode, city). "
        "The window reads: “Hausverwaltung Beispiel GmbH · Hauptstr. 1 · 10115 Berlin / "
        "Max Mustermann / Andere Straße 9 / 54321 Anderswo”."
    )
    assert finding.render("de") == (
        "Die Anschrift im Fenster passt nicht zum Empfänger Anna Müller, Musterstraße 5, 12345 Musterstadt "
        "(abweichend: Name, Straße, PLZ, Ort). "
        "Im Fenster steht: „Hausverwaltung Beispiel GmbH · Hauptstr. 1 · 10115 Berlin / "
        "Max Mustermann / Andere Straße 9 / 54321 Anderswo“."
    )


def test_same_person_who_moved(din):
    moved = ANNA.model_copy(update={"street": "Neuer Weg 12"})
    finding = only(
        din.check_letter([samples.cached("letter")], recipient=moved), Rule.ADDRESS_MISMATCH
    )
    assert "(differs: street)" in finding.render("en")


def test_the_country_must_show_abroad(din):
    letter = samples.letter(DUTCH.model_copy(update={"country": "DE"}), return_line="")
    finding = only(din.check_letter([letter], recipient=DUTCH), Rule.ADDRESS_MISMATCH)
    assert "(abweichend: Land)" in finding.render("de")


def test_missing_postal_address(din):
    report = din.check_letter([samples.cached("letter")], recipient=None)
    finding = only(report, Rule.RECIPIENT_MISSING)
    assert not report.needs_cover_sheet and report.cover_cannot_fix == (finding,)
    assert finding.render("de") == "Für diesen Empfänger ist keine Postanschrift hinterlegt."


def test_window_text_reads_the_address_zone():
    assert (
        window_text(samples.cached("letter"), PINGEN)
        == "Anna Müller\nMusterstraße 5\n12345 Musterstadt"
    )
    assert window_text(samples.cached("attachment"), DIN_5008_B) == ""


def test_the_address_is_found_near_its_postcode_line_not_in_the_text():
    lines = [
        TextLine(Rect(25, 65, 30, 3), "Anna Müller"),
        TextLine(Rect(25, 74, 30, 3), "12345 Musterstadt"),
        TextLine(Rect(25, 110, 120, 3), "Ihre Wohnung Musterstraße 5 wurde vermessen"),
    ]
    assert locate_address(lines, ANNA) == Rect(25, 65, 30, 12)


# --- blank zones -------------------------------------------------------------------------------


def test_line_in_the_left_border(pingen):
    attachment = samples.document(pages=2, draw=samples.line_in_left_border)
    report = pingen.check_letter([samples.cached("letter_pingen"), attachment], recipient=ANNA)
    finding = only(report, Rule.BLANK_ZONE)
    assert (finding.page, finding.document) == (3, 1)
    text = finding.render("en")
    assert text.startswith("Page 3: a line or shape at ")
    # The 6 mm line at 2 mm from the left edge, 100 mm down, with its 0.5 pt stroke.
    assert number(text, "a line or shape at") == pytest.approx(1.9, abs=0.15)
    assert number(text, "from the left,") == pytest.approx(99.9, abs=0.15)
    assert (
        "restricted area “left border” (0.0–5.0 mm from the left, 0.0–297.0 mm from the top)"
        in finding.render("en")
    )
    assert "im Sperrbereich „linker Rand“" in finding.render("de")


def test_image_in_the_postage_area_of_the_first_page_only(pingen):
    pdf = samples.document(pages=1, draw=samples.image_in_postage_area)
    [finding] = pingen.check_document(pdf, first_in_letter=True)
    assert finding.rule is Rule.BLANK_ZONE
    assert finding.render("en").startswith(
        "Page 1: an image at 30.0 mm from the left, 45.0 mm from the top (20.0 × 10.0 mm) "
        "lies in the restricted area “postage area” (20.0–109.5 mm from the left, 40.0–60.0 mm from the top)"
    )
    # Further back in a letter that page's postage area is just paper.
    assert pingen.check_document(pdf, first_in_letter=False) == []


def test_white_unstroked_rectangles_are_invisible(pingen):
    pdf = samples.document(pages=1, draw=samples.white_box_in_border)
    assert pingen.check_document(pdf, first_in_letter=True) == []


def test_clipped_objects_count_only_where_they_show(pingen):
    pdf = samples.document(pages=1, draw=samples.clipped_background)
    assert pingen.check_document(pdf, first_in_letter=True) == []


def test_a_scan_with_an_ocr_text_layer_is_machine_readable(din, pingen):
    pdf = samples.scan_with_text_layer(ANNA.window_lines())
    assert din.check_letter([pdf], recipient=ANNA).ok
    # The invisible OCR line in the bottom border is no ink either.
    assert pingen.check_document(pdf, first_in_letter=False) == []


def test_objects_inside_form_xobjects_are_placed_by_the_form_matrix(pingen):
    pdf = samples.document(pages=1, draw=samples.boxed_form_in_bottom_border)
    [finding] = pingen.check_document(pdf, first_in_letter=False)
    assert (
        finding.rule is Rule.BLANK_ZONE
        and finding.message.facts["zone"].key == "preflight.zone.border_bottom"
    )
    # The form draws 40 × 4 mm at 60/2 mm from the bottom-left, scaled by half: 20 × 2 mm.
    rect = Rect(*(finding.message.facts[k] for k in ("left", "top", "width", "height")))
    # Bounds include the stroke: half a point scaled down, plus pdfium's margin for joins.
    assert rect.left == pytest.approx(60, abs=0.5) and rect.width == pytest.approx(20, abs=0.5)
    assert rect.bottom == pytest.approx(A4_MM[1] - 2, abs=0.5) and rect.height == pytest.approx(
        2, abs=0.5
    )


def test_many_objects_in_one_zone_make_one_finding_per_page(pingen):
    def footer_too_low(canvas, index):
        canvas.setFont("Helvetica", 7)
        for column in range(4):
            canvas.drawString(mm_to_pt(30 + 40 * column), mm_to_pt(2), "Beispiel GmbH")

    [finding] = pingen.check_document(samples.document(draw=footer_too_low), first_in_letter=False)
    assert (
        finding.message.key == "preflight.blank_zone.more" and finding.message.facts["others"] == 3
    )
    assert "and 3 more objects lie in the restricted area “bottom border”" in finding.render("en")


# --- letter limits -----------------------------------------------------------------------------


def test_page_limit(pingen):
    documents = [samples.cached("letter_pingen")] + [samples.cached("attachment_50")] * 7
    report = pingen.check_letter(documents, recipient=ANNA)
    finding = only(report, Rule.PAGE_LIMIT)
    assert (
        finding.render("en")
        == "The letter has 351 pages; Pingen takes at most 320 pages per letter to Germany."
    )
    assert (
        finding.render("de")
        == "Der Brief hat 351 Seiten; Pingen nimmt nach Deutschland höchstens 320 Seiten je Brief."
    )


def test_page_limit_depends_on_the_destination(pingen):
    letter = samples.letter(DUTCH, pages=15, return_line="")
    finding = only(pingen.check_letter([letter], recipient=DUTCH), Rule.PAGE_LIMIT)
    assert (
        "has 15 pages; Pingen takes at most 14 pages per letter to Netherlands"
        in finding.render("en")
    )
    assert pingen.check_letter([letter], recipient=DUTCH, pages=14).ok


def test_file_size(pingen):
    heavy = samples.with_embedded_file(samples.cached("letter_pingen"), 8_200_000)
    finding = only(pingen.check_letter([heavy], recipient=ANNA), Rule.FILE_SIZE)
    assert re.fullmatch(
        r"The print file is 8\.2 MB; Pingen takes at most 8\.0 MB per file\.", finding.render("en")
    )
    assert "ist 8,2 MB groß; Pingen nimmt höchstens 8,0 MB je Datei" in finding.render("de")
    # The size of the merged print file, when known, wins over the documents' sum.
    assert pingen.check_letter([heavy], recipient=ANNA, size=7_900_000).ok


def test_registered_mail_only_inside_germany(din):
    letter = samples.letter(AUSTRIAN, return_line="")
    assert din.check_letter([letter], recipient=AUSTRIAN).ok
    finding = only(
        din.check_letter([letter], recipient=AUSTRIAN, registered=True), Rule.REGISTERED_ABROAD
    )
    assert finding.render("de") == (
        "Einwurfeinschreiben verschickt DIN 5008 Form B nur nach Deutschland; die Anschrift liegt in Österreich."
    )
    assert (
        finding.render("en")
        == "DIN 5008 Form B sends registered mail only to Germany; the address is in Austria."
    )
    assert din.check_letter([samples.cached("letter")], recipient=ANNA, registered=True).ok


# --- reports and caching -----------------------------------------------------------------------


def test_report_renders_every_finding_in_both_languages(pingen):
    report = pingen.check_letter(
        [samples.letter(MAX), samples.landscape_attachment()], recipient=ANNA, registered=False
    )
    assert report.rules == {Rule.BLANK_ZONE, Rule.ADDRESS_MISMATCH, Rule.PAGE_FORMAT}
    assert report.needs_cover_sheet and {f.rule for f in report.cover_cannot_fix} == {
        Rule.BLANK_ZONE,
        Rule.PAGE_FORMAT,
    }
    german, english = report.render("de"), report.render("en")
    assert len(german) == len(english) == 3 and german != english


def test_each_document_is_inspected_once():
    preflight = Preflight(PINGEN)
    attachment, blank = samples.cached("attachment"), samples.cached("blank_page")
    letters = [
        samples.letter(ANNA.model_copy(update={"name": f"Anna Müller {n}"}), return_line="")
        for n in range(5)
    ]
    for _ in range(2):
        for number_, letter in enumerate(letters):
            recipient = ANNA.model_copy(update={"name": f"Anna Müller {number_}"})
            assert preflight.check_letter([letter, blank, attachment], recipient=recipient).ok
    assert preflight.misses == 7
    assert preflight.hits == 2 * 5 * 3 - 7


def test_a_file_is_cached_by_path_until_it_changes(tmp_path):
    preflight = Preflight(DIN_5008_B)
    path = tmp_path / "brief.pdf"
    path.write_bytes(samples.cached("letter"))
    assert preflight.check_letter([path], recipient=ANNA).ok
    assert preflight.check_letter([path], recipient=ANNA).ok
    assert (preflight.misses, preflight.hits) == (1, 1)
    path.write_bytes(samples.letter(MAX))
    assert preflight.check_letter([path], recipient=ANNA).rules == {Rule.ADDRESS_MISMATCH}
    assert preflight.misses == 2


# --- the window preview ------------------------------------------------------------------------


def test_window_preview_shows_zones_on_page_one():
    scale = 1.0
    png = render_window_preview(samples.cached("letter_pingen"), PINGEN, scale=scale)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    assert width / height == pytest.approx(210 / 297, abs=0.005)
    px = scale * 72 / 25.4

    def at(x_mm: float, y_mm: float) -> tuple[int, int, int]:
        return image.getpixel((int(x_mm * px), int(y_mm * px)))

    red, green, blue = at(100, 50)  # the postage area, blank paper beneath
    assert red > 200 and green < 200 and blue < 200
    red, green, blue = at(100, 2.5)  # the top border
    assert red > 200 and green < 200
    assert at(PINGEN.address_zone.left + 0.2, 80) == OK_COLOUR[:3]
    assert at(150, 150) == (255, 255, 255)


def test_preview_and_window_text_refuse_broken_files():
    with pytest.raises(InvalidInput) as refused:
        render_window_preview(samples.truncated(samples.cached("letter")), PINGEN)
    assert refused.value.render("en") == "The PDF cannot be read: it is damaged or not a PDF."
    with pytest.raises(InvalidInput):
        window_text(samples.encrypted(samples.cached("letter"), "geheim"), PINGEN)


def test_window_preview_of_a_later_page_has_no_address_zone():
    png = render_window_preview(samples.cached("attachment"), DIN_5008_B, page_index=1, scale=0.5)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = {colour for _, colour in image.getcolors(1 << 16)}
    assert OK_COLOUR[:3] not in colours and ADVISORY_COLOUR[:3] not in colours


# --- geometry ----------------------------------------------------------------------------------

boxes = st.tuples(
    st.floats(-200, 200), st.floats(-200, 200), st.floats(100, 1200), st.floats(100, 1200)
).map(lambda t: (t[0], t[1], t[0] + t[2], t[1] + t[3]))
rotations = st.sampled_from([0, 90, 180, 270])
rects = st.tuples(st.floats(0, 150), st.floats(0, 200), st.floats(0, 50), st.floats(0, 50)).map(
    lambda t: Rect(*t)
)


@given(boxes, rotations, rects)
def test_sheet_and_pdf_coordinates_round_trip(box, rotation, rect):
    frame = PageFrame(box, rotation)
    back = frame.to_sheet(*frame.to_user(rect))
    for name in ("left", "top", "width", "height"):
        assert getattr(back, name) == pytest.approx(getattr(rect, name), abs=1e-6)


@given(rects)
def test_unrotated_a4_frame_is_the_geometry_modules_convention(rect):
    frame = PageFrame((0.0, 0.0, mm_to_pt(A4_MM[0]), mm_to_pt(A4_MM[1])))
    assert frame.to_user(rect) == pytest.approx(rect.to_pdf_points())
    assert frame.size_mm == pytest.approx(A4_MM)


@given(rects, rotations)
def test_sheet_size_swaps_with_quarter_turns(rect, rotation):
    frame = PageFrame((0.0, 0.0, 100.0, 200.0), rotation)
    width, height = frame.size_mm
    assert (width < height) == (rotation in (0, 180))


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_frame_matches_what_pdfium_renders(rotation):
    """A black square drawn at a known place lands where PageFrame says, on a rotated sheet."""

    def square(canvas, index):
        canvas.rect(
            mm_to_pt(30), mm_to_pt(A4_MM[1] - 50), mm_to_pt(20), mm_to_pt(10), stroke=0, fill=1
        )

    pdf = (
        samples.rotated(samples.document(draw=square, text=False), rotation)
        if rotation
        else samples.document(draw=square, text=False)
    )
    page = pdfium.PdfDocument(pdf)[0]
    frame = PageFrame.of(page)
    expected = frame.to_sheet(
        mm_to_pt(30), mm_to_pt(A4_MM[1] - 50), mm_to_pt(50), mm_to_pt(A4_MM[1] - 40)
    )
    image = page.render(scale=25.4 / 72, grayscale=True).to_pil()  # 1 pixel a millimetre
    dark = image.point(lambda value: 255 if value < 128 else 0).getbbox()
    assert dark == pytest.approx(
        (expected.left, expected.top, expected.right, expected.bottom), abs=1
    )


@settings(max_examples=25, deadline=None)
@given(
    top=st.floats(min_value=50.0, max_value=100.0), left=st.floats(min_value=10.0, max_value=40.0)
)
def test_measured_blocks_follow_the_window_band_and_the_din_field(din, top, left):
    """On real PDFs: outside the band blocks (and gets a cover sheet), inside the band but off
    the DIN field is only advisory."""
    pdf = samples.address_at(ANNA.window_lines(), top_mm=top, left_mm=left)
    report = din.check_letter([pdf], recipient=ANNA)
    block = locate_address(din.inspect(pdf).first_page.lines, ANNA)
    assert block is not None
    assert block.top == pytest.approx(top - 2.8, abs=0.5) and block.left == pytest.approx(
        left, abs=0.5
    )
    visible = DIN_5008_B.visible_band.contains(block, tolerance=0.05)
    in_field = DIN_5008_B.address_zone.contains(block, tolerance=0.05)
    assert (Rule.ADDRESS_OUTSIDE_WINDOW in report.rules) == (not visible)
    assert report.needs_cover_sheet == (not visible)
    assert (Rule.ADDRESS_OFF_FIELD in report.rules) == (visible and not in_field)
    assert all(not finding.blocks for finding in report.findings) == visible


# --- profiles ----------------------------------------------------------------------------------


def test_profiles_hold_the_published_numbers():
    assert PINGEN.address_zone == Rect(22.0, 60.0, 85.5, 25.5)
    postage = next(zone for zone in PINGEN.blank_zones if zone.name == "postage")
    assert (postage.rect, postage.pages) == (Rect(20.0, 40.0, 89.5, 20.0), "first")
    assert (
        PINGEN.max_file_bytes == 8_000_000
        and PINGEN.page_limit("DE") == 320
        and PINGEN.page_limit("NL") == 14
    )
    assert DIN_5008_B.address_zone == Rect(20.0, 62.7, 85.0, 27.3)
    assert DIN_5008_B.address_zone.bottom == pytest.approx(90.0)


def test_zones_lie_on_the_page_and_have_names_in_both_languages():
    page = Rect(0, 0, *A4_MM)
    for profile in PROFILES.values():
        assert page.contains(profile.address_zone)
        for zone in profile.blank_zones:
            assert page.contains(zone.rect, tolerance=1e-9)
            assert not zone.rect.intersects(profile.address_zone)
            assert set(CATALOG[zone.label.key]) == {"de", "en"}


def test_profiles_are_frozen_and_found_by_key():
    assert get_profile("pingen") is PINGEN
    with pytest.raises(ValidationError):
        PINGEN.max_pages = 1
    with pytest.raises(NotFound) as refused:
        get_profile("post-ag")
    assert refused.value.render("de") == "Versandprofil post-ag wurde nicht gefunden."


def test_every_preflight_message_has_both_languages():
    for key, texts in CATALOG.items():
        if key.startswith("preflight."):
            assert set(texts) == {"de", "en"}, key


def test_pdfwriter_blank_pages_pass(din):
    """Blank padding pages for duplex, as pypdf adds them."""
    writer = PdfWriter()
    writer.add_blank_page(mm_to_pt(210), mm_to_pt(297))
    buffer = io.BytesIO()
    writer.write(buffer)
    assert din.check_document(buffer.getvalue(), first_in_letter=False) == []


def test_a_giant_page_is_drawn_small_enough() -> None:
    """Pictures are bounded whatever the page claims to measure (14,400 pt is five metres)."""
    import io as _io

    import pikepdf
    from PIL import Image

    from domain.pdf.preflight import MAX_PIXELS, render_window_preview
    from domain.pdf.profiles import PROFILES

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(14_400, 14_400))
    buffer = _io.BytesIO()
    pdf.save(buffer)
    png = render_window_preview(buffer.getvalue(), PROFILES["din5008b"])
    width, height = Image.open(_io.BytesIO(png)).size
    assert width * height <= MAX_PIXELS * 1.01


def test_the_senders_postcode_above_the_address_is_not_part_of_the_block(din):
    """A company writing to a neighbour: the return line's "12345 Musterstadt" is not a second
    city line of the recipient's block (it pulled the block up into the endorsement zone)."""
    letter = samples.letter(ANNA, return_line="Hausverwaltung Beispiel GmbH · Hauptstr. 1 · 12345 Musterstadt")
    block = locate_address(din.inspect(letter).first_page.lines, ANNA)
    assert block is not None and block.top > DIN_5008_B.address_zone.top
    assert din.check_letter([letter], recipient=ANNA).findings == ()


def test_an_address_far_below_the_window_blocks_too(din):
    """Beyond where the address is looked for, the window shows no recipient: that blocks."""
    pdf = samples.address_at(ANNA.window_lines(), top_mm=140.0)
    report = din.check_letter([pdf], recipient=ANNA)
    assert not report.ok and report.needs_cover_sheet
    assert report.rules <= {Rule.ADDRESS_MISSING, Rule.ADDRESS_MISMATCH, Rule.ADDRESS_OUTSIDE_WINDOW}
