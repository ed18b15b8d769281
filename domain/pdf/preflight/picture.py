"""The window picture for Slack: page 1 as printed, with the band the envelope window always
shows, the DIN 5008 address zone, the address block as measured (coloured by its verdict) and
the provider's blank zones."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from domain.addresses import HOME_COUNTRY, PostalAddress
from domain.pdf.geometry import PT_PER_MM, Rect
from domain.pdf.preflight.address import locate_address
from domain.pdf.preflight.findings import Severity
from domain.pdf.preflight.frame import clamped_scale
from domain.pdf.preflight.measure import Document, inspect_document, open_pdf
from domain.pdf.preflight.rules import EDGE_TOLERANCE_MM
from domain.pdf.profiles import ProviderProfile

OK_COLOUR = (0, 150, 0, 255)  # the band: an address anywhere inside it is fine
ADVISORY_COLOUR = (230, 140, 0, 255)  # the DIN field: leaving it is only a note
BLOCKING_COLOUR = (220, 0, 0, 255)
BLANK_ZONE_COLOUR = (230, 0, 0, 90)
BOX_COLOURS = {None: OK_COLOUR, Severity.ADVISORY: ADVISORY_COLOUR, Severity.BLOCKS: BLOCKING_COLOUR}


def address_verdict(block: Rect, profile: ProviderProfile) -> Severity | None:
    """None when the block sits where it belongs, else how hard its position counts."""
    if not profile.visible_band.contains(block, tolerance=EDGE_TOLERANCE_MM):
        return Severity.BLOCKS
    if profile.envelope and not profile.address_zone.contains(block, tolerance=EDGE_TOLERANCE_MM):
        return Severity.ADVISORY
    return None


def render_window_preview(
    pdf: Document,
    profile: ProviderProfile,
    page_index: int = 0,
    scale: float = 1.5,
    recipient: PostalAddress | None = None,
    home_country: str = HOME_COUNTRY,
) -> bytes:
    """The page as a PNG (scale 1 = 72 dpi) with the zones drawn over it. The address block is
    drawn when `recipient` is given and found on page 1."""
    image, scale = _page_image(pdf, page_index, scale)
    px = scale * PT_PER_MM

    def box(rect: Rect) -> tuple[int, int, int, int]:
        return (round(rect.left * px), round(rect.top * px),
                round(rect.right * px) - 1, round(rect.bottom * px) - 1)

    line = max(2, round(0.5 * px))
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for zone in profile.blank_zones:
        if zone.applies_to(page_index, first_in_letter=True):
            draw.rectangle(box(zone.rect), fill=BLANK_ZONE_COLOUR)
    if page_index == 0:
        if profile.envelope is not None:
            draw.rectangle(box(profile.address_zone), outline=ADVISORY_COLOUR, width=line)
        draw.rectangle(box(profile.visible_band), outline=OK_COLOUR, width=line)
        block = _address_block(pdf, profile, recipient, home_country)
        if block is not None:
            colour = BOX_COLOURS[address_verdict(block, profile)]
            draw.rectangle(box(block), outline=colour, fill=colour[:3] + (50,), width=max(1, line // 2))
    image = Image.alpha_composite(image, overlay).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _page_image(pdf: Document, page_index: int, scale: float) -> tuple[Image.Image, float]:
    document = open_pdf(pdf)
    try:
        page = document[page_index]
        scale = clamped_scale(page, scale)
        bitmap = page.render(scale=scale)
        image = bitmap.to_pil().convert("RGBA")
        bitmap.close()
        page.close()
        return image, scale
    finally:
        document.close()


def _address_block(
    pdf: Document, profile: ProviderProfile, recipient: PostalAddress | None, home_country: str
) -> Rect | None:
    if recipient is None:
        return None
    first = inspect_document(pdf, profile).first_page
    return locate_address(first.lines, recipient, home_country) if first else None
