"""One organisation per Slack workspace, names that never repeat, and the identity contacts see."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from domain.actors import Actor
from domain.errors import InvalidInput, NotAllowed
from domain.models import Contact, Organisation, SerialLetter
from domain.notifications import new_documents_email
from domain.services import organisations


def test_a_workspace_adopts_the_one_organisation_a_script_made(session: Session) -> None:
    made = organisations.for_command_line(session, None)
    session.commit()
    assert (made.name, made.slack_team_id) == ("Hausverwaltung", None)
    bound = organisations.for_workspace(session, "T1", "sonne", adopt_unbound=True)
    assert bound.id == made.id and bound.slack_team_id == "T1"
    other = organisations.for_workspace(session, "T2", "mond", adopt_unbound=True)  # nothing left to adopt
    assert other.id != made.id and other.name == "mond"
    assert organisations.for_workspace(session, "T1", "egal", adopt_unbound=True).id == made.id


def test_with_two_unbound_organisations_a_workspace_adopts_neither(session: Session) -> None:
    organisations.for_command_line(session, "Sonne")
    session.commit()
    organisations.for_command_line(session, "Sonne")  # found by name
    session.add(Organisation(name="Mond"))
    session.commit()
    bound = organisations.for_workspace(session, "T1", "sonne-hv", adopt_unbound=True)
    assert bound.name == "sonne-hv"
    assert {o.name: o.slack_team_id for o in session.exec(select(Organisation))} == {
        "Sonne": None, "Mond": None, "sonne-hv": "T1"}


def test_several_workspaces_never_adopt_and_never_share_a_name(session: Session) -> None:
    made = organisations.for_command_line(session, "Hausverwaltung Sonnenschein")
    session.commit()
    first = organisations.for_workspace(session, "T1", "Hausverwaltung Sonnenschein", adopt_unbound=False)
    second = organisations.for_workspace(session, "T2", "Hausverwaltung Sonnenschein", adopt_unbound=False)
    assert made.slack_team_id is None and first.id != made.id
    names = [o.name for o in session.exec(select(Organisation).order_by(Organisation.id))]
    assert names == ["Hausverwaltung Sonnenschein", "Hausverwaltung Sonnenschein (T1)", "Hausverwaltung Sonnenschein (T2)"]
    assert second.name.endswith("(T2)")


def test_the_command_line_refuses_to_guess(session: Session) -> None:
    session.add_all([Organisation(name="Sonne", slack_team_id="T1"), Organisation(name="Mond", slack_team_id="T2")])
    session.commit()
    with pytest.raises(InvalidInput) as ambiguous:
        organisations.for_command_line(session, None)
    assert "Sonne (T1), Mond (T2)" in ambiguous.value.render("de")
    with pytest.raises(InvalidInput):
        organisations.for_command_line(session, "t2")  # team ids are exact
    assert organisations.for_command_line(session, "mond").slack_team_id == "T2"


def test_identity_is_for_admins_and_checked(session: Session, organisation: Organisation, admin: Actor, clerk: Actor) -> None:
    given = dict(name="Hausverwaltung Sonnenschein GmbH", return_line="Sonnenschein · Hauptstraße 1 · 10115 Berlin",
                 sender_name="Sonnenschein Kundenservice", sender_email="post@sonnenschein-hv.de",
                 reply_to="service@sonnenschein-hv.de")
    with pytest.raises(NotAllowed):
        organisations.set_identity(session, clerk, **given)
    session.add(Organisation(name="Mond Verwaltung"))
    session.commit()
    with pytest.raises(InvalidInput) as taken:
        organisations.set_identity(session, admin, **{**given, "name": "mond verwaltung"})
    assert "heißt schon" in taken.value.render("de")
    with pytest.raises(InvalidInput) as bad:
        organisations.set_identity(session, admin, **{**given, "reply_to": "service(at)sonnenschein"})
    assert "Antwort-Adresse" in bad.value.render("de")
    organisations.set_identity(session, admin, **given)
    session.expire_all()
    stored = session.get(Organisation, organisation.id)
    assert (stored.name, stored.sender_name, stored.reply_to) == (given["name"], given["sender_name"], given["reply_to"])
    assert not organisations.identity_missing(stored)


def test_contacts_read_the_company_never_slack(session: Session, organisation: Organisation) -> None:
    organisation.sender_name, organisation.reply_to = "Sonnenschein Kundenservice", "service@sonnenschein-hv.de"
    contact = Contact(organisation_id=organisation.id, external_id="K1", name="Anna Schäfer", email="anna@example.de")
    serial = SerialLetter(organisation_id=organisation.id, property_id=1, title="Abrechnung 2025")
    message = new_documents_email(organisation, serial, contact, "https://portal.example/")
    assert str(message["From"]) == "Sonnenschein Kundenservice <post@sonnenschein-hv.de>"
    assert str(message["Reply-To"]) == "Hausverwaltung Sonnenschein GmbH <service@sonnenschein-hv.de>"
    assert "Hausverwaltung Sonnenschein GmbH" in message.get_content() and "Slack" not in message.as_string()
