"""The questionnaire files: every file loads, content is faithful, broken files are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.questionnaires.loader import (
    QuestionnaireFileError,
    QuestionnaireRegistry,
    load_questionnaire_file,
)

FOLDER = Path(__file__).resolve().parent.parent / "questionnaires"
SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "002_f811c294857ee111.txt"


@pytest.mark.parametrize("path", sorted(FOLDER.glob("*.yaml")), ids=lambda p: p.name)
def test_every_questionnaire_file_loads(path):
    loaded = load_questionnaire_file(path)
    assert loaded.questionnaire.phases
    assert len(loaded.content_sha256) == 64


def test_plate_has_four_phases_and_twelve_questions():
    q = QuestionnaireRegistry.from_folder(FOLDER).current("handvatten-voor-gesprek").questionnaire
    assert [p.name for p in q.phases] == ["Verkennen", "Verbeelden", "Vormgeven", "Verankeren"]
    assert [len(p.questions) for p in q.phases] == [5, 2, 4, 1]
    assert q.source.publisher == "Nederlands Jeugdinstituut"
    assert "Graag de bron vermelden" in q.source.rights
    first = q.phases[0].questions[0]
    assert first.follow_ups == ["Zo nee, hoe kunnen jullie er in de regio dan toe komen?"]
    assert first.guidance[1].startswith("Denk aan verantwoordelijke financiers")
    assert q.question_numbers["verankeren-opbrengst"] == "4.1"
    labels = [s.label for s in q.assessment_scale]
    assert labels[-1] == "Weet niet / n.v.t."
    assert sum(s.counts_on_scale for s in q.assessment_scale) == 4


@pytest.mark.skipif(not SEED.exists(), reason="source documents not next to the repository")
def test_guidance_is_carried_over_verbatim_from_the_seed():
    seed = " ".join(SEED.read_text(encoding="utf-8").split())
    q = load_questionnaire_file(FOLDER / "handvatten-voor-gesprek-v1.yaml").questionnaire
    for phase in q.phases:
        for question in phase.questions:
            for paragraph in question.guidance:
                assert paragraph in seed, paragraph[:60]
    assert q.introduction in seed


def _write(tmp_path, text: str) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_field_names_file_and_place(tmp_path):
    source = (FOLDER / "handvatten-voor-gesprek-v1.yaml").read_text(encoding="utf-8")
    broken = source.replace(
        "      - id: verkennen-regie\n        text: Wie voert de regie?\n",
        "      - id: verkennen-regie\n",
    )
    with pytest.raises(QuestionnaireFileError) as error:
        load_questionnaire_file(_write(tmp_path, broken))
    message = str(error.value)
    assert "broken.yaml" in message
    assert "phases[0].questions[3].text" in message
    assert "Field required" in message


def test_duplicate_question_id_is_refused(tmp_path):
    source = (FOLDER / "handvatten-voor-gesprek-v1.yaml").read_text(encoding="utf-8")
    broken = source.replace("id: verkennen-regie", "id: verkennen-financiering")
    with pytest.raises(QuestionnaireFileError, match="verkennen-financiering.*more than once"):
        load_questionnaire_file(_write(tmp_path, broken))


def test_invalid_yaml_names_the_line(tmp_path):
    with pytest.raises(QuestionnaireFileError, match=r"broken.yaml: not valid YAML at line 2"):
        load_questionnaire_file(_write(tmp_path, "key: x\n  bad: [unclosed\n"))


def test_unknown_field_is_refused(tmp_path):
    source = (FOLDER / "handvatten-voor-gesprek-v1.yaml").read_text(encoding="utf-8")
    broken = source.replace(
        "title: Handvatten voor gesprek\n", "title: Handvatten voor gesprek\ntitel: typo\n", 1
    )
    with pytest.raises(QuestionnaireFileError, match=r"titel: Extra inputs are not permitted"):
        load_questionnaire_file(_write(tmp_path, broken))


def test_newest_version_is_current(tmp_path):
    source = (FOLDER / "handvatten-voor-gesprek-v1.yaml").read_text(encoding="utf-8")
    (tmp_path / "v1.yaml").write_text(source, encoding="utf-8")
    (tmp_path / "v10.yaml").write_text(
        source.replace('version: "1"', 'version: "10"'), encoding="utf-8"
    )
    (tmp_path / "v2.yaml").write_text(
        source.replace('version: "1"', 'version: "2"'), encoding="utf-8"
    )
    registry = QuestionnaireRegistry.from_folder(tmp_path)
    assert registry.current("handvatten-voor-gesprek").questionnaire.version == "10"
