"""The action list's exports show the figures of the action points linked to indicators: the
PDF, its HTML twin and the Excel file; and the export cache sees new figures and changed links.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.actions.queries import actions_of
from app.exports import routes
from app.exports.cache import document_digest
from app.exports.document import ActionListDocument, ActionRow, FigureRow
from app.exports.pdf import render_action_list_pdf
from app.exports.queries import action_list_document
from app.extensions import db
from app.indicators.importer import read_indicator_file
from app.indicators.models import ActionIndicatorLink
from app.indicators.operations import (
    ActionLinkData,
    link_action,
    store_plan,
    update_action_link,
)
from app.indicators.queries import latest_observation
from app.questionnaires.schema import Source

FIXTURES = Path(__file__).parent / "fixtures" / "indicators"
FIGURES_FILE = FIXTURES / "kennispunt-twente-afsluitredenen-2020-2021.csv"
INDICATOR = "Afgesloten behandelingen naar reden"
DROPPED_OUT = "Afgehaakt"
SOLVED = "Opgelost, student kan zelf verder"
STORY = "In 2021 haakten meer jongeren af; met vast overleg merken we het eerder."

#: The same table a year later: 2021 again, and 2022 new.
NEXT_YEAR = "\r\n".join(
    [
        f"{INDICATOR};;",
        ";;",
        "Afgesloten;2021;2022",
        f"{DROPPED_OUT};24;15",
        f"{SOLVED};23;27",
        "Totaal;83;90",
    ]
).encode("cp1252")


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def linked(app, make_conversation, make_action):
    """A conversation with three action points; the first follows the drop-outs (baseline
    30,5 in 2020, target 12,5 in 2027), the third the students who can carry on (baseline
    taken from the latest figure, target 40 in 2030); the second has no figures."""
    conversation = make_conversation()
    first = make_action(conversation, "Vast overleg met het wijkteam")
    make_action(conversation, "Regietafel inrichten")
    third = make_action(conversation, "Eén registratieformat voor hulpverleners")
    plan = read_indicator_file(FIGURES_FILE.read_bytes(), FIGURES_FILE.name)
    indicator = store_plan(conversation.region, plan).indicators[0].indicator
    link_action(
        first,
        ActionLinkData(indicator.id, DROPPED_OUT, 30.5, "2020", 12.5, "2027", STORY),
        None,
    )
    link_action(
        third,
        ActionLinkData(indicator.id, SOLVED, None, None, 40.0, "2030", ""),
        latest_observation(indicator.id, SOLVED),
    )
    db.session.commit()
    return conversation


def document_of(conversation) -> ActionListDocument:
    return action_list_document(conversation, actions_of(conversation))


# --- the document -----------------------------------------------------------------------------


def test_document_holds_each_actions_figures(linked):
    actions = document_of(linked).actions
    assert [len(a.figures) for a in actions] == [1, 0, 1]
    dropped, solved = actions[0].figures[0], actions[2].figures[0]
    assert dropped.label == f"{INDICATOR} – {DROPPED_OUT}"
    assert (dropped.baseline, dropped.baseline_period) == (30.5, "2020")
    assert (dropped.latest, dropped.latest_period) == (24.0, "2021")
    assert (dropped.target, dropped.target_period) == (12.5, "2027")
    assert dropped.status == "Op koers" and dropped.on_track is True
    assert dropped.story == STORY
    assert dropped.series == [10.0, 24.0] and dropped.series_periods == ["2020", "2021"]
    # The baseline came from the latest figure when the action was linked.
    assert (solved.baseline, solved.baseline_period) == (23.0, "2021")
    assert solved.status == "Nog geen nieuwe meting" and solved.on_track is None


# --- the renderers ------------------------------------------------------------------------------


def test_pdf_shows_baseline_latest_target_and_status(client, linked):
    response = client.get(f"/gesprekken/{linked.id}/actielijst.pdf")
    assert response.status_code == 200
    text = flat(pdf_text(response.data))
    for expected in (
        "Cijfers bij de actiepunten",
        "Actiepunt 1: Vast overleg met het wijkteam",
        "Actiepunt 3: Eén registratieformat voor hulpverleners",
        INDICATOR,
        "Beginwaarde",
        "Laatste waarde",
        "30,5",  # baseline, the Dutch way
        "12,5",  # target
        "2027",
        "2030",
        "Op koers",
        "Nog geen nieuwe meting",
        "Het verhaal achter het cijfer: " + STORY,
        "1 cijfer: zie Cijfers bij de actiepunten",  # the note in the action list
    ):
        assert expected in text, expected
    assert "Actiepunt 2:" not in text  # no figures, no block
    # Baseline, latest and target of the first action, in that order, each with its period.
    assert "30,5 2020 24 2021 12,5 2027" in text


def test_pdf_without_linked_actions_has_no_figures_section(client, make_conversation, make_action):
    conversation = make_conversation()
    make_action(conversation, "Regietafel inrichten")
    text = pdf_text(client.get(f"/gesprekken/{conversation.id}/actielijst.pdf").data)
    assert "Cijfers bij de actiepunten" not in text


def test_html_twin_shows_the_figures(client, linked):
    page = client.get(f"/gesprekken/{linked.id}/actielijst").get_data(as_text=True)
    for expected in (
        '<h2 id="cijfers">Cijfers bij de actiepunten</h2>',
        'id="cijfers-actie-1"',
        'href="#cijfers-actie-1"',
        f"{INDICATOR} – {DROPPED_OUT}",
        "30,5",
        "12,5",
        "<strong>24</strong>",
        "Op koers",
        "Nog geen nieuwe meting",
        STORY,
        "Verloop van " + f"{INDICATOR} – {DROPPED_OUT}",
        "Waarde per periode: 2020: 10; 2021: 24.",
    ):
        assert expected in page, expected
    assert page.count('role="img"') == 2
    assert 'id="cijfers-actie-2"' not in page


def test_excel_has_a_sheet_of_figures(client, linked):
    response = client.get(f"/gesprekken/{linked.id}/actielijst.xlsx")
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["Actiepunten", "Cijfers", "Antwoorden"]
    rows = list(workbook["Cijfers"].iter_rows(min_row=4, values_only=True))
    assert rows[0][:11] == (
        "Actiepunt nr.",
        "Indicator",
        "Categorie",
        "Eenheid",
        "Beginwaarde",
        "Beginperiode",
        "Laatste waarde",
        "Periode",
        "Doel",
        "Doelperiode",
        "Stand",
    )
    assert rows[1] == (
        1,
        INDICATOR,
        DROPPED_OUT,
        "behandelingen",  # the unit, from the file's title
        30.5,
        "2020",
        24,
        "2021",
        12.5,
        "2027",
        "Op koers",
        STORY,
    )
    solved = (3, INDICATOR, SOLVED, "behandelingen", 23, "2021", 23, "2021", 40, "2030")
    assert rows[2][:11] == (*solved, "Nog geen nieuwe meting")
    assert len(rows) == 3


# --- the cache key ------------------------------------------------------------------------------


def test_cache_key_changes_with_a_new_import(linked):
    before = document_digest("action-list.pdf", document_of(linked))
    assert document_digest("action-list.pdf", document_of(linked)) == before  # stable

    store_plan(linked.region, read_indicator_file(NEXT_YEAR, "afsluitredenen-2022.csv"))
    db.session.commit()
    document = document_of(linked)

    assert document.actions[0].figures[0].latest == 15.0
    assert document.actions[0].figures[0].latest_period == "2022"
    assert document_digest("action-list.pdf", document) != before


def test_cache_key_changes_with_a_changed_link(linked):
    before = document_digest("action-list.xlsx", document_of(linked))
    action = actions_of(linked)[0]
    link = db.session.query(ActionIndicatorLink).filter_by(action_point_id=action.id).one()
    update_action_link(
        action,
        link,
        ActionLinkData(link.indicator_id, DROPPED_OUT, 30.5, "2020", 10.0, "2027", STORY),
        link.revision,
    )
    db.session.commit()
    assert document_digest("action-list.xlsx", document_of(linked)) != before


@pytest.fixture
def export_folder(app, tmp_path):
    folder = tmp_path / "export-cache"
    app.config.update(
        EXPORT_CACHE_FOLDER=str(folder),
        EXPORT_CACHE_ENABLED=True,
        EXPORT_SLOTS=1,
        EXPORT_WAIT_SECONDS=0,
    )
    return folder


def test_a_new_import_gives_a_new_pdf(client, export_folder, monkeypatch, linked):
    renders = []
    real = routes.render_action_list_pdf
    monkeypatch.setattr(routes, "render_action_list_pdf", lambda d: renders.append(d) or real(d))
    url = f"/gesprekken/{linked.id}/actielijst.pdf"

    first = pdf_text(client.get(url).data)
    client.get(url)
    assert len(renders) == 1  # the second download came from the cache
    store_plan(linked.region, read_indicator_file(NEXT_YEAR, "afsluitredenen-2022.csv"))
    db.session.commit()
    second = flat(pdf_text(client.get(url).data))

    assert len(renders) == 2
    assert "2022" not in first
    assert "30,5 2020 15 2022 12,5 2027" in second


# --- layout limits, without a database ----------------------------------------------------------


def figure(**fields) -> FigureRow:
    values = {
        "indicator": INDICATOR,
        "category": DROPPED_OUT,
        "unit": "jongeren",
        "baseline": 1234.5,
        "baseline_period": "1e kwartaal 2023",
        "latest": None,
        "latest_period": "",
        "target": 0.25,
        "target_period": "2023/2024",
        "status": "Nog geen cijfers",
        "on_track": None,
        "story": "",
        "series": [None, None],
        "series_periods": ["2022", "2023"],
    }
    return FigureRow(**(values | fields))


def bare_document(actions: list[ActionRow]) -> ActionListDocument:
    return ActionListDocument(
        title="Overleg",
        region="Twente",
        held_on=date(2026, 10, 8),
        current_phase="Verkennen",
        questionnaire_title="Handvatten",
        questionnaire_subtitle=None,
        questionnaire_version="1",
        source=Source(
            publisher="Nederlands Jeugdinstituut",
            year=2018,
            title="Samen werken",
            rights="Vrij te gebruiken met bronvermelding.",
        ),
        generated_at=datetime(2026, 11, 23, 13, 5, tzinfo=UTC),
        actions=actions,
    )


def action_row(number: int, figures: list[FigureRow]) -> ActionRow:
    return ActionRow(
        number=number,
        description=f"Actie {number} " + "met een lange beschrijving " * 20,
        phase="",
        question="",
        owner_name="",
        owner_organisation="",
        due_date=None,
        status="Open",
        priority="",
        figures=figures,
    )


def test_pdf_formats_missing_and_large_values():
    text = flat(pdf_text(render_action_list_pdf(bare_document([action_row(1, [figure()])]))))
    assert "1.234,5" in text
    assert "0,25" in text
    assert "Nog geen cijfers" in text
    assert "–" in text  # no latest value
    assert "in jongeren" in text


def test_pdf_with_many_figures_and_long_stories_breaks_between_figures():
    long_story = "Dit verklaart het cijfer. " * 80  # 2,000 characters, the most the form takes
    many_lines = "\n".join(f"Regel {n}" for n in range(300))
    rtl = "الطلاب الذين توقفوا عن العلاج في عام 2021"
    actions = [
        action_row(
            n,
            [
                figure(story=story, series=[10.0, None, 24.0], series_periods=["a", "b", "c"])
                for story in (long_story, many_lines, rtl)
            ],
        )
        for n in range(1, 9)
    ]
    data = render_action_list_pdf(bare_document(actions))
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) > 4
    text = flat(pdf_text(data))
    assert "Actiepunt 8:" in text
    assert "Regel 299" in text


def test_figures_are_part_of_the_cache_key():
    document = bare_document([action_row(1, [figure()])])
    key = document_digest("action-list.pdf", document)
    changed = replace(
        document, actions=[action_row(1, [figure(story="Een ander verhaal achter het cijfer")])]
    )
    assert document_digest("action-list.pdf", changed) != key
