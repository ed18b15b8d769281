"""The Slack app as Slack talks to it: served on a loopback port, requests signed with the
signing secret, every Web API call answered (and checked) by the local stand-in."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.settings import Settings
from bot.slack.ids import Action, Block
from bot.slack.local import ANNA, CHANNEL, MARKUS, SABINE, TEAM, LocalSlack
from bot.slackstandin.requests import block_actions
from domain.actors import Actor
from domain.models import (
    Contact,
    DispatchOrder,
    Event,
    LetterState,
    Occupancy,
    Organisation,
    PortalDocument,
    Property,
    Relation,
    SerialLetter,
    Staff,
    Unit,
)
from domain.ports import FileStore
from domain.services import documents, intake
from domain.split import ByMarker
from tests.factories import attachment, batch_for, estate

APPROVALS = "C0FREIGABE"


@pytest.fixture
def slack(engine: Engine, tmp_path: Path) -> Iterator[LocalSlack]:
    settings = Settings(home=tmp_path / "var", database_url=engine.url.render_as_string(hide_password=False))
    with LocalSlack(settings) as local:
        local.standin.add_channel(APPROVALS, "freigaben", team_id=TEAM)
        yield local
        local.settle()
        local.standin.assert_no_refusals()  # every payload the app sent was valid for Slack


@pytest.fixture
def org(session: Session) -> Organisation:
    org = Organisation(name="Hausverwaltung Sonnenschein", slack_team_id=TEAM, notify_channel=CHANNEL,
                       return_line="Hausverwaltung Sonnenschein · Hauptstraße 1 · 10115 Berlin",
                       provider_contact_text="support@briefwerk.example")
    session.add(org)
    session.commit()
    return org


@pytest.fixture
def letter(session: Session, org: Organisation, slack: LocalSlack):
    """A serial letter to the owners of four units, statements split by marker, one attachment."""
    found = estate(session, org)
    staff = Staff(organisation_id=org.id, slack_user_id=SABINE.user_id, name="Sabine Sachbearbeiterin",
                  email=SABINE.email)
    session.add(staff)
    session.commit()
    from domain.actors import Actor

    clerk = Actor.of(staff)
    files = FileStore(slack.settings.home / "files")
    serial = documents.create_serial_letter(session, clerk, found.prop.id, "Abrechnung 2025", ["Hausgeldabrechnung"])
    intake.upload_batch(session, files, clerk, serial.id, "Hausgeldabrechnung", "b.pdf", batch_for(found), ByMarker())
    intake.add_attachment(session, files, clerk, serial.id, "Einladung.pdf", attachment(3))
    return serial, found


def open_serial(slack: LocalSlack, serial_id: int, user=SABINE) -> dict:
    slack.sim.slash_command("/serienbrief", str(serial_id), user_id=user.user_id, channel_id=CHANNEL)
    slack.settle()
    return slack.top_view(user.user_id)


def state_of(session: Session, serial_id: int) -> LetterState:
    """Read back from the database, never from the session's cached object."""
    session.expire_all()
    return session.get(SerialLetter, serial_id).state


def texts_of(view: dict) -> str:
    return json.dumps(view, ensure_ascii=False)


# --- commands, signatures, roles ----------------------------------------------------------------


def test_help_and_an_unknown_command(slack: LocalSlack) -> None:
    answer = slack.sim.slash_command("/serienbrief", "help", user_id=SABINE.user_id, channel_id=CHANNEL)
    assert answer.status == 200 and "/serienbrief 12" in answer.response.json()["text"]
    unknown = slack.sim.slash_command("/serienbrief", "drucke alles", user_id=SABINE.user_id, channel_id=CHANNEL)
    assert "verstehe ich nicht" in unknown.response.json()["text"]


def test_bad_and_stale_signatures_get_401_and_change_nothing(slack: LocalSlack) -> None:
    from bot.slackstandin.requests import slash_command

    request = slash_command(command="/serienbrief", text="help", user_id=SABINE.user_id, user_name="sabine",
                            team_id=TEAM, team_domain="sonne", channel_id=CHANNEL, channel_name="serienbriefe",
                            trigger_id="t", response_url="http://127.0.0.1:9/none", api_app_id="A1")
    assert slack.sim.send(request, secret="wrong-secret").status_code == 401
    assert slack.sim.send(request, timestamp=int(time.time()) - 6 * 60).status_code == 401
    assert slack.sim.send(request).status_code == 200
    assert slack.standin.calls_to("views.open") == []


@pytest.mark.parametrize("guest", ["U0GAST", "U0EINKANAL"])  # a multi-channel and a single-channel guest
def test_a_guest_is_refused_with_a_reason(slack: LocalSlack, letter, session: Session, guest: str) -> None:
    serial, _ = letter
    slack.sim.slash_command("/serienbrief", str(serial.id), user_id=guest, channel_id=CHANNEL)
    slack.settle()
    assert slack.standin.calls_to("views.open") == []
    assert any("Gäste" in (m.text or "") for m in slack.standin.ephemerals(guest))
    assert session.exec(select(Staff).where(Staff.slack_user_id == guest)).first() is None


def test_a_guest_hears_why_on_every_surface(slack: LocalSlack, letter) -> None:
    serial, _ = letter
    assert slack.sim.open_home("U0GAST").status == 200
    slack.settle()
    assert "Gäste und Bots können briefwerk nicht nutzen" in texts_of(slack.standin.home_view("U0GAST", TEAM))
    root = open_serial(slack, serial.id)  # a modal; a guest's click in one (Slack shows guests their own)
    click = slack.sim.click(Action.OPEN_RELEASE, user_id="U0GAST", view_id=root["id"])
    assert click.status == 200
    slack.settle()
    assert "Gäste und Bots können briefwerk nicht nutzen" in texts_of(slack.standin.view(root["id"]))
    slack.standin.assert_no_refusals()


def test_picker_lists_serial_letters_and_opens_one(slack: LocalSlack, letter) -> None:
    serial, _ = letter
    slack.sim.slash_command("/serienbrief", "", user_id=SABINE.user_id, channel_id=CHANNEL)
    slack.settle()
    picker = slack.top_view(SABINE.user_id)
    slack.sim.click(Action.PICK_SERIAL, user_id=SABINE.user_id, view_id=picker["id"], choice=str(serial.id))
    slack.settle()
    assert "Abrechnung 2025" in texts_of(slack.top_view(SABINE.user_id))


# --- overview and checks (seed 1–2) -------------------------------------------------------------


def test_the_modal_opens_at_once_with_a_loading_view_then_shows_the_overview(slack: LocalSlack, letter) -> None:
    serial, _ = letter
    view = open_serial(slack, serial.id)
    opened = slack.standin.calls_to("views.open")[0]
    assert "Einen Moment" in json.dumps(opened.params["view"], ensure_ascii=False)
    text = texts_of(view)
    assert "WE 03" in text and "Clara Groß" in text and "5 Briefe" in text and "0 Briefe geprüft" in text
    assert "mindestens zwei Briefe" in text


def test_downloading_a_print_file_sends_it_to_the_dm_and_counts_as_checked(slack: LocalSlack, letter) -> None:
    serial, _ = letter
    view = open_serial(slack, serial.id)
    clara = next(b for b in view["blocks"] if "Clara" in json.dumps(b, ensure_ascii=False) and b.get("accessory"))
    value = next(o["value"] for o in clara["accessory"]["options"] if o["value"].startswith("print:"))
    slack.sim.click(Action.ROW_MENU, user_id=SABINE.user_id, view_id=view["id"], block_id=clara["block_id"], choice=value)
    slack.settle()
    [upload] = slack.standin.files.values()
    first_page = PdfReader(io.BytesIO(upload.content)).pages[0].extract_text()
    assert "Clara Groß" in first_page and "ÖSTERREICH" in first_page  # her address sheet
    assert slack.standin.channel(upload.channel_id).is_im
    assert "1 Brief geprüft" in texts_of(slack.top_view(SABINE.user_id))


def test_window_previews_are_posted_as_pictures(slack: LocalSlack, letter) -> None:
    serial, _ = letter
    view = open_serial(slack, serial.id)
    slack.sim.click(Action.SHOW_PREVIEWS, user_id=SABINE.user_id, view_id=view["id"])
    slack.settle()
    pictures = [f for f in slack.standin.files.values() if f.content.startswith(b"\x89PNG")]
    assert len(pictures) >= 2


# --- release (seed 3) ---------------------------------------------------------------------------


def test_release_with_email_and_the_thread_reports_it(slack: LocalSlack, letter, session: Session) -> None:
    serial, _ = letter
    root = open_serial(slack, serial.id)
    slack.sim.click(Action.OPEN_RELEASE, user_id=SABINE.user_id, view_id=root["id"])
    slack.settle()
    release_view = slack.top_view(SABINE.user_id)
    assert "mindestens zwei Briefe" in texts_of(release_view)  # none downloaded yet
    slack.sim.submit(release_view["id"], user_id=SABINE.user_id, values={Block.NOTIFY: ["notify"]})
    slack.settle()
    assert "ist freigegeben: 4 Einheiten" in texts_of(slack.top_view(SABINE.user_id))
    assert len(list((slack.settings.home / "mail").glob("*.eml"))) == 2
    session.expire_all()
    refreshed = session.get(SerialLetter, serial.id)
    assert refreshed.state is LetterState.RELEASED and refreshed.thread_ts
    thread = [m.text for m in slack.standin.thread(CHANNEL, refreshed.thread_ts)]
    assert any("freigegeben von Sabine" in text for text in thread)
    parent = slack.standin.message(CHANNEL, refreshed.thread_ts)
    assert "im Kundenportal freigegeben" in parent.text


def enable_approval(session: Session, org: Organisation, channel: str | None = APPROVALS) -> None:
    org.manager_approval, org.approval_channel = True, channel
    session.add(org)
    session.add(Staff(organisation_id=org.id, slack_user_id=MARKUS.user_id, name="Markus Manager",
                      email=MARKUS.email, is_manager=True))
    session.commit()


def test_approval_only_a_manager_decides_and_the_first_decision_wins(slack: LocalSlack, letter, org, session) -> None:
    serial, _ = letter
    enable_approval(session, org)
    root = open_serial(slack, serial.id)
    slack.sim.click(Action.OPEN_RELEASE, user_id=SABINE.user_id, view_id=root["id"])
    slack.settle()
    slack.sim.submit(slack.top_view(SABINE.user_id)["id"], user_id=SABINE.user_id, values={Block.NOTIFY: []})
    slack.settle()
    [prompt] = [m for m in slack.standin.messages(APPROVALS)]
    slack.sim.click(Action.APPROVE, user_id=SABINE.user_id, channel=APPROVALS, ts=prompt.ts)  # not a manager
    slack.settle()
    assert state_of(session, serial.id) is LetterState.DRAFT
    assert any("Manager-Freigabe" in (m.text or "") for m in slack.standin.ephemerals(SABINE.user_id))
    slack.sim.click(Action.APPROVE, user_id=MARKUS.user_id, channel=APPROVALS, ts=prompt.ts)
    slack.sim.click(Action.REJECT, user_id=MARKUS.user_id, channel=APPROVALS, ts=prompt.ts)  # double click
    slack.settle()
    session.expire_all()
    assert state_of(session, serial.id) is LetterState.RELEASED
    assert "Genehmigt von Markus Manager" in slack.standin.message(APPROVALS, prompt.ts).as_slack()["blocks"][1]["elements"][0]["text"]
    assert any("bereits entschieden" in (m.text or "") for m in slack.standin.ephemerals(MARKUS.user_id))
    told = slack.standin.messages(slack.standin.dm_channel(TEAM, SABINE.user_id).id)
    assert any("Genehmigt von Markus Manager" in (m.text or "") for m in told)


def test_a_manager_cannot_approve_their_own_request(slack: LocalSlack, letter, org, session) -> None:
    serial, _ = letter
    enable_approval(session, org)
    session.add(Staff(organisation_id=org.id, slack_user_id=ANNA.user_id, name="Anna Admin", is_manager=True))
    session.commit()
    root = open_serial(slack, serial.id, user=MARKUS)
    slack.sim.click(Action.OPEN_RELEASE, user_id=MARKUS.user_id, view_id=root["id"])
    slack.settle()
    slack.sim.submit(slack.top_view(MARKUS.user_id)["id"], user_id=MARKUS.user_id, values={Block.NOTIFY: []})
    slack.settle()
    [prompt] = slack.standin.messages(APPROVALS)
    slack.sim.click(Action.APPROVE, user_id=MARKUS.user_id, channel=APPROVALS, ts=prompt.ts)
    slack.settle()
    assert any("anderer Manager" in (m.text or "") for m in slack.standin.ephemerals(MARKUS.user_id))
    assert state_of(session, serial.id) is LetterState.DRAFT


# --- dispatch (seed 5–11) -----------------------------------------------------------------------


def released_dispatch(slack: LocalSlack, serial_id: int) -> dict:
    root = open_serial(slack, serial_id)
    slack.sim.click(Action.OPEN_RELEASE, user_id=SABINE.user_id, view_id=root["id"])
    slack.settle()
    slack.sim.submit(slack.top_view(SABINE.user_id)["id"], user_id=SABINE.user_id, values={Block.NOTIFY: []})
    slack.settle()
    for view in reversed(slack.standin.modal_stack(SABINE.user_id)):
        slack.sim.close_modal(view["id"], user_id=SABINE.user_id)
    root = open_serial(slack, serial_id)
    slack.sim.click(Action.OPEN_DISPATCH, user_id=SABINE.user_id, view_id=root["id"])
    slack.settle()
    return slack.top_view(SABINE.user_id)


def click_twice(slack: LocalSlack, user_id: str, view: dict, action_id: str) -> None:
    """A real double click: the second request carries the same, now stale, view."""
    from bot.slackstandin.requests import action_for
    from bot.slackstandin.validation import all_elements

    block, element = next((b, e) for b, e in all_elements(view["blocks"]) if e.get("action_id") == action_id)
    for _ in range(2):
        request = block_actions(
            user={"id": user_id, "name": user_id, "team_id": TEAM}, team={"id": TEAM, "domain": "sonne"},
            api_app_id="A0STANDIN1", actions=[action_for(block, element, None, f"{time.time():.6f}")],
            trigger_id=slack.standin.new_trigger_id(user_id, team_id=TEAM, view_id=view["id"]), view=view)
        assert slack.sim.send(request).status_code == 200


def test_two_people_open_one_letters_dispatch_and_one_reopens_it(slack: LocalSlack, letter) -> None:
    serial, _ = letter
    first = released_dispatch(slack, serial.id)
    assert first.get("callback_id") == "bw_dispatch"
    root = open_serial(slack, serial.id, user=ANNA)  # a colleague, while Sabine has it open
    slack.sim.click(Action.OPEN_DISPATCH, user_id=ANNA.user_id, view_id=root["id"])
    slack.settle()
    assert slack.top_view(ANNA.user_id).get("callback_id") == "bw_dispatch"
    for view in reversed(slack.standin.modal_stack(SABINE.user_id)):
        slack.sim.close_modal(view["id"], user_id=SABINE.user_id)
    root = open_serial(slack, serial.id)
    slack.sim.click(Action.OPEN_DISPATCH, user_id=SABINE.user_id, view_id=root["id"])
    slack.settle()
    assert slack.top_view(SABINE.user_id).get("callback_id") == "bw_dispatch"
    slack.standin.assert_no_refusals()


def test_dispatch_summary_follows_the_filter_and_an_order_happens_once(slack: LocalSlack, letter, session) -> None:
    serial, _ = letter
    modal = released_dispatch(slack, serial.id)
    assert "*Briefe:* 2" in texts_of(modal)  # by preference: Bernd (prefers letter) and Clara (unregistered)
    assert "Nicht erreicht (1) – weder per Post" in texts_of(modal) and "Dora Weiß" in texts_of(modal)
    slack.sim.click(Action.FILTER, user_id=SABINE.user_id, view_id=modal["id"], choice="all")
    slack.settle()
    modal = slack.top_view(SABINE.user_id)
    assert "*Briefe:* 4" in texts_of(modal)
    click_twice(slack, SABINE.user_id, modal, Action.ORDER)  # both clicks carry the view as first shown
    slack.settle()
    orders = session.exec(select(DispatchOrder).where(DispatchOrder.serial_letter_id == serial.id)).all()
    assert len(orders) == 1
    outbox = list((slack.settings.home / "outbox").rglob("BW*.pdf"))
    assert len(outbox) == 4
    final = texts_of(slack.top_view(SABINE.user_id))
    assert "Versand stornieren" in final


def test_the_order_button_is_yellow_without_a_provider(slack: LocalSlack, letter, org, session) -> None:
    serial, _ = letter
    org.provider = "pingen"  # not configured here
    session.add(org)
    session.commit()
    modal = released_dispatch(slack, serial.id)
    assert "Funktion nicht verfügbar" in texts_of(modal) and "Briefversand beauftragen" not in texts_of(modal)
    slack.sim.click(Action.UNAVAILABLE, user_id=SABINE.user_id, view_id=modal["id"])
    slack.settle()
    assert "support@briefwerk.example" in texts_of(slack.top_view(SABINE.user_id))


def test_the_order_button_is_disabled_naming_the_failing_letters(slack: LocalSlack, letter) -> None:
    serial, _ = letter
    modal = released_dispatch(slack, serial.id)
    slack.sim.click(Action.OPTIONS, user_id=SABINE.user_id, view_id=modal["id"], choice=["registered", "cover_sheet"])
    slack.settle()
    text = texts_of(slack.top_view(SABINE.user_id))
    assert "Briefversand beauftragen" not in text
    assert "Clara Groß (WE 03)" in text and "Österreich" in text


def test_individual_selection_searches_contacts(slack: LocalSlack, letter) -> None:
    serial, found = letter
    modal = released_dispatch(slack, serial.id)
    answer = slack.sim.type_in_select(Action.UNTICK, "clara", user_id=SABINE.user_id, view_id=modal["id"])
    [clara] = answer.payload["options"]
    slack.sim.click(Action.UNTICK, user_id=SABINE.user_id, view_id=modal["id"], choice=[clara["value"]])
    slack.settle()
    modal = slack.top_view(SABINE.user_id)
    assert "*Briefe:* 1" in texts_of(modal)
    slack.sim.click(Action.WHY, user_id=SABINE.user_id, view_id=modal["id"], choice=clara["value"])
    slack.settle()
    assert "von Ihnen abgewählt" in texts_of(slack.top_view(SABINE.user_id))


# --- delete, settings, home ---------------------------------------------------------------------


def test_only_admins_delete_and_delete_empties_the_portal(slack: LocalSlack, letter, session) -> None:
    from domain.services import release

    serial, _ = letter
    with slack.deps.wiring.unit_of_work() as (other, ports):  # released: no longer Sabine's draft alone
        staff = other.exec(select(Staff).where(Staff.slack_user_id == SABINE.user_id)).one()
        release.release(other, ports, Actor.of(staff), serial.id, notify=False)
    view = open_serial(slack, serial.id)
    assert "Serienbrief löschen" not in texts_of(view) and "Entwurf löschen" not in texts_of(view)  # Sabine is no admin
    forged = block_actions(user={"id": SABINE.user_id, "name": "sabine", "team_id": TEAM}, team={"id": TEAM, "domain": "sonne"},
                           api_app_id="A0STANDIN1", actions=[{"action_id": Action.OPEN_DELETE, "block_id": "x", "type": "button",
                                                               "value": str(serial.id), "action_ts": "1"}],
                           trigger_id=slack.standin.new_trigger_id(SABINE.user_id, team_id=TEAM, view_id=view["id"]), view=view)
    assert slack.sim.send(forged).status_code == 200
    slack.settle()
    assert "nur Admins" in texts_of(slack.top_view(SABINE.user_id))
    slack.sim.close_modal(slack.top_view(SABINE.user_id)["id"], user_id=SABINE.user_id)
    admin_view = open_serial(slack, serial.id, user=ANNA)
    slack.sim.click(Action.OPEN_DELETE, user_id=ANNA.user_id, view_id=admin_view["id"])
    slack.settle()
    slack.sim.submit(slack.top_view(ANNA.user_id)["id"], user_id=ANNA.user_id)
    slack.settle()
    session.expire_all()
    assert state_of(session, serial.id) is LetterState.DELETED
    assert session.exec(select(PortalDocument)).all() == []


def test_settings_are_for_admins_and_saved(slack: LocalSlack, org, session) -> None:
    slack.sim.open_home(SABINE.user_id)
    slack.settle()
    assert "Einstellungen" not in texts_of(slack.standin.home_view(SABINE.user_id))
    slack.sim.open_home(ANNA.user_id)
    slack.settle()
    home = slack.standin.home_view(ANNA.user_id)
    slack.sim.click(Action.OPEN_SETTINGS, user_id=ANNA.user_id, view_id=home["id"])
    slack.settle()
    settings = {
        Block.ADMINS: [ANNA.user_id], Block.MANAGERS: [MARKUS.user_id], Block.CHANNEL: CHANNEL,
        Block.APPROVAL: ["on"], Block.PROVIDER: "outbox", Block.CONTACT_TEXT: "Frau Roth, Tel. 030 123", Block.LOCALE: "en",
        Block.ORG_NAME: "Hausverwaltung Sonnenschein GmbH", Block.SENDER_NAME: "Sonnenschein Kundenservice",
        Block.SENDER_EMAIL: "post@sonnenschein-hv.de", Block.REPLY_TO: "nicht-antworten"}
    refused = slack.sim.submit(slack.top_view(ANNA.user_id)["id"], user_id=ANNA.user_id, values=settings)
    assert "keine gültige E-Mail-Adresse" in refused.payload["errors"][Block.REPLY_TO]
    slack.sim.submit(slack.top_view(ANNA.user_id)["id"], user_id=ANNA.user_id,
                     values={**settings, Block.REPLY_TO: "kundenservice@sonnenschein-hv.de"})
    slack.settle()
    session.expire_all()
    saved = session.get(Organisation, org.id)
    assert saved.manager_approval and saved.locale == "en" and saved.provider_contact_text == "Frau Roth, Tel. 030 123"
    assert (saved.name, saved.sender_name, saved.sender_email, saved.reply_to) == (
        "Hausverwaltung Sonnenschein GmbH", "Sonnenschein Kundenservice", "post@sonnenschein-hv.de",
        "kundenservice@sonnenschein-hv.de")
    markus = session.exec(select(Staff).where(Staff.slack_user_id == MARKUS.user_id)).one()
    assert markus.is_manager and markus.name == "Markus Manager" and markus.email == MARKUS.email


def test_home_event_retries_are_harmless(slack: LocalSlack, letter) -> None:
    slack.sim.open_home(SABINE.user_id)
    slack.sim.open_home(SABINE.user_id, retry_num=1)
    slack.settle()
    home = slack.standin.home_view(SABINE.user_id)
    assert "Abrechnung 2025" in texts_of(home)
    assert len(slack.standin.calls_to("views.publish")) == 2


def test_switching_to_english(slack: LocalSlack, letter) -> None:
    serial, _ = letter
    slack.sim.open_home(SABINE.user_id)
    slack.settle()
    home = slack.standin.home_view(SABINE.user_id)
    slack.sim.click(Action.SET_LANGUAGE, user_id=SABINE.user_id, view_id=home["id"], choice="en")
    slack.settle()
    assert "Next: check and release" in texts_of(slack.standin.home_view(SABINE.user_id))
    assert "letters checked" in texts_of(open_serial(slack, serial.id))


# --- scale --------------------------------------------------------------------------------------


def test_an_overview_of_5000_contacts_pages_and_finds(slack: LocalSlack, org, session) -> None:
    prop = Property(organisation_id=org.id, external_id="GROSS", name="Wohnpark Groß")
    session.add(prop)
    session.flush()
    units = [Unit(property_id=prop.id, external_id=f"E{i}", label=f"WE {i:04d}", position=i) for i in range(5000)]
    contacts = [Contact(organisation_id=org.id, external_id=f"K{i}", name=f"Kontakt {i:04d}", street="Weg 1",
                        postcode="10115", city="Berlin") for i in range(5000)]
    session.add_all(units + contacts)
    session.flush()
    session.add_all(Occupancy(unit_id=u.id, contact_id=c.id, relation=Relation.OWNER) for u, c in zip(units, contacts))
    staff = Staff(organisation_id=org.id, slack_user_id=SABINE.user_id, name="Sabine")
    session.add(staff)
    session.commit()
    from domain.actors import Actor

    serial = documents.create_serial_letter(session, Actor.of(staff), prop.id, "Großer Serienbrief", ["Info"])
    view = open_serial(slack, serial.id)
    assert "Seite 1/200" in texts_of(view) and "5000 Briefe" in texts_of(view)
    slack.sim.click(Action.PAGE_NEXT, user_id=SABINE.user_id, view_id=view["id"])
    slack.settle()
    assert "WE 0025" in texts_of(slack.top_view(SABINE.user_id))
    answer = slack.sim.type_in_select(Action.FIND_CONTACT, "Kontakt 4321", user_id=SABINE.user_id,
                                      view_id=slack.top_view(SABINE.user_id)["id"])
    [found] = answer.payload["options"]
    slack.sim.click(Action.FIND_CONTACT, user_id=SABINE.user_id, view_id=slack.top_view(SABINE.user_id)["id"], choice=found["value"])
    slack.settle()
    text = texts_of(slack.top_view(SABINE.user_id))
    assert "Kontakt 4321" in text and "Seite 173/200" in text


# --- edit documents, stale views, install, health -------------------------------------------------


def test_edit_documents_asks_before_replacing_a_units_document(slack: LocalSlack, letter, session) -> None:
    from domain.models import SourceDocument, UnitDocument
    from domain.pdf.assemble import concatenate
    from tests.factories import unit_letter

    serial, found = letter
    view = open_serial(slack, serial.id)
    slack.sim.click(Action.OPEN_DOCUMENTS, user_id=SABINE.user_id, view_id=view["id"])
    slack.settle()
    pdf = concatenate([unit_letter(["Anna Schäfer"], "WE 01", 3), unit_letter(["Bernd Groß"], "WE 99", 1)])
    upload = slack.standin.user_upload(SABINE.user_id, "neu.pdf", pdf)
    slack.sim.submit(slack.top_view(SABINE.user_id)["id"], user_id=SABINE.user_id, values={
        Block.FILE: [upload], Block.DOCUMENT_TYPE: "0", Block.SPLIT_METHOD: "marker", Block.SPLIT_VALUE: "Einheit: {unit}"})
    slack.settle()
    asked = slack.top_view(SABINE.user_id)
    assert "1 Einheit hat schon ein Dokument „Hausgeldabrechnung“ (aus b.pdf): WE 01" in texts_of(asked)
    slack.sim.click(Action.TAKE_NEW, user_id=SABINE.user_id, view_id=asked["id"])
    slack.settle()
    text = texts_of(slack.top_view(SABINE.user_id))
    assert "Hausgeldabrechnung: 1 Einheit gespeichert" in text and "„WE 99“" in text
    assert "ein neues Dokument statt des bisherigen: WE 01" in text
    session.expire_all()
    we01 = session.exec(select(UnitDocument).where(UnitDocument.serial_letter_id == serial.id,
                                                   UnitDocument.unit_id == found.units["WE 01"].id)).one()
    assert we01.page_count == 3 and session.get(SourceDocument, we01.source_id).filename == "neu.pdf"
    root = slack.standin.modal_stack(SABINE.user_id)[0]
    assert "Abrechnung 2025" in texts_of(root)  # the overview underneath was shown afresh


def test_edit_documents_can_replace_a_types_whole_assignment(slack: LocalSlack, letter, session) -> None:
    from domain.models import UnitDocument
    from tests.factories import unit_letter

    serial, found = letter
    view = open_serial(slack, serial.id)
    slack.sim.click(Action.OPEN_DOCUMENTS, user_id=SABINE.user_id, view_id=view["id"])
    slack.settle()
    upload = slack.standin.user_upload(SABINE.user_id, "nur_WE_02.pdf", unit_letter(["x"], "WE 02", 1))
    slack.sim.submit(slack.top_view(SABINE.user_id)["id"], user_id=SABINE.user_id, values={
        Block.FILE: [upload], Block.DOCUMENT_TYPE: "0", Block.SPLIT_METHOD: "files", Block.UPLOAD_MODE: "replace"})
    slack.settle()
    assert "3 Einheiten ohne Dokument: WE 01, WE 03, WE 04" in texts_of(slack.top_view(SABINE.user_id))
    session.expire_all()
    assert [d.unit_id for d in session.exec(select(UnitDocument).where(UnitDocument.serial_letter_id == serial.id))] == [
        found.units["WE 02"].id]


def test_edit_documents_refuses_a_bad_page_count_inline(slack: LocalSlack, letter) -> None:
    serial, _ = letter
    view = open_serial(slack, serial.id)
    slack.sim.click(Action.OPEN_DOCUMENTS, user_id=SABINE.user_id, view_id=view["id"])
    slack.settle()
    upload = slack.standin.user_upload(SABINE.user_id, "x.pdf", attachment(1))
    answer = slack.sim.submit(slack.top_view(SABINE.user_id)["id"], user_id=SABINE.user_id, values={
        Block.FILE: [upload], Block.DOCUMENT_TYPE: "0", Block.SPLIT_METHOD: "pages", Block.SPLIT_VALUE: "drei"})
    assert answer.payload["response_action"] == "errors" and Block.SPLIT_VALUE in answer.payload["errors"]


def test_a_stale_release_modal_releases_nothing(slack: LocalSlack, letter, session) -> None:
    from domain.actors import Actor
    from domain.services import dispatch as dispatch_service
    from tests.conftest import Ports  # noqa: F401 - the same ports the use cases take

    serial, _ = letter
    root = open_serial(slack, serial.id)
    slack.sim.click(Action.OPEN_RELEASE, user_id=SABINE.user_id, view_id=root["id"])
    slack.settle()
    with slack.deps.wiring.unit_of_work() as (other, ports):  # a colleague changes the letter meanwhile
        staff = other.exec(select(Staff).where(Staff.slack_user_id == SABINE.user_id)).one()
        dispatch_service.configure_dispatch(other, ports, Actor.of(staff), serial.id, {"merge": True})
    slack.sim.submit(slack.top_view(SABINE.user_id)["id"], user_id=SABINE.user_id, values={Block.NOTIFY: []})
    slack.settle()
    assert "inzwischen geändert" in texts_of(slack.top_view(SABINE.user_id))
    session.expire_all()
    assert state_of(session, serial.id) is LetterState.DRAFT


def test_health_check(slack: LocalSlack) -> None:
    import httpx

    answer = httpx.get(f"{slack.url}/healthz")
    assert answer.status_code == 200 and answer.json() == {"ok": True}


def test_the_evidence_record_arrives_in_the_dm(slack: LocalSlack, letter) -> None:
    serial, _ = letter
    answer = slack.sim.slash_command("/serienbrief", f"{serial.id} protokoll", user_id=SABINE.user_id, channel_id=CHANNEL)
    assert answer.status == 200
    slack.settle()
    names = sorted(f.filename for f in slack.standin.files.values())
    assert names == [f"Versendungsprotokoll-{serial.id}.csv", f"Versendungsprotokoll-{serial.id}.pdf"]
    assert any("Versendungsprotokoll" in (m.text or "") for m in slack.standin.ephemerals(SABINE.user_id))


def test_download_link_by_email_then_expired(slack: LocalSlack, letter, session) -> None:
    import email as emaillib
    from email import policy

    import httpx

    from domain.models import DownloadLink

    serial, _ = letter
    session.exec(select(Staff).where(Staff.slack_user_id == SABINE.user_id)).one()
    modal = released_dispatch(slack, serial.id)
    slack.sim.click(Action.REQUEST_LINK, user_id=SABINE.user_id, view_id=modal["id"])
    slack.settle()
    assert "Download-Link für 2 Briefe" in texts_of(slack.top_view(SABINE.user_id))
    mail = next(path for path in (slack.settings.home / "mail").glob("*.eml")
                if "Download-Link" in path.read_text("utf-8", errors="replace"))
    body = emaillib.message_from_bytes(mail.read_bytes(), policy=policy.default).get_content()
    url = next(word for word in body.split() if "/links/" in word)
    path = url.split("/links/", 1)[1]
    answer = httpx.get(f"{slack.url}/links/{path}", headers={"User-Agent": "Mozilla/5.0 (Pruefer)"})
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    assert (answer.headers["cache-control"], answer.headers["x-content-type-options"],
            answer.headers["referrer-policy"]) == ("no-store", "nosniff", "no-referrer")
    assert "strict-transport-security" not in answer.headers  # the public address is http here
    assert httpx.head(f"{slack.url}/links/{path}").status_code == 200
    rest = httpx.get(f"{slack.url}/links/{path}", headers={"Range": "bytes=100-"})
    assert rest.status_code == 206 and rest.content == answer.content[100:]
    unknown = httpx.get(f"{slack.url}/links/{'x' * 43}")
    assert unknown.status_code == 404 and unknown.headers["cache-control"] == "no-store"
    link = session.exec(select(DownloadLink)).one()
    assert link.used_count == 1  # the HEAD and the rest of the download are not uses
    used = session.exec(select(Event).where(Event.kind == "download_link_used")).one()
    assert (used.data["address"], used.data["agent"]) == ("127.0.0.1", "Mozilla/5.0 (Pruefer)")
    link.expires_at = link.created_at
    session.add(link)
    session.commit()
    expired = httpx.get(f"{slack.url}/links/{path}")
    assert expired.status_code == 404 and "abgelaufen" in expired.text


def test_an_order_for_a_later_day_waits_and_progress_is_shown(slack: LocalSlack, letter, session) -> None:
    from datetime import date, timedelta

    serial, _ = letter
    modal = released_dispatch(slack, serial.id)
    later = date.today() + timedelta(days=3)
    slack.sim.click(Action.SEND_ON, user_id=SABINE.user_id, view_id=modal["id"], choice=later.isoformat())
    slack.settle()
    modal = slack.top_view(SABINE.user_id)
    assert later.isoformat() in texts_of(modal) and "Sofort versenden" in texts_of(modal)
    slack.sim.click(Action.ORDER, user_id=SABINE.user_id, view_id=modal["id"])
    slack.settle()
    assert f"am {later:%d.%m.%Y}" in texts_of(slack.top_view(SABINE.user_id))
    assert list((slack.settings.home / "outbox").rglob("BW*.pdf")) == []
    order = session.exec(select(DispatchOrder).where(DispatchOrder.serial_letter_id == serial.id)).one()
    assert order.send_on == later


def test_order_progress_appears_in_the_modal(slack: LocalSlack, letter) -> None:
    serial, _ = letter
    modal = released_dispatch(slack, serial.id)
    slack.sim.click(Action.ORDER, user_id=SABINE.user_id, view_id=modal["id"])
    slack.settle()
    updates = [json.dumps(call.params.get("view"), ensure_ascii=False) for call in slack.standin.calls_to("views.update")]
    assert any("2 von 2 Briefen" in text for text in updates)


def test_a_background_failure_is_told_not_left_loading(slack: LocalSlack, letter, monkeypatch) -> None:
    from domain.services import dispatch as dispatch_service

    serial, _ = letter
    view = open_serial(slack, serial.id)

    def broken(*args, **kwargs):
        raise RuntimeError("kaputt")

    monkeypatch.setattr(dispatch_service, "build_plan", broken)
    slack.sim.click(Action.SHOW_PREVIEWS, user_id=SABINE.user_id, view_id=view["id"])
    slack.settle()
    told = [m.text for m in slack.standin.messages(slack.standin.dm_channel(TEAM, SABINE.user_id).id)]
    assert any("unerwarteter Fehler" in (text or "") for text in told)
    from domain.services import release

    with slack.deps.wiring.unit_of_work() as (other, ports):
        staff = other.exec(select(Staff).where(Staff.slack_user_id == SABINE.user_id)).one()
        release.release(other, ports, Actor.of(staff), serial.id, notify=False)
    view = open_serial(slack, serial.id)
    slack.sim.click(Action.OPEN_DISPATCH, user_id=SABINE.user_id, view_id=view["id"])
    slack.settle()
    shown = texts_of(slack.top_view(SABINE.user_id))
    assert "unerwarteter Fehler" in shown and "zusammengestellt" not in shown  # not left computing
