"""The demo's run: import the property, create the serial letter, upload and split documents,
overview, release with email, dispatch by preference with merge and duplex optimisation, order,
and a summary of what went where."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, select

from bot.demo import (
    ORGANISATION,
    RETURN_LINE,
    business_plan,
    concatenate,
    demo_csv,
    house_rules,
    invitation,
    statement,
)
from bot.wiring import Wiring, organisation_named, staff_member
from domain.costs import format_euro
from domain.importer import import_file
from domain.models import Contact, Occupancy, Preference, Property, RecipientGroup, Relation, Unit
from domain.ports import Ports
from domain.recipients import RecipientFilter
from domain.services import dispatch, documents, release
from domain.split import ByMarker

Echo = Callable[[str], None]
STATEMENT, PLAN = "Hausgeldabrechnung", "Wirtschaftsplan"


def run_demo(wiring: Wiring, echo: Echo = print) -> None:
    settings = wiring.settings
    with wiring.unit_of_work() as (session, ports):
        org = organisation_named(session, ORGANISATION)
        org.return_line, org.sender_email = RETURN_LINE, "post@sonnenschein-hv.example"
        org.provider_contact_text = "support@briefwerk.example"
        session.add(org)
        clerk = staff_member(session, org, "U_DEMO_CLERK", "Sabine Sachbearbeiterin")
        report = import_file(session, org.id, "lindenhof.csv", demo_csv(), datetime.now().date())
        echo(f"1. Import: {report.rows} Zeilen – {report.created['units']} neue Einheiten, "
             f"{report.created['contacts']} neue Kontakte (erneuter Lauf: aktualisiert statt doppelt)")
        prop = session.exec(select(Property).where(Property.organisation_id == org.id, Property.external_id == "LH12")).one()
        serial = documents.create_serial_letter(session, clerk, prop.id, f"Abrechnung 2025 – {datetime.now():%d.%m.%Y %H:%M}",
                                                [STATEMENT, PLAN], RecipientGroup.OWNERS)
        _upload(session, ports, clerk, serial.id, prop, echo)
        _overview(session, serial, echo)
        result = release.release(session, ports, clerk, serial.id, notify=True)
        echo(f"4. Freigabe im Kundenportal: {result.units} Einheiten mit {result.contacts} Kontakten; "
             f"{result.emailed} registrierte Kontakte per E-Mail benachrichtigt ({(settings.home / 'mail').resolve()})")
        summary = dispatch.configure_dispatch(session, ports, clerk, serial.id, {
            "filter": RecipientFilter.BY_PREFERENCE, "merge": True, "duplex": True, "optimise_duplex": True})
        _dispatch_summary(summary, echo)
        order = dispatch.order_dispatch(session, ports, clerk, serial.id)
        outcome = dispatch.run_order(session, ports, order.id)
        folder = settings.home / "outbox" / dispatch.order_key(order)
        echo(f"7. Versand beauftragt: {outcome.submitted} Briefe im Postausgang {folder.resolve()} (manifest.json)")
        _where_everything_went(session, summary, echo)


def _upload(session: Session, ports: Ports, clerk, serial_id: int, prop: Property, echo: Echo) -> None:
    """One batch PDF of statements (split by the unit marker) and one file per unit for the plans;
    each unit's documents are addressed to its first owner, as generators do."""
    rng = random.Random(11)
    units = session.exec(select(Unit).where(Unit.property_id == prop.id).order_by(Unit.position)).all()
    statements, plans = [], {}
    for unit in units:
        first_owner = session.exec(
            select(Contact).join(Occupancy, Occupancy.contact_id == Contact.id)
            .where(Occupancy.unit_id == unit.id, Occupancy.relation == Relation.OWNER).order_by(Occupancy.position)
        ).first()
        lines = first_owner.address.window_lines() if first_owner and first_owner.address else ["Eigentümer", unit.label]
        share = rng.randint(18, 52) if unit.kind == "Wohnung" else 4
        statements.append(statement(lines, unit.label, share, pages=rng.choice([2, 3])))
        plans[f"Wirtschaftsplan_{unit.label.replace(' ', '_')}.pdf"] = business_plan(lines, unit.label, share)
    batch = documents.upload_batch(session, ports.files, clerk, serial_id, STATEMENT, "Hausgeldabrechnung_2025.pdf",
                                   concatenate(statements), ByMarker(pattern="Einheit: {unit}"))
    per_unit = documents.upload_unit_files(session, ports.files, clerk, serial_id, PLAN, plans)
    documents.add_attachment(session, ports.files, clerk, serial_id, "Einladung_Eigentuemerversammlung.pdf", invitation())
    documents.add_attachment(session, ports.files, clerk, serial_id, "Hinweise_Hausordnung.pdf", house_rules())
    echo(f"2. Dokumente: {STATEMENT} als Sammel-PDF ({len(statements)} Einheiten) nach Markierung „Einheit: …“ "
         f"aufgeteilt → {batch.assigned_units} zugeordnet; {PLAN} als {len(plans)} Einzeldateien → "
         f"{per_unit.assigned_units} zugeordnet; 2 allgemeine Anhänge (3 + 1 Seiten)")
    for line in batch.report() + per_unit.report():
        echo(f"   ! {line.render('de')}")


def _overview(session: Session, serial, echo: Echo) -> None:
    rows = documents.overview_rows(session, serial)
    contacts = {row.contact.id for row in rows}
    registered = {row.contact.id for row in rows if row.contact.portal_registered}
    echo(f"3. Übersicht: {len(rows)} Zeilen (Kontakt × Einheit), {len(contacts)} Kontakte, davon {len(registered)} registriert")
    for row in rows[:6]:
        status = "registriert" if row.contact.portal_registered else "nicht registriert"
        preference = "Online" if row.contact.preference is Preference.ONLINE else "Brief"
        echo(f"   {row.unit.label:6} {row.contact.name:24} {status:18} Präferenz {preference}")
    echo(f"   … {len(rows) - 6} weitere Zeilen")


def _dispatch_summary(summary: dispatch.DispatchSummary, echo: Echo) -> None:
    plan = summary.plan
    paper = sum(1 for decision in plan.decisions.values() if decision.gets_paper)
    echo(f"5. Versand nach Präferenz, Briefe zusammengefügt, beidseitig mit Optimierung: {paper} von "
         f"{len(plan.decisions)} Kontakten erhalten Post → {len(plan.letters)} Briefe, {plan.pages} Seiten, "
         f"{plan.sheets} Blatt, {plan.blank_pages} Leerseiten eingefügt, {plan.cover_sheets} Adressblätter, "
         f"ca. {format_euro(plan.cost_cents)} netto")
    echo(f"6. Button: {summary.button.value} – " + " ".join(reason.render("de") for reason in summary.reasons))


def _where_everything_went(session: Session, summary: dispatch.DispatchSummary, echo: Echo) -> None:
    echo("8. Wer bekommt was:")
    letters = {letter.contact.id: letter for letter in summary.plan.letters}
    contacts = {c.id: c for c in session.exec(select(Contact).where(Contact.id.in_(list(summary.plan.decisions))))}
    for contact_id, decision in sorted(summary.plan.decisions.items(), key=lambda item: contacts[item[0]].name):
        contact = contacts[contact_id]
        portal = "—"
        if contact.portal_registered:
            portal = "Portal + E-Mail" if contact.email else "Portal"
        post = ""
        if contact_id in letters:
            letter = letters[contact_id]
            cover = ", mit Adressblatt" if letter.cover else ""
            post = f" | Brief: {', '.join(letter.unit_labels)}, {letter.pages} S.{cover}"
        echo(f"   {contact.name:24} {portal:15} | {decision.message.render('de')}{post}")
