"""LetterXpress's postal rules live with the other profiles in domain/pdf/profiles.py."""

from domain.pdf.profiles import LETTERXPRESS as PROFILE

__all__ = ["PROFILE"]
