"""Pages show a role only the controls it may use, and every role may read what it may see.

The conversation, its question pages, its action list, an action point's page and its edit form
as each role sees them: every link and form on them leads to a route that the role's
permissions in the region allow (by the table of ``tests/test_authorization_matrix.py``, which
checks that each route refuses the others). A member reads an answer on a question page
without the form; the conversation page says when it lists only the first action points.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from app.accounts.operations import set_role
from app.accounts.roles import ROLE_PERMISSIONS, Permission, Role
from app.actions.models import ActionStatus
from app.actions.operations import delete_action
from app.conversations import operations
from app.conversations.queries import chosen_question_ids
from app.extensions import db

from .accounts import make_user, sign_in
from .checkers import assert_valid_html, require_vnu
from .forms import action_form
from .test_authorization_matrix import requirement_of
from .test_progress import progress_form

ANSWER = "De gemeente Enschede voert de regie, met de andere gemeenten."


class _Controls(HTMLParser):
    """The links (GET) and forms (their method) of a page."""

    def __init__(self, page_url: str):
        super().__init__()
        self.page_url = page_url
        self.controls: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.controls.append(("GET", attrs["href"]))
        elif tag == "form":
            method = (attrs.get("method") or "get").upper()
            self.controls.append((method, attrs.get("action") or self.page_url))


def controls_of(page: str, url: str) -> list[tuple[str, str]]:
    parser = _Controls(url)
    parser.feed(page)
    return parser.controls


def refused_controls(app, role: Role, page: str, url: str) -> list[str]:
    """The links and forms of ``page`` that lead to a route ``role`` may not use."""
    adapter = app.url_map.bind("localhost")
    refused = []
    for method, target in controls_of(page, url):
        parts = urlsplit(target)
        if parts.netloc or not parts.path.startswith("/") or parts.path.startswith("/static/"):
            continue
        try:
            endpoint, _values = adapter.match(parts.path, method=method)
        except (NotFound, MethodNotAllowed):
            refused.append(f"{method} {target}: no such route")
            continue
        required = requirement_of(endpoint, method)
        if isinstance(required, Permission) and required not in ROLE_PERMISSIONS[role]:
            refused.append(f"{method} {target} ({endpoint}) needs {required.name}")
    return refused


@pytest.fixture
def board(app, make_conversation, make_action):
    """A conversation with an answered question and seven action points (one done)."""
    conversation = make_conversation(current_phase_id="verkennen")
    questions = chosen_question_ids(conversation)
    operations.save_answer(conversation, questions[0], ANSWER, "first_steps", 0)
    db.session.commit()
    actions = [
        make_action(conversation, f"Actiepunt nummer {n} uitvoeren", question_id=questions[0])
        for n in range(1, 8)
    ]
    actions[1].status = ActionStatus.DONE
    db.session.commit()
    return conversation, questions, actions


def client_of(app, conversation, role: Role):
    user = make_user(f"{role.value}@handvat.test", region=conversation.region, role=role)
    client = app.test_client()
    sign_in(client, user)
    return client


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_every_control_leads_where_the_role_may_go(app, board, role):
    conversation, questions, actions = board
    client = client_of(app, conversation, role)
    base = f"/gesprekken/{conversation.id}"
    urls = [
        base,
        f"{base}/acties",
        f"{base}/acties/{actions[0].id}",
        f"{base}/vragen/{questions[0]}",
        f"{base}/vragen/{questions[1]}",
    ]
    if Permission.UPDATE_ACTIONS in ROLE_PERMISSIONS[role]:
        urls.append(f"{base}/acties/{actions[0].id}/bewerken")
    refused = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        refused += [f"on {url}: {r}" for r in refused_controls(app, role, response.text, url)]
    assert not refused, f"{role.label} sees controls that end in 403:\n" + "\n".join(refused)


def test_the_controls_of_a_role_that_may_do_everything_stay(app, board):
    """The other side of the test above: a coordinator keeps every control."""
    conversation, questions, actions = board
    client = client_of(app, conversation, Role.COORDINATOR)
    page = client.get(f"/gesprekken/{conversation.id}").text
    for label in (
        "Verder met de vragen",
        "Vragen kiezen",
        "Gegevens en deelnemers wijzigen",
        "Actiepunt toevoegen",
        "Actielijst downloaden (pdf)",
        "Gesprek verwijderen",
        "Volgende ronde starten",
        "Workshop openen",
    ):
        assert label in page, label
    listing = client.get(f"/gesprekken/{conversation.id}/acties").text
    assert "Actiepunt toevoegen" in listing and "omhoog" in listing and "Afronden" in listing
    assert "Wijzigen" in listing
    edit = client.get(f"/gesprekken/{conversation.id}/acties/{actions[0].id}/bewerken").text
    assert ">Verwijderen</a>" in edit


def test_a_project_leader_updates_but_does_not_manage_the_list(app, board):
    conversation, _questions, actions = board
    client = client_of(app, conversation, Role.PROJECT_LEADER)
    page = client.get(f"/gesprekken/{conversation.id}").text
    assert "Volgende ronde starten" in page  # START_ROUND
    assert "Vragen kiezen" not in page and "Gesprek verwijderen" not in page
    assert "Actiepunt toevoegen" not in page
    listing = client.get(f"/gesprekken/{conversation.id}/acties").text
    assert "Afronden" in listing and "Wijzigen" in listing  # UPDATE_ACTIONS
    assert "omhoog" not in listing and "omlaag" not in listing  # MANAGE_ACTIONS
    edit = client.get(f"/gesprekken/{conversation.id}/acties/{actions[0].id}/bewerken").text
    assert "Verwijderen" not in edit


def test_an_edit_of_a_deleted_action_offers_saving_as_new_only_to_who_may_add(app, board):
    conversation, _questions, actions = board
    clients = {
        role: client_of(app, conversation, role) for role in (Role.PROJECT_LEADER, Role.FACILITATOR)
    }
    url = f"/gesprekken/{conversation.id}/acties/{actions[0].id}/bewerken"
    revision = str(actions[0].revision)
    delete_action(conversation, actions[0].id, actions[0].revision)
    db.session.commit()
    for role, client in clients.items():
        fields = action_form(description="Mijn gewijzigde tekst", question_id="", revision=revision)
        response = client.post(url, data=fields)
        assert response.status_code == 409, role
        page = response.text
        assert "Dit actiepunt is intussen verwijderd" in page and "Mijn gewijzigde tekst" in page
        offered = "Opslaan als nieuw actiepunt</button>" in page
        assert offered == (role is Role.FACILITATOR), role
        assert not refused_controls(app, role, page, url), role


def test_a_member_reads_an_answer_without_the_form(app, board):
    conversation, questions, _actions = board
    client = client_of(app, conversation, Role.MEMBER)
    url = f"/gesprekken/{conversation.id}/vragen/{questions[0]}"
    response = client.get(url)
    assert response.status_code == 200
    assert client.head(url).status_code == 200
    page = response.text
    assert ANSWER in page
    assert "Eerste stappen gezet" in page  # the self-assessment
    assert "<textarea" not in page and 'type="radio"' not in page
    assert 'method="post"' not in page.split("</header>", 1)[-1].split("<footer", 1)[0]
    assert "alleen een coördinator of gespreksleider" in page
    # The question navigation: links to the other chosen questions, this one the current page.
    for question_id in questions:
        assert f'href="/gesprekken/{conversation.id}/vragen/{question_id}"' in page
    assert 'aria-current="page"' in page
    assert f'href="/gesprekken/{conversation.id}/vragen/{questions[1]}">Volgende vraag' in page
    # An action point at the question links to its own page, which a member may open.
    assert f'href="/gesprekken/{conversation.id}/acties/' in page
    # An unanswered question says so.
    other = client.get(f"/gesprekken/{conversation.id}/vragen/{questions[1]}").text
    assert "Er is nog geen antwoord opgeschreven." in other and "Nog niet gekozen." in other
    # Reading is not answering: a save is still refused, and nothing changed.
    refused = client.post(url, data={"text": "Overschreven", "revision": "1", "go": "stay"})
    assert refused.status_code == 403
    assert client.get(url).text.count(ANSWER) == 1
    assert client.get(f"/gesprekken/{conversation.id}/vragen/bestaat-niet").status_code == 404


def test_those_who_may_answer_still_get_the_form(app, board):
    conversation, questions, _actions = board
    for role in (Role.COORDINATOR, Role.FACILITATOR):
        client = client_of(app, conversation, role)
        page = client.get(f"/gesprekken/{conversation.id}/vragen/{questions[0]}").text
        assert "<textarea" in page and "Opslaan en volgende vraag" in page, role
        assert "U kunt het antwoord lezen" not in page


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.MEMBER], ids=["form", "read-only"])
def test_the_bar_and_its_label_say_how_many_are_answered(app, board, role):
    conversation, questions, _actions = board
    client = client_of(app, conversation, role)
    page = client.get(f"/gesprekken/{conversation.id}/vragen/{questions[2]}").text
    total = len(questions)
    assert f"vraag 3 van {total}" in page  # where this question is
    bar = re.search(r'<progress id="([^"]+)"[^>]*max="(\d+)" value="(\d+)"', page)
    assert bar and bar.group(2, 3) == (str(total), "1")
    label = re.search(rf'<label [^>]*for="{bar.group(1)}">([^<]+)</label>', page)
    assert label and label.group(1) == f"1 van {total} vragen beantwoord"


def test_the_conversation_page_says_it_lists_only_the_first_action_points(app, board):
    conversation, _questions, actions = board
    client = client_of(app, conversation, Role.MEMBER)
    page = client.get(f"/gesprekken/{conversation.id}").text
    assert "7 actiepunten, waarvan 6 open of bezig. Hieronder staan de eerste 5." in page
    assert f'href="/gesprekken/{conversation.id}/acties">Alle 7 actiepunten bekijken</a>' in page
    for action in actions[:5]:
        assert f'href="/gesprekken/{conversation.id}/acties/{action.id}"' in page
    assert f'href="/gesprekken/{conversation.id}/acties/{actions[5].id}"' not in page


def test_a_short_action_list_is_listed_whole(app, make_conversation, make_action):
    conversation = make_conversation()
    action = make_action(conversation)
    client = client_of(app, conversation, Role.MEMBER)
    page = client.get(f"/gesprekken/{conversation.id}").text
    assert "1 actiepunt, waarvan 1 open of bezig.</p>" in page and "eerste" not in page
    assert ">Alle actiepunten</a>" in page
    assert f'href="/gesprekken/{conversation.id}/acties/{action.id}"' in page


def test_the_cached_conversation_page_follows_a_change_of_role(app, board, tester):
    """The page cache is keyed on the user's roles: a demoted user no longer sees the
    controls of their former role, though the conversation did not change."""
    conversation, _questions, _actions = board
    client = client_of(app, conversation, Role.COORDINATOR)
    url = f"/gesprekken/{conversation.id}"
    assert "Gesprek verwijderen" in client.get(url).text
    user = make_user(f"{Role.COORDINATOR.value}@handvat.test")
    set_role(user, conversation.region, Role.MEMBER)
    db.session.commit()
    page = client.get(url).text
    assert "Gesprek verwijderen" not in page and "Vragen kiezen" not in page
    assert not refused_controls(app, Role.MEMBER, page, url)


def test_progress_is_saved_in_dutch(app, board):
    conversation, _questions, actions = board
    client = client_of(app, conversation, Role.PROJECT_LEADER)
    url = f"/gesprekken/{conversation.id}/acties/{actions[0].id}"
    page = client.get(url).text
    assert ">Voortgang opslaan</button>" in page and "Update opslaan" not in page
    form = progress_form(actions[0])
    response = client.post(f"{url}/voortgang", data=form, follow_redirects=True)
    assert "De voortgang van actiepunt 1 is opgeslagen." in response.text
    again = client.post(f"{url}/voortgang", data=form, follow_redirects=True)
    assert "Deze voortgang van actiepunt 1 was al opgeslagen." in again.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_read_only_question_page_passes_the_nu_html_checker(app, board, tmp_path):
    require_vnu()  # skipped early without it
    conversation, questions, _actions = board
    client = client_of(app, conversation, Role.MEMBER)
    pages = {
        question_id: client.get(f"/gesprekken/{conversation.id}/vragen/{question_id}").text
        for question_id in questions[:2]
    }
    assert_valid_html(pages, tmp_path)
