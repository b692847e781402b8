"""After a workshop: the results page and PDF, the raw input as CSV, and the room's spread
beside the table's answer (conversation pages and the action list)."""

from __future__ import annotations

import io
import re
from datetime import date

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.accounts.roles import Role
from app.conversations.operations import select_questions
from app.core.formatting import date_long
from app.extensions import db
from app.questionnaires.schema import AssessmentStep
from app.workshops import operations as ops
from app.workshops.models import ContributionKind
from app.workshops.results import INPUT_COLUMNS, workshop_day
from app.workshops.spread import spread_from_counts, spread_from_stored, spread_svg

from .accounts import make_user, sign_in

QUESTION = "verkennen-regie"  # 1.4 Wie voert de regie?
OTHER_QUESTION = "verkennen-populatie"  # 1.5
UNTOUCHED_QUESTION = "verkennen-bestuurlijk-overleg"  # 1.1, never opened
#: First names no page of the test app shows otherwise.
NAMES = ("Wilhelmina", "Gerlinde", "Sjoerdje", "Ferdinanda", "Hendrikus")

SCALE = [
    AssessmentStep(id="not_started", label="Nog niet geregeld"),
    AssessmentStep(id="first_steps", label="Eerste stappen gezet"),
    AssessmentStep(id="largely_arranged", label="Grotendeels geregeld"),
    AssessmentStep(id="well_arranged", label="Goed geregeld"),
    AssessmentStep(id="unknown", label="Weet niet / n.v.t.", counts_on_scale=False),
]


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def page_text(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


# --- the sentence and the chart, without a database --------------------------------------------


def test_the_sentence_counts_every_choice_and_leaves_out_empty_steps():
    spread = spread_from_counts(
        SCALE,
        {"not_started": 2, "first_steps": 7, "largely_arranged": 3},
        recorded_on=date(2026, 11, 23),
    )
    assert spread.participants == 12
    assert spread.sentence == (
        "12 deelnemers: 2 nog niet geregeld, 7 eerste stappen gezet, 3 grotendeels geregeld "
        "(workshop van 23 november 2026)"
    )
    single = spread_from_counts(SCALE, {"unknown": 1})
    assert single.sentence == "1 deelnemer: 1 weet niet / n.v.t."
    nobody = spread_from_counts(SCALE, {})
    assert nobody.participants == 0
    assert nobody.sentence.startswith("Nog niemand")
    assert [step.count for step in spread.steps] == [2, 7, 3, 0, 0]
    assert spread.share(spread.steps[1]) == "58%"


def test_a_stored_spread_that_cannot_be_read_breaks_nothing():
    assert spread_from_stored(None, SCALE) is None
    assert spread_from_stored("kapot", SCALE) is None
    assert spread_from_stored({"participants": 3}, SCALE) is None
    odd = spread_from_stored(
        {
            "counts": {"first_steps": 2, "unknown": True, "not_started": -1, "excellent": 9},
            "recorded_on": "gisteren",
            "workshop": "7",
        },
        SCALE,
    )
    assert odd.sentence == "2 deelnemers: 2 eerste stappen gezet"
    assert odd.workshop_id is None and odd.recorded_on is None


def test_the_chart_is_one_image_named_by_the_sentence_with_counts_as_text():
    spread = spread_from_counts(
        SCALE, {"first_steps": 7, "unknown": 1}, recorded_on=date(2026, 11, 23)
    )
    svg = str(spread_svg(spread))
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert f'aria-label="{spread.sentence}"' in svg
    assert "style=" not in svg and "<script" not in svg
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "Eerste stappen gezet" in texts and "Weet niet / n.v.t." in texts
    assert texts.count("7") == 1 and texts.count("1") == 1 and texts.count("0") == 3
    # Drawn as wide as a phone, so a phone does not shrink its labels (drawn 480 wide they
    # came out 7 pixels high); the stylesheet lets a wide screen show it a third larger.
    assert 'viewBox="0 0 360 ' in svg and 'class="chart-svg chart-svg--spread"' in svg


# --- a workshop with a room -------------------------------------------------------------------


@pytest.fixture
def room(app, make_conversation, tester):
    """A workshop that showed first names: five people placed question 1.4, wrote, dotted;
    the facilitator merged a duplicate, hid one, made an action point and wrote the answer."""
    conversation = make_conversation(title="Regiotafel mbo en jeugdhulp Twente")
    select_questions(conversation, [UNTOUCHED_QUESTION, QUESTION, OTHER_QUESTION])
    workshop = ops.open_workshop(conversation, tester, ops.WorkshopSettings(anonymous=False))
    ops.open_questions(workshop, [QUESTION, OTHER_QUESTION])
    people = [ops.join(workshop, name)[0] for name in NAMES]
    steps = ["first_steps", "first_steps", "largely_arranged", "unknown", "not_started"]
    for person, step in zip(people, steps, strict=True):
        ops.choose_assessment(workshop, person, QUESTION, step)
    ops.choose_assessment(workshop, people[0], OTHER_QUESTION, "well_arranged")

    def write(person, kind, text):
        return ops.contribute(workshop, person, QUESTION, kind, text)

    counter = write(people[0], ContributionKind.IDEA, "Eén loket voor studenten met een hulpvraag")
    duplicate = write(people[1], ContributionKind.IDEA, "Een loket")
    rude = write(people[2], ContributionKind.OBSTACLE, "Iets heel lelijks")
    money = write(people[3], ContributionKind.OBSTACLE, "Geld voor begeleiding ontbreekt")
    write(people[4], ContributionKind.PROPOSAL, '=HYPERLINK("http://x.test")')
    for person in people[:3]:
        ops.add_dot(workshop, person, counter.id, had=0)
    ops.add_dot(workshop, people[3], duplicate.id, had=0)
    ops.add_dot(workshop, people[4], money.id, had=0)
    ops.merge(workshop, duplicate.id, counter.id)
    ops.set_hidden(workshop, rude.id, True)
    ops.contribution_to_action(workshop, counter.id)
    ops.write_answer(workshop, QUESTION, "Er is een regiegroep.", "first_steps", 0)
    db.session.commit()
    return workshop


ROOM_SUMMARY = (
    "5 deelnemers: 1 nog niet geregeld, 2 eerste stappen gezet, 1 grotendeels geregeld, "
    "1 weet niet / n.v.t."
)


def _when(workshop) -> str:
    return f"(workshop van {date_long(workshop_day(workshop))})"


def test_the_conversation_and_question_pages_show_the_rooms_spread(client, room):
    """The spread is kept with the answer the facilitator wrote, and read with the
    conversation's answers: beside that question only."""
    conversation_id = room.conversation_id
    page = client.get(f"/gesprekken/{conversation_id}").get_data(as_text=True)
    assert page.count("Zaal: ") == 1
    assert f"Zaal: {ROOM_SUMMARY}" in page
    question = client.get(f"/gesprekken/{conversation_id}/vragen/{QUESTION}").get_data(as_text=True)
    assert "Zo zag de zaal het" in question and f'aria-label="{ROOM_SUMMARY}' in question
    assert f"/workshops/{room.id}/resultaten" in question
    untouched = client.get(f"/gesprekken/{conversation_id}/vragen/{UNTOUCHED_QUESTION}")
    assert "Zo zag de zaal het" not in untouched.get_data(as_text=True)


def test_the_results_page_shows_spread_ranked_contributions_and_actions(client, room):
    response = client.get(f"/workshops/{room.id}/resultaten")
    assert response.status_code == 200
    text = page_text(response)
    for expected in (
        "Regiotafel mbo en jeugdhulp Twente",
        "Twente",
        date_long(workshop_day(room)),
        room.join_code,
        "5 deelnemers",
        "Wie voert de regie?",
        ROOM_SUMMARY,
        _when(room),
        "Samengevoegd: Idee: Een loket (1 stip)",
        "Werd actiepunt 1",
        "Actiepunten die eruit kwamen",
        "Niet besproken in de workshop",
        "Is er een bestuurlijk overleg",
    ):
        assert expected in text, expected
    # Ranked by dots: the merged one counts for its target (3 + 1), then 1, then 0.
    order = [
        text.index(t) for t in ("Eén loket voor studenten", "Geld voor begeleiding", "=HYPERLINK(")
    ]
    assert order == sorted(order)
    assert '<td class="cell-number"><strong>4</strong></td>' in text
    assert "Iets heel lelijks" not in text
    assert not any(name in text for name in NAMES)
    assert f'role="img" aria-label="{ROOM_SUMMARY} {_when(room)}"' in text
    assert f"/workshops/{room.id}/resultaten.pdf" in text
    assert f"/workshops/{room.id}/invoer.csv" in text


def test_the_results_pdf_is_a_board_document(client, room):
    response = client.get(f"/workshops/{room.id}/resultaten.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert (
        f'attachment; filename="workshop-resultaten-regiotafel-mbo-en-jeugdhulp-twente-'
        f'{workshop_day(room).strftime("%d-%m-%Y")}.pdf"'
    ) == response.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.data))
    assert reader.trailer["/Root"]["/Lang"] == "nl-NL"
    assert reader.metadata.title.startswith(
        "Regiotafel mbo en jeugdhulp Twente — resultaten van de workshop"
    )
    text = pdf_text(response.data)
    for expected in (
        "Resultaten van de workshop",
        f"Code van de workshop: {room.join_code}",
        "Meegedaan: 5 deelnemers",
        "Wie voert de regie?",
        ROOM_SUMMARY,
        _when(room),
        "Eerste stappen gezet",
        "40%",
        "Eén loket voor studenten met een hulpvraag",
        "Samengevoegd: Idee: Een loket (1 stip)",
        "Geld voor begeleiding ontbreekt",
        "Actiepunten die eruit kwamen",
        "1 deelnemer: 1 goed geregeld",
        "Niet besproken in de workshop",
        "pagina 1 van",
        "Nederlands Jeugdinstituut",
    ):
        assert expected in text, expected
    assert "Iets heel lelijks" not in text
    assert not any(name in text for name in NAMES)


def test_the_raw_input_reads_in_dutch_excel_anonymous_and_complete(client, room):
    response = client.get(f"/workshops/{room.id}/invoer.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # one charset
    assert response.headers["Content-Disposition"].endswith('.csv"')
    data = response.data
    assert data.startswith(b"\xef\xbb\xbfSoort;Vraagnummer;Vraag;Deelnemer;")
    assert b"\r\n" in data
    raw = data.decode("utf-8-sig")
    assert not any(name in raw for name in NAMES)

    # As Dutch Excel reads it: decimal comma, thousands dot.
    table = pd.read_csv(
        io.BytesIO(data), sep=";", encoding="utf-8-sig", decimal=",", thousands=".",
        dtype=str, keep_default_na=False,
    )  # fmt: skip
    assert list(table.columns) == [
        "Soort",
        "Vraagnummer",
        "Vraag",
        "Deelnemer",
        "Keuze / tekst",
        "Verborgen",
        "Samengevoegd met",
        "Stippen",
        "Tijdstip",
    ]
    assert table["Soort"].value_counts().to_dict() == {
        "zelfbeoordeling": 6,
        "bijdrage": 5,
        "stip": 5,
    }
    assert set(table["Deelnemer"]) == {"1", "2", "3", "4", "5"}
    assert set(table["Vraagnummer"]) == {"vraag 1.4", "vraag 1.5"}
    assert all(re.fullmatch(r"\d{2}-\d{2}-\d{4} \d{2}:\d{2}", t) for t in table["Tijdstip"])
    contributions = table[table["Soort"] == "bijdrage"].set_index("Keuze / tekst")
    assert contributions.loc["Iets heel lelijks", "Verborgen"] == "ja"
    assert contributions.loc["Een loket", "Samengevoegd met"].startswith("Eén loket")
    assert contributions.loc["Eén loket voor studenten met een hulpvraag", "Stippen"] == "3"
    assert '\'=HYPERLINK("http://x.test")' in contributions.index  # never a formula
    assert (table.loc[table["Soort"] != "bijdrage", "Verborgen"] == "nee").all()
    choices = table[(table["Soort"] == "zelfbeoordeling") & (table["Vraagnummer"] == "vraag 1.4")]
    assert sorted(choices["Keuze / tekst"]) == sorted(
        ["Eerste stappen gezet"] * 2
        + ["Grotendeels geregeld", "Weet niet / n.v.t.", "Nog niet geregeld"]
    )


def test_the_conversation_pages_show_the_rooms_spread(client, room):
    conversation_id = room.conversation_id
    overview = page_text(client.get(f"/gesprekken/{conversation_id}"))
    assert f"{ROOM_SUMMARY} {_when(room)}" in overview
    answer = client.get(f"/gesprekken/{conversation_id}/vragen/{QUESTION}")
    assert answer.status_code == 200
    text = page_text(answer)
    assert "Zo zag de zaal het" in text
    assert f'role="img" aria-label="{ROOM_SUMMARY} {_when(room)}"' in text
    assert f"/workshops/{room.id}/resultaten" in text
    other = page_text(client.get(f"/gesprekken/{conversation_id}/vragen/{OTHER_QUESTION}"))
    assert "Zo zag de zaal het" not in other  # its answer was not written from the workshop


def test_the_action_list_shows_the_rooms_spread(client, room):
    conversation_id = room.conversation_id
    text = pdf_text(client.get(f"/gesprekken/{conversation_id}/actielijst.pdf").data)
    assert f"Zo zag de zaal het: {ROOM_SUMMARY} {_when(room)}" in text
    twin = page_text(client.get(f"/gesprekken/{conversation_id}/actielijst"))
    assert f"{ROOM_SUMMARY} {_when(room)}" in twin
    assert 'role="img"' in twin
    workbook = load_workbook(
        io.BytesIO(client.get(f"/gesprekken/{conversation_id}/actielijst.xlsx").data)
    )
    answers = [[cell.value for cell in row] for row in workbook["Antwoorden"].iter_rows(min_row=3)]
    assert answers[0][5] == "De zaal (workshop)"
    assert f"{ROOM_SUMMARY} {_when(room)}" in [row[5] for row in answers]


def test_a_member_sees_the_results_another_region_does_not(app, room, make_region):
    member = make_user("lid@handvat.test", region=room.conversation.region, role=Role.MEMBER)
    other_region = make_region("Utrecht", ("Utrecht",), role=None)
    outsider = make_user("ander@handvat.test", region=other_region, role=Role.COORDINATOR)
    paths = [f"/workshops/{room.id}/{p}" for p in ("resultaten", "resultaten.pdf", "invoer.csv")]
    for user, status in ((member, 200), (outsider, 404)):
        client = app.test_client()
        sign_in(client, user)
        assert [client.get(path).status_code for path in paths] == [status] * 3, user.email
    assert app.test_client().get(paths[0]).status_code != 200
    signed_in = app.test_client()
    sign_in(signed_in, member)
    assert signed_in.get("/workshops/999999/resultaten").status_code == 404


def test_a_workshop_without_input_has_results_too(client, make_conversation, tester):
    conversation = make_conversation()
    select_questions(conversation, [QUESTION])
    workshop = ops.open_workshop(conversation, tester, ops.WorkshopSettings())
    ops.open_questions(workshop, [QUESTION])
    db.session.commit()
    page = page_text(client.get(f"/workshops/{workshop.id}/resultaten"))
    assert "Nog niemand uit de zaal heeft deze vraag op de schaal gezet" in page
    assert "Er zijn geen bijdragen bij deze vraag." in page
    pdf = pdf_text(client.get(f"/workshops/{workshop.id}/resultaten.pdf").data)
    assert "Nog niemand uit de zaal" in pdf
    csv = client.get(f"/workshops/{workshop.id}/invoer.csv").data.decode("utf-8-sig")
    assert csv.splitlines() == [";".join(INPUT_COLUMNS)]
