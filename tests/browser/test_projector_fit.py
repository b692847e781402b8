"""The projector view fits the screen: a projector cannot scroll.

At the sizes beamers and screens in meeting rooms have, with long and short contributions, the
results hidden and shown, joining open and closed: nothing is below the bottom edge or past
the right one, the status line with the counts is always in view, every contribution that shows
shows whole, and the ones that do not fit are counted in "En nog N op uw telefoon"."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from app.extensions import db

pytestmark = pytest.mark.browser

QUESTION = "verkennen-bestuurlijk-overleg"
#: The longest question of the plate (147 characters): it takes the most lines.
LONG_QUESTION = "vormgeven-dekkend-aanbod"

LONG = (
    "Een vast loket waar studenten, ouders en docenten terechtkunnen met vragen over zorg en "
    "ondersteuning, met korte lijnen naar de wijkteams van alle gemeenten in de regio, zodat "
    "niemand meer van het kastje naar de muur wordt gestuurd en de hulp snel op gang komt, ook "
    "in elke zomer."
)
assert len(LONG) == 280  # the most a contribution may have
MEDIUM = "Maak per school één contactpersoon voor de gemeente, die ook de weg weet naar de zorg"
SHORT = "Eén loket"
WORD = "y" * 280
ZALGO = "Z" + "\u0301" * 270  # stored before typed text was capped


@dataclass(frozen=True)
class Room:
    """What the projector shows: the contributions (best first once dots count), results
    shown or not, joining open or not, a timer or not."""

    texts: tuple[str, ...]
    results: bool = False
    joining: bool = True
    timer: bool = False
    question: str = QUESTION


#: The rooms of the audit and the ones around them.
ROOMS = {
    "one-long-results-hidden": Room(
        (LONG, SHORT, "Eerste idee van Bob", ZALGO, "abc d", MEDIUM, SHORT, SHORT) + (SHORT,) * 3,
        timer=True,
    ),
    "all-long-results-shown": Room((LONG,) * 11, results=True, joining=False),
    "medium-results-shown": Room((LONG[:130],) * 8, results=True, joining=False),
    "results-shown-joining-open": Room(
        (LONG[:200], MEDIUM, WORD, SHORT, LONG[:130], MEDIUM, SHORT, SHORT, SHORT),
        results=True,
        question=LONG_QUESTION,
    ),
    "few-short": Room((SHORT, MEDIUM, "Vaste contactpersoon per student")),
}

#: Full HD, HD, the common laptop, and an older 4:3 beamer.
SIZES = [(1920, 1080), (1280, 720), (1366, 768), (1024, 768)]


def make_room(live_server, seed_conversation, room: Room, title: str) -> int:
    """A workshop straight in the database, as ``room`` describes; its id."""
    from app.conversations.models import Conversation
    from app.workshops import operations as ops
    from app.workshops.models import ContributionKind

    conversation_id = seed_conversation(
        f"Browsertest: scherm {title}", [room.question, "verkennen-regie"]
    )
    with live_server.app.app_context():
        conversation = db.session.get(Conversation, conversation_id)
        workshop = ops.open_workshop(
            conversation, None, ops.WorkshopSettings(dots_per_participant=10)
        )
        ops.open_questions(workshop, [room.question])
        kinds = [ContributionKind.IDEA, ContributionKind.OBSTACLE, ContributionKind.PROPOSAL]
        people = [ops.join(workshop)[0] for _ in range(len(room.texts))]
        contributions = [
            ops.contribute(workshop, people[i], room.question, kinds[i % 3], text)
            for i, text in enumerate(room.texts)
        ]
        # The first gets the most dots, so the projector lists them in the order given.
        for rank, contribution in enumerate(contributions[:10]):
            for voter in people[: 10 - rank]:
                ops.add_dot(workshop, voter, contribution.id, 0)
        for person in people:
            ops.choose_assessment(workshop, person, room.question, "first_steps")
        if room.results:
            ops.set_results_visible(workshop, True)
        if not room.joining:
            ops.set_joining(workshop, False)
        if room.timer:
            ops.start_timer(workshop, 5)
        db.session.commit()
        workshop_id = workshop.id
        db.session.remove()
    return workshop_id


#: Where everything is: the viewport, the page's scroll size, the status line, the question
#: and every contribution with the box it may show in.
_MEASURE = """() => {
    const box = e => { const r = e.getBoundingClientRect();
                       return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
    const one = s => document.querySelector(s) ? box(document.querySelector(s)) : null;
    const list = document.querySelector('.projector-contributions');
    const items = [...document.querySelectorAll('.projector-contribution')];
    const text = e => e.querySelector('.projector-contribution__text');
    return {
        width: innerWidth, height: innerHeight,
        scrollWidth: document.documentElement.scrollWidth,
        scrollHeight: document.documentElement.scrollHeight,
        counts: one('.projector-counts'), question: one('.projector-question'),
        kicker: one('.projector-kicker'), join: one('.projector-join'),
        list: list ? box(list) : null,
        items: items.map(e => ({
            box: box(e), text: box(text(e)), more: e.dataset.more || '',
            clamped: text(e).scrollHeight > text(e).clientHeight + 1,
        })),
        note: getComputedStyle(document.querySelector('.projector-contribution') || document.body,
                               '::after').fontSize,
        serverMore: (document.querySelector('.projector-more') || {}).textContent || '',
    };
}"""


def _inside(inner: dict, outer: dict, slack: float = 1) -> bool:
    return (
        inner["top"] >= outer["top"] - slack
        and inner["bottom"] <= outer["bottom"] + slack
        and inner["left"] >= outer["left"] - slack
        and inner["right"] <= outer["right"] + slack
    )


def _overlaps(a: dict, b: dict) -> bool:
    return (
        a["top"] < b["bottom"]
        and b["top"] < a["bottom"]
        and a["left"] < b["right"]
        and b["left"] < a["right"]
    )


def assert_fits(page: Page, total: int) -> list[int]:
    """Nothing of the projector view is outside the viewport; returns which contributions show."""
    m = page.evaluate(_MEASURE)
    view = {"top": 0, "left": 0, "bottom": m["height"], "right": m["width"]}
    assert m["scrollHeight"] <= m["height"], f"the page is {m['scrollHeight']}px high"
    assert m["scrollWidth"] <= m["width"], f"the page is {m['scrollWidth']}px wide"
    for name in ("counts", "question", "kicker", "join"):
        if m[name] is not None:
            assert _inside(m[name], view), (name, m[name], view)
    # The status line is not covered by anything either.
    counts = page.locator(".projector-counts")
    assert m["counts"] is None or counts.evaluate(
        """e => { const r = e.getBoundingClientRect();
                  const hit = document.elementFromPoint(r.left + 4, (r.top + r.bottom) / 2);
                  return e.contains(hit); }"""
    ), "the status line is covered"
    if m["list"] is None:
        return []
    shown = [i for i, item in enumerate(m["items"]) if _overlaps(item["box"], m["list"])]
    assert shown and shown == list(range(len(shown))), "the list shows the best first, in order"
    for i in shown:
        item = m["items"][i]
        assert _inside(item["box"], m["list"]), f"contribution {i + 1} is cut off: {item}"
        assert _inside(item["box"], view), f"contribution {i + 1} is outside the screen: {item}"
    # What does not show is counted below the last one that does, in the list's own box.
    hidden = total - len(shown)
    last = m["items"][shown[-1]]
    if hidden:
        assert last["more"] == f"En nog {hidden} op uw telefoon."
        note_height = float(m["note"].removesuffix("px")) * 1.6
        assert last["box"]["bottom"] + note_height <= m["list"]["bottom"] + 1, "the note is cut off"
    else:
        assert last["more"] == ""
    return shown


@pytest.fixture
def projector(chromium_browser, live_server):
    context = chromium_browser.new_context(locale="nl-NL", viewport={"width": 1920, "height": 1080})
    context.add_cookies([live_server.session_cookie()])
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.mark.parametrize("name", ROOMS)
def test_the_projector_fits_the_screen_at_every_size(
    projector: Page, live_server, seed_conversation, name
):
    room = ROOMS[name]
    workshop_id = make_room(live_server, seed_conversation, room, name)
    for width, height in SIZES:
        projector.set_viewport_size({"width": width, "height": height})
        projector.goto(live_server(f"/workshops/{workshop_id}/projectie"))
        expect(projector.locator(".projector-counts")).to_contain_text(
            f"{len(room.texts)} doen mee"
        )
        shown = assert_fits(projector, len(room.texts))
        if len(room.texts) <= 3 and not room.results:
            assert len(shown) == len(room.texts), (width, height, "a short list shows whole")


def test_the_projector_fits_without_javascript(chromium_browser, live_server, seed_conversation):
    room = ROOMS["all-long-results-shown"]
    workshop_id = make_room(live_server, seed_conversation, room, "zonder JavaScript")
    context = chromium_browser.new_context(
        locale="nl-NL", viewport={"width": 1280, "height": 720}, java_script_enabled=False
    )
    context.add_cookies([live_server.session_cookie()])
    try:
        page = context.new_page()
        page.goto(live_server(f"/workshops/{workshop_id}/projectie"))
        assert "stippen" in page.locator(".projector-contributions").inner_text()
        # JavaScript off also in the measuring page: evaluate still runs (it is the test's own).
        shown = assert_fits(page, len(room.texts))
        assert 2 <= len(shown) < len(room.texts)
        assert re.search(r"En nog \d+ op uw telefoon", page.content())
    finally:
        context.close()


def test_the_results_table_breaks_a_long_word_and_keeps_stacked_marks_in_their_cell(
    projector: Page, live_server, seed_conversation
):
    """A word of 280 letters breaks instead of pushing the dots off the screen; a letter with
    270 accents (stored before typed text was capped) stays within its own cell."""
    room = Room((WORD, ZALGO, MEDIUM), results=True, joining=False)
    workshop_id = make_room(live_server, seed_conversation, room, "resultaten")
    for width in (1920, 1280):
        projector.set_viewport_size({"width": width, "height": 1080})
        projector.goto(live_server(f"/workshops/{workshop_id}/resultaten"))
        table = projector.locator(".table-scroll", has_text="Stippen").first
        assert table.evaluate("e => e.scrollWidth <= e.clientWidth"), "the table scrolls sideways"
        header = projector.get_by_role("columnheader", name="Stippen").bounding_box()
        assert header["x"] + header["width"] <= width
        cell = projector.locator("td", has_text="Z\u0301").first
        assert cell.evaluate("e => getComputedStyle(e).overflowY") in ("clip", "hidden")
