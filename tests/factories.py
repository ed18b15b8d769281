"""A small property with contacts of every kind, and its letters as real PDFs."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from domain.models import Contact, Occupancy, Organisation, Preference, Property, Relation, Unit
from domain.pdf.assemble import concatenate
from domain.pdf.layout import LetterSpec, render_letter

RETURN_LINE = "Hausverwaltung Sonnenschein GmbH · Hauptstraße 1 · 10115 Berlin"


@dataclass
class Estate:
    prop: Property
    units: dict[str, Unit] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)


def add_contact(session: Session, org: Organisation, key: str, name: str, *, street: str = "Lindenstraße 12",
                postcode: str = "10115", city: str = "Berlin", country: str = "DE", email: str | None = None,
                registered: bool = False, preference: Preference = Preference.LETTER) -> Contact:
    contact = Contact(organisation_id=org.id, external_id=key, name=name, street=street, postcode=postcode,
                      city=city, country=country, email=email, portal_registered=registered, preference=preference)
    session.add(contact)
    session.flush()
    return contact


def estate(session: Session, org: Organisation) -> Estate:
    """Four units: Anna owns WE 01 and WE 02 (registered, prefers online); WE 03 belongs to the
    co-owners Bernd (here) and Clara (in Vienna); Dora owns WE 04 but has no postal address;
    Emil rents WE 01."""
    prop = Property(organisation_id=org.id, external_id="LH12", name="WEG Lindenhof", street="Lindenstraße 12",
                    postcode="10115", city="Berlin")
    session.add(prop)
    session.flush()
    result = Estate(prop)
    for position, label in enumerate(["WE 01", "WE 02", "WE 03", "WE 04"]):
        unit = Unit(property_id=prop.id, external_id=label.replace(" ", ""), label=label, kind="Wohnung", position=position)
        session.add(unit)
        session.flush()
        result.units[label] = unit
    c = result.contacts
    c["anna"] = add_contact(session, org, "K1", "Anna Schäfer", street="Kastanienallee 7", postcode="10435",
                            email="anna@example.de", registered=True, preference=Preference.ONLINE)
    c["bernd"] = add_contact(session, org, "K2", "Bernd Groß", street="Görlitzer Straße 40", postcode="10997",
                             email="bernd@example.de", registered=True, preference=Preference.LETTER)
    c["clara"] = add_contact(session, org, "K3", "Clara Groß", street="Mariahilfer Straße 45", postcode="1060",
                             city="Wien", country="AT", email="clara@example.at")
    c["dora"] = add_contact(session, org, "K4", "Dora Weiß", street="", postcode="", city="", email="dora@example.de")
    c["emil"] = add_contact(session, org, "K5", "Emil Krüger", email="emil(at)example.de", registered=True)
    links = [("WE 01", "anna", Relation.OWNER, 0), ("WE 02", "anna", Relation.OWNER, 0),
             ("WE 03", "bernd", Relation.OWNER, 0), ("WE 03", "clara", Relation.OWNER, 1),
             ("WE 04", "dora", Relation.OWNER, 0), ("WE 01", "emil", Relation.TENANT, 0)]
    for label, who, relation, position in links:
        session.add(Occupancy(unit_id=result.units[label].id, contact_id=c[who].id, relation=relation, position=position))
    session.commit()
    return result


def unit_letter(address_lines: list[str], label: str, pages: int, subject: str = "Hausgeldabrechnung 2025") -> bytes:
    return render_letter(LetterSpec(
        return_line=RETURN_LINE, address_lines=address_lines, subject=subject,
        info=[("Einheit:", label)], paragraphs=[f"Einheit: {label}", f"{subject} für {label}."],
        footer=f"{subject} {label}", pages=pages,
    ))


def window_lines(contact: Contact) -> list[str]:
    address = contact.address
    return address.window_lines() if address else [contact.name, "ohne Anschrift"]


def batch_for(found: Estate, pages: dict[str, int] | None = None) -> bytes:
    """Every unit's statement addressed to its first owner, in one PDF, as a generator writes it."""
    first_owner = {"WE 01": "anna", "WE 02": "anna", "WE 03": "bernd", "WE 04": "dora"}
    documents = [
        unit_letter(window_lines(found.contacts[first_owner[label]]), label, (pages or {}).get(label, 2))
        for label in found.units
    ]
    return concatenate(documents)


def attachment(pages: int, title: str = "Einladung zur Eigentümerversammlung") -> bytes:
    return render_letter(LetterSpec(return_line=RETURN_LINE, address_lines=["An alle Eigentümer"], subject=title,
                                    paragraphs=[title], footer=title, pages=pages))


def zeros_packed(gib: int) -> bytes:
    """`gib` GiB of zeros, Flate-packed into about a megabyte each: the core of a bomb."""
    import zlib

    packer = zlib.compressobj(9)
    chunk = b"\0" * (64 << 20)
    return b"".join(packer.compress(chunk) for _ in range(gib * 16)) + packer.flush()


def letter_with_content(data: bytes, filters: list[str]) -> bytes:
    """A one-page letter whose content stream is `data` under `filters`, written exactly as given
    (qpdf would otherwise unpack and repack it)."""
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(attachment(1))) as pdf:
        stream = pikepdf.Stream(pdf, data)
        stream.Filter = pikepdf.Array([pikepdf.Name(f) for f in filters])
        pdf.pages[0].obj.Contents = pdf.make_indirect(stream)
        out = io.BytesIO()
        pdf.save(out, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none)
        return out.getvalue()


def a_zip(entries: dict[str, bytes]) -> bytes:
    """A ZIP archive as an ERP or a file manager writes it."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def marker_batch(labels: list[str], pages_each: int = 2) -> bytes:
    """A plain batch PDF drawn fast: each unit's first page says "Einheit: <label>"."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    for label in labels:
        for page in range(pages_each):
            canvas.setFont("Helvetica", 11)
            canvas.drawString(72, 700, f"Einheit: {label}" if page == 0 else f"Seite {page + 1}")
            canvas.showPage()
    canvas.save()
    return buffer.getvalue()
