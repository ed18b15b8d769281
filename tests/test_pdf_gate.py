"""The gate every PDF from outside passes: other projects' test files with their expected
outcome, and hand-made attacks, each a clear refusal in words — never a traceback, and never the
memory of the process that asked."""

from __future__ import annotations

import io
import json
import zlib
from pathlib import Path

import pikepdf
import pytest

from domain.errors import InvalidInput
from domain.pdf import gate
from domain.pdf.gate import PdfLimits, check_pdf
from tests.factories import attachment, letter_with_content, zeros_packed

CORPUS = Path(__file__).parent / "corpus"
EXPECTED = json.loads((CORPUS / "expected.json").read_text())
LIMITS = PdfLimits()


def outcome(path: Path, tmp_path: Path, limits: PdfLimits = LIMITS) -> str:
    try:
        checked = check_pdf(path, path.name, 256 << 20, limits, tmp_path / "decrypted.pdf")
    except InvalidInput as refusal:
        text = refusal.render("de")
        assert path.name in text and "Traceback" not in text
        return refusal.message.key
    return "decrypted" if checked.decrypted else "accepted"


def rss_mb(pid: int | str = "self", field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024
    return 0


def test_the_corpus_is_complete() -> None:
    assert sorted(str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*.pdf")) == sorted(EXPECTED)
    assert len(EXPECTED) >= 50


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_other_projects_test_files(name: str, tmp_path: Path) -> None:
    before = rss_mb()
    assert outcome(CORPUS / name, tmp_path) == EXPECTED[name]
    assert rss_mb() - before < 50  # the file was opened in the worker, not here
    for worker in gate._GATE._pool._processes:
        assert rss_mb(worker, "VmHWM") <= LIMITS.memory_mb
    if EXPECTED[name] == "decrypted":
        with pikepdf.open(tmp_path / "decrypted.pdf") as pdf:
            assert not pdf.is_encrypted


def letter(tmp_path: Path, edit, name: str = "angriff.pdf") -> Path:
    pdf = pikepdf.open(io.BytesIO(attachment(1)))
    edit(pdf)
    path = tmp_path / name
    pdf.save(path)
    return path


def bomb(tmp_path: Path, gib: int = 1) -> Path:
    """A page whose content stream is 1 GiB of zeros, about 1 MB compressed."""
    path = tmp_path / "bombe.pdf"
    path.write_bytes(letter_with_content(zeros_packed(gib), ["/FlateDecode"]))
    assert path.stat().st_size < 4 << 20
    return path


def test_a_decompression_bomb_costs_a_refusal_not_the_memory(tmp_path: Path) -> None:
    path = bomb(tmp_path)
    before = rss_mb()
    assert outcome(path, tmp_path) in ("pdf.stream_too_large", "pdf.too_much_memory")
    assert rss_mb() - before < 50  # the asking process never unpacked it
    worker = next(iter(gate._GATE._pool._processes))
    assert rss_mb(worker, "VmHWM") <= LIMITS.memory_mb


@pytest.mark.parametrize(("points", "key"), [(14_400, "pdf.page_too_large"), (200_000, "pdf.page_too_large")])
def test_giant_pages_are_refused_naming_the_page(tmp_path: Path, points: int, key: str) -> None:
    path = letter(tmp_path, lambda pdf: setattr(pdf.pages[0].obj, "MediaBox", pikepdf.Array([0, 0, points, points])))
    assert outcome(path, tmp_path) == key


def test_a_page_tree_too_deep_or_in_a_circle(tmp_path: Path) -> None:
    def deep(pdf: pikepdf.Pdf) -> None:
        page = pdf.pages[0].obj
        node = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Pages, Kids=pikepdf.Array([page]), Count=1))
        page.Parent = node
        for _ in range(100):
            parent = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Pages, Kids=pikepdf.Array([node]), Count=1))
            node.Parent = parent
            node = parent
        pdf.Root.Pages = node

    assert outcome(letter(tmp_path, deep), tmp_path) == "pdf.too_deep"
    assert outcome(letter(tmp_path, deep), tmp_path, PdfLimits(max_depth=200)) == "pdf.too_deep"  # qpdf's own limit

    def circle(pdf: pikepdf.Pdf) -> None:
        pdf.Root.Pages.Kids.append(pdf.Root.Pages)

    assert outcome(letter(tmp_path, circle, "kreis.pdf"), tmp_path) == "pdf.cyclic"


def test_a_tree_a_little_deeper_than_allowed(tmp_path: Path) -> None:
    def deeper(pdf: pikepdf.Pdf) -> None:
        pdf.Root.Pages = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Pages, Kids=pikepdf.Array([pdf.Root.Pages]), Count=1))

    path = letter(tmp_path, deeper)
    assert outcome(path, tmp_path, PdfLimits(max_depth=2)) == "pdf.too_deep"
    assert outcome(path, tmp_path, PdfLimits(max_depth=3)) == "accepted"


def raw_letter(tmp_path: Path, name: str, data: bytes, filters: list[str]) -> Path:
    path = tmp_path / name
    path.write_bytes(letter_with_content(data, filters))
    return path


def test_a_bomb_packed_twice_is_counted_through_both_layers(tmp_path: Path) -> None:
    path = raw_letter(tmp_path, "doppelt.pdf", zlib.compress(zeros_packed(2), 9), ["/FlateDecode", "/FlateDecode"])
    assert path.stat().st_size < 100 << 10
    assert outcome(path, tmp_path) == "pdf.stream_too_large"


def test_a_bomb_behind_another_filter_meets_the_memory_cap(tmp_path: Path) -> None:
    path = raw_letter(tmp_path, "hex.pdf", zeros_packed(2).hex().encode() + b">", ["/ASCIIHexDecode", "/FlateDecode"])
    limits = PdfLimits(max_stream_mb=4096, max_document_mb=8192)  # only the cap can stop it
    assert outcome(path, tmp_path, limits) == "pdf.too_much_memory"
    assert outcome(tmp_path / "hex.pdf", tmp_path, PdfLimits(max_stream_mb=1)) == "pdf.too_much_memory"


def test_all_streams_together_are_bounded(tmp_path: Path) -> None:
    def three(pdf: pikepdf.Pdf) -> None:
        page = pdf.pages[0].obj
        page.Contents = pikepdf.Array([page.Contents] + [pdf.make_stream(b"0 0 m\n" * 100_000) for _ in range(3)])

    path = letter(tmp_path, three)
    assert outcome(path, tmp_path, PdfLimits(max_document_mb=1)) == "pdf.document_too_large"
    assert outcome(path, tmp_path, PdfLimits(max_document_mb=3)) == "accepted"


def test_pages_without_area_and_boxes_read_differently(tmp_path: Path) -> None:
    flat = letter(tmp_path, lambda pdf: setattr(pdf.pages[0].obj, "MediaBox", pikepdf.Array([0, 0, 0, 0])), "flach.pdf")
    assert outcome(flat, tmp_path) == "pdf.bad_page_size"
    thin = letter(tmp_path, lambda pdf: setattr(pdf.pages[0].obj, "MediaBox", pikepdf.Array([0, 0, 595, 0.5])), "duenn.pdf")
    assert outcome(thin, tmp_path) == "pdf.bad_page_size"
    # pdfium clips the crop box to the media box, qpdf does not: the two would print different pages
    crop = letter(tmp_path, lambda pdf: setattr(pdf.pages[0].obj, "CropBox", pikepdf.Array([0, 0, 1000, 1000])), "crop.pdf")
    assert outcome(crop, tmp_path) == "pdf.sizes_disagree"


def test_pdfium_must_count_the_pages_qpdf_counted(tmp_path: Path) -> None:
    path = tmp_path / "zwei.pdf"
    path.write_bytes(attachment(2))
    a4 = (595.28, 841.89)
    gate._pdfium_agrees(path, [a4, a4], LIMITS)
    with pytest.raises(gate._Refusal) as refusal:
        gate._pdfium_agrees(path, [a4, a4, a4], LIMITS)
    assert refusal.value.key == "pdf.disagree" and refusal.value.facts == {"qpdf": 3, "pdfium": 2}


def test_a_check_that_takes_too_long_is_ended_and_the_next_one_runs(tmp_path: Path) -> None:
    slow = raw_letter(tmp_path, "langsam.pdf", zeros_packed(1).hex().encode() + b">", ["/ASCIIHexDecode", "/FlateDecode"])
    assert outcome(slow, tmp_path, PdfLimits(seconds=0)) == "pdf.too_slow"  # seconds of unpacking, no time given
    path = tmp_path / "brief.pdf"
    path.write_bytes(attachment(1))
    assert outcome(path, tmp_path) == "accepted"


def test_an_image_declaring_ten_billion_pixels(tmp_path: Path) -> None:
    def huge(pdf: pikepdf.Pdf) -> None:
        image = pikepdf.Stream(pdf, b"\xff\xd8\xff\xd9")
        image.Type, image.Subtype, image.Width, image.Height = pikepdf.Name.XObject, pikepdf.Name.Image, 100_000, 100_000
        image.ColorSpace, image.BitsPerComponent, image.Filter = pikepdf.Name.DeviceRGB, 8, pikepdf.Name.DCTDecode
        pdf.pages[0].obj.Resources.XObject = pikepdf.Dictionary(Im0=pdf.make_indirect(image))

    assert outcome(letter(tmp_path, huge), tmp_path) == "pdf.image_too_large"


def test_encryption_and_damage(tmp_path: Path) -> None:
    with pikepdf.open(io.BytesIO(attachment(1))) as pdf:
        pdf.save(tmp_path / "aes.pdf", encryption=pikepdf.Encryption(user="geheim", owner="geheim", R=6))
    assert outcome(tmp_path / "aes.pdf", tmp_path) == "upload.encrypted"
    owner_only = CORPUS / "pypdf" / "encryption-r4-owner-password.pdf"
    with pytest.raises(InvalidInput) as refusal:  # readable, but the caller has nowhere to keep it decrypted
        check_pdf(owner_only, owner_only.name, 256 << 20, LIMITS)
    assert refusal.value.message.key == "upload.encrypted"
    whole = attachment(2)
    (tmp_path / "abgeschnitten.pdf").write_bytes(whole[: len(whole) // 3])
    assert outcome(tmp_path / "abgeschnitten.pdf", tmp_path) == "upload.unreadable"
    (tmp_path / "leer.pdf").write_bytes(b"")
    assert outcome(tmp_path / "leer.pdf", tmp_path) == "upload.empty_file"
    (tmp_path / "bild.pdf").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    assert outcome(tmp_path / "bild.pdf", tmp_path) == "upload.not_pdf"
    (tmp_path / "vorspann.pdf").write_bytes(b"Kopfzeile eines Mailprogramms\n" + whole)
    assert outcome(tmp_path / "vorspann.pdf", tmp_path) == "accepted"  # both libraries read it the same way


def test_page_count_limit(tmp_path: Path) -> None:
    path = tmp_path / "viele.pdf"
    path.write_bytes(attachment(5))
    assert outcome(path, tmp_path, PdfLimits(max_pages=3)) == "pdf.too_many_pages"
