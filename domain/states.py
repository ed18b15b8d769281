"""The serial letter's life: which state may follow which, and what each action needs."""

from __future__ import annotations

from domain.errors import IllegalTransition
from domain.messages import Message
from domain.models import LetterState as S
from domain.models import SerialLetter

TRANSITIONS: dict[S, frozenset[S]] = {
    S.DRAFT: frozenset({S.RELEASED, S.DELETED}),
    # back to draft when the last unit is withdrawn from the portal
    S.RELEASED: frozenset({S.DRAFT, S.DISPATCH_ORDERED, S.DELETED}),
    S.DISPATCH_ORDERED: frozenset({S.CANCELLED, S.WITH_PROVIDER, S.FAILED}),
    # the provider accepts cancellation until printing starts
    S.WITH_PROVIDER: frozenset({S.CANCELLED, S.PRINTED, S.POSTED, S.FAILED}),
    S.PRINTED: frozenset({S.POSTED, S.FAILED}),
    # some letters could not be stopped any more: they are still with the provider
    S.CANCELLED: frozenset({S.DISPATCH_ORDERED, S.WITH_PROVIDER, S.DELETED}),
    S.FAILED: frozenset({S.DISPATCH_ORDERED, S.DELETED}),
    # a new order sends only what never reached the provider (failed or cancelled letters)
    S.POSTED: frozenset({S.DISPATCH_ORDERED, S.DELETED}),
    S.DELETED: frozenset(),
}


def can_move(current: S, target: S) -> bool:
    return target in TRANSITIONS[current]


def check_move(letter: SerialLetter, target: S, action: str) -> None:
    """Raise a clear error when `action` (a key of `action.*` messages) is not allowed now."""
    if not can_move(letter.state, target):
        raise IllegalTransition(
            "state.illegal_transition",
            title=letter.title,
            state_from=Message(f"state.{letter.state.value}"),
            action=Message(f"action.{action}"),
        )
