"""Typed errors of the domain: each carries a message key and the facts behind it."""

from __future__ import annotations

from typing import Any

from domain.messages import DEFAULT_LOCALE, Message


class BriefwerkError(Exception):
    """A refusal the user can act on."""

    def __init__(self, key: str, **facts: Any) -> None:
        self.message = Message(key, facts)
        super().__init__(self.message.render("en"))

    def render(self, locale: str = DEFAULT_LOCALE) -> str:
        return self.message.render(locale)


class NotAllowed(BriefwerkError):
    """The actor lacks the role, or is the requester deciding their own approval."""


class IllegalTransition(BriefwerkError):
    """The serial letter's state does not allow the action."""


class NotFound(BriefwerkError):
    pass


class InvalidInput(BriefwerkError):
    """Bad files or values: a broken PDF, a CSV with missing columns, an unknown country."""


class Conflict(BriefwerkError):
    """Someone else changed the thing first (stale modal, second click, decided approval)."""
