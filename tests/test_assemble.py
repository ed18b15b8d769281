"""Print files and the combined file: pages in the right order, blanks where duplex needs them,
attachments stored once in the combined file, and output every reader accepts."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from domain.pdf.assemble import (
    BLANK,
    Blank,
    CombinedPdfWriter,
    FilePages,
    Pages,
    PdfSource,
    PrintJob,
    SourceRefused,
    pad_for_duplex,
    write_combined_pdf,
    write_pdf,
    write_print_files,
)
from domain.pdf.layout import LetterSpec, render_letter

A4_BOX = [0, 0, Decimal("595.2756"), Decimal("841.8898")]
LABEL = re.compile(r"Kennung (\w+) · Seite (\d+)")


def labelled_letter(label: str, pages: int) -> bytes:
    """A letter whose every page says which document and page it is, in its footer."""
    return render_letter(
        LetterSpec(
            return_line="Hausverwaltung Beispiel GmbH · Hauptstr. 1 · 10115 Berlin",
            address_lines=["Anna Müller", "Musterstraße 5", "12345 Musterstadt"],
            subject=f"Dokument {label}",
            paragraphs=["Anbei erhalten Sie die Abrechnung."],
            footer=f"Kennung {label}",
            pages=pages,
        )
    )


def page_labels(pdf: Path | bytes) -> list[str]:
    """'U3/2' for page 2 of document U3, '-' for a page without text."""
    reader = PdfReader(pdf if isinstance(pdf, Path) else io.BytesIO(pdf))
    labels = []
    for page in reader.pages:
        match = LABEL.search(page.extract_text())
        labels.append(f"{match[1]}/{match[2]}" if match else "-")
    return labels


def expected_labels(parts: list) -> list[str]:
    labels: list[str] = []
    for part in parts:
        if isinstance(part, Blank):
            labels += ["-"] * part.page_count
        else:
            labels += [f"{part.source.name}/{index + 1}" for index in part.indexes]
    return labels


def assert_sound(pdf: Path | bytes, pages: int) -> None:
    """qpdf finds nothing to complain about, and pdfium opens and renders it."""
    data = pdf.read_bytes() if isinstance(pdf, Path) else pdf
    with pikepdf.open(io.BytesIO(data)) as opened:
        assert opened.check_pdf_syntax() == []
        assert len(opened.pages) == pages
    document = pdfium.PdfDocument(data)
    try:
        assert len(document) == pages
        document[pages - 1].render(scale=0.1)
    finally:
        document.close()


@pytest.fixture(scope="module")
def source_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Unit documents U2, U3 and general attachments A1, A2, A3 (the digit: page count)."""
    folder = tmp_path_factory.mktemp("sources")
    files = {}
    for label in ("U2", "U3", "A1", "A2", "A3"):
        files[label] = folder / f"{label}.pdf"
        files[label].write_bytes(labelled_letter(label, int(label[1])))
    return files


@pytest.fixture(scope="module")
def sources(source_files: dict[str, Path]) -> Iterator[dict[str, PdfSource]]:
    opened = {label: PdfSource(path, name=label) for label, path in source_files.items()}
    yield opened
    for source in opened.values():
        source.close()


# --- duplex padding (a rule: property tests) -------------------------------------------------


# (page count, kind): blank parts and page ranges of the 3-page attachment
PART_SHAPES = st.lists(
    st.tuples(st.integers(1, 3), st.sampled_from(["blank", "pages"])), max_size=12
)


def build_parts(shapes: list[tuple[int, str]], sources: dict[str, PdfSource]) -> list:
    return [
        Blank(count) if kind == "blank" else Pages(sources["A3"], 0, count - 1)
        for count, kind in shapes
    ]


def inserted_blanks(padded: list, parts: list) -> list[int]:
    """Positions of the blanks pad_for_duplex added (not the caller's own parts)."""
    return [i for i, part in enumerate(padded) if not any(part is given for given in parts)]


@given(PART_SHAPES)
def test_padding_never_changes_the_order_of_pages(sources, shapes) -> None:
    parts = build_parts(shapes, sources)
    padded = pad_for_duplex(parts)
    kept = [part for i, part in enumerate(padded) if i not in inserted_blanks(padded, parts)]
    assert len(kept) == len(parts) and all(a is b for a, b in zip(kept, parts))
    assert all(padded[i] is BLANK for i in inserted_blanks(padded, parts))


@given(PART_SHAPES)
def test_every_padded_part_has_an_even_page_count(sources, shapes) -> None:
    parts = build_parts(shapes, sources)
    padded = pad_for_duplex(parts)
    blanks = set(inserted_blanks(padded, parts))
    for i, part in enumerate(padded):
        if i not in blanks:
            with_padding = part.page_count + (1 if i + 1 in blanks else 0)
            assert with_padding % 2 == 0


@given(PART_SHAPES)
def test_no_blank_is_added_to_even_parts(sources, shapes) -> None:
    parts = build_parts(shapes, sources)
    padded = pad_for_duplex(parts)
    blanks = inserted_blanks(padded, parts)
    assert all(padded[i - 1].page_count % 2 == 1 for i in blanks)
    assert len(blanks) == sum(part.page_count % 2 for part in parts)


def test_padding_works_on_real_parts(sources: dict[str, PdfSource]) -> None:
    u3, a2, a3 = Pages(sources["U3"]), Pages(sources["A2"]), Pages(sources["A3"])
    assert pad_for_duplex([u3, a2, a3]) == [u3, BLANK, a2, a3, BLANK]


# --- one print file ------------------------------------------------------------------------


def test_print_file_has_every_page_in_order_with_blanks_after_odd_parts(
    sources: dict[str, PdfSource], tmp_path: Path
) -> None:
    parts = pad_for_duplex([Pages(sources["U3"]), Pages(sources["A2"]), Pages(sources["A3"])])
    written = write_pdf(parts, tmp_path / "letter.pdf", title="Brief an Anna Müller")

    assert written.pages == 10
    assert page_labels(tmp_path / "letter.pdf") == [
        "U3/1",
        "U3/2",
        "U3/3",
        "-",
        "A2/1",
        "A2/2",
        "A3/1",
        "A3/2",
        "A3/3",
        "-",
    ]
    assert_sound(tmp_path / "letter.pdf", 10)
    with pikepdf.open(tmp_path / "letter.pdf") as pdf:
        assert pdf.docinfo["/Title"] == "Brief an Anna Müller"
        assert pdf.docinfo["/Producer"] == "briefwerk"


def test_blank_pages_are_empty_a4_without_a_content_stream(
    sources: dict[str, PdfSource], tmp_path: Path
) -> None:
    write_pdf([Pages(sources["A1"]), Blank(2)], tmp_path / "blank.pdf")
    with pikepdf.open(tmp_path / "blank.pdf") as pdf:
        for page in pdf.pages[1:]:
            assert list(page.obj.MediaBox) == A4_BOX
            assert "/Contents" not in page.obj
            assert dict(page.obj.Resources) == {}


def test_page_ranges_copy_just_those_pages(sources: dict[str, PdfSource]) -> None:
    target = io.BytesIO()
    write_pdf([Pages(sources["A3"], 1, 2), Pages(sources["U3"], 0, 0)], target)
    assert page_labels(target.getvalue()) == ["A3/2", "A3/3", "U3/1"]


def test_impossible_page_ranges_are_refused(sources: dict[str, PdfSource]) -> None:
    for first, last in [(3, None), (2, 1), (-1, 0), (0, 3)]:
        with pytest.raises(ValueError, match="A3"):
            Pages(sources["A3"], first, last)
    with pytest.raises(ValueError):
        write_pdf([], io.BytesIO())


@settings(max_examples=15, deadline=None)
@given(st.data())
def test_any_sequence_of_parts_comes_out_in_order(sources, data) -> None:
    parts = []
    for label in data.draw(
        st.lists(st.sampled_from(["U2", "U3", "A1", "A3", "-"]), min_size=1, max_size=5)
    ):
        if label == "-":
            parts.append(Blank(data.draw(st.integers(1, 2))))
            continue
        count = sources[label].page_count
        first = data.draw(st.integers(0, count - 1))
        parts.append(Pages(sources[label], first, data.draw(st.integers(first, count - 1))))
    target = io.BytesIO()
    written = write_pdf(pad_for_duplex(parts), target)
    assert page_labels(target.getvalue()) == expected_labels(pad_for_duplex(parts))
    assert written.pages % 2 == 0


def test_reported_size_and_sha256_are_the_files(
    sources: dict[str, PdfSource], tmp_path: Path
) -> None:
    parts = [Pages(sources["U2"]), Pages(sources["A1"])]
    written = write_pdf(parts, tmp_path / "letter.pdf")
    data = (tmp_path / "letter.pdf").read_bytes()
    assert written.size == len(data)
    assert written.sha256 == hashlib.sha256(data).hexdigest()

    in_memory = io.BytesIO()
    assert write_pdf(parts, in_memory) == written  # same parts, same bytes
    assert in_memory.getvalue() == data


def test_a_small_cache_changes_nothing_but_speed(tmp_path: Path) -> None:
    data = labelled_letter("A3", 3)
    with PdfSource(data, "A3") as cached, PdfSource(data, "A3", cache_bytes=500) as starved:
        first = write_pdf([Pages(cached), Pages(cached)], io.BytesIO())
        second = write_pdf([Pages(starved), Pages(starved)], io.BytesIO())
    assert first == second


# --- sources that need care ------------------------------------------------------------------


def inherited_attributes_pdf() -> bytes:
    """Three pages under a middle /Pages node that holds their /Resources and /Rotate, under a
    root that holds their /MediaBox: nothing on the pages themselves."""
    pdf = pikepdf.open(io.BytesIO(labelled_letter("I3", 3)))
    root = pdf.Root.Pages
    kids = list(root.Kids)
    middle = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Pages,
            Kids=pikepdf.Array(kids),
            Count=len(kids),
            Parent=root,
            Resources=kids[0].Resources,
            Rotate=90,
        )
    )
    root.MediaBox = pikepdf.Array([0, 0, 420, 595])
    root.Kids = pikepdf.Array([middle])
    for page in kids:
        page.Parent = middle
        for key in ("/Resources", "/MediaBox", "/Rotate"):
            del page[key]
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_inherited_attributes_are_put_on_each_page() -> None:
    data = inherited_attributes_pdf()
    assert data.count(b"/MediaBox") == data.count(b"/Resources") == 1  # on the nodes only

    target = io.BytesIO()
    with PdfSource(data, "I3") as source:
        write_pdf([Pages(source, 1, 2), Pages(source, 0, 0)], target)

    assert page_labels(target.getvalue()) == ["I3/2", "I3/3", "I3/1"]  # fonts found: text reads
    with pikepdf.open(io.BytesIO(target.getvalue())) as pdf:
        for page in pdf.pages:
            assert list(page.obj.MediaBox) == [0, 0, 420, 595]
            assert page.obj.Rotate == 90
            assert "/Font" in page.obj.Resources
            assert "/Trans" not in page.obj  # reportlab's empty /Trans is dropped
    assert_sound(target.getvalue(), 3)


def test_annotations_are_left_out_and_do_not_drag_in_their_source_pages() -> None:
    """A letter carries no annotations (links, scripts, launch actions): what is printed or
    published is pages and what they show. Nor does a link's /P or destination, pointing at
    pages of the source, bring the source's page tree along."""
    pdf = pikepdf.open(io.BytesIO(labelled_letter("L3", 3)))
    first, last = pdf.pages[0].obj, pdf.pages[2].obj
    link = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Link,
            Rect=pikepdf.Array([50, 50, 150, 70]),
            P=first,
            Dest=pikepdf.Array([last, pikepdf.Name.Fit]),
            Border=pikepdf.Array([0, 0, 0]),
            Contents=pikepdf.String("siehe 4 0 R (Anlage) \\ 5 0 R"),
        )
    )
    first.Annots = pdf.make_indirect(pikepdf.Array([link]))
    data = io.BytesIO()
    pdf.save(data)

    target = io.BytesIO()
    with PdfSource(data.getvalue(), "L3") as source:
        write_pdf([Pages(source, 0, 0)], target)

    with pikepdf.open(io.BytesIO(target.getvalue())) as out:
        page_objects = [
            obj
            for obj in out.objects
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == pikepdf.Name.Page
        ]
        assert len(page_objects) == 1
        assert "/Annots" not in out.pages[0].obj
        assert not any(isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == pikepdf.Name.Annot
                       for obj in out.objects)
    assert_sound(target.getvalue(), 1)


def test_a_source_with_object_streams_copies_like_any_other() -> None:
    pdf = pikepdf.open(io.BytesIO(labelled_letter("O3", 3)))
    data = io.BytesIO()
    pdf.save(data, object_stream_mode=pikepdf.ObjectStreamMode.generate, min_version="1.5")
    assert b"/ObjStm" in data.getvalue()

    target = io.BytesIO()
    with PdfSource(data.getvalue(), "O3") as source:
        write_pdf([Pages(source, 2, 2), Pages(source, 0, 1)], target)
    assert page_labels(target.getvalue()) == ["O3/3", "O3/1", "O3/2"]
    assert_sound(target.getvalue(), 3)


@pytest.mark.parametrize("user_password", ["", "geheim"])
def test_an_encrypted_source_is_refused_by_name(user_password: str) -> None:
    pdf = pikepdf.open(io.BytesIO(labelled_letter("E1", 1)))
    data = io.BytesIO()
    pdf.save(data, encryption=pikepdf.Encryption(owner="owner", user=user_password))
    with pytest.raises(SourceRefused, match="Anlage.pdf is encrypted or password-protected"):
        PdfSource(data.getvalue(), "Anlage.pdf")


def test_a_damaged_source_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "kaputt.pdf").write_bytes(b"%PDF-1.4\nthis is no PDF at all\n")
    with pytest.raises(SourceRefused, match="kaputt.pdf cannot be read"):
        PdfSource(tmp_path / "kaputt.pdf")


# --- the combined file -------------------------------------------------------------------------


def test_combined_file_holds_each_attachment_once(
    sources: dict[str, PdfSource], tmp_path: Path
) -> None:
    units = [sources["U2"], sources["U3"], sources["U2"], sources["U3"], sources["U3"]]
    attachments = [Pages(sources["A2"]), Pages(sources["A3"])]
    letters = [pad_for_duplex([Pages(unit), *attachments]) for unit in units]

    with CombinedPdfWriter(tmp_path / "all.pdf", title="Serienbrief") as writer:
        ranges = [writer.add(parts) for parts in letters]
    written = writer.close()

    assert [(r.start, r.stop) for r in ranges] == [(0, 8), (8, 18), (18, 26), (26, 36), (36, 46)]
    assert written.pages == 46
    labels = page_labels(tmp_path / "all.pdf")
    assert labels == [label for parts in letters for label in expected_labels(parts)]
    assert_sound(tmp_path / "all.pdf", 46)

    with pikepdf.open(tmp_path / "all.pdf") as pdf:
        shared = {
            "A2": {pdf.pages[i].obj.Contents.objgen for i, label in enumerate(labels) if label[:2] == "A2"},
            "A3": {pdf.pages[i].obj.Contents.objgen for i, label in enumerate(labels) if label[:2] == "A3"},
        }
        assert {name: len(streams) for name, streams in shared.items()} == {"A2": 2, "A3": 3}
        page_objects = {pdf.pages[i].obj.objgen for i in range(46)}
        assert len(page_objects) == 46  # a page object of its own for every page

    print_files = sum(
        write_pdf(parts, tmp_path / f"letter{number}.pdf").size
        for number, parts in enumerate(letters)
    )
    attachment_size = write_pdf(attachments, io.BytesIO()).size
    assert written.size < print_files - 3.5 * attachment_size


def test_combined_file_streams_a_deep_page_tree(
    sources: dict[str, PdfSource], tmp_path: Path
) -> None:
    """More pages than one /Pages node holds: the tree gets a second level."""
    with CombinedPdfWriter(tmp_path / "many.pdf") as writer:
        for _ in range(50):
            writer.add([Pages(sources["A1"]), BLANK])
    assert writer.close().pages == 100
    with pikepdf.open(tmp_path / "many.pdf") as pdf:
        assert len(pdf.Root.Pages.Kids) == 2
        assert pdf.Root.Pages.Count == 100
    labels = page_labels(tmp_path / "many.pdf")
    assert labels == ["A1/1", "-"] * 50
    assert_sound(tmp_path / "many.pdf", 100)


def test_catalog_extras_can_add_objects(sources: dict[str, PdfSource]) -> None:
    """The way in for PDF/A: XMP metadata as an extra object named in the catalog."""
    xmp = b"<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?><x:xmpmeta xmlns:x='adobe:ns:meta/'/>"

    def metadata(writer: CombinedPdfWriter) -> dict[str, bytes]:
        number = writer.add_object(
            b"<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n%s\nendstream"
            % (len(xmp), xmp)
        )
        return {"/Metadata": b"%d 0 R" % number}

    target = io.BytesIO()
    with CombinedPdfWriter(target, catalog_extras=metadata) as writer:
        writer.add([Pages(sources["A1"])])
    with pikepdf.open(io.BytesIO(target.getvalue())) as pdf:
        assert pdf.Root.Metadata.read_bytes() == xmp


def test_a_failed_letter_leaves_no_half_file(sources: dict[str, PdfSource], tmp_path: Path) -> None:
    closed = PdfSource(labelled_letter("X1", 1), "X1")
    parts = [Pages(sources["A1"]), Pages(closed)]
    closed.close()
    with pytest.raises(ValueError, match="X1 is closed"):
        write_pdf(parts, tmp_path / "broken.pdf")
    assert not (tmp_path / "broken.pdf").exists()

    writer = CombinedPdfWriter(tmp_path / "all.pdf")
    writer.add([Pages(sources["A1"])])
    with pytest.raises(ValueError, match="X1 is closed"):
        writer.add(parts)
    with pytest.raises(ValueError, match="failed half-way"):
        writer.add([Pages(sources["A1"])])
    with pytest.raises(ValueError, match="failed half-way"):
        writer.close()
    assert not (tmp_path / "all.pdf").exists()


@pytest.mark.skipif(shutil.which("gs") is None, reason="Ghostscript (gs) is not installed")
def test_ghostscript_renders_print_and_combined_files_without_warnings(
    sources: dict[str, PdfSource], tmp_path: Path
) -> None:
    parts = pad_for_duplex([Pages(sources["U3"]), Pages(sources["A1"])])
    write_pdf(parts, tmp_path / "letter.pdf")
    with CombinedPdfWriter(tmp_path / "all.pdf") as writer:
        writer.add(parts)
        writer.add(parts)
    for name in ("letter.pdf", "all.pdf"):
        run = subprocess.run(
            [
                "gs",
                "-q",
                "-dNOPAUSE",
                "-dBATCH",
                "-o",
                "/dev/null",
                "-sDEVICE=nullpage",
                str(tmp_path / name),
            ],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 0, run.stderr
        assert (run.stdout + run.stderr).strip() == ""


# --- many print files in worker processes -------------------------------------------------------


def test_print_files_from_jobs_in_two_processes(
    source_files: dict[str, Path], tmp_path: Path
) -> None:
    attachments = (FilePages(source_files["A2"]), FilePages(source_files["A3"], 2, 2))
    jobs = [
        PrintJob(
            (FilePages(source_files[unit]), *attachments),
            tmp_path / f"{n}.pdf",
            title=f"Brief {n}",
            duplex=True,
        )
        for n, unit in enumerate(["U2", "U3", "U3", "U2", "U3"])
    ]
    written = write_print_files(jobs, workers=2, batch_size=2)
    in_one_process = write_print_files(jobs, workers=1)

    assert written == in_one_process
    for job, result in zip(jobs, written, strict=True):
        unit = job.parts[0].path.stem
        blank = ["-"] if unit == "U3" else []
        expected = [f"{unit}/{page}" for page in range(1, int(unit[1]) + 1)] + blank
        expected += ["A2/1", "A2/2", "A3/3", "-"]
        assert page_labels(job.target) == expected
        assert result.pages == len(expected)
        assert result.sha256 == hashlib.sha256(job.target.read_bytes()).hexdigest()


def test_combined_file_from_file_references(source_files: dict[str, Path], tmp_path: Path) -> None:
    """The picklable way to the same file: paths instead of open sources."""
    attachments = [FilePages(source_files["A2"]), FilePages(source_files["A3"])]
    letters = [[FilePages(source_files[unit]), *attachments] for unit in ["U3", "U2", "U3"]]
    written = write_combined_pdf(letters, tmp_path / "all.pdf", title="Serienbrief", duplex=True)

    opened_sources = {label: PdfSource(source_files[label]) for label in ("U2", "U3", "A2", "A3")}
    opened = io.BytesIO()
    with CombinedPdfWriter(opened, title="Serienbrief") as writer:
        for unit in ["U3", "U2", "U3"]:
            parts = [Pages(opened_sources[label]) for label in (unit, "A2", "A3")]
            writer.add(pad_for_duplex(parts))
    for source in opened_sources.values():
        source.close()
    assert written == writer.close()
    assert (tmp_path / "all.pdf").read_bytes() == opened.getvalue()
    assert page_labels(tmp_path / "all.pdf")[:10] == [
        "U3/1", "U3/2", "U3/3", "-", "A2/1", "A2/2", "A3/1", "A3/2", "A3/3", "-",
    ]  # fmt: skip
