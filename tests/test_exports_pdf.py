"""The PDF renderers: read back with pypdf, no database or Flask app needed."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.exports.document import (
    ActionListDocument,
    ActionRow,
    AnsweredQuestion,
    BlankPlateDocument,
    ParticipantRow,
    PhaseSection,
)
from app.exports.pdf import render_action_list_pdf, render_blank_plate_pdf, source_attribution
from app.questionnaires.loader import load_questionnaire_file
from app.questionnaires.schema import Questionnaire

QUESTIONNAIRE_FILE = (
    Path(__file__).resolve().parents[1] / "questionnaires" / "handvatten-voor-gesprek-v1.yaml"
)
# 14:05 in Amsterdam (winter time, UTC+1).
GENERATED_AT = datetime(2026, 11, 23, 13, 5, tzinfo=UTC)

STATUSES = ("Open", "Bezig", "Afgerond", "Vervallen")
OWNERS = (
    ("Fatima el Amrani", "Gemeente Enschede"),
    ("Jeroen ter Horst", "ROC van Twente"),
    ("Marieke Jansen-van den Berg", "Jeugdhulp Twente (regionale inkooporganisatie)"),
    ("Pieter de Vries", "Wijkteam Hengelo"),
)


@pytest.fixture(scope="module")
def questionnaire() -> Questionnaire:
    return load_questionnaire_file(QUESTIONNAIRE_FILE).questionnaire


def make_actions(count: int, questionnaire: Questionnaire) -> list[ActionRow]:
    questions = [
        (phase.name, f"{p}.{n} {q.text}")
        for p, phase in enumerate(questionnaire.phases, start=1)
        for n, q in enumerate(phase.questions, start=1)
    ]
    actions = []
    for i in range(1, count + 1):
        phase, question = questions[i % len(questions)] if i % 7 else ("", "")
        name, organisation = OWNERS[i % len(OWNERS)]
        actions.append(
            ActionRow(
                number=i,
                description=(
                    f"ACT-{i:04d} Plan een overleg met de mbo-instelling en het wijkteam over "
                    "de warme overdracht van studenten die 18 worden."
                    + (" Leg de afspraken vast in een convenant." if i % 3 == 0 else "")
                ),
                phase=phase,
                question=question,
                owner_name=name,
                owner_organisation=organisation,
                due_date=date(2026, 4, 1) + timedelta(days=i % 90) if i % 5 else None,
                status=STATUSES[i % len(STATUSES)],
                priority=("Hoog", "Normaal", "Laag", "")[i % 4],
            )
        )
    return actions


def make_document(
    questionnaire: Questionnaire, *, actions: list[ActionRow] | None = None, **changes
) -> ActionListDocument:
    sections = []
    for p, phase in enumerate(questionnaire.phases, start=1):
        answered = []
        for n, q in enumerate(phase.questions, start=1):
            first = p == 1 and n == 1
            answered.append(
                AnsweredQuestion(
                    number=f"{p}.{n}",
                    question_id=q.id,
                    text=q.text,
                    follow_ups=list(q.follow_ups),
                    answer=(
                        "Ja, het Bestuurlijk Overleg Twente komt vier keer per jaar bij elkaar.\n"
                        "Wethouders onderwijs & jeugd <en> de colleges van bestuur zitten er."
                        if first
                        else ("" if n % 2 == 0 else f"Antwoord op vraag {p}.{n}.")
                    ),
                    assessment="Eerste stappen gezet" if n % 3 else "",
                )
            )
        sections.append(PhaseSection(phase_id=phase.id, name=phase.name, questions=answered))
    values = {
        "title": "Regiotafel mbo en jeugdhulp Twente",
        "region": "Twente",
        "held_on": date(2026, 3, 5),
        "current_phase": "Verkennen",
        "questionnaire_title": questionnaire.title,
        "questionnaire_subtitle": questionnaire.subtitle,
        "questionnaire_version": questionnaire.version,
        "source": questionnaire.source,
        "generated_at": GENERATED_AT,
        "participants": [
            ParticipantRow("Fatima el Amrani", "Gemeente Enschede", "Gemeente", "Wethouder"),
            ParticipantRow(
                "Jeroen ter Horst", "ROC van Twente", "Mbo-instelling", "Lid college van bestuur"
            ),
            ParticipantRow(
                "Marieke Jansen-van den Berg",
                "Jeugdhulp Twente",
                "Jeugdhulp",
                "Beleidsadviseur",
            ),
        ],
        "sections": sections,
        "actions": make_actions(6, questionnaire) if actions is None else actions,
    }
    values.update(changes)
    return ActionListDocument(**values)


def read(pdf: bytes) -> PdfReader:
    assert pdf.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(pdf))


def page_texts(reader: PdfReader) -> list[str]:
    return [page.extract_text() or "" for page in reader.pages]


def flat(text: str) -> str:
    """All whitespace as single spaces, so wrapped lines can be searched."""
    return " ".join(text.split())


def all_text(reader: PdfReader) -> str:
    return flat(" ".join(page_texts(reader)))


# --- action list ---------------------------------------------------------------------------


def test_action_list_shows_the_conversation(questionnaire):
    doc = make_document(questionnaire)
    reader = read(render_action_list_pdf(doc))
    text = all_text(reader)
    pages = len(reader.pages)

    assert "Regiotafel mbo en jeugdhulp Twente" in text
    assert "Regio: Twente" in text
    assert "Gesprek gehouden op 5 maart 2026" in text
    assert "Fase van de samenwerking: Verkennen" in text
    assert "Handvatten voor gesprek (versie 1)" in text
    # Participants table
    for heading in ("Naam", "Organisatie", "Soort organisatie", "Rol"):
        assert heading in text
    assert "Marieke Jansen-van den Berg" in text
    assert "Lid college van bestuur" in text
    # Questions, follow-ups, answers (escaped markup characters survive), assessment
    assert "1.1" in text
    assert flat(questionnaire.phases[0].questions[0].text) in text
    assert flat(questionnaire.phases[0].questions[0].follow_ups[0]) in text
    assert "Wethouders onderwijs & jeugd <en> de colleges van bestuur zitten er." in text
    assert "Niet beantwoord" in text
    assert "Zelfbeoordeling: Eerste stappen gezet" in text
    # Action table
    assert "Actiepuntenlijst" in text
    assert "ACT-0003 Plan een overleg met de mbo-instelling" in text
    assert re.search(r"\b\d{2}-\d{2}-2026\b", text)
    assert "Prioriteit: Hoog" in text
    # Sign-off, footer, attribution
    assert "Vastgesteld door" in text
    assert "Handtekening" in text
    assert f"pagina 1 van {pages}" in text
    assert f"pagina {pages} van {pages}" in text
    assert "Gemaakt op 23 november 2026 om 14:05" in text
    assert (
        "Bron vragen en handvatten: Nederlands Jeugdinstituut (2018), Samen werken aan "
        "optimale ondersteuning mbo-studenten — Handvatten voor gesprek" in text
    )
    assert "www.nji.nl" in text


def test_every_page_has_header_footer_and_attribution(questionnaire):
    reader = read(render_action_list_pdf(make_document(questionnaire)))
    texts = page_texts(reader)
    assert len(texts) >= 2
    for number, page in enumerate(texts, start=1):
        page = flat(page)
        assert "Regiotafel mbo en jeugdhulp Twente" in page
        assert "Twente" in page
        assert f"pagina {number} van {len(texts)}" in page
        assert "Bron vragen en handvatten: Nederlands Jeugdinstituut (2018)" in page


def test_metadata_and_language(questionnaire):
    reader = read(render_action_list_pdf(make_document(questionnaire)))
    assert reader.trailer["/Root"]["/Lang"] == "nl-NL"
    assert reader.metadata.title == "Regiotafel mbo en jeugdhulp Twente — actiepuntenlijst"
    assert reader.metadata.author == "Handvat"
    assert "Twente" in reader.metadata.subject


def test_attribution_is_built_from_the_source(questionnaire):
    source = questionnaire.source.model_copy(
        update={"publisher": "Uitgever X", "year": 2030, "section": None, "url": None}
    )
    assert source_attribution(source) == (
        "Bron vragen en handvatten: Uitgever X (2030), "
        "Samen werken aan optimale ondersteuning mbo-studenten."
    )
    text = all_text(read(render_action_list_pdf(make_document(questionnaire, source=source))))
    assert "Bron vragen en handvatten: Uitgever X (2030)" in text


def test_without_actions(questionnaire):
    text = all_text(read(render_action_list_pdf(make_document(questionnaire, actions=[]))))
    assert "Er zijn nog geen actiepunten afgesproken." in text
    assert "Vastgesteld door" in text


def test_minimal_document(questionnaire):
    doc = make_document(questionnaire, participants=[], sections=[], actions=[])
    text = all_text(read(render_action_list_pdf(doc)))
    assert "Er zijn geen deelnemers vastgelegd." in text
    assert "Er zijn nog geen actiepunten afgesproken." in text
    assert "pagina 1 van 1" in text


LONG_WORDS = " ".join(["samenwerkingsafspraken"] * 440)[:10_000]
LONG_LINES = "\n".join(f"Regel {i:03d}: afspraak over de overdracht." for i in range(250))
LONG_WORD = "x" * 10_000


@pytest.mark.parametrize(
    "long_text", [LONG_WORDS, LONG_LINES, LONG_WORD], ids=["words", "lines", "one-word"]
)
def test_very_long_texts_render(questionnaire, long_text):
    assert len(long_text) >= 9_900
    first = make_actions(3, questionnaire)[0]
    actions = [
        first,
        ActionRow(
            number=2,
            description=long_text,
            phase="Verkennen",
            question="1.4 Wie voert de regie?",
            owner_name=long_text[:2000],
            owner_organisation="Gemeente Enschede",
            due_date=date(2026, 6, 1),
            status="Open",
            priority="Hoog",
        ),
        ActionRow(
            number=3,
            description="Na de lange actie: ACT-LAST",
            phase="",
            question="",
            owner_name="",
            owner_organisation="",
            due_date=None,
            status="Open",
            priority="",
        ),
    ]
    doc = make_document(questionnaire, actions=actions)
    answered = doc.sections[0].questions[0]
    sections = [
        PhaseSection(
            phase_id=doc.sections[0].phase_id,
            name=doc.sections[0].name,
            questions=[
                AnsweredQuestion(
                    number=answered.number,
                    question_id=answered.question_id,
                    text=answered.text,
                    follow_ups=answered.follow_ups,
                    answer=long_text,
                    assessment="Goed geregeld",
                )
            ],
        ),
        *doc.sections[1:],
    ]
    doc = make_document(questionnaire, actions=actions, sections=sections, title=long_text[:300])
    reader = read(render_action_list_pdf(doc))
    text = all_text(reader)
    assert len(reader.pages) > 3
    assert "ACT-LAST" in text
    assert "Vastgesteld door" in text
    if long_text is LONG_LINES:
        assert "Regel 249: afspraak over de overdracht." in text
        assert text.count("Regel 150: afspraak") == 2  # answer and action description


def test_consecutive_actions_taller_than_a_page(questionnaire):
    def huge(number: int, text: str) -> ActionRow:
        return ActionRow(
            number,
            text,
            "Verkennen",
            "1.4 Wie voert de regie?",
            "Pieter de Vries",
            "Gemeente Hengelo",
            None,
            "Open",
            "Hoog",
        )

    actions = [*make_actions(2, questionnaire), huge(3, LONG_WORDS), huge(4, LONG_LINES)]
    actions.append(ActionRow(5, "ACT-LAST", "", "", "", "", None, "Open", ""))
    reader = read(render_action_list_pdf(make_document(questionnaire, actions=actions)))
    texts = [flat(t) for t in page_texts(reader)]
    everything = " ".join(texts)
    for line in range(250):
        assert f"Regel {line:03d}: afspraak over de overdracht." in everything
    assert everything.count("samenwerkingsafspraken") == LONG_WORDS.count("samenwerkingsafspraken")
    assert "ACT-LAST" in everything
    # Every page the table runs over starts with the header row.
    header = "Nr. Actie Fase / vraag Trekker Uiterlijk Status"
    table_pages = [t for t in texts if "samenwerkingsafspraken" in t or "Regel " in t]
    assert len(table_pages) > 4
    assert all(header in t for t in table_pages)


def test_many_actions_repeat_the_table_header_on_every_page(questionnaire):
    doc = make_document(questionnaire, actions=make_actions(300, questionnaire))
    reader = read(render_action_list_pdf(doc))
    texts = [flat(t) for t in page_texts(reader)]
    table_pages = [t for t in texts if re.search(r"ACT-\d{4}", t)]
    assert len(table_pages) >= 5
    header = re.compile(r"Nr\. Actie Fase / vraag Trekker Uiterlijk Status")
    for page in table_pages:
        assert header.search(page), page[:300]
    everything = " ".join(texts)
    for number in (1, 150, 300):
        assert f"ACT-{number:04d}" in everything
    assert f"pagina {len(texts)} van {len(texts)}" in texts[-1]


def test_text_outside_the_standard_fonts_does_not_crash(questionnaire):
    odd = "Overleg met 中文 team 😀 → ☐ Yıldız Şahin\u200b\x00\x07 en\r\nnog een regel\ttab"
    actions = make_actions(2, questionnaire)
    doc = make_document(
        questionnaire,
        title=f"Regio {odd}",
        region=odd,
        actions=[*actions, ActionRow(3, odd, odd, odd, odd, odd, None, odd, odd)],
        participants=[ParticipantRow(odd, odd, odd, odd)],
    )
    reader = read(render_action_list_pdf(doc))
    text = all_text(reader)
    assert "nog een regel" in text
    # Turkish letters come from the shipped Noto font; what no shipped font has gets a
    # stand-in instead of a box: "?" for a letter, "->" for the arrow, "\ufffd" for an emoji.
    assert "Yıldız Şahin" in text
    assert "Overleg met ?? team \ufffd -> [ ] Yıldız" in text
    assert "\u25a0" not in text  # the black box reportlab draws for a missing glyph
    assert "\U0001f600" not in text
    assert reader.metadata.title.startswith("Regio Overleg met 中文 team")


# --- other scripts: fallback fonts, right to left -------------------------------------------

ARABIC_SENTENCE = (
    "تنظيم لقاء مع المدرسة المهنية وفريق الحي حول الانتقال الدافئ للطلاب الذين يبلغون الثامنة "
    "عشرة، وإرسال نسخة إلى جميع البلديات قبل نهاية الشهر"
)
#: Names and texts from other scripts, each with a word to find back in the PDF.
OTHER_SCRIPTS = {
    "Arabic": ("فاطمة الزهراء", "مدرسة الأمل", "مدرسة"),
    "Hebrew": ("דוד כהן", "שלום לכולם", "שלום"),
    "Turkish": ("Şükrü Yılmaz", "Gemeente İzmir-Ağrı", "Şükrü"),
    "Polish": ("Zofia Łódź", "Wydział Świętokrzyski", "Łódź"),
    "Greek": ("Αλέξανδρος Παπαδόπουλος", "Δήμος Αθηναίων", "Παπαδόπουλος"),
    "Cyrillic": ("Олена Шевченко", "Школа Москва", "Шевченко"),
    "Tigrinya": ("ኣማኑኤል ተስፋይ", "ቤት ትምህርቲ", "ተስፋይ"),
}


def readable(text: str) -> str:
    """Extracted text with Arabic presentation forms folded back into letters."""
    return unicodedata.normalize("NFKC", text)


def has_word(word: str, text: str) -> bool:
    """A word in logical or in visual (reversed) order: pypdf may give either for RTL text."""
    return word in text or word[::-1] in text


def font_names(reader: PdfReader) -> set[str]:
    return {
        str(font["/BaseFont"]).lstrip("/").split("+")[-1]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }


def assert_embedded(reader: PdfReader, name: str) -> None:
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            if str(font["/BaseFont"]).endswith("+" + name):
                assert "/FontFile2" in font["/FontDescriptor"], name  # the TrueType data
                return
    raise AssertionError(f"{name} is not in the PDF")


def other_scripts_document(questionnaire: Questionnaire) -> ActionListDocument:
    actions = [
        ActionRow(
            n, f"{organisation} — {name}", "Verkennen", "", name, organisation, None, "Open", ""
        )
        for n, (name, organisation, _word) in enumerate(OTHER_SCRIPTS.values(), start=1)
    ]
    actions.append(ActionRow(99, ARABIC_SENTENCE, "", "", "", "", None, "Open", "Hoog"))
    doc = make_document(questionnaire, actions=actions)
    first = doc.sections[0].questions[0]
    answer = f"{ARABIC_SENTENCE}\nשלום לכולם, זו תשובה עם מספר 42 ומילה English באמצע."
    section = PhaseSection(
        doc.sections[0].phase_id,
        doc.sections[0].name,
        [AnsweredQuestion(first.number, first.question_id, first.text, [], answer, "")],
    )
    return make_document(
        questionnaire,
        actions=actions,
        sections=[section],
        title="Regiotafel مدرسة Twente",
        region="Twente שלום",
        participants=[
            ParticipantRow(name, organisation, "Gemeente", "Wethouder")
            for name, organisation, _word in OTHER_SCRIPTS.values()
        ],
    )


def test_other_scripts_print_in_embedded_noto_fonts(questionnaire):
    reader = read(render_action_list_pdf(other_scripts_document(questionnaire)))
    text = readable(all_text(reader))

    for script, (_name, _organisation, word) in OTHER_SCRIPTS.items():
        assert has_word(word, text), script
    for word in ("Yılmaz", "Αθηναίων", "Москва", "Świętokrzyski", "فاطمة", "כהן"):
        assert has_word(word, text), word
    assert "Regiotafel" in text and has_word("مدرسة", text)
    assert "??" not in text  # no letter became a question mark
    assert "\u25a0" not in text

    fonts = font_names(reader)
    assert {"Helvetica", "Helvetica-Bold"} <= fonts
    for name in (
        "NotoSans-Regular",
        "NotoSansArabic-Regular",
        "NotoSansArabic-Bold",  # the title is bold
        "NotoSansHebrew-Regular",
        "NotoSansEthiopic-Regular",
    ):
        assert_embedded(reader, name)


def test_arabic_is_shaped_and_long_rtl_text_keeps_its_line_order(questionnaire):
    reader = read(render_action_list_pdf(other_scripts_document(questionnaire)))
    raw = " ".join(page_texts(reader))
    # Contextual forms (initial, medial, final), not the bare letters.
    assert any("\ufe70" <= char <= "\ufefc" for char in raw)
    # The long Arabic action runs over several lines of its cell; broken into lines before
    # the reordering, its first line holds the first words and its last line the last ones.
    lines = [readable(line) for page in page_texts(reader) for line in page.split("\n")]
    arabic = [line for line in lines if any(has_word(w, line) for w in ("تنظيم", "الشهر"))]
    first_word = [i for i, line in enumerate(lines) if has_word("تنظيم", line)]
    last_word = [i for i, line in enumerate(lines) if has_word("الشهر", line)]
    assert arabic and first_word and last_word
    assert len(first_word) == len(last_word) == 2  # the answer and the action
    assert all(f < last for f, last in zip(first_word, last_word, strict=True))


def test_long_rtl_texts_split_over_pages(questionnaire):
    long_arabic = " ".join([ARABIC_SENTENCE] * 60)[:10_000]
    actions = [
        ActionRow(1, long_arabic, "Verkennen", "", "فاطمة", "بلدية", None, "Open", ""),
        ActionRow(2, "ACT-LAST", "", "", "", "", None, "Open", ""),
    ]
    reader = read(render_action_list_pdf(make_document(questionnaire, actions=actions)))
    text = readable(all_text(reader))
    assert len(reader.pages) > 3
    assert "ACT-LAST" in text
    assert text.count("تنظيم") == long_arabic.count("تنظيم")


def test_dutch_text_uses_only_the_standard_fonts(questionnaire):
    """Text Helvetica can draw embeds no font: an ordinary PDF stays small."""
    reader = read(render_action_list_pdf(make_document(questionnaire)))
    assert font_names(reader) <= {"Helvetica", "Helvetica-Bold", "Helvetica-Oblique"}
    plate = read(
        render_blank_plate_pdf(BlankPlateDocument(questionnaire, generated_at=GENERATED_AT))
    )
    assert font_names(plate) <= {"Helvetica", "Helvetica-Bold", "Helvetica-Oblique"}


# --- blank plate ---------------------------------------------------------------------------


def test_blank_plate_contains_every_question_and_guidance(questionnaire):
    doc = BlankPlateDocument(questionnaire=questionnaire, generated_at=GENERATED_AT)
    reader = read(render_blank_plate_pdf(doc))
    text = all_text(reader)
    pages = len(reader.pages)

    assert flat(questionnaire.title) in text
    assert flat(questionnaire.subtitle) in text
    assert flat(questionnaire.introduction)[:80] in text
    for step in questionnaire.assessment_scale:
        assert flat(step.label) in text
        assert flat(step.description) in text
    for phase in questionnaire.phases:
        assert f"Fase: {phase.name}" in text
        for question in phase.questions:
            assert flat(question.text) in text, question.id
            for follow_up in question.follow_ups:
                assert flat(follow_up) in text
            for guidance in question.guidance:
                first_words = " ".join(guidance.split()[:6])
                assert first_words in text, (question.id, first_words)
    assert "Handvat" in text
    assert "Zelfbeoordeling:" in text
    assert "Actiepuntenlijst (de achterkant)" in text
    assert "Nr. Actie Fase / vraag Trekker Uiterlijk Status" in text
    assert f"pagina 1 van {pages}" in text
    assert "Gemaakt op 23 november 2026 om 14:05" in text
    assert "Bron vragen en handvatten: Nederlands Jeugdinstituut (2018)" in text

    # The action table is on a page of its own, at the back.
    last = flat(page_texts(reader)[-1])
    assert "Actiepuntenlijst (de achterkant)" in last
    assert "Antwoord en afspraken" not in last

    assert reader.trailer["/Root"]["/Lang"] == "nl-NL"
    assert reader.metadata.title == "Handvatten voor gesprek — lege gespreksplaat"
    assert reader.metadata.author == "Handvat"


def test_blank_plate_action_rows(questionnaire):
    doc = BlankPlateDocument(
        questionnaire=questionnaire, generated_at=GENERATED_AT, empty_action_rows=30
    )
    reader = read(render_blank_plate_pdf(doc))
    texts = [flat(t) for t in page_texts(reader)]
    back = [t for t in texts if "Uiterlijk" in t]
    assert len(back) >= 2  # 30 rows do not fit on one page; the header repeats
    assert re.search(r"\b30\b", back[-1])
