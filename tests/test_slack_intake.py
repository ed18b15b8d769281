"""The front door in Slack, as Slack talks to it: signed requests into the served app, files
uploaded into modals, every Web API call answered and checked by the local stand-in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.settings import Settings
from bot.slack.ids import Action, Block
from bot.slack.local import ANNA, CHANNEL, MARKUS, SABINE, TEAM, LocalSlack
from domain.importer import import_file
from domain.models import (
    ApiKey,
    ImportRun,
    LetterState,
    Organisation,
    Property,
    SerialLetter,
    SourceDocument,
    UnitDocument,
)
from domain.pdf.assemble import concatenate
from tests.factories import a_zip, attachment, unit_letter

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "kontakte.csv"


@pytest.fixture
def slack(engine: Engine, tmp_path: Path) -> Iterator[LocalSlack]:
    settings = Settings(home=tmp_path / "var", database_url=engine.url.render_as_string(hide_password=False))
    with LocalSlack(settings) as local:
        yield local
        local.settle()
        local.standin.assert_no_refusals()


@pytest.fixture
def org(session: Session) -> Organisation:
    org = Organisation(name="Hausverwaltung Sonnenschein", slack_team_id=TEAM, notify_channel=CHANNEL,
                       return_line="Hausverwaltung Sonnenschein · Hauptstraße 1 · 10115 Berlin",
                       sender_email="post@sonnenschein-hv.example")
    session.add(org)
    session.commit()
    return org


def csv_for(units: int) -> bytes:
    """An ERP export: one property with `units` apartments, one owner each."""
    lines = ["Liegenschaft-Nr;Liegenschaft;Einheit-Nr;Einheit;Kontakt-Nr;Name;Straße;PLZ;Ort;Rolle"]
    lines += [f"LH7;WEG Birkenweg;E{n:02d};WE {n:02d};K{n:03d};Eigentümer {n};Birkenweg {n};04109;Leipzig;Eigentümer"
              for n in range(1, units + 1)]
    return "\n".join(lines).encode()


@pytest.fixture
def estate(session: Session, org: Organisation) -> Property:
    import_file(session, org.id, "birkenweg.csv", csv_for(30), __import__("datetime").date.today())
    return session.exec(select(Property).where(Property.external_id == "LH7")).one()


def texts_of(view: dict) -> str:
    return json.dumps(view, ensure_ascii=False)




def plans(numbers: range) -> dict[str, bytes]:
    return {f"Wirtschaftsplan_WE_{n:02d}.pdf": unit_letter(["x"], f"WE {n:02d}", 1, "Wirtschaftsplan") for n in numbers}


def start_new(slack: LocalSlack, user=SABINE, title: str = "Abrechnung 2025", types: str = "Hausgeldabrechnung\nWirtschaftsplan") -> dict:
    """Opens "Neuer Serienbrief" from the App Home and fills step 1; returns step 2."""
    slack.sim.open_home(user.user_id)
    slack.settle()
    slack.sim.click(Action.NEW_SERIAL, user_id=user.user_id, view_id=slack.standin.home_view(user.user_id)["id"])
    slack.settle()
    form = slack.top_view(user.user_id)
    found = slack.sim.type_in_select(Action.PROPERTY, "birken", user_id=user.user_id, view_id=form["id"])
    [choice] = found.payload["options"]
    assert choice["text"]["text"] == "LH7 · WEG Birkenweg" and choice["description"]["text"].endswith(" Einheiten")
    answer = slack.sim.submit(form["id"], user_id=user.user_id, values={
        Block.PROPERTY: choice, Block.TITLE: title, Block.TYPES: types})
    assert answer.payload["response_action"] == "update", answer.payload
    return slack.top_view(user.user_id)


def submit_files(slack: LocalSlack, step: dict, values: dict, user=SABINE) -> dict:
    slack.sim.submit(step["id"], user_id=user.user_id, values=values)
    slack.settle()
    return slack.top_view(user.user_id)


def upload(slack: LocalSlack, name: str, data: bytes, user=SABINE) -> dict:
    return slack.standin.user_upload(user.user_id, name, data)


def test_a_new_serial_letter_from_the_app_home(slack: LocalSlack, estate, session: Session) -> None:
    step = start_new(slack)
    assert "*Abrechnung 2025* · WEG Birkenweg · 30 Einheiten" in texts_of(step)
    batch = concatenate([unit_letter(["x"], f"WE {n:02d}", 2) for n in range(1, 31)])
    result = submit_files(slack, step, {
        Block.files_of(0): [upload(slack, "hausgeld.pdf", batch)], Block.method_of(0): "marker",
        Block.files_of(1): [upload(slack, "plaene.zip", a_zip(plans(range(1, 31))))], Block.method_of(1): "files",
        Block.ATTACHMENTS: [upload(slack, "Einladung.pdf", attachment(3))]})
    text = texts_of(result)
    assert "Serienbrief Nr." in text and "angelegt (WEG Birkenweg, 30 Einheiten)" in text
    assert "Hausgeldabrechnung: 30 von 30 Einheiten haben ein Dokument (60 Seiten)." in text
    assert "Wirtschaftsplan: 30 von 30 Einheiten haben ein Dokument (30 Seiten)." in text
    assert "Einladung.pdf (3)" in text
    slack.sim.click(Action.SHOW_OVERVIEW, user_id=SABINE.user_id, view_id=result["id"])
    slack.settle()
    overview = texts_of(slack.top_view(SABINE.user_id))
    assert "30 Briefe" in overview and "Dokumente bearbeiten" in overview and "Umbenennen" in overview
    session.expire_all()
    serial = session.exec(select(SerialLetter)).one()
    assert serial.document_types == ["Hausgeldabrechnung", "Wirtschaftsplan"] and serial.state is LetterState.DRAFT
    assert len(session.exec(select(UnitDocument).where(UnitDocument.serial_letter_id == serial.id)).all()) == 60


def test_thirty_unit_files_in_three_uploads_add_up(slack: LocalSlack, estate, session: Session) -> None:
    step = start_new(slack, types="Wirtschaftsplan")
    first = submit_files(slack, step, {
        Block.files_of(0): [upload(slack, n, d) for n, d in plans(range(1, 11)).items()], Block.method_of(0): "files"})
    assert "10 von 30 Einheiten" in texts_of(first) and "20 Einheiten ohne Dokument" in texts_of(first)
    slack.sim.click(Action.SHOW_OVERVIEW, user_id=SABINE.user_id, view_id=first["id"])
    slack.settle()
    for numbers in (range(11, 21), range(21, 31)):
        overview = slack.top_view(SABINE.user_id)
        slack.sim.click(Action.OPEN_DOCUMENTS, user_id=SABINE.user_id, view_id=overview["id"])
        slack.settle()
        result = submit_files(slack, slack.top_view(SABINE.user_id), {
            Block.FILE: [upload(slack, n, d) for n, d in plans(numbers).items()], Block.SPLIT_METHOD: "files"})
        assert "Wirtschaftsplan: 10 Einheiten gespeichert" in texts_of(result)
        slack.sim.close_modal(result["id"], user_id=SABINE.user_id)
    session.expire_all()
    serial = session.exec(select(SerialLetter)).one()
    assert len(session.exec(select(UnitDocument).where(UnitDocument.serial_letter_id == serial.id)).all()) == 30
    assert "Wirtschaftsplan: 30 von 30 Einheiten" in texts_of(result)


def test_a_failure_creates_nothing_and_leads_back_to_the_files(slack: LocalSlack, estate, session: Session) -> None:
    step = start_new(slack, types="Hausgeldabrechnung")
    failed = submit_files(slack, step, {Block.files_of(0): [upload(slack, "kaputt.pdf", b"%PDF-1.7 kaputt")],
                                        Block.method_of(0): "marker"})
    assert "Nichts wurde angelegt: kaputt.pdf lässt sich nicht lesen" in texts_of(failed)
    session.expire_all()
    assert session.exec(select(SerialLetter)).all() == [] and session.exec(select(SourceDocument)).all() == []
    blobs = slack.settings.home / "files" / "blobs"
    assert not blobs.exists() or not any(p.is_file() for p in blobs.rglob("*"))
    slack.sim.click(Action.BACK_TO_FILES, user_id=SABINE.user_id, view_id=failed["id"])
    slack.settle()
    assert Block.files_of(0) in texts_of(slack.top_view(SABINE.user_id))


def test_step_two_refuses_unreadable_settings_inline(slack: LocalSlack, estate) -> None:
    step = start_new(slack, types="Hausgeldabrechnung")
    answer = slack.sim.submit(step["id"], user_id=SABINE.user_id, values={
        Block.files_of(0): [upload(slack, "p.zip", a_zip(plans(range(1, 3))))], Block.method_of(0): "pages",
        Block.setting_of(0): "drei"})
    errors = answer.payload["errors"]
    assert "Zahl" in errors[Block.setting_of(0)] and "Eine Datei je Einheit" in errors[Block.files_of(0)]


def test_a_title_in_use_is_a_warning(slack: LocalSlack, estate, session: Session) -> None:
    step = start_new(slack, types="Wirtschaftsplan")
    submit_files(slack, step, {Block.files_of(0): [upload(slack, "p.zip", a_zip(plans(range(1, 3))))],
                               Block.method_of(0): "files"})
    slack.sim.close_modal(slack.top_view(SABINE.user_id)["id"], user_id=SABINE.user_id)
    again = start_new(slack, types="Wirtschaftsplan")
    assert "Es gibt schon einen Serienbrief „Abrechnung 2025“" in texts_of(again)


def test_a_property_without_units_is_refused_at_once(slack: LocalSlack, org, session: Session) -> None:
    session.add(Property(organisation_id=org.id, external_id="LEER", name="Leerstand Birkenweg"))
    session.commit()
    slack.sim.slash_command("/serienbrief", "neu", user_id=SABINE.user_id, channel_id=CHANNEL)
    slack.settle()
    form = slack.top_view(SABINE.user_id)
    [choice] = slack.sim.type_in_select(Action.PROPERTY, "leer", user_id=SABINE.user_id, view_id=form["id"]).payload["options"]
    answer = slack.sim.submit(form["id"], user_id=SABINE.user_id, values={Block.PROPERTY: choice, Block.TITLE: "X"})
    assert "keine Einheiten" in answer.payload["errors"][Block.PROPERTY]


def test_the_picker_offers_a_new_serial_letter(slack: LocalSlack, org) -> None:
    slack.sim.slash_command("/serienbrief", "", user_id=SABINE.user_id, channel_id=CHANNEL)
    slack.settle()
    picker = slack.top_view(SABINE.user_id)
    assert "noch keine Serienbriefe" in texts_of(picker)
    slack.sim.click(Action.NEW_SERIAL, user_id=SABINE.user_id, view_id=picker["id"])
    slack.settle()
    assert slack.top_view(SABINE.user_id)["callback_id"] == "bw_new_serial"


def test_long_splits_show_progress(slack: LocalSlack, org, session: Session, monkeypatch) -> None:
    from handlers.common import ViewJob

    monkeypatch.setattr(ViewJob, "EVERY", 0.0)  # every progress line, not one each 2 s
    monkeypatch.setattr(ViewJob, "SETTLE", 0.0)
    import_file(session, org.id, "gross.csv", csv_for(99), __import__("datetime").date.today())
    step = start_new(slack, types="Hausgeldabrechnung")
    batch = concatenate([unit_letter(["x"], f"WE {n:02d}", 9) for n in range(1, 100)])  # 891 pages
    submit_files(slack, step, {Block.files_of(0): [upload(slack, "gross.pdf", batch)], Block.method_of(0): "marker"})
    shown = [json.dumps(call.params.get("view"), ensure_ascii=False) for call in slack.standin.calls_to("views.update")]
    assert any("Seite 800 von 891 gelesen" in view for view in shown), shown
    assert any("Dokument 99 von 99 gespeichert" in view for view in shown), shown
    assert "99 von 99 Einheiten" in texts_of(slack.top_view(SABINE.user_id))


def test_rename_and_delete_are_for_the_creator_and_admins(slack: LocalSlack, estate, session: Session) -> None:
    step = start_new(slack, types="Wirtschaftsplan")
    result = submit_files(slack, step, {Block.files_of(0): [upload(slack, "p.zip", a_zip(plans(range(1, 3))))],
                                        Block.method_of(0): "files"})
    slack.sim.click(Action.SHOW_OVERVIEW, user_id=SABINE.user_id, view_id=result["id"])
    slack.settle()
    overview = slack.top_view(SABINE.user_id)
    slack.sim.click(Action.OPEN_RENAME, user_id=SABINE.user_id, view_id=overview["id"])
    slack.settle()
    slack.sim.submit(slack.top_view(SABINE.user_id)["id"], user_id=SABINE.user_id, values={Block.TITLE: "Wirtschaftsplan 2026"})
    slack.settle()
    assert "Umbenannt in *Wirtschaftsplan 2026*" in texts_of(slack.top_view(SABINE.user_id))
    serial_id = session.exec(select(SerialLetter.id)).one()
    slack.sim.slash_command("/serienbrief", str(serial_id), user_id=MARKUS.user_id, channel_id=CHANNEL)
    slack.settle()
    other = slack.top_view(MARKUS.user_id)
    assert "Umbenennen" not in texts_of(other) and "Entwurf löschen" not in texts_of(other)
    overview = slack.top_view(SABINE.user_id)
    assert "Entwurf löschen" in texts_of(overview)
    slack.sim.click(Action.OPEN_DELETE, user_id=SABINE.user_id, view_id=overview["id"])
    slack.settle()
    slack.sim.submit(slack.top_view(SABINE.user_id)["id"], user_id=SABINE.user_id)
    slack.settle()
    session.expire_all()
    serial = session.get(SerialLetter, serial_id)
    assert serial.title == "Wirtschaftsplan 2026" and serial.state is LetterState.DELETED


# --- master data and API keys in the App Home ---------------------------------------------------


def open_import(slack: LocalSlack, user=ANNA) -> dict:
    slack.sim.open_home(user.user_id)
    slack.settle()
    slack.sim.click(Action.OPEN_IMPORT, user_id=user.user_id, view_id=slack.standin.home_view(user.user_id)["id"])
    slack.settle()
    return slack.top_view(user.user_id)


def test_master_data_preview_then_import(slack: LocalSlack, org, session: Session) -> None:
    form = open_import(slack)
    slack.sim.submit(form["id"], user_id=ANNA.user_id, values={
        Block.IMPORT_FILE: [upload(slack, "kontakte.csv", EXAMPLE.read_bytes(), user=ANNA)]})
    slack.settle()
    preview = slack.top_view(ANNA.user_id)
    assert "neu: 1 Liegenschaft, 4 Einheiten, 6 Kontakte, 7 Zuordnungen" in texts_of(preview)
    session.expire_all()
    assert session.exec(select(Property)).all() == []  # a preview stores nothing
    slack.sim.submit(preview["id"], user_id=ANNA.user_id)
    slack.settle()
    assert "kontakte.csv* importiert: 7 Zeilen" in texts_of(slack.top_view(ANNA.user_id))
    session.expire_all()
    [run] = session.exec(select(ImportRun)).all()
    assert (run.route, run.by_name, run.rows) == ("slack", "Anna Admin", 7)
    assert "Letzte Importe" in texts_of(slack.standin.home_view(ANNA.user_id))
    assert "kontakte.csv · Anna Admin (slack) · 7 Zeilen" in texts_of(slack.standin.home_view(ANNA.user_id))


def test_rejected_rows_are_listed_and_nothing_is_imported(slack: LocalSlack, org, session: Session) -> None:
    bad = EXAMPLE.read_text().replace("Eigentümer;1;\n", "Hausmeister;1;\n", 1).replace(";10997;", ";;", 1).encode()
    form = open_import(slack)
    slack.sim.submit(form["id"], user_id=ANNA.user_id, values={Block.IMPORT_FILE: [upload(slack, "k.csv", bad, user=ANNA)]})
    slack.settle()
    preview = slack.top_view(ANNA.user_id)
    text = texts_of(preview)
    assert "Abgelehnte Zeilen: 2" in text and "Zeile 2: Rolle: „Hausmeister“ ist weder Eigentümer noch Mieter" in text
    assert "Zeile 4: unvollständige Postanschrift, es fehlt: PLZ" in text
    assert "submit" not in preview
    session.expire_all()
    assert session.exec(select(Property)).all() == [] and session.exec(select(ImportRun)).all() == []


def test_staff_cannot_import(slack: LocalSlack, org) -> None:
    slack.sim.open_home(SABINE.user_id)
    slack.settle()
    assert "Stammdaten importieren" not in texts_of(slack.standin.home_view(SABINE.user_id))
    assert "Stammdaten importieren nur Admins" in texts_of(_forged_import(slack))


def _forged_import(slack: LocalSlack) -> dict:
    """Sabine sends the admin button's click herself (anyone can forge a payload's action id)."""
    home = slack.standin.home_view(SABINE.user_id)
    from bot.slackstandin.requests import block_actions

    forged = block_actions(user={"id": SABINE.user_id, "name": "sabine", "team_id": TEAM}, team={"id": TEAM, "domain": "sonne"},
                           api_app_id="A0STANDIN1", actions=[{"action_id": Action.OPEN_IMPORT, "block_id": "x",
                                                               "type": "button", "action_ts": "1"}],
                           trigger_id=slack.standin.new_trigger_id(SABINE.user_id, team_id=TEAM), view=home)
    slack.sim.send(forged)
    slack.settle()
    return slack.top_view(SABINE.user_id)


def test_api_keys_are_shown_once_stored_hashed_and_revocable(slack: LocalSlack, org, session: Session) -> None:
    slack.sim.open_home(ANNA.user_id)
    slack.settle()
    slack.sim.click(Action.OPEN_API_KEYS, user_id=ANNA.user_id, view_id=slack.standin.home_view(ANNA.user_id)["id"])
    slack.settle()
    keys = slack.top_view(ANNA.user_id)
    answer = slack.sim.submit(keys["id"], user_id=ANNA.user_id, values={Block.KEY_NAME: "ERP DOMUS"})
    text = texts_of(answer.payload["view"])
    token = text.split("```")[1]
    assert token.startswith("bw_") and "nicht wieder angezeigt" in text
    session.expire_all()
    [key] = session.exec(select(ApiKey)).all()
    assert key.name == "ERP DOMUS" and token not in json.dumps(key.model_dump(mode="json"))
    shown = slack.top_view(ANNA.user_id)
    slack.sim.click(Action.REVOKE_KEY, user_id=ANNA.user_id, view_id=shown["id"], block_id=f"key_{key.id}")
    slack.settle()
    assert "widerrufen" in texts_of(slack.top_view(ANNA.user_id)) and token not in texts_of(slack.top_view(ANNA.user_id))
    session.expire_all()
    assert session.get(ApiKey, key.id).revoked_at is not None


def test_an_import_before_slack_is_adopted_by_the_workspace(slack: LocalSlack, session: Session) -> None:
    """`briefwerk import` ran before anyone used Slack: the first request binds that organisation."""
    from domain.services import organisations

    org = organisations.for_command_line(session, None)
    import_file(session, org.id, "birkenweg.csv", csv_for(3), __import__("datetime").date.today())
    assert org.slack_team_id is None
    slack.sim.slash_command("/serienbrief", "neu", user_id=SABINE.user_id, channel_id=CHANNEL)
    slack.settle()
    form = slack.top_view(SABINE.user_id)
    [choice] = slack.sim.type_in_select(Action.PROPERTY, "", user_id=SABINE.user_id, view_id=form["id"]).payload["options"]
    assert choice["text"]["text"] == "LH7 · WEG Birkenweg"
    session.expire_all()
    assert [o.slack_team_id for o in session.exec(select(Organisation))] == [TEAM]
