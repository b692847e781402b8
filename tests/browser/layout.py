"""Layout checks from WCAG that axe and Lighthouse do not make.

* 1.4.10 reflow: nothing makes the whole page scroll sideways at the viewport's width; a wide
  table or chart scrolls within its own region, and a table's caption stays readable in it
  (it wraps at the region's width and stays in view while the table scrolls).
* 1.4.12 text spacing: with the larger line, paragraph, letter and word spacing that some
  readers set, no text is cut off and the page still reflows.
"""

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

#: Visible table captions not wholly inside their scroll region, with the table scrolled to its
#: start and to its end.
_CAPTIONS_CUT = """() => {
    const cut = [];
    for (const region of document.querySelectorAll('.table-scroll')) {
        const caption = region.querySelector(':scope > table > caption:not(.visually-hidden)');
        if (!caption) continue;
        for (const left of [0, region.scrollWidth]) {
            region.scrollLeft = left;
            const r = region.getBoundingClientRect(), c = caption.getBoundingClientRect();
            if (c.left < r.left - 1 || c.right > r.right + 1) cut.push(caption.textContent.trim());
        }
        region.scrollLeft = 0;
    }
    return cut.slice(0, 5);
}"""

#: The spacing of WCAG 1.4.12, set on every element as its test bookmarklets do. Through each
#: element's style, not a ``<style>`` element: the Content Security Policy refuses inline
#: styles, but not a script that sets them. Returns the letter spacing that took effect.
_TEXT_SPACING = """() => {
    for (const e of document.querySelectorAll('body, body *')) {
        e.style.setProperty('line-height', '1.5', 'important');
        e.style.setProperty('letter-spacing', '0.12em', 'important');
        e.style.setProperty('word-spacing', '0.16em', 'important');
        if (e.tagName === 'P') e.style.setProperty('margin-bottom', '2em', 'important');
    }
    return getComputedStyle(document.body).letterSpacing;
}"""

#: Elements that hide what overflows them and now have more than fits: not the hidden labels,
#: nor form fields (a field scrolls its own text, as it does while one types).
_CLIPPED = """() => [...document.querySelectorAll('body *')]
    .filter(e => {
        if (e.closest('.visually-hidden') || e.matches('input, textarea, select')) return false;
        const style = getComputedStyle(e), hides = v => v === 'hidden' || v === 'clip';
        return (hides(style.overflowY) && e.scrollHeight > e.clientHeight + 1)
            || (hides(style.overflowX) && e.scrollWidth > e.clientWidth + 1);
    })
    .slice(0, 5)
    .map(e => e.outerHTML.slice(0, 120))"""


def assert_reflows(page: Page) -> None:
    width = page.viewport_size["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, (scroll_width, page.evaluate(_TOO_WIDE, width))
    cut = page.evaluate(_CAPTIONS_CUT)
    assert not cut, cut


def assert_takes_text_spacing(page: Page) -> None:
    """Set the spacing of WCAG 1.4.12 on the open page: nothing is cut off, and it reflows."""
    assert page.evaluate(_TEXT_SPACING) != "normal", "the spacing was not applied"
    clipped = page.evaluate(_CLIPPED)
    assert not clipped, clipped
    assert_reflows(page)
