"""Finding the recipient's address among the text lines of page 1, wherever it was printed."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from domain.addresses import HOME_COUNTRY, PostalAddress, country_name, normalise
from domain.pdf.geometry import Rect
from domain.pdf.preflight.facts import TextLine


def _squeezed(text: str) -> str:
    return normalise(text).replace(" ", "")


def _address_parts(
    address: PostalAddress, home_country: str
) -> dict[str, Callable[[TextLine], bool]]:
    """A test per part of the address: does this line spell it?"""

    def words_of(value: str) -> Callable[[TextLine], bool]:
        wanted = frozenset(normalise(value).split())
        return lambda line: wanted <= line.words

    def holds(*values: str) -> Callable[[TextLine], bool]:
        wanted = [_squeezed(value) for value in values]
        return lambda line: all(value in line.squeezed for value in wanted)

    def any_of(*values: str) -> Callable[[TextLine], bool]:
        wanted = [_squeezed(value) for value in values]
        return lambda line: any(value in line.squeezed for value in wanted)

    parts = {"name": words_of(address.name), "street": holds(address.street)}
    if address.addition:
        parts["addition"] = holds(address.addition)
    parts["city_line"] = holds(address.postcode, address.city)
    if address.country != home_country:
        parts["country"] = any_of(
            country_name(address.country, "de"), country_name(address.country, "en")
        )
    return parts


def locate_address(
    lines: Sequence[TextLine], address: PostalAddress, home_country: str = HOME_COUNTRY
) -> Rect | None:
    """The block of lines on the page that spells `address`, wherever it is, or None.

    Anchored on the postcode/city line (or the street): the other lines are taken from just
    above it (the country just below), left-aligned with it, so a street named again in the
    letter's text does not count.
    """
    parts = _address_parts(address, home_country)
    candidates = {name: [line for line in lines if test(line)] for name, test in parts.items()}
    anchors = candidates["city_line"] or candidates["street"]
    best: tuple[int, float, Rect] | None = None
    for anchor in anchors:
        block, found = anchor.rect, 1
        for name, matches in candidates.items():
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
