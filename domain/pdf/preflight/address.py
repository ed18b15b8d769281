"""Finding the recipient's address among the text lines of page 1, wherever it was printed."""

from __future__ import annotations

from collections.abc import Sequence

from domain.addresses import HOME_COUNTRY, PostalAddress, country_name, normalise
from domain.pdf.geometry import Rect
from domain.pdf.preflight.facts import TextLine


def _squeezed(text: str) -> str:
    return normalise(text).replace(" ", "")


def _candidates(
    lines: Sequence[TextLine], address: PostalAddress, home_country: str
) -> dict[str, list[TextLine]]:
    """Per part of the address, the lines that spell it: the name word by word, the rest as
    whole strings (plain comprehensions: this runs for every letter of a serial letter)."""
    # Longest word first: most lines fail on it, before any generator is made.
    name = sorted({f" {word} " for word in normalise(address.name).split()}, key=len, reverse=True)
    first, rest = (name[0], name[1:]) if name else ("", [])
    street = _squeezed(address.street)
    postcode, city = _squeezed(address.postcode), _squeezed(address.city)
    found = {
        "name": [
            line for line in lines
            if first in line.spaced and all(word in line.spaced for word in rest)
        ],
        "street": [line for line in lines if street in line.squeezed],
    }
    if address.addition:
        addition = _squeezed(address.addition)
        found["addition"] = [line for line in lines if addition in line.squeezed]
    found["city_line"] = [
        line for line in lines if postcode in line.squeezed and city in line.squeezed
    ]
    if address.country != home_country:
        names = [
            _squeezed(country_name(address.country, locale)) for locale in ("de", "en")
        ]
        found["country"] = [
            line for line in lines if any(name in line.squeezed for name in names)
        ]
    return found


def locate_address(
    lines: Sequence[TextLine], address: PostalAddress, home_country: str = HOME_COUNTRY
) -> Rect | None:
    """The block of lines on the page that spells `address`, wherever it is, or None.

    Anchored on the postcode/city line (or the street): the other lines are taken from just
    above it (the country just below), left-aligned with it, so a street named again in the
    letter's text does not count.
    """
    candidates = _candidates(lines, address, home_country)
    anchored_on = "city_line" if candidates["city_line"] else "street"
    best: tuple[int, float, Rect] | None = None
    for anchor in candidates[anchored_on]:
        block, found = anchor.rect, 1
        for name, matches in candidates.items():
            if name == anchored_on:
                continue  # the sender's "10115 Berlin" above is not a second city line
            near = [
                line
                for line in matches
                if line is not anchor
                and abs(line.rect.left - anchor.rect.left) <= 15.0
                and (
                    0.0 < line.rect.top - anchor.rect.top <= 12.0
                    if name == "country"
                    else -40.0 <= line.rect.top - anchor.rect.top < 0.0
                )
            ]
            if near:
                closest = min(near, key=lambda line: abs(line.rect.top - anchor.rect.top))
                block, found = block.union(closest.rect), found + 1
        if best is None or (found, -block.height) > (best[0], -best[1]):
            best = (found, block.height, block)
    if best is None or best[0] < 2:
        return None
    return best[2]
