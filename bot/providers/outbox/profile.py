"""The own provider prints into DIN window envelopes: the DIN 5008 Form B profile."""

from domain.pdf.profiles import DIN_5008_B as PROFILE

__all__ = ["PROFILE"]
