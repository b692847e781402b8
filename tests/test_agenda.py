"""The agenda of the next meeting: a region's open action points by trekker and phase, overdue
first, with their latest progress and an update form each; as a page and as a PDF."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from app.accounts.roles import Role
from app.actions import progress
from app.actions.forms import EMBEDDING_HINT
from app.actions.models import ActionPoint, ActionStatus, ActionUpdate
from app.actions.operations import set_status
from app.core.formatting import local_today
from app.extensions import db
from app.rounds import queries
from app.rounds.document import NO_OWNER, NO_PHASE

from .accounts import make_user, sign_in

TODAY = local_today()
LATE = TODAY - timedelta(days=10)
SOON = TODAY + timedelta(days=10)
LATER = TODAY + timedelta(days=60)


@pytest.fixture
def region_actions(make_conversation, make_action, make_region):
    """Two conversations in Twente with open, overdue and closed action points, and one in
    another region the tester has no role in."""
    twente = make_region()
    first = make_conversation(title="Overleg voorjaar", region=twente)
    second = make_conversation(title="Overleg najaar", region=twente, held_on=date(2026, 11, 5))
    q_verkennen = "verkennen-regie"  # phase Verkennen
    make_action(first, "Bas: vormgeven, later", owner_name="Bas Jansen", phase_id="vormgeven",
                due_date=LATER)  # fmt: skip
    make_action(first, "Bas: verkennen, te laat", owner_name="Bas Jansen", question_id=q_verkennen,
                due_date=LATE)  # fmt: skip
    make_action(second, "Bas: verkennen, binnenkort", owner_name="Bas Jansen",
                question_id=q_verkennen, due_date=SOON)  # fmt: skip
    make_action(second, "Bas: verkennen, zonder datum", owner_name="Bas Jansen",
                phase_id="verkennen")  # fmt: skip
    anna = make_action(second, "Anna: zonder fase", owner_name="Anna de Vries",
                       owner_organisation="Gemeente Enschede",
                       status=ActionStatus.IN_PROGRESS)  # fmt: skip
    make_action(first, "Niemand: verankeren", phase_id="verankeren", due_date=LATE)
    done = make_action(first, "Klaar: hoort er niet bij", owner_name="Anna de Vries")
    set_status(first, done.id, ActionStatus.DONE, done.revision)
    db.session.commit()
    for text in ("Eerste gesprek gevoerd", "Plan geschreven"):
        revision = db.session.get(ActionPoint, anna.id).revision
        progress.add_update(second, anna.id, progress.ProgressData(text=text), revision, None)
        db.session.commit()
    other = make_region("Achterhoek", ["Winterswijk"], role=None)
    secret = make_conversation(title="Geheim overleg", region=other)
    make_action(secret, "Geheime actie Achterhoek", owner_name="Bas Jansen", due_date=LATE)
    return twente


def flat_groups(doc):
    return [
        (owner.name, phase.name, [a.description for a in phase.actions])
        for owner in doc.owners
        for phase in owner.phases
    ]


def test_grouped_by_owner_and_phase_overdue_first(region_actions):
    doc = queries.agenda_document(region_actions, TODAY, limit=100)
    assert flat_groups(doc) == [
        ("Anna de Vries", NO_PHASE, ["Anna: zonder fase"]),
        (
            "Bas Jansen",
            "Verkennen",
            [
                "Bas: verkennen, te laat",
                "Bas: verkennen, binnenkort",
                "Bas: verkennen, zonder datum",
            ],
        ),
        ("Bas Jansen", "Vormgeven", ["Bas: vormgeven, later"]),
        (NO_OWNER, "Verankeren", ["Niemand: verankeren"]),
    ]
    assert (doc.total, doc.overdue_total, doc.shown) == (6, 2, 6)
    bas = doc.owners[1]
    assert (bas.count, bas.overdue) == (4, 1)
    late = doc.owners[1].phases[0].actions[0]
    assert late.is_overdue and late.question.startswith("1.4 ")
    assert late.conversation_title == "Overleg voorjaar"
    anna = doc.owners[0].phases[0].actions[0]
    assert (anna.update_text, anna.status_label) == ("Plan geschreven", "Bezig")
    assert doc.title.startswith("Agenda volgende overleg — Regio Twente, ")


def test_paging_keeps_the_order(region_actions):
    first = queries.agenda_document(region_actions, TODAY, limit=4)
    second = queries.agenda_document(region_actions, TODAY, limit=4, offset=4)
    shown = [a.description for doc in (first, second) for o in doc.owners for p in o.phases
             for a in p.actions]  # fmt: skip
    everything = queries.agenda_document(region_actions, TODAY, limit=100)
    assert shown == [a.description for o in everything.owners for p in o.phases for a in p.actions]
    assert (first.shown, second.shown) == (4, 2)


def test_page_shows_the_agenda_with_update_forms(client, region_actions):
    response = client.get("/regio/twente/agenda")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Agenda volgende overleg — Regio Twente, " in page
    assert "Geheime actie" not in page
    assert page.index("Trekker: Anna de Vries") < page.index("Trekker: Bas Jansen")
    assert page.index("Trekker: Bas Jansen") < page.index(f"Trekker: {NO_OWNER}")
    assert page.count(">Te laat</span>") == 2 and "(te laat)" in page
    assert "Plan geschreven" in page and "Eerste gesprek gevoerd" not in page
    assert "Klaar: hoort er niet bij" not in page
    assert page.count('name="revision"') == 6 and page.count('name="csrf_token"') >= 6
    assert '<option value="verankerd">Verankerd</option>' in page
    assert "/agenda.pdf" in page


def test_update_on_the_spot_goes_back_to_the_agenda(client, region_actions):
    page = client.get("/regio/twente/agenda?page=1").get_data(as_text=True)
    action = db.session.scalars(
        db.select(ActionPoint).where(ActionPoint.description == "Bas: verkennen, te laat")
    ).one()
    form = re.search(
        rf'<form method="post" action="([^"]+/acties/{action.id}/voortgang[^"]*)"', page
    )
    url = form[1].replace("&amp;", "&")
    assert "next=" in url
    response = client.post(
        url, data={"text": "Besproken in het overleg", "status": "bezig", "revision": "1"}
    )
    assert response.status_code == 302
    assert response.location.endswith(
        f"/regio/twente/agenda?bijgewerkt={action.id}#actie-{action.id}"
    )
    # The confirmation stands beside the action, where the page opens, not at its top.
    back = client.get(response.location).get_data(as_text=True)
    item = re.search(rf'<li class="agenda-item[^"]*" id="actie-{action.id}">(.*?)</li>', back, re.S)
    assert "is opgeslagen" in item[1] and 'role="status"' in item[1]
    assert back.count("is opgeslagen") == 1
    update = db.session.scalars(
        db.select(ActionUpdate).where(ActionUpdate.action_id == action.id)
    ).one()
    assert update.text == "Besproken in het overleg"
    db.session.expire_all()
    assert db.session.get(ActionPoint, action.id).status is ActionStatus.IN_PROGRESS
    page = client.get("/regio/twente/agenda").get_data(as_text=True)
    assert "Besproken in het overleg" in page


def test_an_action_closed_from_the_agenda_is_confirmed_at_the_top(client, region_actions):
    page = client.get("/regio/twente/agenda").get_data(as_text=True)
    action = db.session.scalars(
        db.select(ActionPoint).where(ActionPoint.description == "Bas: verkennen, te laat")
    ).one()
    url = re.search(rf'action="([^"]+/acties/{action.id}/voortgang[^"]*)"', page)[1]
    response = client.post(
        url.replace("&amp;", "&"),
        data={"text": "Klaar", "status": "afgerond", "revision": "1"},
        follow_redirects=True,
    )
    back = response.get_data(as_text=True)
    assert f'id="actie-{action.id}"' not in back
    flashes = re.search(r'<div class="flash-messages" role="status">(.*?)</div>', back, re.S)
    assert "is opgeslagen" in flashes[1]


def test_paged_page(client, region_actions, monkeypatch):
    monkeypatch.setattr(queries, "AGENDA_PAGE_SIZE", 4)
    first = client.get("/regio/twente/agenda").get_data(as_text=True)
    second = client.get("/regio/twente/agenda?page=2").get_data(as_text=True)
    assert "Pagina 1 van 2" in first and "Pagina 2 van 2" in second
    assert "Niemand: verankeren" in second and "Niemand: verankeren" not in first
    # A page past the end shows the last one; nonsense is the first.
    assert "Pagina 2 van 2" in client.get("/regio/twente/agenda?page=999999").get_data(as_text=True)
    for value in ("-1", "abc", "9" * 40, "%00"):
        response = client.get(f"/regio/twente/agenda?page={value}")
        assert response.status_code == 200
        assert "Pagina 1 van 2" in response.get_data(as_text=True)


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)


def test_agenda_pdf(client, region_actions):
    response = client.get("/regio/twente/agenda.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "agenda-twente-" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert "Agenda volgende overleg — Regio Twente" in text
    assert "Open actiepunten: 6, waarvan 2 te laat" in text
    assert text.index("Trekker: Anna de Vries") < text.index("Trekker: Bas Jansen")
    assert text.index("Trekker: Bas Jansen") < text.index(f"Trekker: {NO_OWNER}")
    assert text.count("te laat") >= 4  # summary, per trekker, and beside each late one
    assert "Laatste voortgang" in text and "Plan geschreven" in text
    assert "Geheime actie" not in text and "Klaar: hoort er niet bij" not in text
    assert "Bron vragen en handvatten: Nederlands Jeugdinstituut (2018)" in text


def test_agenda_pdf_is_bounded(client, region_actions, monkeypatch):
    monkeypatch.setattr(queries, "AGENDA_PDF_LIMIT", 3)
    text = pdf_text(client.get("/regio/twente/agenda.pdf").data)
    assert "Deze pdf toont de eerste 3 van de 6 open actiepunten" in text


def test_empty_agenda(client, make_region):
    make_region()
    page = client.get("/regio/twente/agenda").get_data(as_text=True)
    assert "Er zijn geen open actiepunten in regio Twente." in page
    assert "Er zijn geen open actiepunten" in pdf_text(client.get("/regio/twente/agenda.pdf").data)


def test_other_region_is_not_found(client, region_actions):
    for url in ("/regio/achterhoek/agenda", "/regio/achterhoek/agenda.pdf"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Geheime actie" not in response.get_data(as_text=True)


def test_member_sees_the_agenda_without_update_forms(app, region_actions):
    member = make_user("lid@handvat.test", "Lies Lid", region=region_actions, role=Role.MEMBER)
    client = app.test_client()
    sign_in(client, member)
    page = client.get("/regio/twente/agenda").get_data(as_text=True)
    assert "Bas: verkennen, te laat" in page
    assert "Voortgang bijwerken" not in page
    assert client.get("/regio/twente/agenda.pdf").status_code == 200


def test_region_page_links_the_agenda(client, region_actions):
    page = client.get("/regio/twente").get_data(as_text=True)
    assert 'href="/regio/twente/agenda"' in page


def test_verankerd_from_the_agenda_asks_where(client, region_actions):
    action = db.session.scalars(
        db.select(ActionPoint).where(ActionPoint.description == "Bas: vormgeven, later")
    ).one()
    url = (
        f"/gesprekken/{action.conversation_id}/acties/{action.id}/voortgang"
        f"?next=/regio/twente/agenda%23actie-{action.id}"
    )
    response = client.post(
        url, data={"text": "In de begroting", "status": "verankerd", "revision": "1"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert EMBEDDING_HINT in page and "In de begroting" in page
