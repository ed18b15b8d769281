"""The serial letter's state machine: legal moves pass, every other move is refused clearly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import IllegalTransition
from domain.models import LetterState as S
from domain.models import SerialLetter
from domain.states import TRANSITIONS, can_move, check_move

HAPPY_PATH = [S.DRAFT, S.RELEASED, S.DISPATCH_ORDERED, S.WITH_PROVIDER, S.PRINTED, S.POSTED, S.DELETED]


def test_the_happy_path_is_legal() -> None:
    for current, target in zip(HAPPY_PATH, HAPPY_PATH[1:]):
        assert can_move(current, target), (current, target)


@pytest.mark.parametrize(("current", "target"), [
    (S.DRAFT, S.DISPATCH_ORDERED),  # dispatch only after release
    (S.DISPATCH_ORDERED, S.DELETED),  # cancel first
    (S.WITH_PROVIDER, S.DELETED),
    (S.PRINTED, S.CANCELLED),  # too late to cancel
    (S.POSTED, S.CANCELLED),
    (S.DELETED, S.RELEASED),
])
def test_illegal_moves_are_refused_with_words(current: S, target: S) -> None:
    letter = SerialLetter(organisation_id=1, property_id=1, title="Hausgeld 2025", state=current)
    with pytest.raises(IllegalTransition) as raised:
        check_move(letter, target, "order")
    assert "Hausgeld 2025" in raised.value.render("de")
    assert "Briefversand beauftragen" in raised.value.render("de")


def test_deleted_is_final_and_every_state_is_covered() -> None:
    assert set(TRANSITIONS) == set(S)
    assert TRANSITIONS[S.DELETED] == frozenset()


@given(st.lists(st.sampled_from(S), min_size=1, max_size=12))
def test_no_path_leaves_deleted_or_reaches_posted_without_dispatch(path) -> None:
    current, seen = S.DRAFT, [S.DRAFT]
    for target in path:
        if can_move(current, target):
            current = target
            seen.append(target)
    if S.POSTED in seen:
        assert S.DISPATCH_ORDERED in seen[: seen.index(S.POSTED)]
    if S.DELETED in seen:
        assert seen[-1] is S.DELETED
