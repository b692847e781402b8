"""The shared PDF layout (``app/exports/pdf_layout.py``) as a board reads it: a table's header row
only at the top of a page, a row continued on the next page says which one it is, a heading
never ends a page without what it heads, no character vanishes or shows as a stray glyph, and
the conversation's own exports say what is late and what is due soon."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader

from app.exports.cache import document_digest
from app.exports.document import (
    ActionOverviewDocument,
    ActionRow,
    AnsweredQuestion,
    FigureRow,
    OverviewRow,
    ParticipantRow,
    PhaseSection,
)
from app.exports.overview_pdf import render_overview_pdf
from app.exports.pdf import render_action_list_pdf
from app.exports.pdf_layout import (
    FRAME_HEIGHT,
    MARGIN_BOTTOM,
    MISSING_SYMBOL,
    clean_text,
)
from app.questionnaires.loader import load_questionnaire_file
from app.questionnaires.schema import Questionnaire
from app.rounds.document import (
    AgendaAction,
    AgendaDocument,
    AgendaOwner,
    AgendaPhase,
    ComparisonDocument,
    PhaseComparison,
    PhaseSummary,
    QuestionComparison,
    RoundColumn,
    StepCell,
)
from app.rounds.pdf import render_agenda_pdf, render_comparison_pdf
from app.workshops.spread import spread_from_stored

from .test_exports_pdf import QUESTIONNAIRE_FILE, make_document

GENERATED_AT = datetime(2026, 11, 23, 13, 5, tzinfo=UTC)
SENTENCE = "De gemeenten en het mbo stemmen de begeleiding af, zodat geen student tussen wal valt. "
#: The top of the frame the content flows in (points from the bottom of the page).
FRAME_TOP = MARGIN_BOTTOM + FRAME_HEIGHT


@pytest.fixture(scope="module")
def questionnaire() -> Questionnaire:
    return load_questionnaire_file(QUESTIONNAIRE_FILE).questionnaire


def pages(pdf: bytes) -> list[list[tuple[float, str]]]:
    """Per page, the pieces of text with their height on the page (top first), without the
    running header and footer."""
    result = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        pieces: list[tuple[float, str]] = []

        def visit(text, _cm, tm, _font, _size, pieces=pieces):
            y = _cm[5] + tm[5] * _cm[3]
            if text.strip() and MARGIN_BOTTOM - 2 < y < FRAME_TOP + 2:
                pieces.append((y, text.strip()))

        page.extract_text(visitor_text=visit)
        pieces.sort(key=lambda piece: -piece[0])
        result.append(pieces)
    return result


def page_text(page: list[tuple[float, str]]) -> str:
    return " ".join(" ".join(text for _y, text in page).split())


def texts(pdf: bytes) -> list[str]:
    """Per page, its text in the order it is drawn (running header and footer first)."""
    reader = PdfReader(io.BytesIO(pdf))
    return [" ".join((page.extract_text() or "").split()) for page in reader.pages]


def action(number: int, description: str, **changes) -> ActionRow:
    values = {
        "number": number,
        "description": description,
        "phase": "Verkennen",
        "question": "1.2 Wie voert de regie?",
        "owner_name": "Pieter de Vries",
        "owner_organisation": "Gemeente Hengelo",
        "due_date": None,
        "status": "Open",
        "priority": "Normaal",
    }
    values.update(changes)
    return ActionRow(**values)


def overview_row(row: ActionRow) -> OverviewRow:
    return OverviewRow(
        number=row.number,
        action_id=row.number,
        description=row.description,
        conversation="Regiotafel Twente",
        held_on=date(2026, 3, 5),
        position=row.number,
        region="Twente",
        phase=row.phase,
        question=row.question,
        owner_name=row.owner_name,
        owner_organisation=row.owner_organisation,
        due_date=row.due_date,
        status=row.status,
        embedded="",
        is_overdue=False,
    )


def long_actions(count: int) -> list[ActionRow]:
    """A short first action, then actions of 2,000 characters (each a page or more)."""
    rows = [action(1, "ACT-1 Korte actie")]
    rows += [action(n, (f"ACT-{n} " + SENTENCE * 30)[:2000]) for n in range(2, count + 1)]
    return rows


def render_list(kind: str, rows: list[ActionRow], questionnaire) -> bytes:
    if kind == "action-list":
        return render_action_list_pdf(make_document(questionnaire, actions=rows, sections=[]))
    document = ActionOverviewDocument(
        title="Actiepunten regio Twente",
        description="",
        regions=["Twente"],
        as_of=date(2026, 3, 5),
        source=questionnaire.source,
        generated_at=GENERATED_AT,
        rows=[overview_row(row) for row in rows],
    )
    return render_overview_pdf(document)


# --- the header row of a table --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["action-list", "overview"])
def test_header_row_only_once_per_page_and_at_its_top(questionnaire, kind):
    pdf = render_list(kind, long_actions(8), questionnaire)
    table_pages = [page for page in pages(pdf) if "stemmen de begeleiding" in page_text(page)]
    assert len(table_pages) >= 7
    for number, page in enumerate(table_pages, start=1):
        headers = [y for y, text in page if text == "Nr."]
        assert len(headers) == 1, (number, page_text(page)[:200])
        if number > 1:  # a page the table continues on starts with the header row
            assert headers[0] >= page[0][0] - 0.5, (number, page_text(page)[:200])


@pytest.mark.parametrize("kind", ["action-list", "overview"])
def test_a_row_continued_on_the_next_page_shows_its_number(questionnaire, kind):
    pages_text = texts(render_list(kind, long_actions(4), questionnaire))
    continued = [text for text in pages_text if "(vervolg)" in text]
    assert continued
    for text in continued:
        # Right below the header row: the number of the action it continues.
        after_header = text.split("Status", 1)[1].split()
        assert after_header[0] in {"2", "3", "4"} and after_header[1] == "(vervolg)", text[:200]
    # The first page of a long row holds its start, without "(vervolg)".
    first = next(text for text in pages_text if "ACT-2" in text)
    assert "2 (vervolg)" not in first


def test_a_long_row_after_a_short_one_starts_on_the_same_page(questionnaire):
    """The space below the short row is used (split inside the long row), not left empty."""
    pages_text = texts(render_list("action-list", long_actions(3), questionnaire))
    page = next(text for text in pages_text if "ACT-1 Korte actie" in text)
    assert "ACT-2" in page


# --- headings stay with what they head ------------------------------------------------------


def agenda_action(owner: int, phase: int, number: int) -> AgendaAction:
    lines = 1 + (owner * 7 + phase * 3 + number) % 9
    return AgendaAction(
        action_id=owner * 100 + phase * 10 + number,
        conversation_id=1,
        revision=1,
        position=number,
        description=(f"FIRST-{owner}-{phase} " if number == 1 else "") + SENTENCE * lines,
        conversation_title="Regiotafel Twente",
        conversation_held_on=date(2026, 3, 5),
        question="1.2 Wie voert de regie?",
        owner_organisation="Gemeente Hengelo",
        due_date=date(2026, 4, 1),
        is_overdue=number == 1,
        status="open",
        status_label="Open",
        priority_label="Normaal",
        update_on=date(2026, 3, 1),
        update_text=SENTENCE * (lines % 4),
    )


def test_agenda_headings_share_a_page_with_their_tables_first_row(questionnaire):
    owners = tuple(
        AgendaOwner(
            name=f"Trekker {owner:02d}",
            phases=tuple(
                AgendaPhase(
                    f"Fase{owner:02d}{phase}",
                    tuple(agenda_action(owner, phase, n) for n in range(1, 3)),
                )
                for phase in range(1, 4)
            ),
        )
        for owner in range(1, 16)
    )
    document = AgendaDocument(
        region="Twente",
        on=date(2026, 3, 5),
        total=90,
        overdue_total=45,
        shown=90,
        owners=owners,
        source=questionnaire.source,
        generated_at=GENERATED_AT,
    )
    pages_text = texts(render_agenda_pdf(document))
    assert len(pages_text) > 10
    for owner in owners:
        for index, phase in enumerate(owner.phases):
            headings = [f"Fase: {phase.name}"]
            if index == 0:
                headings.append(f"Trekker: {owner.name}")
            first = next(a for a in phase.actions if a.position == 1)
            tag = f"FIRST-{first.action_id // 100}-{first.action_id // 10 % 10}"
            for heading in headings:
                page = next(text for text in pages_text if heading in text)
                assert tag in page.split(heading, 1)[1], (heading, page[-300:])


def comparison_document(questionnaire, phases: int, questions: int):
    rounds = tuple(
        RoundColumn(
            conversation_id=n,
            title=f"Ronde {n}",
            held_on=date(2026, n, 1),
            questionnaire_version="1",
        )  # fmt: skip
        for n in (1, 2)
    )
    scale = ("Nog niet geregeld", "Eerste stappen gezet", "Grotendeels geregeld")
    cell = StepCell(text="Eerste stappen gezet", position=2, scale_size=3)
    return ComparisonDocument(
        region="Twente",
        title="Regiotafel Twente",
        rounds=rounds,
        phases=tuple(
            PhaseComparison(
                phase_id=f"fase-{p}",
                name=f"Fase{p:02d}",
                questions=tuple(
                    QuestionComparison(
                        f"q-{p}-{q}", f"{p}.{q}", SENTENCE * (1 + (p + q) % 5), True, (cell, cell)
                    )
                    for q in range(1, questions + 1)
                ),
                summaries=tuple(
                    PhaseSummary(2.0, 3, tuple((label, 1) for label in scale)) for _ in rounds
                ),
            )
            for p in range(1, phases + 1)
        ),
        scale=scale,
        questionnaire_title=questionnaire.title,
        source=questionnaire.source,
        generated_at=GENERATED_AT,
    )


def test_comparison_phase_headings_share_a_page_with_their_table(questionnaire):
    stranded = []
    for questions in range(2, 9):
        document = comparison_document(questionnaire, phases=6, questions=questions)
        pages_text = texts(render_comparison_pdf(document))
        for phase in document.phases:
            heading = f"Fase: {phase.name}"
            page = next(text for text in pages_text if heading in text)
            if "De hele fase" not in page.split(heading, 1)[1]:
                stranded.append((questions, heading))
    assert not stranded


def spread_answers(questionnaire) -> list[PhaseSection]:
    scale = questionnaire.assessment_scale
    counts = {step.id: 2 + i for i, step in enumerate(scale)}
    spread = spread_from_stored({"counts": counts, "participants": 9}, scale)
    assert spread is not None and spread.participants
    sections = []
    for p, phase in enumerate(questionnaire.phases[:2], start=1):
        sections.append(
            PhaseSection(
                phase.id,
                phase.name,
                [
                    AnsweredQuestion(
                        f"{p}.{n}", q.id, q.text, list(q.follow_ups), "Antwoord.", "", spread
                    )
                    for n, q in enumerate(phase.questions, start=1)
                ],
            )
        )
    return sections


def test_answers_heading_stays_with_a_question_that_has_the_rooms_chart(questionnaire):
    sections = spread_answers(questionnaire)
    first_question = " ".join(sections[0].questions[0].text.split())[:30]
    stranded = []
    for count in range(0, 40, 2):  # the participants table pushes the answers down the page
        participants = [
            ParticipantRow(f"Deelnemer {n}", "Gemeente Enschede", "Gemeente", "Wethouder")
            for n in range(count)
        ]
        document = make_document(
            questionnaire, sections=sections, participants=participants, actions=[]
        )
        pages_text = texts(render_action_list_pdf(document))
        page = next(text for text in pages_text if "Antwoorden per fase" in text)
        if first_question not in page:
            stranded.append(count)
    assert not stranded


def figure(n: int) -> FigureRow:
    return FigureRow(
        indicator=f"Indicator {n}", category="", unit="%", baseline=10.0, baseline_period="2021",
        latest=12.0, latest_period="2023", target=15.0, target_period="2025", status="Op koers",
        on_track=True, story=SENTENCE * (n % 3), series=[10.0, 11.0, 12.0],
        series_periods=["2021", "2022", "2023"],
    )  # fmt: skip


def test_sparkline_legend_stays_with_the_figures_table(questionnaire):
    stranded = []
    for count in range(8, 16):  # the figures table ends further down the page each time
        rows = [
            action(
                n,
                f"ACT-{n} Met cijfers",
                figures=[
                    replace(figure(n), story=SENTENCE * (n * 7 % 4)),
                    replace(figure(n + 1), story=SENTENCE * ((n * 3 + 1) % 4)),
                ][: 1 + n % 2],
            )
            for n in range(1, count + 1)
        ]
        document = make_document(questionnaire, actions=rows, sections=[])
        for page in pages(render_action_list_pdf(document)):
            if page and page[0][1].startswith("Verloop"):  # the legend at the top of a page
                stranded.append(count)
    assert not stranded


# --- characters -----------------------------------------------------------------------------


def test_emoji_get_a_visible_stand_in_without_double_spaces():
    assert clean_text("Jan 😀 de Vries") == f"Jan {MISSING_SYMBOL} de Vries"
    # A family (joined by ZWJ), a skin tone, a flag: one stand-in each.
    assert clean_text("a 👨\u200d👩\u200d👧 b 👍🏽 c 🇳🇱 d") == (
        f"a {MISSING_SYMBOL} b {MISSING_SYMBOL} c {MISSING_SYMBOL} d"
    )
    # What is left out (a lone variation selector) leaves no double space.
    assert clean_text("Jan \ufe0f de Vries") == "Jan de Vries"
    assert clean_text("Jan  de Vries") == "Jan  de Vries"  # the user's own spaces stay


@pytest.mark.parametrize(
    "char", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
             "\u2069", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\ufeff", "\u2060"],
)  # fmt: skip
def test_format_characters_are_never_drawn(char):
    assert clean_text(f"tekens{char} en {char}meer") == "tekens en meer"
    assert clean_text(f"Yıldız{char} en") == "Yıldız en"


def test_pdf_shows_emoji_stand_in_and_no_format_glyphs(questionnaire):
    rows = [
        action(1, "Jan 😀 de Vries belt de school \u202ebidi\u202c tekens\u202c."),
        action(2, "Overleg \u2066met\u2069 zero\u200bwidth.", owner_name="Jan 😀 de Vries"),
    ]
    pdf = render_action_list_pdf(make_document(questionnaire, actions=rows))
    text = " ".join(texts(pdf))
    assert f"Jan {MISSING_SYMBOL} de Vries belt de school bidi tekens." in text
    assert "Overleg met zerowidth." in text
    for char in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u25a0":
        assert char not in text


# --- "te laat" and "binnenkort" -------------------------------------------------------------


def test_action_list_pdf_marks_late_and_due_soon_actions(questionnaire):
    rows = [
        action(1, "ACT-1 te laat", due_date=date(2026, 3, 1), is_overdue=True),
        action(2, "ACT-2 binnenkort", due_date=date(2026, 3, 10), is_due_soon=True),
        action(3, "ACT-3 later", due_date=date(2026, 9, 1)),
    ]
    document = make_document(questionnaire, actions=rows, sections=[], as_of=date(2026, 3, 5))
    text = " ".join(texts(render_action_list_pdf(document)))
    assert "01-03-2026 Te laat" in text
    assert "10-03-2026 Binnenkort" in text
    assert "01-09-2026 Open" in text  # no mark
    assert "stand van 5 maart 2026" in text


def test_cache_key_changes_with_the_day(questionnaire):
    document = make_document(questionnaire, as_of=date(2026, 3, 5))
    same = make_document(questionnaire, as_of=date(2026, 3, 5), generated_at=datetime.now(UTC))
    next_day = replace(document, as_of=date(2026, 3, 6))
    assert document_digest("action-list.pdf", document) == document_digest("action-list.pdf", same)
    assert document_digest("action-list.pdf", document) != document_digest(
        "action-list.pdf", next_day
    )


def test_conversation_exports_show_late_and_due_soon(client, make_conversation, make_action):
    from openpyxl import load_workbook

    from app.core.formatting import local_today

    today = local_today()
    conversation = make_conversation()
    make_action(conversation, "Actie te laat", due_date=today - timedelta(days=3))
    make_action(conversation, "Actie binnenkort", due_date=today + timedelta(days=14))
    make_action(conversation, "Actie later", due_date=today + timedelta(days=15))

    page = client.get(f"/gesprekken/{conversation.id}/actielijst").get_data(as_text=True)
    assert page.count("badge--late") == 1 and "Te laat" in page
    assert page.count("badge--soon") == 1 and "Binnenkort" in page

    response = client.get(f"/gesprekken/{conversation.id}/actielijst.xlsx")
    sheet = load_workbook(io.BytesIO(response.data))["Actiepunten"]
    header = [cell.value for cell in sheet[4]]
    late, soon = header.index("Te laat"), header.index("Binnenkort")
    marks = {row[1].value: (row[late].value, row[soon].value) for row in sheet.iter_rows(min_row=5)}
    assert marks == {
        "Actie te laat": ("ja", "nee"),
        "Actie binnenkort": ("nee", "ja"),
        "Actie later": ("nee", "nee"),
    }

    response = client.get(f"/gesprekken/{conversation.id}/actielijst.pdf")
    text = " ".join(texts(response.data))
    assert "Te laat" in text and "Binnenkort" in text
