"""Properties of answer normalisation (short-text grading), response cleaning and live nicknames.

A participant's typed answer is compared after ``normalise_text``: whatever they type, the comparison must
not depend on case, spacing, Unicode composition, or (when the question says so) Vietnamese tone marks, and
normalising twice must change nothing — otherwise an accepted answer stored normalised would stop matching.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal

from hypothesis import example, given
from hypothesis import strategies as st

from live.nicknames import MAX_LENGTH, clean_nickname, fold, nickname_problem
from quizzes.grading import AnswerKey, InvalidResponse, clean_response, grade, normalise_text
from quizzes.importing.base import MULTIPLE, ORDERING, QUESTION_TYPES, SHORT_TEXT, SINGLE

VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáạảãằắặẳẵầấậẩẫèéẹẻẽềếệểễìíịỉĩòóọỏõồốộổỗờớợởỡùúụủũừứựửữỳýỵỷỹ"
vietnamese_words = st.text(alphabet=VIETNAMESE + " 0123456789", min_size=1, max_size=30)
anything = st.text(max_size=60)
modes = st.booleans()


def plain(text: str) -> str:
    """Vietnamese without tone or vowel marks, as typed on a keyboard without a Vietnamese layout."""
    stripped = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    return stripped.replace("đ", "d").replace("Đ", "D")


@given(text=anything, ignore=modes)
@example(text="a .\u0323", ignore=True)  # a mark after the punctuation: stripped only once the mark is gone
@example(text="\u0130", ignore=False)  # "İ" folds to "i" + a combining dot above
def test_normalising_twice_changes_nothing(text, ignore):
    once = normalise_text(text, ignore_diacritics=ignore)
    assert normalise_text(once, ignore_diacritics=ignore) == once


@given(text=vietnamese_words, ignore=modes)
def test_case_spacing_and_composition_do_not_matter(text, ignore):
    expected = normalise_text(text, ignore_diacritics=ignore)
    variants = [
        text.upper(),
        text.title(),
        f"  {text}\t",
        " \u00a0 ".join(text.split()),
        unicodedata.normalize("NFD", text),
        f"{text}.",
        f"“{text}”",
    ]
    for variant in variants:
        assert normalise_text(variant, ignore_diacritics=ignore) == expected, variant


@given(text=vietnamese_words)
def test_tone_marks_matter_only_when_the_question_ignores_them(text):
    assert normalise_text(plain(text), ignore_diacritics=True) == normalise_text(text, ignore_diacritics=True)
    if plain(text) != text:
        assert normalise_text(plain(text), ignore_diacritics=False) != normalise_text(text, ignore_diacritics=False)


@given(accepted=vietnamese_words.filter(lambda t: normalise_text(t, ignore_diacritics=False)), ignore=modes)
def test_an_accepted_answer_typed_otherwise_earns_the_points(accepted, ignore):
    key = AnswerKey(
        type=SHORT_TEXT,
        points=Decimal(2),
        choice_ids=(1,),
        correct_ids=frozenset({1}),
        accepted_texts=(accepted,),
        ignore_diacritics=ignore,
    )
    typed = f"  {(plain(accepted) if ignore else accepted).upper()} "
    assert grade(key, clean_response(key, typed[:300])) == Decimal(2) or len(typed) > 300


# --- Responses of any shape ----------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=5),
    max_leaves=20,
)


@given(kind=st.sampled_from(QUESTION_TYPES), response=json_values)
@example(kind=ORDERING, response=[1, "a"])
@example(kind=ORDERING, response=[{}, {}])
@example(kind=ORDERING, response=[True, 2, 3])
@example(kind=SHORT_TEXT, response="a\x00b")
@example(kind=SHORT_TEXT, response="\ud800")
def test_any_response_is_cleaned_or_refused(kind, response):
    """The autosave and the live answer both hand the client's JSON to ``clean_response``: it must refuse
    what does not fit with InvalidResponse (never TypeError), and what it keeps must grade and store."""
    key = AnswerKey(
        type=kind,
        points=Decimal(1),
        choice_ids=(1, 2, 3),
        correct_ids=frozenset({2} if kind in (SINGLE, MULTIPLE) else {1, 2, 3}),
        accepted_texts=("Hà Nội",),
    )
    try:
        cleaned = clean_response(key, response)
    except InvalidResponse:
        return
    assert Decimal(0) <= grade(key, cleaned) <= key.points
    _assert_storable(cleaned)
    if kind in (SINGLE, MULTIPLE, ORDERING) and cleaned is not None:
        ids = cleaned if isinstance(cleaned, list) else [cleaned]
        assert all(type(i) is int and i in key.choice_ids for i in ids), "only the question's own choice ids"


def _assert_storable(value) -> None:
    """PostgreSQL refuses NUL and lone surrogates in text and jsonb: a kept response must have neither."""
    if isinstance(value, str):
        assert "\x00" not in value
        value.encode("utf-8")
    elif isinstance(value, list):
        for item in value:
            _assert_storable(item)


# --- Nicknames -----------------------------------------------------------------------------------------------


@given(raw=st.text(max_size=60))
@example(raw="\u200b\u202e\x00\ud800 Alice")
def test_nicknames_are_cleaned_once_and_judged_without_raising(raw):
    nickname = clean_nickname(raw)
    assert clean_nickname(nickname) == nickname
    assert not any(unicodedata.category(ch).startswith("C") for ch in nickname), "no control or format characters"
    problem = nickname_problem(nickname)
    assert problem in (None, "nickname_empty", "nickname_too_long", "nickname_rude")
    if problem is None:
        assert 0 < len(nickname) <= MAX_LENGTH
    assert fold(nickname).isascii()
