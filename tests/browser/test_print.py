"""Printed pages: on paper nothing scrolls, so every column of a table must fit the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from app.extensions import db

pytestmark = pytest.mark.browser

#: The width of an A4 page's printable area in CSS pixels (190 mm at 96 per inch).
A4_PRINTABLE_WIDTH = 718
LONG_LINK = (
    "https://www.example.nl/regio/twente/documenten/2026/"
    "samenwerkingsafspraken-onderwijs-zorg-mbo-definitief-versie-3.pdf?download=true"
)


def test_printed_action_list_keeps_every_column_on_the_page(
    page: Page, live_server, seed_conversation
):
    """A link in an action's text is one long word: on paper it breaks, rather than push
    the trekker, date, priority and status off the page."""
    from app.actions.operations import ActionData, add_action
    from app.conversations.models import Conversation

    conversation_id = seed_conversation("Printtest", ["verkennen-bestuurlijk-overleg"])
    with live_server.app.app_context():
        conversation = db.session.get(Conversation, conversation_id)
        add_action(conversation, ActionData(f"Lees de afspraken: {LONG_LINK}", owner_name="Anna"))
        db.session.commit()
        db.session.remove()
    page.set_viewport_size({"width": A4_PRINTABLE_WIDTH, "height": 1000})
    page.emulate_media(media="print")
    page.goto(live_server(f"/gesprekken/{conversation_id}/actielijst"))
    sticking_out = page.evaluate(
        """(width) => [...document.querySelectorAll('.table--actions th, .table--actions td')]
            .filter(cell => cell.getBoundingClientRect().right > width + 1)
            .map(cell => cell.textContent.trim().slice(0, 40))""",
        A4_PRINTABLE_WIDTH,
    )
    assert not sticking_out, sticking_out
    assert "Status" in page.locator(".table--actions thead").inner_text()
