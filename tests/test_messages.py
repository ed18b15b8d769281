"""Every message the code can raise exists in German and English with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

import bot.slack.texts  # noqa: F401 - the Slack texts join the catalog
from domain.dispatch import ButtonState
from domain.messages import CATALOG, Message, render
from domain.models import LetterState, Role
from domain.recipients import PaperReason

ROOT = Path(__file__).parent.parent
LITERAL_KEY = re.compile(r"""(?:Message|InvalidInput|Conflict|NotFound|NotAllowed|IllegalTransition|BriefwerkError|SourceRefused|_detail)\(\s*"([a-z_]+\.[a-z_.]+|[a-z_]+)\"""")


def keys_in_code() -> set[str]:
    keys: set[str] = set()
    for folder in ("domain", "bot", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            keys |= set(LITERAL_KEY.findall(path.read_text("utf-8")))
    return keys


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_key_used_in_code_is_in_the_catalog() -> None:
    used = keys_in_code()
    assert len(used) > 60  # the scan itself works
    assert sorted(used - set(CATALOG)) == []


def test_dynamic_keys_exist() -> None:
    dynamic = {f"state.{s.value}" for s in LetterState} | {f"role.{r.value}" for r in Role}
    dynamic |= {f"paper.{r.value}" for r in PaperReason} | {"button.green", "button.red", "button.yellow"}
    dynamic |= {f"action.{a}" for a in ("release", "unrelease", "delete", "order", "cancel", "provider_update")}
    assert sorted(dynamic - set(CATALOG)) == []
    assert {state.value for state in ButtonState} == {"green", "red", "yellow", "disabled"}


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_both_languages_with_the_same_placeholders_and_they_render(key: str) -> None:
    texts = CATALOG[key]
    assert set(texts) >= {"de", "en"}
    assert placeholders(texts["de"]) == placeholders(texts["en"])
    facts = {name: "x" for name in placeholders(texts["de"])}
    assert render(key, "de", **facts) and render(key, "en", **facts)


UI_KEY = re.compile(r'\bt\(\s*f?"([a-z_.]+)"')


def test_every_ui_text_used_exists() -> None:
    used = set()
    for folder in ("bot", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= {key for key in UI_KEY.findall(path.read_text("utf-8")) if not key.endswith(".")}
    assert len(used) > 80
    assert sorted(f"ui.{key}" for key in used if f"ui.{key}" not in CATALOG) == []


def test_numbers_read_the_german_way_in_german() -> None:
    message = Message("plan.too_thick", {"sheets": 95})
    assert message.render("de") == "95 Blatt passen in keinen Umschlag der Preistabelle"
    assert Message("import.rejected_row", {"line": 3, "reason": "x"}).render("en") == "line 3: x"


def test_nouns_and_verbs_agree_with_the_number() -> None:
    import bot.cli  # noqa: F401 - registers the command line's texts
    assert render("ui.dispatch.failing", "de", count=1) == "*❌ 1 Brief erfüllt die Versandanforderungen nicht:*"
    assert render("ui.dispatch.failing", "de", count=3) == "*❌ 3 Briefe erfüllen die Versandanforderungen nicht:*"
    assert render("ui.dispatch.failing", "en", count=1) == "*❌ 1 letter fails the postal requirements:*"
    assert render("cli.counts", "de", properties=1, units=0, contacts=2, links=1) == \
        "1 Liegenschaft, 0 Einheiten, 2 Kontakte, 1 Zuordnung"
