"""The PDF/A-2b download file: real letters combined and validated, fonts found and normalised
with Ghostscript, Ghostscript's failures (loud and silent) turned into clear refusals, a file
beyond PDF/A-1's 8,191-page limit, and /Info agreeing with XMP."""

from __future__ import annotations

import io
import shutil
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pikepdf
import pytest
from reportlab.pdfgen.canvas import Canvas

from domain.errors import InvalidInput
from domain.pdf import layout
from domain.pdf.assemble import PRODUCER, FilePages, Pages, PdfSource
from domain.pdf.pdfa import (
    PdfaSources,
    check_fonts_embedded,
    clean_title,
    file_syntax_problems,
    info_problems,
    normalise_with_ghostscript,
    prepare_sources,
    validate_pdfa,
    write_pdfa,
)
from tests import pdf_samples

needs_ghostscript = pytest.mark.skipif(
    shutil.which("gs") is None, reason="Ghostscript (gs) is not installed"
)
CREATED = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def standard_font_document(pages: int = 1, draw_in_form: bool = False) -> bytes:
    """What many accounting programs export: text in Helvetica, which is never embedded."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=layout.PAGE_SIZE, invariant=1)
    for index in range(pages):
        if draw_in_form:  # the font hides in a form XObject's resources
            canvas.beginForm(f"footer{index}")
            canvas.setFont("Times-Roman", 9)
            canvas.drawString(70, 40, "Seite aus einem Formular")
            canvas.endForm()
            canvas.doForm(f"footer{index}")
        canvas.setFont("Helvetica", 11)
        canvas.drawString(70, 700, f"Grüße aus Köln, Seite {index + 1}")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def cmyk_document() -> bytes:
    """Fonts embedded, but a DeviceCMYK fill: not allowed under an sRGB output intent."""

    def draw(canvas: Canvas, index: int) -> None:
        canvas.setFillColorCMYK(0, 0.6, 1, 0)
        canvas.rect(70, 500, 100, 40, stroke=0, fill=1)

    return pdf_samples.document(draw=draw)


def tiny_page() -> bytes:
    """One A4 page with one short line: cheap to copy 8,200 times and to validate."""
    buffer = io.BytesIO()
    canvas = layout.new_canvas(buffer, "klein")
    canvas.setFont(layout.FONT, 9)
    canvas.drawString(70, 700, "1")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def written(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def fake_ghostscript(tmp_path: Path, script: str) -> str:
    """An executable named like Ghostscript that does what `script` says (sh)."""
    folder = tmp_path / "fake-bin"
    folder.mkdir(exist_ok=True)
    executable = folder / "gs"
    executable.write_text("#!/bin/sh\n" + script)
    executable.chmod(0o755)
    return str(executable)


def refusal(call: Callable[[], object]) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        call()
    return caught.value


# --- combined letters ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def letters_and_attachment() -> tuple[list[PdfSource], PdfSource]:
    letters = [
        PdfSource(pdf_samples.letter(address, pages=pages), f"brief{pages}")
        for address, pages in ((pdf_samples.ANNA, 1), (pdf_samples.MAX, 2), (pdf_samples.ANNA, 3))
    ]
    return letters, PdfSource(pdf_samples.document(pages=3), "anlage")


def test_real_letters_combine_into_valid_pdfa(letters_and_attachment, tmp_path: Path) -> None:
    letters, attachment = letters_and_attachment
    target = tmp_path / "download.pdf"

    result = write_pdfa(
        ([Pages(letter), Pages(attachment)] for letter in letters),
        target,
        title="Hausgeldabrechnung 2024",
        duplex=True,
    )

    assert validate_pdfa(target) == []
    assert result.pages == (2 + 4) + (2 + 4) + (4 + 4)
    with pikepdf.open(target) as pdf:
        assert len(pdf.pages) == result.pages
        contents = {page.Contents.objgen for page in pdf.pages if "/Contents" in page}
    # each letter's pages, and the attachment's three pages once for all letters
    assert len(contents) == (1 + 2 + 3) + 3


def test_xmp_and_info_say_the_same(letters_and_attachment, tmp_path: Path) -> None:
    letters, _ = letters_and_attachment
    target = tmp_path / "download.pdf"
    title = "Abrechnung „WE 03“ & <Anlage>\tneu"

    write_pdfa([[Pages(letters[0])]], target, title=title, created=CREATED)

    with pikepdf.open(target) as pdf:
        info, xmp = pdf.trailer.Info, pdf.open_metadata()
        assert str(info.Title) == xmp["dc:title"] == clean_title(title)
        assert str(info.Producer) == xmp["pdf:Producer"] == PRODUCER
        assert (xmp["pdfaid:part"], xmp["pdfaid:conformance"]) == ("2", "B")
        assert datetime.fromisoformat(xmp["xmp:CreateDate"]) == CREATED
        assert datetime.fromisoformat(xmp["xmp:ModifyDate"]) == CREATED
        assert pdf.trailer.ID[0] == pdf.trailer.ID[1]
        assert "/Encrypt" not in pdf.trailer
    assert info_problems(target) == []


def test_a_page_with_a_font_not_embedded_fails_validation(tmp_path: Path) -> None:
    target = tmp_path / "bad.pdf"
    with PdfSource(standard_font_document(), "helvetica.pdf") as source:
        write_pdfa([[Pages(source)]], target, title="ungeprüft")

    problems = validate_pdfa(target)

    assert any("6.2.11.4.1-1" in problem for problem in problems), problems


def test_more_than_8191_pages_pass_pdfa_2b_in_little_time_and_memory(tmp_path: Path) -> None:
    """PDF/A-1b would need a page tree with more than 8,191 kids; 2b with a balanced tree does
    not. The page is shared, so the file stays small; validation dominates the time (≈ 12 s)."""
    target = tmp_path / "many.pdf"
    pages = 8_200
    tracemalloc.start()
    started = time.perf_counter()
    with PdfSource(tiny_page(), "klein") as source:
        result = write_pdfa(([Pages(source)] for _ in range(pages)), target, title="Viele")
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert result.pages == pages
    assert seconds < 10
    assert peak < 40 << 20  # Python-side allocations while writing
    assert result.size < 4 << 20
    assert validate_pdfa(target) == []


# --- fonts and Ghostscript ----------------------------------------------------------------


def test_letters_from_the_layout_embed_every_font() -> None:
    assert check_fonts_embedded(pdf_samples.letter(pages=2)) == []
    assert check_fonts_embedded(pdf_samples.cover_sheet()) == []


def test_standard_fonts_are_found_on_pages_and_in_forms(tmp_path: Path) -> None:
    assert check_fonts_embedded(standard_font_document()) == ["Helvetica"]
    path = written(tmp_path, "formular.pdf", standard_font_document(2, draw_in_form=True))
    assert check_fonts_embedded(path) == ["Helvetica", "Times-Roman"]


@needs_ghostscript
def test_ghostscript_embeds_the_fonts_and_the_result_passes(tmp_path: Path) -> None:
    source = written(tmp_path, "helvetica.pdf", standard_font_document(pages=2))
    letter = written(tmp_path, "brief.pdf", pdf_samples.letter())
    target = tmp_path / "download.pdf"

    with PdfaSources(tmp_path / "cache") as sources:
        write_pdfa(
            [[FilePages(letter), FilePages(source)], [FilePages(source)]],
            target,
            title="Mit Ghostscript",
            sources=sources,
        )
        normalised = sources.normalised

    assert list(normalised) == [source]  # the letter was fine as it was
    assert check_fonts_embedded(normalised[source]) == []
    assert validate_pdfa(target) == []


@needs_ghostscript
def test_normalised_copies_are_cached_by_content(tmp_path: Path) -> None:
    first = written(tmp_path, "a.pdf", standard_font_document())
    second = written(tmp_path, "b.pdf", standard_font_document())  # same bytes, other name
    cache = tmp_path / "cache"

    ready = prepare_sources([first, second], cache)
    stamp = ready[first].stat().st_mtime_ns
    again = prepare_sources([first], cache)

    assert ready[first] == ready[second] == again[first]
    assert again[first].stat().st_mtime_ns == stamp
    assert len(list(cache.glob("*.pdf"))) == 1


@needs_ghostscript
def test_other_pdfa_problems_are_normalised_too(tmp_path: Path) -> None:
    source = written(tmp_path, "cmyk.pdf", cmyk_document())
    assert check_fonts_embedded(source) == []

    ready = prepare_sources([source], tmp_path / "cache")

    assert ready[source] != source
    target = tmp_path / "download.pdf"
    write_pdfa([[FilePages(source)]], target, title="CMYK")
    assert validate_pdfa(target) == []


def test_sources_that_passed_are_remembered_by_content(tmp_path: Path, monkeypatch) -> None:
    import domain.pdf.pdfa as module

    letter = written(tmp_path, "brief.pdf", pdf_samples.letter())
    assert prepare_sources([letter], tmp_path / "cache") == {letter: letter}
    monkeypatch.setattr(module, "source_findings", lambda path: pytest.fail("checked again"))

    assert prepare_sources([letter], tmp_path / "cache") == {letter: letter}


def test_many_sources_are_inspected_in_two_processes(tmp_path: Path) -> None:
    good = [
        written(tmp_path, f"brief{n}.pdf", pdf_samples.letter(pages=1 + n % 2)) for n in range(140)
    ]
    bad = written(tmp_path, "rechnung.pdf", standard_font_document())

    error = refusal(
        lambda: prepare_sources([*good, bad], tmp_path / "cache", ghostscript=None, workers=2)
    )

    assert error.message.facts["count"] == 1 and "rechnung.pdf" in error.render("en")


def test_fast_mode_checks_fonts_only(tmp_path: Path) -> None:
    source = written(tmp_path, "cmyk.pdf", cmyk_document())
    assert prepare_sources([source], tmp_path / "cache", thorough=False) == {source: source}


def test_missing_ghostscript_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    source = written(tmp_path, "helvetica.pdf", standard_font_document())
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))

    error = refusal(lambda: normalise_with_ghostscript(source, tmp_path / "out.pdf"))

    assert error.message.key == "pdfa.ghostscript_missing"
    assert "helvetica.pdf" in error.render("en") and "Ghostscript" in error.render("de")
    assert not (tmp_path / "out.pdf").exists()


def test_without_ghostscript_a_source_is_refused_naming_file_and_fonts(tmp_path: Path) -> None:
    bad = written(tmp_path, "rechnung.pdf", standard_font_document())
    good = written(tmp_path, "brief.pdf", pdf_samples.letter())
    target = tmp_path / "download.pdf"

    for ghostscript in (None, "no-such-ghostscript"):
        error = refusal(lambda: prepare_sources([good, bad], tmp_path, ghostscript=ghostscript))  # noqa: B023
        assert error.message.key == "pdfa.sources_refused"
        assert "rechnung.pdf" in error.render("en") and "Helvetica" in error.render("de")

    with PdfaSources(tmp_path / "cache", ghostscript=None) as sources:
        error = refusal(
            lambda: write_pdfa(
                [[FilePages(good)], [FilePages(bad)]], target, title="x", sources=sources
            )
        )
    assert error.message.key == "pdfa.fonts_not_embedded"
    assert not target.exists()


def test_a_failing_ghostscript_is_a_clear_error(tmp_path: Path) -> None:
    source = written(tmp_path, "helvetica.pdf", standard_font_document())
    broken = fake_ghostscript(tmp_path, 'echo "Error: /undefined in --run--" >&2\nexit 1\n')

    error = refusal(
        lambda: normalise_with_ghostscript(source, tmp_path / "out.pdf", ghostscript=broken)
    )

    assert error.message.key == "pdfa.ghostscript_failed"
    assert "code 1" in error.render("en") and "/undefined" in error.render("en")
    assert not (tmp_path / "out.pdf").exists()


def test_a_ghostscript_that_silently_writes_no_output_intent_is_caught(tmp_path: Path) -> None:
    """What a real Ghostscript does when it may not read the ICC profile: exit 0, no intent."""
    source = written(tmp_path, "helvetica.pdf", standard_font_document())
    copy_input = fake_ghostscript(
        tmp_path,
        'for arg; do case "$arg" in -sOutputFile=*) out="${arg#-sOutputFile=}";; esac; done\n'
        'for arg; do last="$arg"; done\ncp "$last" "$out"\nexit 0\n',
    )

    error = refusal(
        lambda: normalise_with_ghostscript(source, tmp_path / "out.pdf", ghostscript=copy_input)
    )

    assert error.message.key == "pdfa.ghostscript_failed"
    assert error.message.facts["detail"].key == "pdfa.detail.no_output_intent"


@needs_ghostscript
def test_real_ghostscript_without_its_profile_is_caught(tmp_path: Path, monkeypatch) -> None:
    """The trap from the field notes, for real: PDFA_def.ps naming a profile Ghostscript cannot
    open makes it abort PDF/A, print a note, and still exit 0."""
    import domain.pdf.pdfa as module

    source = written(tmp_path, "helvetica.pdf", standard_font_document())
    monkeypatch.setattr(module, "PDFA_DEF", module.PDFA_DEF.replace("({profile})", "(srgb.icc)"))

    error = refusal(lambda: normalise_with_ghostscript(source, tmp_path / "out.pdf"))

    assert error.message.key == "pdfa.ghostscript_failed"
    assert not (tmp_path / "out.pdf").exists()


def test_a_pdf_2_source_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf_samples.letter())) as pdf:
        pdf.save(buffer, force_version="2.0")
    with PdfSource(buffer.getvalue(), "neu.pdf") as source:
        error = refusal(lambda: write_pdfa([[Pages(source)]], tmp_path / "x.pdf", title="x"))
    assert error.message.key == "pdfa.pdf_version"
    assert not (tmp_path / "x.pdf").exists()


# --- the file-syntax rules pikepdf leaves to qpdf ------------------------------------------


@pytest.mark.parametrize(
    ("damage", "rule"),
    [
        (lambda data: data + b"trailing junk\n", "6.1.3-3"),
        (lambda data: data.replace(b"%\xe2\xe3\xcf\xd3", b"%abcd", 1), "6.1.2-2"),
        (lambda data: data.replace(b"xref\n0 ", b"xref \n0 ", 1), "6.1.4-2"),
        (lambda data: data.replace(b"\nendstream", b" endstream", 1), "6.1.7.1-2"),
        (lambda data: data.replace(b"\nxref", b"\n\nxref", 1), "startxref"),
        (lambda data: data.replace(b"\nendobj", b" endobj", 1), "6.1.9-1"),
    ],
)
def test_file_syntax_damage_is_found(tmp_path: Path, damage, rule: str) -> None:
    target = tmp_path / "letter.pdf"
    with PdfSource(pdf_samples.letter(), "brief") as source:
        write_pdfa([[Pages(source)]], target, title="Syntax")
    assert file_syntax_problems(target) == []

    target.write_bytes(damage(target.read_bytes()))

    assert any(rule in problem for problem in file_syntax_problems(target))


def test_a_wrong_stream_length_is_found(tmp_path: Path) -> None:
    target = tmp_path / "letter.pdf"
    with PdfSource(pdf_samples.letter(), "brief") as source:
        write_pdfa([[Pages(source)]], target, title="Syntax")
    data = target.read_bytes()
    start = data.index(b"/Length ") + len(b"/Length ")
    end = data.index(b" ", start)
    length = int(data[start:end])
    wrong = str(length - 1).rjust(end - start, "0").encode()  # same width: offsets stay right

    target.write_bytes(data[:start] + wrong + data[end:])

    assert any("6.1.7.1-1" in problem for problem in file_syntax_problems(target))
