"""WCAG 1.4.10 (reflow): nothing makes the whole page scroll sideways at the viewport's width;
a wide table or chart scrolls within its own region."""

from __future__ import annotations

from playwright.sync_api import Page

#: The elements past the right edge, for the message: those outside a region that scrolls by
#: itself, and positioned ones inside it (which escape it unless it is their containing block).
_TOO_WIDE = """(width) => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 1
                 && (!e.parentElement.closest('.table-scroll, .chart-scroll, pre')
                     || ['absolute', 'fixed'].includes(getComputedStyle(e).position)))
    .slice(0, 5)
    .map(e => e.outerHTML.slice(0, 120))"""


def assert_reflows(page: Page) -> None:
    width = page.viewport_size["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, (scroll_width, page.evaluate(_TOO_WIDE, width))
