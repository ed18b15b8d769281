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
from tests.factories import attachment

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


def letter(tmp_path: Path, edit, name: str = "angriff.pdf") -> Path:  # noqa: ANN001 - a function changing the Pdf
    pdf = pikepdf.open(io.BytesIO(attachment(1)))
    edit(pdf)
    path = tmp_path / name
    pdf.save(path)
    return path


def bomb(tmp_path: Path, gib: int = 1) -> Path:
    """A page whose content stream is 1 GiB of zeros, about 1 MB compressed."""
    packer = zlib.compressobj(9)
    chunk = b"\0" * (64 << 20)
    packed = b"".join(packer.compress(chunk) for _ in range(gib * 16)) + packer.flush()

    def edit(pdf: pikepdf.Pdf) -> None:
        stream = pikepdf.Stream(pdf, packed)
        stream.Filter = pikepdf.Name.FlateDecode
        pdf.pages[0].obj.Contents = pdf.make_indirect(stream)

    path = letter(tmp_path, edit, "bombe.pdf")
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

    assert outcome(letter(tmp_path, deep), tmp_path) in ("pdf.too_deep", "upload.unreadable")

    def circle(pdf: pikepdf.Pdf) -> None:
        pdf.Root.Pages.Kids.append(pdf.Root.Pages)

    assert outcome(letter(tmp_path, circle, "kreis.pdf"), tmp_path) in ("pdf.cyclic", "upload.unreadable")


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
    whole = attachment(2)
    (tmp_path / "abgeschnitten.pdf").write_bytes(whole[: len(whole) // 3])
    assert outcome(tmp_path / "abgeschnitten.pdf", tmp_path) in ("upload.unreadable", "pdf.disagree", "accepted")
    (tmp_path / "bild.pdf").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    assert outcome(tmp_path / "bild.pdf", tmp_path) == "upload.not_pdf"
    (tmp_path / "vorspann.pdf").write_bytes(b"Kopfzeile eines Mailprogramms\n" + whole)
    assert outcome(tmp_path / "vorspann.pdf", tmp_path) == "accepted"  # both libraries read it the same way


def test_page_count_limit(tmp_path: Path) -> None:
    path = tmp_path / "viele.pdf"
    path.write_bytes(attachment(5))
    assert outcome(path, tmp_path, PdfLimits(max_pages=3)) == "pdf.too_many_pages"
