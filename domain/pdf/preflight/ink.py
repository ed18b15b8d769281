"""Which of a page's drawing objects put ink into a zone: bounds from pdfium (descending into form
XObjects), colours to skip what prints nothing, and a rendering to prove the rest."""

from __future__ import annotations

import ctypes
import math
from collections.abc import Callable, Iterator
from typing import cast

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from domain.pdf.geometry import PT_PER_MM, Rect
from domain.pdf.preflight.facts import ZoneHit
from domain.pdf.preflight.frame import PageFrame, area, clamped_scale, overlap
from domain.pdf.profiles import Zone

# Rendering at 144 dpi (0.18 mm a pixel) proves whether an object really puts ink in a zone.
_INK_SCALE = 2.0
_INK_THRESHOLD = 250  # darkest grey level that still counts as blank paper
_IMAGE_SHARE_OF_WINDOW = 0.1
_OBJECT_KINDS = {
    pdfium_c.FPDF_PAGEOBJ_TEXT: "text",
    pdfium_c.FPDF_PAGEOBJ_PATH: "path",
    pdfium_c.FPDF_PAGEOBJ_IMAGE: "image",
    pdfium_c.FPDF_PAGEOBJ_SHADING: "shading",
}
_Matrix = tuple[float, float, float, float, float, float]


def objects_in_zones(
    page: pdfium.PdfPage, frame: PageFrame, zones: list[Zone], index: int, window: Rect | None
) -> tuple[list[ZoneHit], list[Rect]]:
    """Objects that print into `zones` (the largest per zone, and how many more), and the images
    that cover a tenth of `window` or more (an address as a picture)."""
    targets = [zone.rect for zone in zones] + ([window] if window else [])
    if not targets:
        return [], []

    def wanted(rect: Rect) -> bool:
        return any(rect.intersects(target) for target in targets)

    # Without zones only pictures matter (an address as an image); text is most of a page.
    kinds = frozenset(_OBJECT_KINDS) if zones else frozenset({pdfium_c.FPDF_PAGEOBJ_IMAGE})
    ink = _Ink(page)
    found: dict[str, ZoneHit] = {}
    images: list[Rect] = []
    for obj, kind, rect in _page_objects(page, frame, wanted, kinds):
        if window is not None and kind == "image":
            inside = overlap(rect, window)
            if inside and area(inside) >= _IMAGE_SHARE_OF_WINDOW * area(window):
                images.append(rect)
        reached = [(zone, inside) for zone in zones if (inside := overlap(rect, zone.rect))]
        if not reached or not _may_show(obj, kind):
            continue
        for zone, inside in reached:
            if not ink.on(inside):
                continue
            seen = found.get(zone.name)
            if seen is None:
                found[zone.name] = ZoneHit(index, zone, kind, rect)
            elif area(inside) > area(overlap(seen.rect, zone.rect) or inside):
                found[zone.name] = ZoneHit(index, zone, kind, rect, seen.others + 1)
            else:
                found[zone.name] = ZoneHit(index, zone, seen.kind, seen.rect, seen.others + 1)
    ink.close()
    return list(found.values()), images


def _page_objects(
    page: pdfium.PdfPage, frame: PageFrame, wanted: Callable[[Rect], bool], kinds: frozenset[int]
) -> Iterator[tuple[object, str, Rect]]:
    """The page's drawing objects of `kinds` (descending into form XObjects) whose bounds pass
    `wanted`, with their bounds on the sheet. Works on raw handles: a page may hold thousands of
    objects, so the type is asked before the bounds."""
    bounds = [ctypes.c_float() for _ in range(4)]

    def walk(parent, count, get, matrix: _Matrix | None, depth: int):
        for i in range(count(parent)):
            obj = get(parent, i)
            if not obj:
                continue
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind not in kinds and kind != pdfium_c.FPDF_PAGEOBJ_FORM:
                continue
            if not pdfium_c.FPDFPageObj_GetBounds(obj, *bounds):
                continue
            box = tuple(value.value for value in bounds)
            if matrix is not None:
                box = _transform(matrix, box)
            rect = frame.to_sheet(*box)
            if not wanted(rect):
                continue
            if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
                if depth < 12:
                    inner = _form_matrix(obj)
                    yield from walk(
                        obj,
                        pdfium_c.FPDFFormObj_CountObjects,
                        pdfium_c.FPDFFormObj_GetObject,
                        inner if matrix is None else _concat(inner, matrix),
                        depth + 1,
                    )
            else:
                yield obj, _OBJECT_KINDS[kind], rect

    yield from walk(page.raw, pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, None, 0)


def _form_matrix(obj) -> _Matrix:
    matrix = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, matrix):
        return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    return (matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f)


def _concat(first: _Matrix, then: _Matrix) -> _Matrix:
    """The matrix that applies `first`, then `then` (PDF row-vector convention)."""
    a1, b1, c1, d1, e1, f1 = first
    a2, b2, c2, d2, e2, f2 = then
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )


def _transform(matrix: _Matrix, box: tuple[float, ...]) -> tuple[float, float, float, float]:
    a, b, c, d, e, f = matrix
    left, bottom, right, top = box
    xs, ys = [], []
    for x, y in ((left, bottom), (right, bottom), (right, top), (left, top)):
        xs.append(a * x + c * y + e)
        ys.append(b * x + d * y + f)
    return min(xs), min(ys), max(xs), max(ys)


def _may_show(obj, kind: str) -> bool:
    """False for objects that print nothing: invisible or clip-only text, white or unpainted
    paths (Word exports are full of white rectangles). Whatever remains is proven by rendering."""
    if kind == "text":
        mode = pdfium_c.FPDFTextObj_GetTextRenderMode(obj)
        if mode in (pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE, pdfium_c.FPDF_TEXTRENDERMODE_CLIP):
            return False
        if mode == pdfium_c.FPDF_TEXTRENDERMODE_FILL:
            return _colour_shows(pdfium_c.FPDFPageObj_GetFillColor, obj)
        return True
    if kind == "path":
        fill_mode, stroke = ctypes.c_int(), ctypes.c_int()
        if not pdfium_c.FPDFPath_GetDrawMode(obj, fill_mode, stroke):
            return True
        fills = fill_mode.value != pdfium_c.FPDF_FILLMODE_NONE and _colour_shows(
            pdfium_c.FPDFPageObj_GetFillColor, obj
        )
        strokes = bool(stroke.value) and _colour_shows(pdfium_c.FPDFPageObj_GetStrokeColor, obj)
        return fills or strokes
    return True


def _colour_shows(get_colour, obj) -> bool:
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    if not get_colour(obj, r, g, b, a):
        return True  # patterns and the like: let the rendering decide
    return a.value > 0 and min(r.value, g.value, b.value) < _INK_THRESHOLD


class _Ink:
    """The page rendered in grey, once and only when an object reaches into a zone."""

    def __init__(self, page: pdfium.PdfPage) -> None:
        self.page = page
        self.image: Image.Image | None = None

    def on(self, rect: Rect) -> bool:
        scale = clamped_scale(self.page, _INK_SCALE)
        if self.image is None:
            bitmap = self.page.render(scale=scale, grayscale=True, draw_annots=False)
            self.image = bitmap.to_pil()
            bitmap.close()
        px = scale * PT_PER_MM
        width, height = self.image.size
        box = (
            max(0, math.floor(rect.left * px)),
            max(0, math.floor(rect.top * px)),
            min(width, math.ceil(rect.right * px)),
            min(height, math.ceil(rect.bottom * px)),
        )
        if box[2] <= box[0] or box[3] <= box[1]:
            return False
        darkest, _ = cast(tuple[int, int], self.image.crop(box).getextrema())  # a greyscale picture
        return darkest < _INK_THRESHOLD

    def close(self) -> None:
        self.image = None
