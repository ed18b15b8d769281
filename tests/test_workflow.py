"""The use cases end to end on real PDFs, the real schema and the embedded adapters:
create → upload and split → overview → release with email → dispatch plan → order → cancel → delete."""

from __future__ import annotations

import email
import io
import json
from datetime import datetime
from email import policy
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from domain.actors import Actor
from domain.dispatch import ButtonState
from domain.errors import Conflict, IllegalTransition, InvalidInput, NotAllowed, NotFound
from domain.models import (
    Event,
    Letter,
    LetterState,
    Organisation,
    PortalDocument,
    RecipientGroup,
    SerialLetter,
    Shipment,
    ShipmentState,
    Staff,
)
from domain.ports import Ports, ProviderLetter, ShipmentRequest
from domain.recipients import PaperReason, RecipientFilter
from domain.services import dispatch, documents, intake, release
from domain.split import ByMarker, ByPageCount
from tests.factories import attachment, batch_for, estate, unit_letter


def texts(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture
def found(session: Session, organisation: Organisation):
    return estate(session, organisation)


@pytest.fixture
def serial(session: Session, ports: Ports, clerk: Actor, found) -> SerialLetter:
    """A serial letter to the owners with statements split by marker and a 3-page attachment."""
    created = documents.create_serial_letter(session, clerk, found.prop.id, "Abrechnung 2025", ["Hausgeldabrechnung"])
    result = intake.upload_batch(session, ports.files, clerk, created.id, "Hausgeldabrechnung", "batch.pdf",
                                    batch_for(found), ByMarker())
    assert not result.unmatched and len(result.assigned) == 4, [m.render("en") for m in result.notes()]
    intake.add_attachment(session, ports.files, clerk, created.id, "Einladung.pdf", attachment(3))
    return created


def rows_of(session: Session, serial: SerialLetter) -> list[tuple[str, str]]:
    return [(row.unit.label, row.contact.name) for row in documents.overview_rows(session, serial)]


def test_an_overview_page_counts_what_the_whole_list_holds(session, clerk, found, serial) -> None:
    clara = next(row for row in documents.overview_rows(session, serial) if row.contact.name == "Clara Groß")
    letter = session.get(Letter, clara.letter_id)
    letter.downloads = 2
    session.add(letter)
    session.commit()
    every = documents.overview_rows(session, serial)
    for page in range(3):
        shown = documents.overview_page(session, clerk, serial.id, page, size=2)
        assert [row.letter_id for row in shown.rows] == [row.letter_id for row in every[page * 2:page * 2 + 2]]
        assert (shown.total_rows, shown.pages) == (len(every), 3)
        assert shown.contacts == len({row.contact.id for row in every}) == 4  # Anna has two units
        assert shown.registered == len({row.contact.id for row in every if row.contact.portal_registered}) == 2
        assert shown.checked == 1


# --- create and documents ---------------------------------------------------------------------


def test_overview_has_a_row_per_contact_and_unit_of_the_chosen_groups(session, clerk, found) -> None:
    owners = documents.create_serial_letter(session, clerk, found.prop.id, "Abrechnung", ["Abrechnung"])
    assert rows_of(session, owners) == [("WE 01", "Anna Schäfer"), ("WE 02", "Anna Schäfer"), ("WE 03", "Bernd Groß"),
                                        ("WE 03", "Clara Groß"), ("WE 04", "Dora Weiß")]
    both = documents.create_serial_letter(session, clerk, found.prop.id, "Info", ["Info"], RecipientGroup.BOTH)
    assert ("WE 01", "Emil Krüger") in rows_of(session, both)
    with pytest.raises(InvalidInput):
        documents.create_serial_letter(session, clerk, found.prop.id, "x", ["A", "A"])


def test_split_assigns_each_unit_its_pages_and_a_new_split_replaces_it(session, ports, clerk, found, serial) -> None:
    parts = documents.unit_document_parts(session, serial)
    assert {found.units[label].id for label in found.units} == set(parts)
    we03 = ports.files.read(parts[found.units["WE 03"].id]["Hausgeldabrechnung"].path)
    assert len(texts(we03)) == 2 and "Einheit: WE 03" in texts(we03)[0] and "Bernd Groß" in texts(we03)[0]
    result = intake.upload_batch(session, ports.files, clerk, serial.id, "Hausgeldabrechnung", "neu.pdf",
                                 batch_for(found, {"WE 01": 3, "WE 02": 3, "WE 03": 3, "WE 04": 3}), ByPageCount(pages_per_unit=3),
                                 mode=intake.Mode.REPLACE)
    assert len(result.assigned) == 4
    parts = documents.unit_document_parts(session, serial)
    assert all(by_type["Hausgeldabrechnung"].page_count == 3 for by_type in parts.values())


def test_unmatched_pages_and_units_without_documents_are_reported(session, ports, clerk, found) -> None:
    created = documents.create_serial_letter(session, clerk, found.prop.id, "Abrechnung", ["Hausgeldabrechnung"])
    from domain.pdf.assemble import concatenate

    pdf = concatenate([attachment(1, "Deckblatt"), unit_letter(["Anna Schäfer"], "WE 01", 1),
                       unit_letter(["Bernd Groß"], "WE 99", 1)])
    result = intake.upload_batch(session, ports.files, clerk, created.id, "Hausgeldabrechnung", "b.pdf", pdf, ByMarker())
    report = [line.render("de") for line in result.notes()]
    assert any(line.startswith("Seite 1 gehört zu keiner Einheit") for line in report)
    assert any("„WE 99“" in line for line in report)
    stored = intake.split_report(session, clerk, created.id)
    assert stored.types[0].missing == ["WE 02", "WE 03", "WE 04"]
    assert [note.page for note in stored.types[0].unmatched] == [1, 3]


def test_one_file_per_unit_and_broken_uploads(session, ports, clerk, found) -> None:
    created = documents.create_serial_letter(session, clerk, found.prop.id, "Plan", ["Wirtschaftsplan"])
    files = {f"Wirtschaftsplan_{label.replace(' ', '_')}.pdf": unit_letter(["x"], label, 1) for label in ["WE 01", "WE 03"]}
    files["Sonstiges.pdf"] = unit_letter(["x"], "?", 1)
    result = intake.upload_unit_files(session, ports.files, clerk, created.id, "Wirtschaftsplan", files)
    assert len(result.assigned) == 2 and [name for name, _ in result.rejected_files] == ["Sonstiges.pdf"]
    with pytest.raises(InvalidInput) as raised:
        intake.add_attachment(session, ports.files, clerk, created.id, "kaputt.pdf", b"%PDF-1.7 broken")
    assert "kaputt.pdf" in raised.value.render("de")
    with pytest.raises(InvalidInput):
        intake.add_attachment(session, ports.files, clerk, created.id, "bild.png", b"\x89PNG")


# --- release ----------------------------------------------------------------------------------


def test_release_publishes_every_unit_and_emails_registered_contacts_only(session, ports, clerk, found, serial, home) -> None:
    result = release.release(session, ports, clerk, serial.id, notify=True)
    assert (result.units, result.contacts, result.emailed) == (4, 4, 2)  # Anna and Bernd are registered
    visible = session.exec(select(PortalDocument).where(PortalDocument.unit_id == found.units["WE 03"].id)).all()
    assert [doc.title for doc in visible] == ["Abrechnung 2025 – Hausgeldabrechnung", "Einladung.pdf"]
    mails = [email.message_from_bytes(path.read_bytes(), policy=policy.default) for path in (home / "mail").glob("*.eml")]
    assert sorted(str(m["To"]) for m in mails) == ["Anna Schäfer <anna@example.de>", "Bernd Groß <bernd@example.de>"]
    anna = next(m for m in mails if "anna" in str(m["To"]))
    assert anna["Subject"] == "Neue Dokumente im Kundenportal: Abrechnung 2025"
    assert "Guten Tag Anna Schäfer" in anna.get_content()
    assert session.get(SerialLetter, serial.id).state is LetterState.RELEASED


def test_a_malformed_address_is_reported_and_the_rest_still_mailed(session, ports, clerk, found) -> None:
    created = documents.create_serial_letter(session, clerk, found.prop.id, "Info", ["Info"], RecipientGroup.BOTH)
    from domain.pdf.assemble import concatenate

    pdf = concatenate([unit_letter(["x"], label, 1) for label in found.units])
    intake.upload_batch(session, ports.files, clerk, created.id, "Info", "i.pdf", pdf, ByMarker())
    result = release.release(session, ports, clerk, created.id, notify=True)
    assert result.emailed == 2 and [name for name, _ in result.email_failures] == ["Emil Krüger"]
    assert "emil(at)example.de" in result.email_failures[0][1]


def test_withdraw_per_unit_then_delete_removes_everything(session, ports, clerk, admin, found, serial) -> None:
    release.release(session, ports, clerk, serial.id, notify=False)
    removed = release.unrelease_unit(session, ports, clerk, serial.id, found.units["WE 01"].id)
    assert removed == 2
    assert session.exec(select(PortalDocument).where(PortalDocument.unit_id == found.units["WE 01"].id)).all() == []
    with pytest.raises(Conflict):
        release.unrelease_unit(session, ports, clerk, serial.id, found.units["WE 01"].id)
    with pytest.raises(NotAllowed) as refused:
        release.delete_serial_letter(session, ports, clerk, serial.id)
    assert "Administration" in refused.value.render("de")
    release.delete_serial_letter(session, ports, admin, serial.id)
    assert session.exec(select(PortalDocument)).all() == []
    assert session.get(SerialLetter, serial.id).state is LetterState.DELETED
    with pytest.raises(IllegalTransition):
        release.release(session, ports, clerk, serial.id, notify=False)


def test_withdrawing_the_last_unit_makes_it_a_draft_again(session, ports, clerk, found, serial) -> None:
    release.release(session, ports, clerk, serial.id, notify=False)
    for unit in found.units.values():
        release.unrelease_unit(session, ports, clerk, serial.id, unit.id)
    assert session.get(SerialLetter, serial.id).state is LetterState.DRAFT


def test_another_organisation_sees_nothing(session, ports, serial) -> None:
    other = Organisation(name="Andere HV")
    session.add(other)
    session.commit()
    staff = Staff(organisation_id=other.id, slack_user_id="U_OTHER", is_admin=True)
    session.add(staff)
    session.commit()
    with pytest.raises(NotFound):
        release.release(session, ports, Actor.of(staff), serial.id, notify=False)


# --- dispatch ---------------------------------------------------------------------------------


def configure(session, ports, clerk, serial, **changes):
    return dispatch.configure_dispatch(session, ports, clerk, serial.id, changes)


def test_by_preference_with_duplex_optimisation_and_cover_sheet(session, ports, clerk, found, serial) -> None:
    release.release(session, ports, clerk, serial.id, notify=False)
    summary = configure(session, ports, clerk, serial, filter=RecipientFilter.BY_PREFERENCE, duplex=True, optimise_duplex=True)
    decisions = summary.plan.decisions
    c = found.contacts
    assert decisions[c["anna"].id].reason is PaperReason.REGISTERED_PREFERS_ONLINE
    assert decisions[c["bernd"].id].reason is PaperReason.REGISTERED_PREFERS_LETTER
    assert decisions[c["clara"].id].reason is PaperReason.NOT_REGISTERED
    assert decisions[c["dora"].id].reason is PaperReason.NO_POSTAL_ADDRESS
    letters = {letter.contact.name: letter for letter in summary.plan.letters}
    assert set(letters) == {"Bernd Groß", "Clara Groß"}
    # Bernd: statement (2) + invitation (3) + blank; Clara: her cover sheet and its back first
    assert (letters["Bernd Groß"].pages, letters["Bernd Groß"].blank_pages, letters["Bernd Groß"].cover) == (6, 1, False)
    assert (letters["Clara Groß"].pages, letters["Clara Groß"].blank_pages, letters["Clara Groß"].cover) == (8, 2, True)
    assert summary.plan.sheets == 3 + 4
    assert summary.button is ButtonState.GREEN


def test_merge_puts_all_units_in_one_letter_with_attachments_once(session, ports, clerk, found, serial) -> None:
    release.release(session, ports, clerk, serial.id, notify=False)
    summary = configure(session, ports, clerk, serial, filter=RecipientFilter.ALL, merge=True)
    anna = next(letter for letter in summary.plan.letters if letter.contact.name == "Anna Schäfer")
    assert anna.unit_labels == ("WE 01", "WE 02") and len(anna.attachments) == 1
    assert anna.pages == 2 + 2 + 3
    unmerged = configure(session, ports, clerk, serial, merge=False)
    assert sum(1 for letter in unmerged.plan.letters if letter.contact.name == "Anna Schäfer") == 2


def test_the_print_file_download_is_exactly_what_would_be_printed(session, ports, clerk, found, serial) -> None:
    configure(session, ports, clerk, serial, duplex=True, optimise_duplex=True)
    clara_row = next(row for row in documents.overview_rows(session, serial) if row.contact.name == "Clara Groß")
    name, pdf = dispatch.download_print_file(session, ports, clerk, clara_row.letter_id)
    pages = texts(pdf)
    assert "Clara Groß" in pages[0] and "ÖSTERREICH" in pages[0] and "Bernd" not in pages[0]
    assert pages[1].strip() == ""
    assert "Einheit: WE 03" in pages[2] and "Bernd Groß" in pages[2]
    assert "Einladung" in pages[4] and pages[7].strip() == "" and len(pages) == 8
    _, statement = dispatch.download_document(session, ports, clerk, clara_row.letter_id, "Hausgeldabrechnung")
    assert len(texts(statement)) == 2
    from domain.models import Letter

    assert session.get(Letter, clara_row.letter_id).downloads == 2


def test_registered_mail_abroad_disables_the_button_naming_the_letter(session, ports, clerk, found, serial) -> None:
    release.release(session, ports, clerk, serial.id, notify=False)
    summary = configure(session, ports, clerk, serial, registered=True)
    assert summary.button is ButtonState.DISABLED
    reasons = [reason.render("de") for reason in summary.reasons]
    assert reasons[0].startswith("1 Brief erfüllt")
    assert reasons[1].startswith("Clara Groß (WE 03)") and "Österreich" in reasons[1]
    with pytest.raises(InvalidInput):
        dispatch.order_dispatch(session, ports, clerk, serial.id)
    untick = dispatch.set_ticked(session, ports, clerk, serial.id, found.contacts["clara"].id, ticked=False)
    assert untick.button is ButtonState.GREEN


def test_button_is_yellow_without_a_provider_and_disabled_before_release(session, ports, clerk, organisation, serial) -> None:
    assert dispatch.dispatch_summary(session, ports, clerk, serial.id).button is ButtonState.DISABLED
    organisation.provider = "pingen"
    session.add(organisation)
    session.commit()
    summary = dispatch.dispatch_summary(session, ports, clerk, serial.id)
    assert summary.button is ButtonState.YELLOW
    assert "support@briefwerk.example" in summary.reasons[0].render("de")
    with pytest.raises(InvalidInput):
        configure(session, ports, clerk, serial, registered=True)


def outbox_letters(home: Path) -> list[Path]:
    return sorted(path for path in (home / "outbox").rglob("BW*.pdf") if path.parent.name != "cancelled")


def test_order_hands_over_each_letter_once_and_a_double_click_orders_nothing(session, ports, clerk, found, serial, home) -> None:
    release.release(session, ports, clerk, serial.id, notify=False)
    summary = configure(session, ports, clerk, serial, filter=RecipientFilter.ALL, merge=True)
    version = session.get(SerialLetter, serial.id).version
    order = dispatch.order_dispatch(session, ports, clerk, serial.id, expected_version=version)
    with pytest.raises(Conflict):
        dispatch.order_dispatch(session, ports, clerk, serial.id, expected_version=version)
    outcome = dispatch.run_order(session, ports, order.id)
    assert outcome.submitted == len(summary.plan.letters) == 3  # Anna (merged), Bernd, Clara
    files = outbox_letters(home)
    manifest = json.loads((files[0].parent / "manifest.json").read_text("utf-8"))
    assert manifest["letters"] == 3 and len(files) == 3
    for item in manifest["items"]:
        pdf = (files[0].parent / item["file"]).read_bytes()
        import hashlib

        assert hashlib.sha256(pdf).hexdigest() == item["sha256"]
        assert item["recipient"]["name"] in texts(pdf)[0]
    assert session.get(SerialLetter, serial.id).state is LetterState.WITH_PROVIDER
    again = dispatch.run_order(session, ports, order.id)
    assert again.submitted == 0 and len(outbox_letters(home)) == 3
    kinds = [event.kind for event in session.exec(select(Event).where(Event.serial_letter_id == serial.id))]
    assert kinds.count("shipment_submitted") == 3 and "ordered" in kinds and "with_provider" in kinds


class CrashingProvider:
    """The outbox, but the process dies after the provider accepted `survive` letters."""

    def __init__(self, inner, survive: int) -> None:
        self.inner, self.left = inner, survive
        self.key, self.capabilities = inner.key, inner.capabilities
        self.submits: list[str] = []

    def lookup(self, reference: str, since: datetime | None = None) -> ProviderLetter | None:
        return self.inner.lookup(reference, since)

    def status(self, letter: ProviderLetter) -> ProviderLetter | None:
        return self.inner.status(letter)

    def submit(self, request: ShipmentRequest) -> ProviderLetter:
        if self.left == 0:
            raise SystemExit("crash")
        self.submits.append(request.reference)
        accepted = self.inner.submit(request)
        self.left -= 1
        if self.left == 0:
            raise SystemExit("crash after the provider accepted, before we stored it")
        return accepted

    def cancel(self, letter: ProviderLetter) -> bool:
        return self.inner.cancel(letter)

    def events(self, letter: ProviderLetter) -> list:
        return self.inner.events(letter)

    def finish_order(self, order_key: str) -> None:
        self.inner.finish_order(order_key)

    def price(self, query: object) -> int | None:
        return self.inner.price(query)


def test_a_crash_half_way_never_writes_a_letter_twice(session, ports, clerk, found, serial, home) -> None:
    release.release(session, ports, clerk, serial.id, notify=False)
    configure(session, ports, clerk, serial, filter=RecipientFilter.ALL)
    order = dispatch.order_dispatch(session, ports, clerk, serial.id)
    crashing = CrashingProvider(ports.providers["outbox"], survive=2)
    ports.providers["outbox"] = crashing
    with pytest.raises(SystemExit):
        dispatch.run_order(session, ports, order.id)
    session.rollback()
    ports.providers["outbox"] = crashing.inner
    outcome = dispatch.run_order(session, ports, order.id)
    assert outcome.already_there == 1  # accepted just before the crash: found by reference
    shipments = session.exec(select(Shipment).where(Shipment.order_id == order.id)).all()
    assert all(s.state is ShipmentState.SUBMITTED for s in shipments)
    assert len(outbox_letters(home)) == len(shipments) == 4
    assert len({path.name for path in outbox_letters(home)}) == 4


def test_cancel_takes_letters_back_and_allows_a_new_order(session, ports, clerk, found, serial, home) -> None:
    release.release(session, ports, clerk, serial.id, notify=False)
    order = dispatch.order_dispatch(session, ports, clerk, serial.id)
    dispatch.run_order(session, ports, order.id)
    summary = dispatch.dispatch_summary(session, ports, clerk, serial.id)
    assert summary.button is ButtonState.RED
    outcome = dispatch.cancel_dispatch(session, ports, clerk, serial.id)
    assert outcome.cancelled == 2 and outcome.not_cancellable == []
    assert outbox_letters(home) == []
    assert session.get(SerialLetter, serial.id).state is LetterState.CANCELLED
    assert dispatch.dispatch_summary(session, ports, clerk, serial.id).button is ButtonState.GREEN
    with pytest.raises(IllegalTransition):
        dispatch.cancel_dispatch(session, ports, clerk, serial.id)


def test_a_stale_modal_changes_nothing(session, ports, clerk, serial) -> None:
    stale = session.get(SerialLetter, serial.id).version
    configure(session, ports, clerk, serial, merge=True)
    with pytest.raises(Conflict):
        dispatch.configure_dispatch(session, ports, clerk, serial.id, {"merge": False}, expected_version=stale)
    assert dispatch.options_of(session.get(SerialLetter, serial.id)).merge is True


# --- download link (seed step 10) --------------------------------------------------------------


def test_download_link_holds_the_filtered_letters_and_goes_to_the_requester(session, ports, clerk, found, serial, home) -> None:
    from domain.models import DownloadLink
    from domain.services import links

    release.release(session, ports, clerk, serial.id, notify=False)
    configure(session, ports, clerk, serial, filter=RecipientFilter.BY_PREFERENCE, duplex=True)
    result = links.request_download_link(session, ports, clerk, serial.id)
    assert result.letters == 2 and result.pages == 6 + 8  # Bernd; Clara with cover sheet and blanks
    assert result.recipients == ["u_clerk@sonnenschein-hv.de"]
    token = result.url.rsplit("/", 1)[1]
    assert len(token) >= 43  # 256 random bits
    stored = session.exec(select(DownloadLink)).one()
    assert stored.token_sha256 == links.token_hash(token) and token not in stored.path
    pdf = ports.files.read(stored.path)
    assert len(texts(pdf)) == 14 and "Clara Groß" in texts(pdf)[6]
    from domain.pdf.pdfa import validate_pdfa

    assert validate_pdfa(ports.files.backend.local_path(stored.path)) == []  # PDF/A-2b
    mail = email.message_from_bytes(next((home / "mail").glob("*.eml")).read_bytes(), policy=policy.default)
    assert result.url in mail.get_content() and mail["Subject"] == "Download-Link: Abrechnung 2025"


def test_with_manager_approval_only_managers_receive_the_link(session, ports, clerk, manager, organisation, found, serial, home) -> None:
    from domain.services import links

    organisation.manager_approval = True
    session.add(organisation)
    session.commit()
    result = links.request_download_link(session, ports, clerk, serial.id)
    assert result.recipients == ["u_manager@sonnenschein-hv.de"]
    assert [str(m) for m in ports.mailer.sent] and len(list((home / "mail").glob("*.eml"))) == 1


# --- evidence record (Versendungsprotokoll) -------------------------------------------------------


def test_the_evidence_record_proves_what_went_to_whom(session, ports, clerk, found, serial, home) -> None:
    import csv as csvlib
    import hashlib

    from domain.services import evidence

    release.release(session, ports, clerk, serial.id, notify=True)
    configure(session, ports, clerk, serial, filter=RecipientFilter.ALL, merge=True, duplex=True)
    order = dispatch.order_dispatch(session, ports, clerk, serial.id)
    dispatch.run_order(session, ports, order.id)
    record = evidence.evidence_record(session, clerk, serial.id)
    kinds = [h.kind for h in record.timeline]
    assert kinds[:3] == ["created", "documents_uploaded", "attachment_added"]
    assert kinds[3:6] == ["released", "notified", "ordered"]
    assert {letter.recipient for letter in record.letters} == {"Anna Schäfer", "Bernd Groß", "Clara Groß"}
    for letter in record.letters:
        shipment = session.exec(select(Shipment).where(Shipment.reference == letter.reference)).one()
        assert letter.sha256 == hashlib.sha256(ports.files.read(shipment.print_path)).hexdigest()
        assert letter.ordered_by == "U_CLERK" and letter.provider == "outbox" and letter.provider_ref
        assert [e.kind for e in letter.events] == ["shipment_submitted"]
    clara = next(letter for letter in record.letters if letter.recipient == "Clara Groß")
    assert clara.cover_sheet and "ÖSTERREICH" in clara.address and "merge=True" in clara.options
    data = evidence.evidence_csv(record)
    assert data.startswith("\ufeff".encode())
    rows = list(csvlib.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    header = rows.index(evidence.CSV_HEADERS)
    assert len(rows) - header - 1 == 3 and rows[0][2] == "Abrechnung 2025"
    pdf_text = "\n".join(texts(evidence.evidence_pdf(record)))
    assert "Versendungsprotokoll" in pdf_text and clara.reference in pdf_text and clara.sha256[:16] in pdf_text


class RefusingCancels(CrashingProvider):
    """The outbox, but the provider is already printing `printing` and cannot stop it."""

    def __init__(self, inner, printing: set[str], away: bool = False) -> None:
        super().__init__(inner, survive=10**6)
        self.printing, self.away = printing, away

    def cancel(self, letter: ProviderLetter) -> bool:
        from domain.ports import ProviderUnavailable

        if self.away:
            raise ProviderUnavailable("timeout")
        return letter.reference not in self.printing and self.inner.cancel(letter)


def ordered(session, ports, clerk, serial) -> list[Shipment]:
    release.release(session, ports, clerk, serial.id, notify=False)
    order = dispatch.order_dispatch(session, ports, clerk, serial.id)
    dispatch.run_order(session, ports, order.id)
    return list(session.exec(select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id)))


def test_a_partial_cancel_names_the_letters_still_going_and_a_new_order_never_repeats_them(session, ports, clerk, serial) -> None:
    bernd, clara = ordered(session, ports, clerk, serial)
    ports.providers["outbox"] = RefusingCancels(ports.providers["outbox"], printing={clara.reference})
    outcome = dispatch.cancel_dispatch(session, ports, clerk, serial.id)
    assert (outcome.cancelled, outcome.not_cancellable) == (1, [clara.reference])
    assert session.get(SerialLetter, serial.id).state is LetterState.WITH_PROVIDER  # Clara's letter still goes
    session.refresh(clara)
    clara.state = ShipmentState.POSTED
    session.add(clara)
    serial_row = session.get(SerialLetter, serial.id)
    serial_row.state = LetterState.POSTED
    session.add(serial_row)
    session.commit()
    plan = dispatch.dispatch_summary(session, ports, clerk, serial.id).plan
    assert [letter.contact.name for letter in plan.letters] == ["Bernd Groß"] and plan.already_sent == 1


def test_cancel_counts_printed_letters_and_a_provider_outage_as_not_stopped(session, ports, clerk, serial) -> None:
    bernd, clara = ordered(session, ports, clerk, serial)
    clara.state = ShipmentState.PRINTED
    session.add(clara)
    session.commit()
    ports.providers["outbox"] = RefusingCancels(ports.providers["outbox"], printing=set(), away=True)
    outcome = dispatch.cancel_dispatch(session, ports, clerk, serial.id)
    assert outcome.cancelled == 0 and sorted(outcome.not_cancellable) == sorted([bernd.reference, clara.reference])
    assert session.get(SerialLetter, serial.id).state is LetterState.WITH_PROVIDER
    kinds = [e.kind for e in session.exec(select(Event).where(Event.serial_letter_id == serial.id))]
    assert "cancelled" in kinds


def test_a_contact_without_address_or_portal_is_named_as_not_reached(session, ports, clerk, found, serial) -> None:
    plan = dispatch.build_plan(session, ports, serial)
    assert [contact.name for contact in plan.unreached] == ["Dora Weiß"]  # no address, not registered
    dora = found.contacts["dora"]
    dora.portal_registered = True  # the portal reaches her now
    session.add(dora)
    session.commit()
    assert dispatch.build_plan(session, ports, serial).unreached == []
