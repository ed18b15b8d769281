"""The front door's use cases on real PDFs and the real schema: a serial letter with its documents
in one step or not at all, uploads that add, conflicts the user decides, ZIPs refused clearly."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from domain.actors import Actor
from domain.errors import InvalidInput, NotAllowed, NotFound
from domain.models import Event, LetterState, Organisation, Property, SerialLetter, SourceDocument, UnitDocument
from domain.pdf.assemble import concatenate
from domain.ports import Ports
from domain.services import documents, intake, release
from domain.split import ByMarker, ByPageCount
from domain.uploads import IntakeLimits, Upload
from tests.factories import a_zip, attachment, batch_for, estate, unit_letter

LIMITS = IntakeLimits()


@pytest.fixture
def found(session: Session, organisation: Organisation):
    return estate(session, organisation)


def staged(tmp_path: Path, name: str, data: bytes) -> Upload:
    path = tmp_path / "in" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return Upload(name, path, len(data))




def plans(labels: list[str]) -> dict[str, bytes]:
    return {f"Wirtschaftsplan_{label.replace(' ', '_')}.pdf": unit_letter(["x"], label, 1, "Wirtschaftsplan")
            for label in labels}


def new_letter(found, tmp_path: Path, **changes) -> intake.NewSerialLetter:
    request = dict(
        property_id=found.prop.id, title="Abrechnung 2025",
        documents=[intake.DocumentUpload("Hausgeldabrechnung", [staged(tmp_path, "batch.pdf", batch_for(found))], ByMarker()),
                   intake.DocumentUpload("Wirtschaftsplan", [staged(tmp_path, "plaene.zip", a_zip(plans(list(found.units))))])],
        attachments=[staged(tmp_path, "Einladung.pdf", attachment(3))])
    request.update(changes)
    return intake.NewSerialLetter(**request)


def stored_files(ports: Ports) -> set[str]:
    root = ports.files.root
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_a_serial_letter_starts_with_all_its_documents(session, ports, clerk, found, tmp_path) -> None:
    serial, outcomes = intake.start_serial_letter(session, ports.files, clerk, new_letter(found, tmp_path), LIMITS)
    assert [len(o.assigned) for o in outcomes] == [4, 4]
    session.expire_all()
    report = intake.split_report(session, clerk, serial.id)
    assert report.complete and report.units == 4
    assert [(u.unit, u.pages) for u in report.types[0].units] == [("WE 01", 2), ("WE 02", 2), ("WE 03", 2), ("WE 04", 2)]
    assert {u.filename for u in report.types[1].units} == set(plans(list(found.units)))
    assert report.attachments == [("Einladung.pdf", 3)]
    doc = session.exec(select(UnitDocument).where(UnitDocument.serial_letter_id == serial.id,
                                                  UnitDocument.unit_id == found.units["WE 03"].id,
                                                  UnitDocument.document_type == "Hausgeldabrechnung")).one()
    pages = PdfReader(ports.files.backend.local_path(doc.path)).pages
    assert len(pages) == 2 and "Einheit: WE 03" in pages[0].extract_text()
    assert list((ports.files.root / "tmp").iterdir()) == []  # staging cleaned


def test_a_failure_halfway_leaves_no_rows_and_no_files(session, ports, clerk, found, tmp_path) -> None:
    before = stored_files(ports)
    broken = intake.DocumentUpload("Wirtschaftsplan", [staged(tmp_path, "kaputt.zip", a_zip(
        {**plans(["WE 01", "WE 02"]), "Wirtschaftsplan_WE_03.pdf": b"%PDF-1.7 kaputt"}))])
    request = new_letter(found, tmp_path)
    with pytest.raises(InvalidInput) as raised:
        intake.start_serial_letter(session, ports.files, clerk,
                                   intake.NewSerialLetter(**{**request.__dict__, "documents": [request.documents[0], broken]}),
                                   LIMITS)
    assert "Wirtschaftsplan_WE_03.pdf" in raised.value.render("de")
    session.expire_all()
    assert session.exec(select(SerialLetter)).all() == []
    assert session.exec(select(SourceDocument)).all() == [] and session.exec(select(UnitDocument)).all() == []
    assert stored_files(ports) == before  # the batch and its unit documents were stored, then removed


def test_refusals_before_anything_is_stored(session, ports, clerk, found, tmp_path, organisation) -> None:
    empty = Property(organisation_id=organisation.id, external_id="LEER", name="Leerstand")
    session.add(empty)
    session.commit()
    with pytest.raises(InvalidInput) as no_units:
        intake.start_serial_letter(session, ports.files, clerk, new_letter(found, tmp_path, property_id=empty.id), LIMITS)
    assert "keine Einheiten" in no_units.value.render("de")
    with pytest.raises(NotFound):
        intake.start_serial_letter(session, ports.files, clerk, new_letter(found, tmp_path, property_id=9999), LIMITS)
    with pytest.raises(InvalidInput) as not_pdf:
        intake.start_serial_letter(session, ports.files, clerk, new_letter(found, tmp_path, attachments=[
            staged(tmp_path, "brief.docx", b"PK\x03\x04 word")]), LIMITS)
    assert "brief.docx ist keine PDF-Datei" in not_pdf.value.render("de")
    with pytest.raises(InvalidInput) as too_big:
        intake.start_serial_letter(session, ports.files, clerk, new_letter(found, tmp_path),
                                   IntakeLimits(file_mb=0))
    assert "größer als 0 MB" in too_big.value.render("de")
    session.expire_all()
    assert session.exec(select(SerialLetter)).all() == []


def test_encrypted_and_empty_pdfs_are_refused_by_name(session, ports, clerk, found, tmp_path) -> None:
    import pikepdf

    locked = tmp_path / "locked.pdf"
    with pikepdf.open(io.BytesIO(attachment(1))) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(owner="geheim", user="geheim", aes=True))
    aes_only_owner = tmp_path / "owner.pdf"
    with pikepdf.open(io.BytesIO(attachment(1))) as pdf:
        pdf.save(aes_only_owner, encryption=pikepdf.Encryption(owner="geheim", user="", aes=True))
    empty = tmp_path / "leer.pdf"
    pikepdf.new().save(empty)
    for path, words in ((locked, "locked.pdf ist verschlüsselt"), (empty, "leer.pdf hat keine Seiten")):
        request = new_letter(found, tmp_path, attachments=[Upload(path.name, path, path.stat().st_size)])
        with pytest.raises(InvalidInput) as raised:
            intake.start_serial_letter(session, ports.files, clerk, request, LIMITS)
        assert words in raised.value.render("de")
    session.expire_all()
    assert session.exec(select(SerialLetter)).all() == []
    # restrictions without a user password (as ERPs set them): accepted, stored decrypted
    request = new_letter(found, tmp_path, attachments=[Upload("owner.pdf", aes_only_owner, aes_only_owner.stat().st_size)])
    serial, _ = intake.start_serial_letter(session, ports.files, clerk, request, LIMITS)
    [stored] = documents.attachments_of(session, serial.id)
    with pikepdf.open(ports.files.local(stored.path)) as pdf:
        assert not pdf.is_encrypted and len(pdf.pages) == 1


def test_a_marker_that_matches_nothing_stores_nothing_and_says_why(session, ports, clerk, found, tmp_path) -> None:
    request = new_letter(found, tmp_path, documents=[intake.DocumentUpload(
        "Hausgeldabrechnung", [staged(tmp_path, "batch.pdf", batch_for(found))], ByMarker(pattern="Objekt: {unit}"))])
    with pytest.raises(InvalidInput) as raised:
        intake.start_serial_letter(session, ports.files, clerk, request, LIMITS)
    assert "Objekt: {unit}" in raised.value.render("de") and "nichts gespeichert" in raised.value.render("de")


def test_same_title_is_found_for_a_warning(session, ports, clerk, found, tmp_path) -> None:
    serial, _ = intake.start_serial_letter(session, ports.files, clerk, new_letter(found, tmp_path), LIMITS)
    assert [s.id for s in intake.same_title(session, clerk, found.prop.id, " abrechnung 2025 ")] == [serial.id]
    assert intake.same_title(session, clerk, found.prop.id, "Abrechnung 2026") == []


def draft_with(session, ports, clerk, found, tmp_path, labels: list[str]) -> SerialLetter:
    request = new_letter(found, tmp_path, documents=[intake.DocumentUpload(
        "Wirtschaftsplan", [staged(tmp_path, "erste.zip", a_zip(plans(labels)))])], attachments=[])
    serial, _ = intake.start_serial_letter(session, ports.files, clerk, request, LIMITS)
    return serial


def documents_of(session: Session, serial: SerialLetter) -> dict[int, str]:
    session.expire_all()
    return {doc.unit_id: doc.sha256 for doc in session.exec(select(UnitDocument).where(UnitDocument.serial_letter_id == serial.id))}


def test_a_later_upload_adds_units(session, ports, clerk, found, tmp_path) -> None:
    serial = draft_with(session, ports, clerk, found, tmp_path, ["WE 01", "WE 02"])
    more = intake.DocumentUpload("Wirtschaftsplan", [staged(tmp_path, "WP_WE_03.pdf", unit_letter(["x"], "WE 03", 1)),
                                                     staged(tmp_path, "WP_WE_04.pdf", unit_letter(["x"], "WE 04", 1))])
    outcome = intake.upload_documents(session, ports.files, clerk, serial.id, more, LIMITS)
    assert [u.unit for u in outcome.assigned] == ["WE 03", "WE 04"]
    assert len(documents_of(session, serial)) == 4
    assert intake.split_report(session, clerk, serial.id).complete


def test_a_unit_named_again_is_the_users_choice(session, ports, clerk, found, tmp_path) -> None:
    serial = draft_with(session, ports, clerk, found, tmp_path, ["WE 01", "WE 02"])
    earlier = documents_of(session, serial)
    again = intake.DocumentUpload("Wirtschaftsplan", [
        staged(tmp_path, "neu_WE_02.pdf", unit_letter(["y"], "WE 02", 2)),
        staged(tmp_path, "neu_WE_03.pdf", unit_letter(["y"], "WE 03", 1))])
    with pytest.raises(intake.UnitsConflict) as asked:
        intake.upload_documents(session, ports.files, clerk, serial.id, again, LIMITS)
    assert asked.value.units == ["WE 02"] and "aus Wirtschaftsplan_WE_02.pdf" in asked.value.render("de")
    assert documents_of(session, serial) == earlier  # nothing changed while asking
    kept = intake.upload_documents(session, ports.files, clerk, serial.id, again, LIMITS, on_conflict=intake.OnConflict.KEEP)
    assert kept.kept == ["WE 02"] and [u.unit for u in kept.assigned] == ["WE 03"]
    assert documents_of(session, serial)[found.units["WE 02"].id] == earlier[found.units["WE 02"].id]
    replaced = intake.upload_documents(session, ports.files, clerk, serial.id, again, LIMITS,
                                       on_conflict=intake.OnConflict.REPLACE)
    assert replaced.replaced == ["WE 02", "WE 03"]
    after = documents_of(session, serial)
    assert after[found.units["WE 02"].id] != earlier[found.units["WE 02"].id]
    assert after[found.units["WE 01"].id] == earlier[found.units["WE 01"].id]


def test_replacing_the_whole_assignment_is_explicit(session, ports, clerk, found, tmp_path) -> None:
    serial = draft_with(session, ports, clerk, found, tmp_path, ["WE 01", "WE 02"])
    only = intake.DocumentUpload("Wirtschaftsplan", [staged(tmp_path, "WP_WE_04.pdf", unit_letter(["x"], "WE 04", 1))])
    intake.upload_documents(session, ports.files, clerk, serial.id, only, LIMITS, mode=intake.Mode.REPLACE)
    assert list(documents_of(session, serial)) == [found.units["WE 04"].id]


def test_two_files_for_one_unit_in_one_upload_are_refused(session, ports, clerk, found, tmp_path) -> None:
    serial = draft_with(session, ports, clerk, found, tmp_path, ["WE 01"])
    twice = intake.DocumentUpload("Wirtschaftsplan", [staged(tmp_path, "a_WE_03.pdf", unit_letter(["x"], "WE 03", 1)),
                                                      staged(tmp_path, "b_WE_3.pdf", unit_letter(["x"], "WE 03", 1))])
    with pytest.raises(InvalidInput) as raised:
        intake.upload_documents(session, ports.files, clerk, serial.id, twice, LIMITS)
    assert "a_WE_03.pdf" in raised.value.render("de") and "b_WE_3.pdf" in raised.value.render("de")
    assert list(documents_of(session, serial)) == [found.units["WE 01"].id]


def test_parts_of_one_batch_are_split_together_and_pages_named_by_file(session, ports, clerk, found, tmp_path) -> None:
    first = concatenate([attachment(1, "Deckblatt"), unit_letter(["x"], "WE 01", 2)])
    second = concatenate([unit_letter(["x"], "WE 02", 1), unit_letter(["x"], "WE 99", 1)])
    request = new_letter(found, tmp_path, documents=[intake.DocumentUpload(
        "Hausgeldabrechnung", [staged(tmp_path, "teil1.pdf", first), staged(tmp_path, "teil2.pdf", second)], ByMarker())])
    serial, [outcome] = intake.start_serial_letter(session, ports.files, clerk, request, LIMITS)
    assert [(u.unit, u.pages) for u in outcome.assigned] == [("WE 01", 2), ("WE 02", 1)]
    lines = [note.message().render("de") for note in intake.split_report(session, clerk, serial.id).types[0].unmatched]
    assert lines[0].startswith("Seite 1 gehört zu keiner Einheit")
    assert lines[1].startswith("Seite 5 (teil2.pdf, S. 2) gehört zu keiner Einheit") and "„WE 99“" in lines[1]


def test_page_count_split_through_the_use_case(session, ports, clerk, found, tmp_path) -> None:
    request = new_letter(found, tmp_path, documents=[intake.DocumentUpload(
        "Hausgeldabrechnung", [staged(tmp_path, "b.pdf", batch_for(found, {"WE 01": 3, "WE 02": 3, "WE 03": 3, "WE 04": 3}))],
        ByPageCount(pages_per_unit=3))])
    _, [outcome] = intake.start_serial_letter(session, ports.files, clerk, request, LIMITS)
    assert [u.pages for u in outcome.assigned] == [3, 3, 3, 3]


@pytest.mark.parametrize(("entries", "words"), [
    ({"WP_WE_01.pdf": b"%PDF", "notiz.txt": b"x"}, "keine PDFs sind: notiz.txt"),
    ({"a/b/WP_WE_01.pdf": b"%PDF"}, "Ordner in Ordnern"),
    ({"../WP_WE_01.pdf": b"%PDF"}, "aus dem Archiv hinausführen: ../WP_WE_01.pdf"),
    ({"x/WP_WE_01.pdf": b"%PDF", "y/WP_WE_02.pdf": b"%PDF"}, "mehrere Ordner"),
])
def test_bad_zips_are_refused_naming_the_entries(session, ports, clerk, found, tmp_path, entries, words) -> None:
    request = new_letter(found, tmp_path, documents=[intake.DocumentUpload(
        "Wirtschaftsplan", [staged(tmp_path, "p.zip", a_zip(entries))])])
    with pytest.raises(InvalidInput) as raised:
        intake.start_serial_letter(session, ports.files, clerk, request, LIMITS)
    assert words in raised.value.render("de")


def test_a_zip_bomb_is_refused_while_unpacking(session, ports, clerk, found, tmp_path) -> None:
    bomb = a_zip({"WP_WE_01.pdf": b"%PDF-1.7\n" + b"\0" * (3 << 20)})
    assert len(bomb) < 50_000
    request = new_letter(found, tmp_path, documents=[intake.DocumentUpload(
        "Wirtschaftsplan", [staged(tmp_path, "bombe.zip", bomb)])])
    with pytest.raises(InvalidInput) as raised:
        intake.start_serial_letter(session, ports.files, clerk, request, IntakeLimits(zip_entry_mb=1))
    assert "bombe.zip: WP_WE_01.pdf ist größer als 1 MB" in raised.value.render("de")
    assert list((ports.files.root / "tmp").iterdir()) == []


def test_system_files_in_a_zip_are_ignored(session, ports, clerk, found, tmp_path) -> None:
    entries = {**plans(["WE 01"]), "__MACOSX/._WP.pdf": b"x", ".DS_Store": b"x"}
    request = new_letter(found, tmp_path, documents=[intake.DocumentUpload(
        "Wirtschaftsplan", [staged(tmp_path, "mac.zip", a_zip(entries))])])
    _, [outcome] = intake.start_serial_letter(session, ports.files, clerk, request, LIMITS)
    assert [u.unit for u in outcome.assigned] == ["WE 01"]


def test_rename_and_delete_a_draft_by_its_creator_or_an_admin(session, ports, clerk, admin, manager, found, tmp_path) -> None:
    serial = draft_with(session, ports, clerk, found, tmp_path, ["WE 01"])
    with pytest.raises(NotAllowed):
        intake.rename_draft(session, manager, serial.id, "Fremd")
    intake.rename_draft(session, clerk, serial.id, "Wirtschaftsplan 2026")
    intake.rename_draft(session, admin, serial.id, "Wirtschaftsplan 2026 (neu)")
    session.expire_all()
    stored = session.get(SerialLetter, serial.id)
    assert stored.title == "Wirtschaftsplan 2026 (neu)"
    assert [e.kind for e in session.exec(select(Event).where(Event.serial_letter_id == serial.id))].count("renamed") == 2
    with pytest.raises(NotAllowed):
        release.delete_serial_letter(session, ports, manager, serial.id)
    release.delete_serial_letter(session, ports, clerk, serial.id)
    session.expire_all()
    assert session.get(SerialLetter, serial.id).state is LetterState.DELETED


def test_find_property_by_the_erp_number_or_our_id(session, clerk, found) -> None:
    assert intake.find_property(session, clerk, "LH12").id == found.prop.id
    assert intake.find_property(session, clerk, str(found.prop.id)).id == found.prop.id
    with pytest.raises(NotFound):
        intake.find_property(session, clerk, "LH99")


def test_another_organisation_cannot_use_a_property(session, ports, found, tmp_path) -> None:
    other = Organisation(name="Andere Hausverwaltung", slack_team_id="T0OTHER")
    session.add(other)
    session.commit()
    from tests.conftest import _staff

    stranger: Actor = _staff(session, other, "U_STRANGER")
    with pytest.raises(NotFound):
        intake.start_serial_letter(session, ports.files, stranger, new_letter(found, tmp_path), LIMITS)


def hostile(label: str) -> bytes:
    """A letter that carries everything a published PDF must not: a script run on opening, page
    actions, a link that launches a program, an embedded file."""
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(unit_letter(["x"], label, 1)))
    script = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('hi')")))
    pdf.Root.OpenAction = script
    page = pdf.pages[0].obj
    page.AA = pikepdf.Dictionary(O=script)
    launch = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe"))
    page.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=pikepdf.Array([0, 0, 50, 50]), A=launch))]))
    pdf.attachments["virus.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ")
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_what_is_stored_and_published_carries_no_actions(session, ports, clerk, found, tmp_path) -> None:
    import pikepdf

    request = new_letter(found, tmp_path, documents=[intake.DocumentUpload(
        "Hausgeldabrechnung", [staged(tmp_path, "b.pdf", concatenate([hostile(label) for label in found.units]))],
        ByMarker())], attachments=[staged(tmp_path, "anhang.pdf", hostile("Anhang"))])
    serial, _ = intake.start_serial_letter(session, ports.files, clerk, request, LIMITS)
    release.release(session, ports, clerk, serial.id, notify=False)
    from domain.models import PortalDocument

    published = [doc.path for doc in session.exec(select(PortalDocument))]
    assert len(published) >= 5
    forbidden_keys = {"/AA", "/OpenAction", "/JS", "/EmbeddedFiles", "/Annots", "/A"}
    forbidden_names = {"/JavaScript", "/Launch"}
    for key in published:
        with pikepdf.open(io.BytesIO(ports.files.read(key))) as pdf:
            assert not pdf.attachments
            for obj in pdf.objects:
                if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                    entries = obj.stream_dict if isinstance(obj, pikepdf.Stream) else obj
                    assert forbidden_keys.isdisjoint(entries.keys()), (key, list(entries.keys()))
                    assert not any(isinstance(v, pikepdf.Name) and str(v) in forbidden_names for v in entries.values())
