"""Page geometry in millimetres from the top-left corner, as postal rules are written."""

from __future__ import annotations

from dataclasses import dataclass

PT_PER_MM = 72 / 25.4
A4_MM = (210.0, 297.0)


def mm_to_pt(mm: float) -> float:
    return mm * PT_PER_MM


def pt_to_mm(pt: float) -> float:
    return pt / PT_PER_MM


@dataclass(frozen=True)
class Rect:
    """A rectangle on the page: `left`/`top` are distances from the page's left/top edge in mm."""

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def intersects(self, other: Rect) -> bool:
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )

    def contains(self, other: Rect, tolerance: float = 0.0) -> bool:
        return (
            other.left >= self.left - tolerance
            and other.right <= self.right + tolerance
            and other.top >= self.top - tolerance
            and other.bottom <= self.bottom + tolerance
        )

    def to_pdf_points(self, page_height_mm: float = A4_MM[1]) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in PDF points, origin bottom-left."""
        return (
            mm_to_pt(self.left),
            mm_to_pt(page_height_mm - self.bottom),
            mm_to_pt(self.right),
            mm_to_pt(page_height_mm - self.top),
        )

    @classmethod
    def from_pdf_points(
        cls, left: float, bottom: float, right: float, top: float, page_height_mm: float = A4_MM[1]
    ) -> Rect:
        return cls(
            left=pt_to_mm(left),
            top=page_height_mm - pt_to_mm(top),
            width=pt_to_mm(right - left),
            height=pt_to_mm(top - bottom),
        )

    def union(self, other: Rect) -> Rect:
        left, top = min(self.left, other.left), min(self.top, other.top)
        right, bottom = max(self.right, other.right), max(self.bottom, other.bottom)
        return Rect(left, top, right - left, bottom - top)
