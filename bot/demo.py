"""`briefwerk demo`: a realistic property with letters, run through the whole workflow on the
embedded defaults, ending in a summary of what went where."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass

from domain.pdf.layout import LetterSpec, render_letter

PROPERTY = ("LH12", "WEG Lindenhof", "Lindenstraße 12", "10115", "Berlin")
COMPANY = "Hausverwaltung Sonnenschein GmbH"
RETURN_LINE = f"{COMPANY} · Hauptstraße 1 · 10115 Berlin"
FIRST = ["Anna", "Jürgen", "Gisela", "Mehmet", "Sophie", "Klaus", "Björn", "Käthe", "Lukas", "Marta",
         "Günther", "Heike", "Sören", "Ilse", "Tobias", "Jörg", "Renate", "Ömer", "Paula", "Dieter"]
LAST = ["Schäfer", "Weiß", "Müller", "Öztürk", "Krüger", "Hoffmann", "Baumgärtner", "Groß", "Köhler",
        "Schröder", "Fuß", "Lehmann", "Böhm", "Jäger", "Wagner", "Brückner", "Vogt", "Yıldız".replace("ı", "i"), "Nußbaum", "Zöller"]
STREETS = ["Kastanienallee", "Schönhauser Allee", "Bergmannstraße", "Görlitzer Straße", "Müllerstraße",
           "Fröbelstraße", "Kurfürstendamm", "Weißenseer Weg"]
CITIES = [("10437", "Berlin"), ("80331", "München"), ("50667", "Köln"), ("04109", "Leipzig"), ("20095", "Hamburg")]
HEADERS = ["Liegenschaft-Nr", "Liegenschaft", "Liegenschaft Straße", "Liegenschaft PLZ", "Liegenschaft Ort",
           "Einheit-Nr", "Einheit", "Art", "Kontakt-Nr", "Name", "Adresszusatz", "Straße", "PLZ", "Ort",
           "Land", "E-Mail", "Registriert", "Präferenz", "Rolle", "Rang"]


@dataclass
class DemoContact:
    number: str
    name: str
    street: str
    postcode: str
    city: str
    country: str = "DE"
    email: str = ""
    registered: bool = False
    preference: str = "Brief"
    addition: str = ""


def demo_units() -> list[tuple[str, str, str]]:
    apartments = [(f"E{n:02d}", f"WE {n:02d}", "Wohnung") for n in range(1, 27)]
    parking = [(f"S{n:02d}", f"TG {n:02d}", "Stellplatz") for n in range(1, 5)]
    return apartments + parking


def demo_people(rng: random.Random) -> tuple[list[DemoContact], dict[str, list[tuple[str, str]]]]:
    """About 40 contacts: owners (some with 2–3 units, co-owners, one in Austria, one without a
    postal address) and tenants; returns contacts and unit -> [(contact, role)]."""
    names = iter(rng.sample([f"{first} {last}" for first in FIRST for last in LAST], 60))
    contacts: list[DemoContact] = []

    def person(*, here: str | None = None, registered: bool | None = None, **extra: str) -> DemoContact:
        number = f"K{len(contacts) + 1:03d}"
        if here:
            street, postcode, city = "Lindenstraße 12", "10115", "Berlin"
        else:
            street = f"{rng.choice(STREETS)} {rng.randint(1, 140)}"
            postcode, city = rng.choice(CITIES)
        reg = rng.random() < 0.5 if registered is None else registered
        contact = DemoContact(number, next(names), street, postcode, city, registered=reg,
                              preference=rng.choice(["Online", "Brief"]) if reg else rng.choice(["Online", "Brief", ""]))
        contact.email = f"{contact.name.split()[-1].lower()}.{number.lower()}@example.de".translate(str.maketrans("äöüß", "aous"))
        for key, value in extra.items():
            setattr(contact, key, value)
        if here:
            contact.addition = f"Wohnung {here}"
        contacts.append(contact)
        return contact

    links: dict[str, list[tuple[str, str]]] = {}
    units = demo_units()
    owners = [person() for _ in range(20)]
    for index, (unit_id, _, _) in enumerate(units[:26]):
        owner = owners[index % len(owners)]  # owners 0–5 hold two apartments
        links.setdefault(unit_id, []).append((owner.number, "Eigentümer"))
    for index, (unit_id, _, _) in enumerate(units[26:]):
        links[unit_id] = [(owners[index].number, "Eigentümer")]  # owners 0–3 also hold a parking space
    # co-owners: one living with the owner, one elsewhere, one in Vienna
    owners[10].addition = ""
    together = person(registered=False)
    together.street, together.postcode, together.city = owners[10].street, owners[10].postcode, owners[10].city
    links["E11"].append((together.number, "Eigentümer"))
    links["E12"].append((person(registered=False).number, "Eigentümer"))
    abroad = person(registered=False, country="AT")
    abroad.street, abroad.postcode, abroad.city = "Mariahilfer Straße 45", "1060", "Wien"
    links["E13"].append((abroad.number, "Eigentümer"))
    no_address = person(registered=False, street="", postcode="", city="")
    links["E14"].append((no_address.number, "Eigentümer"))
    for unit_id, _, _ in units[1:26:2] + units[0:6:2]:  # 16 rented apartments
        links[unit_id].append((person(here=f"WE {unit_id[1:]}").number, "Mieter"))
    return contacts, links


def first_owners(seed: int = 7) -> dict[str, list[str]]:
    """Each unit's label -> the window lines of its first owner, to whom its documents are
    addressed (as generators do); the same people as `demo_csv(seed)`."""
    from domain.addresses import PostalAddress

    contacts, links = demo_people(random.Random(seed))
    by_number = {c.number: c for c in contacts}
    lines: dict[str, list[str]] = {}
    for unit_id, label, _ in demo_units():
        owner = by_number[links[unit_id][0][0]]
        if owner.street:
            lines[label] = PostalAddress(name=owner.name, addition=owner.addition, street=owner.street,
                                         postcode=owner.postcode, city=owner.city, country=owner.country).window_lines()
        else:
            lines[label] = [owner.name, label]
    return lines


@dataclass
class DemoDocuments:
    """What the property-management software writes for one serial letter: a batch PDF of the
    statements, a ZIP with one business plan per unit, and two general attachments."""

    statements: bytes
    plans_zip: bytes
    invitation: bytes
    house_rules: bytes


def demo_documents(seed: int = 11) -> DemoDocuments:
    import zipfile

    from domain.pdf.assemble import concatenate

    rng = random.Random(seed)
    owners = first_owners()
    statements, plans = [], {}
    for _, label, kind in demo_units():
        lines = owners[label]
        share = rng.randint(18, 52) if kind == "Wohnung" else 4
        statements.append(statement(lines, label, share, pages=rng.choice([2, 3])))
        plans[f"Wirtschaftsplan_{label.replace(' ', '_')}.pdf"] = business_plan(lines, label, share)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in plans.items():
            archive.writestr(name, data)
    return DemoDocuments(concatenate(statements), buffer.getvalue(), invitation(), house_rules())


def demo_csv(seed: int = 7) -> bytes:
    """The demo property as a CSV in the shape German property-management software exports."""
    rng = random.Random(seed)
    contacts, links = demo_people(rng)
    by_number = {c.number: c for c in contacts}
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADERS)
    for unit_id, label, kind in demo_units():
        for rank, (number, role) in enumerate(links.get(unit_id, []), start=1):
            c = by_number[number]
            writer.writerow([*PROPERTY, unit_id, label, kind, c.number, c.name, c.addition, c.street, c.postcode,
                             c.city, c.country, c.email, "ja" if c.registered else "nein", c.preference, role, rank])
    return out.getvalue().encode("utf-8")


# --- documents --------------------------------------------------------------------------------


def _euro(amount: float) -> str:
    return f"{amount:,.2f} €".replace(",", "_").replace(".", ",").replace("_", ".")


COSTS = [("Grundsteuer", 0), ("Wasser / Abwasser", 8400), ("Müllabfuhr", 3150), ("Hausreinigung", 5220),
         ("Gartenpflege", 2860), ("Allgemeinstrom", 1180), ("Gebäudeversicherung", 6400),
         ("Hauswart", 7300), ("Aufzug Wartung", 2450), ("Verwaltervergütung", 9360),
         ("Instandhaltungsrücklage", 15000), ("Schornsteinfeger", 540), ("Winterdienst", 1320)]


def statement(address_lines: list[str], label: str, share: int, pages: int) -> bytes:
    """Hausgeldabrechnung for one unit: addressed to its first owner, 'Einheit: WE 03' on page 1."""
    rows = [(name, _euro(total * share / 1000)) for name, total in COSTS if total]
    total = sum(total * share / 1000 for _, total in COSTS)
    return render_letter(LetterSpec(
        return_line=RETURN_LINE, address_lines=address_lines,
        subject="Hausgeldabrechnung 2025",
        info=[("Liegenschaft:", "WEG Lindenhof"), ("Einheit:", label), ("Anteil:", f"{share}/1.000 MEA"),
              ("Datum:", "28.11.2026")],
        paragraphs=[
            "Sehr geehrte Damen und Herren,",
            "anbei erhalten Sie die Hausgeldabrechnung für das Wirtschaftsjahr 2025. Die Kosten wurden "
            "nach Miteigentumsanteilen (MEA) umgelegt, sofern die Teilungserklärung nichts anderes bestimmt.",
            "Bitte prüfen Sie die Abrechnung. Ein Guthaben erstatten wir nach dem Beschluss der "
            "Eigentümerversammlung, eine Nachzahlung ist binnen vier Wochen fällig.",
        ],
        table_rows=rows + [("Summe Ihres Anteils", _euro(total))],
        footer="Hausverwaltung Sonnenschein GmbH · Hausgeldabrechnung 2025", pages=pages,
    ))


def business_plan(address_lines: list[str], label: str, share: int) -> bytes:
    monthly = sum(total for _, total in COSTS) * 1.04 * share / 1000 / 12
    return render_letter(LetterSpec(
        return_line=RETURN_LINE, address_lines=address_lines, subject="Wirtschaftsplan 2026",
        info=[("Liegenschaft:", "WEG Lindenhof"), ("Einheit:", label), ("Datum:", "28.11.2026")],
        paragraphs=[
            "Sehr geehrte Damen und Herren,",
            f"für das Jahr 2026 ergibt sich für Ihre Einheit {label} ein monatliches Hausgeld von "
            f"{_euro(monthly)}. Der Wirtschaftsplan wird der Eigentümerversammlung zum Beschluss vorgelegt.",
        ],
        footer="Hausverwaltung Sonnenschein GmbH · Wirtschaftsplan 2026",
    ))


def invitation() -> bytes:
    """General attachment, 3 pages: the invitation with the agenda."""
    agenda = ["Begrüßung und Feststellung der Beschlussfähigkeit", "Genehmigung der Jahresabrechnung 2025",
              "Beschluss über den Wirtschaftsplan 2026", "Entlastung der Verwaltung", "Erneuerung der Klingelanlage",
              "Verschiedenes"]
    return render_letter(LetterSpec(
        return_line=RETURN_LINE, address_lines=["An alle Eigentümerinnen und Eigentümer", "der WEG Lindenhof"],
        subject="Einladung zur ordentlichen Eigentümerversammlung 2026",
        paragraphs=["Sehr geehrte Eigentümerinnen und Eigentümer,",
                    "wir laden Sie herzlich zur Eigentümerversammlung am Dienstag, 19. Januar 2027, um 18:30 Uhr "
                    "im Gemeindesaal der Zionskirche, Zionskirchplatz 1, 10119 Berlin, ein."]
                   + [f"TOP {n}: {item}" for n, item in enumerate(agenda, start=1)],
        footer="Einladung Eigentümerversammlung", pages=3,
    ))


def house_rules() -> bytes:
    return render_letter(LetterSpec(
        return_line=RETURN_LINE, address_lines=["An alle Bewohnerinnen und Bewohner"],
        subject="Hinweise zur Mülltrennung und Winterdienst",
        paragraphs=["Bitte trennen Sie Papier, Verpackungen und Restmüll. Der Winterdienst räumt Gehwege "
                    "werktags ab 7:00 Uhr; melden Sie Glätte bitte dem Hauswart, Herrn Krüger."],
        footer="Hausordnung",
    ))
