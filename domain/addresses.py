"""Postal addresses: validation, the lines printed in an envelope window, and matching a
window's text against the address a letter must go to."""

from __future__ import annotations

import gettext
import re
import unicodedata
from functools import lru_cache
from typing import Any

import pycountry
from pydantic import BaseModel, ConfigDict, field_validator

HOME_COUNTRY = "DE"


class PostalAddress(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    addition: str = ""  # c/o, company department, "Eheleute …"
    street: str
    postcode: str
    city: str
    country: str = HOME_COUNTRY

    @field_validator("name", "street", "postcode", "city")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("must not be empty")
        return value

    @field_validator("country")
    @classmethod
    def _iso_country(cls, value: str) -> str:
        return iso_country(value)

    def window_lines(self, home_country: str = HOME_COUNTRY) -> list[str]:
        """The address as DIN 5008 prints it: the country in capitals on the last line, abroad."""
        lines = [self.name]
        if self.addition:
            lines.append(self.addition)
        lines += [self.street, f"{self.postcode} {self.city}"]
        if self.country != home_country:
            lines.append(country_name(self.country, "de").upper())
        return lines

    def one_line(self) -> str:
        return ", ".join(self.window_lines(home_country=""))


def iso_country(value: str) -> str:
    """ISO 3166-1 alpha-2 code for a code or a country name in German or English."""
    text = value.strip()
    if not text:
        raise ValueError("country is empty")
    country = pycountry.countries.get(alpha_2=text.upper()) or pycountry.countries.get(
        alpha_3=text.upper()
    )
    if country is None:
        country = _countries_by_name().get(normalise(text))
    if country is None:
        raise ValueError(f"unknown country {value!r} (expected an ISO code such as DE or AT)")
    return country.alpha_2


def country_name(code: str, language: str = "de") -> str:
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return _translation(language).gettext(country.name)


@lru_cache(maxsize=4)
def _translation(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True)


@lru_cache(maxsize=1)
def _countries_by_name() -> dict[str, Any]:  # pycountry's Country records
    german = _translation("de")
    names: dict[str, object] = {}
    for country in pycountry.countries:
        for name in (country.name, getattr(country, "common_name", ""), german.gettext(country.name)):
            if name:
                names[normalise(name)] = country
    return names


_FOLD = str.maketrans({"ß": "ss", "ä": "ae", "ö": "oe", "ü": "ue"})
# Accents and other combining marks of the Basic Multilingual Plane, dropped in one translate.
_COMBINING = dict.fromkeys(code for code in range(0x10000) if unicodedata.combining(chr(code)))
_STREET = re.compile(r"(str)\.?(?=\s|\d|$)")


@lru_cache(maxsize=16_384)  # a recipient's parts are compared several times per letter
def normalise(text: str) -> str:
    """Fold case, umlauts and punctuation so 'Müllerstr. 5' and 'MUELLERSTRASSE 5' compare equal."""
    text = unicodedata.normalize("NFC", text).casefold().translate(_FOLD)
    if not text.isascii():  # ASCII has no accents to strip: the common case, and much faster
        text = unicodedata.normalize("NFKD", text).translate(_COMBINING)
        if max(text, default="") > "\uffff":
            text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _STREET.sub("strasse", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


def _squeezed(text: str) -> str:
    return normalise(text).replace(" ", "")


def address_mismatches(window_text: str, address: PostalAddress, home_country: str = HOME_COUNTRY,
                       *, window_norm: str | None = None) -> list[str]:
    """The parts of `address` missing from the text found in the envelope window.

    An empty list means the letter reaches this recipient. Names are compared word by word
    (a window reading "Eheleute Anna und Max Müller" reaches Anna Müller), street, postcode and
    city as whole strings, and the country by name when the address is abroad.
    """
    norm = normalise(window_text) if window_norm is None else window_norm  # given: computed once
    words = set(norm.split())
    squeezed = norm.replace(" ", "")
    missing = []
    if not set(normalise(address.name).split()) <= words:
        missing.append("name")
    if _squeezed(address.street) not in squeezed:
        missing.append("street")
    if _squeezed(address.postcode) not in squeezed:
        missing.append("postcode")
    if _squeezed(address.city) not in squeezed:
        missing.append("city")
    if address.country != home_country and not _names_country(squeezed, address.country):
        missing.append("country")
    return missing


def _names_country(squeezed_text: str, code: str) -> bool:
    names = {country_name(code, "de"), country_name(code, "en"), code}
    return any(_squeezed(name) in squeezed_text for name in names if len(name) > 2)
