"""The join link as a QR code: inline SVG made here (segno), never by an outside service.

The SVG has no fixed size (only a ``viewBox``), so CSS makes it as large as a projector needs;
``shape-rendering="crispEdges"`` keeps the modules sharp at any scale.
"""

from __future__ import annotations

from functools import lru_cache

import segno
from markupsafe import Markup, escape


@lru_cache(maxsize=256)
def join_qr_svg(url: str, label: str) -> Markup:
    """``url`` as a QR code; ``label`` is its accessible name (say what scanning does)."""
    svg = segno.make(url, error="m").svg_inline(
        scale=1, border=4, omitsize=True, dark="#000", light="#fff", svgclass="qr-svg"
    )
    attributes = f'<svg role="img" aria-label="{escape(label)}" shape-rendering="crispEdges" '
    return Markup(svg.replace("<svg ", attributes, 1))
