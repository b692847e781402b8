"""Combining marks: a letter with hundreds of accents ("Zalgo" text) is capped when it is
typed, while the scripts people really write in come through unchanged."""

from __future__ import annotations

import unicodedata

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from app.core.text import MAX_COMBINING_MARKS, cap_combining_marks, clean_line, clean_text
from app.extensions import db
from app.workshops.models import Contribution

ACUTE = "\u0301"
ZALGO = "Z" + ACUTE * 270

#: Real text in scripts that lean on combining marks, as people type it: each must come
#: through the cleaning exactly as it was sent.
SCRIPTS = {
    "Dutch": "Eén loket, geïnteresseerd, café, ruïne, coördinator, Curaçao",
    "Dutch, decomposed": unicodedata.normalize("NFD", "Eén loket, geïnteresseerd, coördinator"),
    "Vietnamese": "Người học nghề cần được hỗ trợ ở trường và ở nhà; Thuở ấy, khắc phục",
    "Vietnamese, decomposed": unicodedata.normalize("NFD", "Người học nghề ở trường; Ể ỡ ặ ự"),
    "Hindi (Devanagari)": "स्वास्थ्य और शिक्षा में सहयोग ज़रूरी है; क़ीमत, ख़ुशी, कौंध, फ़्रांस, श्र्य",
    "Hindi with ZWJ": "क्\u200dष र्\u200dय",
    "Arabic with harakat": "بِسْمِ ٱللَّهِ ٱلرَّحْمَٰنِ ٱلرَّحِيمِ؛ مُدَرِّسٌ، شَدَّةٌ، ٱلْمَدْرَسَةُ",
    "Tigrinya (Ethiopic)": "ሰላም ንኹሉ፡ ትምህርቲ ኣገዳሲ እዩ። ፍቕሪ፣ ቋንቋ ትግርኛ፡ ቤት ትምህርቲ",
    "Hebrew with points and cantillation": "בְּרֵאשִׁ֖ית בָּרָ֣א אֱלֹהִ֑ים אֵ֥ת הַשָּׁמַ֖יִם",
    "Tibetan": "ཨོཾ་མ་ཎི་པདྨེ་ཧཱུྃ། བཀྲ་ཤིས་བདེ་ལེགས།",
    "Burmese": "မင်္ဂလာပါ ကျွန်ုပ် မြန်မာ ကြောင့် ရွှေ ကြွှော်",
    "Thai": "สวัสดีครับ น้ำ ที่นี่ โรงเรียน",
    "Emoji": "1\ufe0f\u20e3 👩\u200d❤\ufe0f\u200d👨 👍🏽 🏴"
    + "".join(chr(0xE0000 + ord(ch)) for ch in "gbsct")
    + "\U000e007f",
}


def _longest_run(text: str) -> int:
    """The most combining marks in a row, format characters between them not counted."""
    longest = run = 0
    for ch in text:
        category = unicodedata.category(ch)
        if category[0] == "M":
            run += 1
            longest = max(longest, run)
        elif category != "Cf":
            run = 0
    return longest


def test_a_letter_keeps_at_most_the_cap_of_accents():
    for clean in (clean_line, clean_text):
        assert clean(ZALGO) == "Z" + ACUTE * MAX_COMBINING_MARKS
        assert clean(f"Goed {ZALGO} idee") == f"Goed Z{ACUTE * MAX_COMBINING_MARKS} idee"
    # Each letter has its own allowance.
    assert clean_line("ZZ".join([ACUTE * 20] * 3)) == "ZZ".join([ACUTE * MAX_COMBINING_MARKS] * 3)


def test_the_cap_is_low_enough_to_stop_a_column_of_marks_and_high_enough_for_real_text():
    assert 4 <= MAX_COMBINING_MARKS <= 30  # 30: Unicode's "stream-safe" limit
    assert max(_longest_run(text) for text in SCRIPTS.values()) <= MAX_COMBINING_MARKS


@pytest.mark.parametrize("script", SCRIPTS)
def test_real_writing_comes_through_unchanged(script):
    text = SCRIPTS[script]
    assert clean_line(text) == text
    assert clean_text(text) == text
    assert clean_text(f"{text}\n{text}") == f"{text}\n{text}"


def test_marks_without_a_letter_and_marks_between_format_characters_are_capped_too():
    # At the start, after a space or a line break: a browser stacks them all the same.
    assert clean_text(ACUTE * 50) == ACUTE * MAX_COMBINING_MARKS
    assert clean_text("a\n" + ACUTE * 50) == "a\n" + ACUTE * MAX_COMBINING_MARKS
    assert clean_line("a " + "\u0323" * 50) == "a " + "\u0323" * MAX_COMBINING_MARKS
    # A zero-width joiner, a soft hyphen or a removed control character between the marks
    # does not start a new run.
    joined = clean_line("Z" + (ACUTE + "\u200d") * 100)
    assert joined.count(ACUTE) == MAX_COMBINING_MARKS
    assert clean_line("Z" + (ACUTE + "\u00ad") * 100).count(ACUTE) == MAX_COMBINING_MARKS
    assert clean_text("Z" + (ACUTE + "\x00") * 100) == "Z" + ACUTE * MAX_COMBINING_MARKS
    # Spacing marks (Devanagari's vowel signs) and enclosing ones count as well.
    assert _longest_run(clean_line("क" + "\u093e" * 100)) == MAX_COMBINING_MARKS
    assert _longest_run(clean_line("1" + "\u20e3" * 100)) == MAX_COMBINING_MARKS


#: Text with many marks among letters, spaces and format characters.
marked_text = st.lists(
    st.one_of(
        st.sampled_from([ACUTE, "\u0323", "\u064e", "\u0651", "\u093e", "\u094d", "\u20dd"]),
        st.sampled_from(["a", "Z", " ", "\n", "\u200d", "\u00ad", "\x00", "ب", "क"]),
        st.characters(blacklist_categories=("Cs",)),
    )
).map("".join)


@given(marked_text)
def test_no_run_of_marks_is_longer_than_the_cap_and_nothing_else_goes(text):
    for clean in (clean_line, clean_text):
        cleaned = clean(text)
        assert _longest_run(cleaned) <= MAX_COMBINING_MARKS
        assert clean(cleaned) == cleaned
        # Only marks go: letters, digits, punctuation and symbols stay, in order.
        shown = [ch for ch in text if unicodedata.category(ch)[0] in "LNPS"]
        assert [ch for ch in cleaned if unicodedata.category(ch)[0] in "LNPS"] == shown
    assert cap_combining_marks(clean_text(text)) == clean_text(text)


def test_text_without_long_runs_is_returned_as_it_is():
    text = "Gewone tekst met één accent. " * 100
    assert cap_combining_marks(text) is text


# --- a contribution typed on a phone ----------------------------------------------------------

QUESTION = "verkennen-regie"


@pytest.fixture
def workshop(make_workshop):
    return make_workshop([QUESTION])


def test_a_contribution_of_a_letter_with_270_accents_is_stored_with_the_cap(
    anonymous_client, workshop
):
    assert anonymous_client.post("/w", data={"code": workshop.join_code}).status_code == 303
    response = anonymous_client.post(
        f"/w/{workshop.join_code}/bijdragen",
        data={"question_id": QUESTION, "kind": "idee", "text": ZALGO, "creation_token": "t-1"},
    )
    assert response.status_code == 303
    stored = db.session.scalars(
        sa.select(Contribution.text).where(Contribution.workshop_id == workshop.id)
    ).all()
    assert stored == ["Z" + ACUTE * MAX_COMBINING_MARKS]


def test_a_password_keeps_its_marks_so_one_chosen_before_the_cap_still_matches(
    app, anonymous_client
):
    """Passwords are never shown; capping them would lock out whoever chose one with more
    marks in a row before the cap existed. Control characters go, as they always did."""
    from app.accounts.forms import SignInForm

    password = "wachtwoord " + "e" + ACUTE * (MAX_COMBINING_MARKS + 4) + "\x00"
    with app.test_request_context(
        "/inloggen",
        method="POST",
        data={"email": "Zoë" + ACUTE * 20 + "@x.nl", "password": password},
    ):
        form = SignInForm()
        assert form.password.data == password[:-1]
        assert form.email.data == "Zoë" + ACUTE * MAX_COMBINING_MARKS + "@x.nl"


def test_signing_in_with_such_a_password_works(app, anonymous_client):
    from app.accounts.operations import set_password

    from .accounts import make_user

    password = "een lang wachtwoord met " + "a" + ACUTE * (MAX_COMBINING_MARKS + 4)
    user = make_user("marks@handvat.test", "Mark Tekens")
    set_password(user, password)
    db.session.commit()
    response = anonymous_client.post(
        "/inloggen", data={"email": "marks@handvat.test", "password": password}
    )
    assert response.status_code == 302 and "/inloggen" not in response.headers["Location"]
