"""The demo's run: what a property-management program hands over is generated (the master-data
export, a batch PDF, a ZIP of per-unit files, attachments), then everything is driven through
the Slack app against the local stand-in — settings with the company's identity, the master-data
import in the App Home, "Neuer Serienbrief", overview, spot checks, release with email, manager
approval, dispatch by preference with merge and duplex optimisation, order — printing what users
would see, then a summary of what went where."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import select

from bot.demo import COMPANY, RETURN_LINE, DemoDocuments, demo_csv, demo_documents
from bot.settings import Settings
from bot.slack.ids import Action, Block
from bot.slack.local import ANNA, CHANNEL, MARKUS, SABINE, LocalSlack
from bot.slackstandin.render import render_call
from domain.costs import format_euro
from domain.models import DispatchOrder, SerialLetter, Shipment, Unit
from domain.services import dispatch

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


def run_demo(settings: Settings, echo: Echo = print, socket_mode: bool = False) -> None:
    """`socket_mode`: Slack reaches the app over a Socket Mode connection instead of HTTP."""
    with LocalSlack(settings, socket_mode=socket_mode) as slack:
        story = Narrator(slack, echo)
        _set_up(slack)
        story.step("Anna (Admin) richtet briefwerk im App-Home ein: Firmenname und Absender, Markus als Manager, "
                   "#serienbriefe, Manager-Freigabe an")
        _import(slack)
        story.step("Anna importiert die Stammdaten aus der Hausverwaltungssoftware (lindenhof.csv): Vorschau, dann Import")
        files = demo_documents()
        echo("\n=== Die Hausverwaltungssoftware hat die Briefe erzeugt ===\n"
             f"{STATEMENT}: ein Sammel-PDF mit „Einheit: …“ auf der ersten Seite jeder Einheit; "
             f"{PLAN}: ein ZIP mit einer Datei je Einheit; Anhänge: Einladung (3 S.), Hausordnung (1 S.)")
        serial_id = _new_serial_letter(slack, files)
        story.step("Sabine legt mit „/serienbrief neu“ den Serienbrief an: Liegenschaft, Titel, zwei Dokumenttypen, "
                   "Sammel-PDF, ZIP und Anhänge – und sieht, welche Einheit welche Seiten bekam")
        sim = slack.sim
        sim.click(Action.SHOW_OVERVIEW, user_id=SABINE.user_id, view_id=slack.top_view(SABINE.user_id)["id"])
        story.step(f"Sabine öffnet die Übersicht von Serienbrief Nr. {serial_id}")
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


def _set_up(slack: LocalSlack) -> None:
    """Anna's first visit: the company's identity and who approves what."""
    sim = slack.sim
    sim.open_home(ANNA.user_id)
    slack.settle()
    sim.click(Action.OPEN_SETTINGS, user_id=ANNA.user_id, view_id=slack.standin.home_view(ANNA.user_id)["id"])
    slack.settle()
    sim.submit(slack.top_view(ANNA.user_id)["id"], user_id=ANNA.user_id, values={
        Block.ORG_NAME: COMPANY, Block.RETURN_LINE: RETURN_LINE, Block.SENDER_NAME: f"{COMPANY} – Kundenservice",
        Block.SENDER_EMAIL: "post@sonnenschein-hv.example", Block.REPLY_TO: "kundenservice@sonnenschein-hv.example",
        Block.ADMINS: [ANNA.user_id], Block.MANAGERS: [MARKUS.user_id], Block.CHANNEL: CHANNEL,
        Block.APPROVAL: ["on"], Block.PROVIDER: "outbox", Block.CONTACT_TEXT: "support@sonnenschein-hv.example",
        Block.LOCALE: "de"})
    slack.settle()


def _import(slack: LocalSlack) -> None:
    """The ERP's export, uploaded in the App Home; the preview, then the import."""
    sim = slack.sim
    for view in reversed(slack.standin.modal_stack(ANNA.user_id)):
        sim.close_modal(view["id"], user_id=ANNA.user_id)
    sim.click(Action.OPEN_IMPORT, user_id=ANNA.user_id, view_id=slack.standin.home_view(ANNA.user_id)["id"])
    slack.settle()
    export = slack.standin.user_upload(ANNA.user_id, "lindenhof.csv", demo_csv())
    sim.submit(slack.top_view(ANNA.user_id)["id"], user_id=ANNA.user_id, values={Block.IMPORT_FILE: [export]})
    slack.settle()
    sim.submit(slack.top_view(ANNA.user_id)["id"], user_id=ANNA.user_id)
    slack.settle()


def _new_serial_letter(slack: LocalSlack, files: DemoDocuments) -> int:
    """`/serienbrief neu`: the property searched by name, two document types, then their files."""
    sim, user = slack.sim, SABINE.user_id
    sim.slash_command("/serienbrief", "neu", user_id=user, channel_id=CHANNEL)
    slack.settle()
    form = slack.top_view(user)
    [prop] = sim.type_in_select(Action.PROPERTY, "Linden", user_id=user, view_id=form["id"]).payload["options"]
    sim.submit(form["id"], user_id=user, values={
        Block.PROPERTY: prop, Block.TITLE: f"Abrechnung 2025 ({datetime.now():%d.%m.%Y %H:%M})",
        Block.TYPES: f"{STATEMENT}\n{PLAN}"})
    slack.settle()
    upload = slack.standin.user_upload
    sim.submit(slack.top_view(user)["id"], user_id=user, values={
        Block.files_of(0): [upload(user, "Hausgeldabrechnung_2025.pdf", files.statements)], Block.method_of(0): "marker",
        Block.setting_of(0): "Einheit: {unit}",
        Block.files_of(1): [upload(user, "Wirtschaftsplaene_2026.zip", files.plans_zip)], Block.method_of(1): "files",
        Block.ATTACHMENTS: [upload(user, "Einladung_Eigentuemerversammlung.pdf", files.invitation),
                            upload(user, "Hinweise_Hausordnung.pdf", files.house_rules)]})
    slack.settle()
    result = slack.top_view(user)
    button = next(element for block in result["blocks"] if block.get("block_id") == "result_actions"
                  for element in block["elements"])
    return int(button["value"])


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
    if slack.socket is not None:
        socket = slack.standin.socket
        echo(f"Socket Mode: {socket.delivered} Umschläge an die App, {socket.acked} bestätigt")
