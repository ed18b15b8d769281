"""The company behind a Slack workspace: one organisation per workspace, found by team id or name,
with the identity contacts see (name, postal sender line, email sender and reply-to)."""

from __future__ import annotations

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from domain.actors import Actor
from domain.errors import InvalidInput
from domain.messages import Message
from domain.models import Organisation, Role, Staff
from domain.notifications import mailbox
from domain.services.lookup import get_row, key_of

DEFAULT_NAME = "Hausverwaltung"


def organisation_list(session: Session) -> str:
    """Every organisation as a reader can name it: 'Name (T0123)' or 'Name (ohne Slack)'."""
    return ", ".join(f"{org.name} ({org.slack_team_id or '–'})"
                     for org in session.exec(select(Organisation).order_by(col(Organisation.id))))


def find(session: Session, reference: str) -> Organisation | None:
    text = reference.strip()
    by_team = session.exec(select(Organisation).where(Organisation.slack_team_id == text)).first()
    return by_team or session.exec(select(Organisation).where(func.lower(Organisation.name) == text.casefold())).first()


def for_command_line(session: Session, reference: str | None) -> Organisation:
    """The organisation a script means: the one named (team id or name), else the only one. With
    none yet, a first one is created (flushed, so it commits with the caller's work): the first
    Slack request of a single-workspace install adopts it. Refuses when it cannot know which."""
    count = session.exec(select(func.count()).select_from(Organisation)).one()
    if reference:
        found = find(session, reference)
        if found is not None:
            return found
        if count:
            raise InvalidInput("org.unknown", ref=reference, organisations=organisation_list(session))
        return _new(session, reference.strip())
    if count == 1:
        return session.exec(select(Organisation)).one()
    if count > 1:
        raise InvalidInput("org.ambiguous", organisations=organisation_list(session))
    return _new(session, DEFAULT_NAME)


def _new(session: Session, name: str, team_id: str | None = None) -> Organisation:
    organisation = Organisation(name=unique_name(session, name, team_id), slack_team_id=team_id)
    session.add(organisation)
    session.flush()
    return organisation


def unique_name(session: Session, wanted: str, team_id: str | None = None) -> str:
    """`wanted`, or with the team id (then a number) added when another organisation has it."""
    name = wanted.strip() or DEFAULT_NAME
    candidates = [name, f"{name} ({team_id})" if team_id else None] + [f"{name} ({n})" for n in range(2, 1000)]
    taken = set(session.exec(select(Organisation.name)))
    return next(c for c in candidates if c and c not in taken)


def for_workspace(session: Session, team_id: str, team_name: str, adopt_unbound: bool) -> Organisation:
    """The organisation bound to a Slack workspace, bound at its first request. A single-workspace
    install (`adopt_unbound`) adopts the one organisation a script created before Slack was used."""
    found = session.exec(select(Organisation).where(Organisation.slack_team_id == team_id)).first()
    if found is not None:
        return found
    if adopt_unbound and _adopt(session, team_id):
        return session.exec(select(Organisation).where(Organisation.slack_team_id == team_id)).one()
    try:
        _new(session, team_name, team_id)
        session.commit()
    except IntegrityError:  # two first requests at once: the other one created it
        session.rollback()
    return session.exec(select(Organisation).where(Organisation.slack_team_id == team_id)).one()


def _adopt(session: Session, team_id: str) -> bool:
    organisations = session.exec(select(Organisation)).all()
    if len(organisations) != 1 or organisations[0].slack_team_id is not None:
        return False
    bound = session.exec(update(Organisation).where(
        col(Organisation.id) == organisations[0].id, col(Organisation.slack_team_id).is_(None)
    ).values(slack_team_id=team_id))
    session.commit()
    return bound.rowcount == 1


def system_staff(session: Session, organisation: Organisation, key: str, name: str) -> Actor:
    """The staff member a script or an API key acts as, so every event names who did it."""
    organisation_id = key_of(organisation)
    staff = session.exec(select(Staff).where(Staff.organisation_id == organisation_id,
                                             Staff.slack_user_id == key)).first()
    if staff is None:
        staff = Staff(organisation_id=organisation_id, slack_user_id=key, name=name)
        session.add(staff)
        session.flush()
    return Actor.of(staff)


def set_identity(session: Session, actor: Actor, *, name: str, return_line: str, sender_name: str,
                 sender_email: str, reply_to: str) -> Organisation:
    """Admins set what contacts see: the company's name (unique), the sender line on cover sheets,
    and the email sender and reply-to address. Nothing is saved when one value is refused."""
    actor.require(Role.ADMIN)
    organisation = get_row(session, Organisation, actor.organisation_id, Message("what.organisation"))
    text = name.strip()
    if not text:
        raise InvalidInput("org.no_name")
    other = session.exec(select(Organisation).where(func.lower(Organisation.name) == text.casefold(),
                                                    Organisation.id != organisation.id)).first()
    if other is not None:
        raise InvalidInput("org.name_taken", name=text)
    for field, address in (("sender_email", sender_email), ("reply_to", reply_to)):
        if address.strip() and address.strip() != getattr(organisation, field):  # a stored one stays accepted
            _check_address(field, address)
    if not sender_email.strip():
        raise InvalidInput("org.bad_address", field=Message("org.field.sender_email"), address="")
    organisation.name, organisation.return_line = text, " ".join(return_line.split())
    organisation.sender_name, organisation.sender_email = sender_name.strip(), sender_email.strip()
    organisation.reply_to = reply_to.strip()
    session.add(organisation)
    session.commit()
    return organisation


def _check_address(field: str, address: str) -> None:
    try:
        mailbox("", address)
    except ValueError:
        raise InvalidInput("org.bad_address", field=Message(f"org.field.{field}"), address=address) from None
    if "@" not in address or "." not in address.rpartition("@")[2]:
        raise InvalidInput("org.bad_address", field=Message(f"org.field.{field}"), address=address)


def identity_missing(organisation: Organisation) -> bool:
    """Contacts would read a placeholder: no sender line or the default sender address."""
    return not organisation.return_line or organisation.sender_email.endswith("@localhost")
