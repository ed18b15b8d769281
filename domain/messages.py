"""Every sentence briefwerk says to a person, in German and English, keyed by a stable id.

Errors and findings carry a key and their facts; the text is rendered only at the edge
(Slack view, CLI, email), in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_LOCALE = "de"

CATALOG: dict[str, dict[str, str]] = {
    # --- roles and state -------------------------------------------------------------
    "role.missing": {
        "de": "Dafür fehlt Ihnen die Rolle {role}.",
        "en": "You need the {role} role for this.",
    },
    "state.illegal_transition": {
        "de": "Serienbrief „{title}“ ist {state_from}; „{action}“ ist in diesem Zustand nicht möglich.",
        "en": "Serial letter “{title}” is {state_from}; “{action}” is not possible in this state.",
    },
    "not_found": {
        "de": "{what} {ref} wurde nicht gefunden.",
        "en": "{what} {ref} was not found.",
    },
    # --- preflight -------------------------------------------------------------------
    "preflight.unreadable": {
        "de": "Die PDF-Datei lässt sich nicht lesen: {detail}.",
        "en": "The PDF cannot be read: {detail}.",
    },
    "preflight.encrypted": {
        "de": "Die PDF-Datei ist verschlüsselt oder kennwortgeschützt.",
        "en": "The PDF is encrypted or password-protected.",
    },
}


@dataclass(frozen=True)
class Message:
    key: str
    facts: dict[str, Any] = field(default_factory=dict)

    def render(self, locale: str = DEFAULT_LOCALE) -> str:
        return render(self.key, locale, **self.facts)


def render(key: str, locale: str = DEFAULT_LOCALE, /, **facts: Any) -> str:
    texts = CATALOG[key]
    template = texts.get(locale) or texts[DEFAULT_LOCALE]
    return template.format(**{name: _fact(value, locale) for name, value in facts.items()})


def _fact(value: Any, locale: str) -> Any:
    """Numbers the German way in German text: 62,5 mm, not 62.5 mm."""
    if isinstance(value, float):
        text = f"{value:.1f}"
        return text.replace(".", ",") if locale == "de" else text
    if isinstance(value, Message):
        return value.render(locale)
    return value
