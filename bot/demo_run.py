"""The demo's run: a property with letters is generated (as the property-management software
would), then the whole workflow is driven through the Slack app against the local stand-in —
settings, overview, spot checks, release with email, manager approval, dispatch by preference
with merge and duplex optimisation, order — printing what users would see, then a summary of
what went where."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from bot.demo import (
    RETURN_LINE,
    business_plan,
    demo_csv,
    house_rules,
    invitation,
    statement,
)
from bot.settings import Settings
from bot.slack.ids import Action, Block
from bot.slack.local import ANNA, CHANNEL, MARKUS, SABINE, LocalSlack
from bot.slackstandin.render import render_call
from bot.wiring import staff_member
from domain.costs import format_euro
from domain.importer import import_file
from domain.models import (
    Contact,
    DispatchOrder,
    Occupancy,
    Organisation,
    Property,
    RecipientGroup,
    Relation,
    SerialLetter,
    Shipment,
    Unit,
)
from domain.pdf.assemble import concatenate
from domain.services import dispatch, documents, intake
from domain.split import ByMarker

Echo = Callable[[str], None]
STATEMENT, PLAN = "Hausgeldabrechnung", "Wirtschaftsplan"


class Narrator:
    """Prints each step and what Slack showed users since the previous one."""

    def __init__(self, slack: LocalSlack, echo: Echo) -> None:
        self.slack, self.echo, self.seen = slack, echo, 0

    def step(self, title: str) -> None:
        self.slack.settle()
        calls = self.slack.standin.calls
        names = {SABINE.user_id: "@sabine", MARKUS.user_id: "@markus", ANNA.user_id: "@anna", CHANNEL: "#serienbriefe"}
        shown = [text for call in calls[self.seen:] if (text := render_call(call, names))]
        self.seen = len(calls)
        self.echo(f"\n=== {title} ===")
        for text in shown:
            self.echo(_shortened(text))


def _shortened(text: str, most: int = 40) -> str:
    lines = text.splitlines()
    return "\n".join(lines if len(lines) <= most else lines[:most] + [f"    … ({len(lines) - most} weitere Zeilen)"])


def run_demo(settings: Settings, echo: Echo = print) -> None:
    with LocalSlack(settings) as slack:
        story = Narrator(slack, echo)
        sim = slack.sim
        sim.open_home(ANNA.user_id)
        story.step("Anna (Admin) öffnet briefwerk im App-Home")
        sim.click(Action.OPEN_SETTINGS, user_id=ANNA.user_id, view_id=slack.standin.home_view(ANNA.user_id)["id"])
        slack.settle()
        settings_view = slack.top_view(ANNA.user_id)
        sim.submit(settings_view["id"], user_id=ANNA.user_id, values={
            Block.ADMINS: [ANNA.user_id], Block.MANAGERS: [MARKUS.user_id], Block.CHANNEL: CHANNEL,
            Block.APPROVAL: ["on"], Block.PROVIDER: "outbox", Block.CONTACT_TEXT: "support@sonnenschein-hv.example",
            Block.LOCALE: "de"})
        story.step("Anna trägt Markus als Manager ein, wählt #serienbriefe und schaltet die Manager-Freigabe ein")
        serial_id = _generate(slack, echo)
        sim.slash_command("/serienbrief", str(serial_id), user_id=SABINE.user_id, channel_id=CHANNEL)
        story.step(f"Sabine öffnet Serienbrief Nr. {serial_id} (Übersicht, Seite 1)")
        _check_two_letters(slack)
        story.step("Sabine lädt zwei Briefe zur Kontrolle herunter (in ihre Direktnachrichten)")
        root = slack.top_view(SABINE.user_id)
        sim.click(Action.OPEN_RELEASE, user_id=SABINE.user_id, view_id=root["id"])
        slack.settle()
        sim.submit(slack.top_view(SABINE.user_id)["id"], user_id=SABINE.user_id, values={Block.NOTIFY: ["notify"]})
        story.step("Sabine gibt im Kundenportal frei (mit E-Mail) – die Anfrage geht an Markus")
        _approve(slack)
        story.step("Markus genehmigt; die Dokumente sind im Portal, registrierte Kontakte per E-Mail informiert")
        for view in reversed(slack.standin.modal_stack(SABINE.user_id)):
            sim.close_modal(view["id"], user_id=SABINE.user_id)
        sim.slash_command("/serienbrief", str(serial_id), user_id=SABINE.user_id, channel_id=CHANNEL)
        slack.settle()
        sim.click(Action.OPEN_DISPATCH, user_id=SABINE.user_id, view_id=slack.top_view(SABINE.user_id)["id"])
        slack.settle()
        modal = slack.top_view(SABINE.user_id)
        sim.click(Action.FILTER, user_id=SABINE.user_id, view_id=modal["id"], choice="preference")
        slack.settle()
        sim.click(Action.OPTIONS, user_id=SABINE.user_id, view_id=slack.top_view(SABINE.user_id)["id"],
                  choice=["merge", "duplex", "optimise_duplex", "cover_sheet"])
        story.step("Sabine stellt den Versand ein: nach Präferenz, zusammenfügen, beidseitig optimiert")
        sim.click(Action.ORDER, user_id=SABINE.user_id, view_id=slack.top_view(SABINE.user_id)["id"])
        story.step("Sabine beauftragt den Briefversand – die Anfrage geht an Markus")
        _approve(slack)
        story.step("Markus genehmigt; die Briefe liegen im Postausgang")
        _summary(slack, serial_id, echo)


def _generate(slack: LocalSlack, echo: Echo) -> int:
    """What the property-management software delivers: the property and its generated letters."""
    with slack.deps.wiring.unit_of_work() as (session, ports):
        org = session.exec(select(Organisation).where(Organisation.slack_team_id.is_not(None))).first()
        org.return_line, org.sender_email = RETURN_LINE, "post@sonnenschein-hv.example"
        session.add(org)
        session.commit()
        clerk = staff_member(session, org, SABINE.user_id, "Sabine Sachbearbeiterin")
        report = import_file(session, org.id, "lindenhof.csv", demo_csv(), datetime.now().date())
        prop = session.exec(select(Property).where(Property.organisation_id == org.id, Property.external_id == "LH12")).one()
        serial = documents.create_serial_letter(session, clerk, prop.id, f"Abrechnung 2025 ({datetime.now():%d.%m.%Y %H:%M})",
                                                [STATEMENT, PLAN], RecipientGroup.OWNERS)
        batch, per_unit = _upload(session, ports, clerk, serial.id, prop)
    echo(f"\n=== Die Hausverwaltungssoftware hat die Briefe erzeugt ===\n"
         f"Import: {report.rows} Zeilen, {report.created['units'] or report.updated['units']} Einheiten, "
         f"{report.created['contacts'] + report.updated['contacts']} Kontakte (neu/geändert)\n"
         f"{STATEMENT}: Sammel-PDF nach „Einheit: …“ aufgeteilt → {batch} Einheiten; "
         f"{PLAN}: Einzeldateien → {per_unit} Einheiten; Anhänge: Einladung (3 S.), Hausordnung (1 S.)")
    return serial.id


def _upload(session: Session, ports: Any, clerk: Any, serial_id: int, prop: Property) -> tuple[int, int]:
    """Each unit's documents are addressed to its first owner, as generators do."""
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
    batch = intake.upload_batch(session, ports.files, clerk, serial_id, STATEMENT, "Hausgeldabrechnung_2025.pdf",
                                   concatenate(statements), ByMarker(pattern="Einheit: {unit}"))
    per_unit = intake.upload_unit_files(session, ports.files, clerk, serial_id, PLAN, plans)
    intake.add_attachment(session, ports.files, clerk, serial_id, "Einladung_Eigentuemerversammlung.pdf", invitation())
    intake.add_attachment(session, ports.files, clerk, serial_id, "Hinweise_Hausordnung.pdf", house_rules())
    return len(batch.assigned), len(per_unit.assigned)


def _check_two_letters(slack: LocalSlack) -> None:
    view = slack.top_view(SABINE.user_id)
    rows = [block for block in view["blocks"] if str(block.get("block_id", "")).startswith("row_")]
    for block, choice in ((rows[0], "print"), (rows[2], "doc")):
        options = block["accessory"]["options"]
        value = next(option["value"] for option in options if option["value"].startswith(choice))
        slack.sim.click(Action.ROW_MENU, user_id=SABINE.user_id, view_id=view["id"], block_id=block["block_id"], choice=value)
        slack.settle()
        view = slack.top_view(SABINE.user_id)


def _approve(slack: LocalSlack) -> None:
    """Markus clicks Approve on the newest prompt in his DM."""
    slack.settle()
    dm = slack.standin.dm_channel("T0SONNE", MARKUS.user_id)
    prompt = [m for m in slack.standin.messages(dm.id) if any(b.get("block_id", "").startswith("approval_") for b in m.blocks)][-1]
    slack.sim.click(Action.APPROVE, user_id=MARKUS.user_id, channel=dm.id, ts=prompt.ts)
    slack.settle()


def _summary(slack: LocalSlack, serial_id: int, echo: Echo) -> None:
    """From what was actually handed over (the order's shipments), not from a new plan."""
    settings = slack.settings
    with slack.deps.wiring.unit_of_work() as (session, ports):
        serial = session.get(SerialLetter, serial_id)
        plan = dispatch.build_plan(session, ports, serial)  # for each contact's reason only
        order = session.exec(select(DispatchOrder).where(DispatchOrder.serial_letter_id == serial_id)
                             .order_by(DispatchOrder.id.desc())).first()
        shipments = list(session.exec(select(Shipment).where(Shipment.order_id == order.id))) if order else []
        labels = {u.id: u.label for u in session.exec(select(Unit).where(Unit.property_id == serial.property_id))}
    contacts = plan.contacts
    sent: dict[int, list[Shipment]] = {}
    for shipment in shipments:
        sent.setdefault(shipment.contact_id, []).append(shipment)
    echo("\n=== Was wohin ging ===")
    echo(f"Briefe: {len(shipments)}, {sum(s.pages for s in shipments)} Seiten, {sum(s.sheets for s in shipments)} Blatt, "
         f"{sum(s.blank_pages for s in shipments)} Leerseiten, {sum(s.cover_sheet for s in shipments)} Adressblätter, "
         f"ca. {format_euro(sum(s.cost_cents for s in shipments))} netto")
    for contact_id, decision in sorted(plan.decisions.items(), key=lambda item: contacts[item[0]].name):
        contact = contacts[contact_id]
        portal = ("Portal + E-Mail" if contact.email else "Portal") if contact.portal_registered else "—"
        post = "".join(
            f" | Brief {s.reference}: {', '.join(labels[u] for u in s.unit_ids)}, {s.pages} S."
            + (", mit Adressblatt" if s.cover_sheet else "") for s in sent.get(contact_id, []))
        echo(f"  {contact.name:24} {portal:15} | {decision.message.render('de')}{post}")
    home = settings.home.resolve()
    echo(f"\nPostausgang: {home / 'outbox' / (dispatch.order_key(order) if order else '')} (manifest.json)")
    echo(f"E-Mails:     {home / 'mail'}")
    echo(f"Datenbank:   {settings.db_url}")
    refused = slack.standin.refused_calls()
    echo(f"Slack-Aufrufe: {len(slack.standin.calls)}, davon von Slack abgelehnt: {len(refused)}")
