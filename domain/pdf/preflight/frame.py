"""Where things sit on the printed sheet: a page's PDF coordinates mapped to mm from the sheet's
top-left corner, and the little rectangle arithmetic the rules need."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pypdfium2 as pdfium

from domain.pdf.geometry import PT_PER_MM, Rect


@dataclass(frozen=True)
class PageFrame:
    """How a page's PDF coordinates (points, origin bottom-left, unrotated) map onto the sheet as
    printed (mm from the top-left): the crop box is what prints, /Rotate turns it clockwise."""

    box: tuple[float, float, float, float]  # crop box: left, bottom, right, top in points
    rotation: int = 0

    @classmethod
    def of(cls, page: pdfium.PdfPage) -> PageFrame:
        return cls(tuple(page.get_cropbox()), page.get_rotation() % 360)

    @property
    def size_mm(self) -> tuple[float, float]:
        left, bottom, right, top = self.box
        width, height = (right - left) / PT_PER_MM, (top - bottom) / PT_PER_MM
        return (height, width) if self.rotation in (90, 270) else (width, height)

    def to_sheet(self, left: float, bottom: float, right: float, top: float) -> Rect:
        x0, y0, x1, y1 = self.box
        width, height = x1 - x0, y1 - y0
        # Unrotated, from the top-left, in points.
        lft, rgt, tp, btm = left - x0, right - x0, y1 - top, y1 - bottom
        if self.rotation == 90:
            lft, rgt, tp, btm = height - btm, height - tp, lft, rgt
        elif self.rotation == 180:
            lft, rgt, tp, btm = width - rgt, width - lft, height - btm, height - tp
        elif self.rotation == 270:
            lft, rgt, tp, btm = tp, btm, width - rgt, width - lft
        return Rect(lft / PT_PER_MM, tp / PT_PER_MM, (rgt - lft) / PT_PER_MM, (btm - tp) / PT_PER_MM)

    def to_user(self, rect: Rect) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in the page's PDF coordinates."""
        x0, y0, x1, y1 = self.box
        width, height = x1 - x0, y1 - y0
        lft, rgt = rect.left * PT_PER_MM, rect.right * PT_PER_MM
        tp, btm = rect.top * PT_PER_MM, rect.bottom * PT_PER_MM
        if self.rotation == 90:
            lft, rgt, tp, btm = tp, btm, height - rgt, height - lft
        elif self.rotation == 180:
            lft, rgt, tp, btm = width - rgt, width - lft, height - btm, height - tp
        elif self.rotation == 270:
            lft, rgt, tp, btm = width - btm, width - tp, lft, rgt
        return (x0 + lft, y1 - btm, x0 + rgt, y1 - tp)


def overlap(a: Rect, b: Rect) -> Rect | None:
    left, top = max(a.left, b.left), max(a.top, b.top)
    right, bottom = min(a.right, b.right), min(a.bottom, b.bottom)
    if right <= left or bottom <= top:
        return None
    return Rect(left, top, right - left, bottom - top)


def area(rect: Rect) -> float:
    return rect.width * rect.height


MAX_PIXELS = 16_000_000  # one rendered picture: 64 MB in RGBA, whatever the page claims to measure


def clamped_scale(page: pdfium.PdfPage, scale: float) -> float:
    """`scale`, or less where the page is so large the picture would pass MAX_PIXELS."""
    width, height = page.get_size()
    pixels = width * height * scale * scale
    return scale if pixels <= MAX_PIXELS else scale * math.sqrt(MAX_PIXELS / pixels)
