"""Who is acting: a staff member of one organisation with their roles."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import NotAllowed, NotFound
from domain.messages import Message
from domain.models import Role, Staff


@dataclass(frozen=True)
class Actor:
    staff_id: int
    organisation_id: int
    name: str
    roles: frozenset[Role]

    @classmethod
    def of(cls, staff: Staff) -> Actor:
        assert staff.id is not None
        return cls(staff.id, staff.organisation_id, staff.name or staff.slack_user_id, staff.roles)

    def require(self, role: Role) -> None:
        if role not in self.roles:
            raise NotAllowed("role.missing", role=Message(f"role.{role.value}"))


def owned(actor: Actor, thing: object, what: str, ref: object) -> None:
    """Fail closed when a record belongs to another organisation: it does not exist for them."""
    if thing is None or getattr(thing, "organisation_id", None) != actor.organisation_id:
        raise NotFound("not_found", what=what, ref=ref)
