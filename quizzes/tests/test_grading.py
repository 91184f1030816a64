from decimal import Decimal

import pytest

from quizzes.grading import AnswerKey, InvalidResponse, clean_response, grade, normalise_text


def key(qtype, *, correct=(1,), choices=(1, 2, 3, 4), texts=(), partial=False, diacritics=False, points="1"):
    return AnswerKey(
        type=qtype,
        points=Decimal(points),
        choice_ids=tuple(choices),
        correct_ids=frozenset(correct),
        accepted_texts=tuple(texts),
        partial_credit=partial,
        ignore_diacritics=diacritics,
    )


@pytest.mark.parametrize(("response", "points"), [(1, "2.00"), (2, "0.00"), (None, "0")])
def test_single_choice(response, points):
    assert grade(key("single", points="2"), response) == Decimal(points)


def test_true_false_is_graded_like_single_choice():
    k = key("true_false", correct=(8,), choices=(7, 8))
    assert grade(k, 8) == 1 and grade(k, 7) == 0


@pytest.mark.parametrize(("picked", "points"), [([1, 3], "1.00"), ([1], "0.00"), ([1, 2, 3], "0.00"), ([], "0")])
def test_multiple_choice_all_or_nothing(picked, points):
    assert grade(key("multiple", correct=(1, 3)), picked) == Decimal(points)


@pytest.mark.parametrize(
    ("picked", "points"),
    [([1, 3], "1.00"), ([1], "0.50"), ([1, 2], "0.00"), ([1, 2, 3], "0.50"), ([1, 2, 3, 4], "0.00"), ([2, 4], "0.00")],
)
def test_multiple_choice_partial_credit_penalises_wrong_picks(picked, points):
    assert grade(key("multiple", correct=(1, 3), partial=True), picked) == Decimal(points)


@pytest.mark.parametrize(
    ("given", "diacritics", "right"),
    [
        ("  HÀ   nội ", False, True),
        ("Ha Noi", False, False),
        ("Ha Noi", True, True),
        ("Đà Nẵng", True, True),
        ("da nang", True, True),
        ("Hà Nội.", False, True),
        ("Hải Phòng", True, False),
        ("", True, False),
    ],
)
def test_short_text_normalises_case_spaces_and_optionally_diacritics(given, diacritics, right):
    k = key("short_text", texts=("Hà Nội", "Đà Nẵng"), choices=(), correct=(), diacritics=diacritics)
    assert grade(k, given) == (Decimal("1.00") if right else Decimal(0))


def test_normalise_text_maps_d_with_stroke():
    assert normalise_text("Đường ĐÊ", ignore_diacritics=True) == "duong de"


def test_ordering_is_all_or_nothing():
    k = key("ordering", choices=(5, 6, 7), correct=())
    assert grade(k, [5, 6, 7]) == 1
    assert grade(k, [5, 7, 6]) == 0


@pytest.mark.parametrize(
    ("qtype", "response"),
    [
        ("single", 99),
        ("single", "1"),
        ("single", True),
        ("single", [1]),
        ("multiple", [1, 99]),
        ("multiple", 1),
        ("multiple", ["1"]),
        ("short_text", 5),
        ("short_text", "x" * 301),
        ("ordering", [1, 2, 3]),
        ("ordering", [1, 1, 2, 3]),
        ("ordering", [1, 2, 3, 4, 5]),
    ],
)
def test_responses_that_do_not_fit_are_refused(qtype, response):
    with pytest.raises(InvalidResponse):
        clean_response(key(qtype), response)


def test_clean_response_canonicalises_multiple_choice():
    assert clean_response(key("multiple"), [3, 1, 3]) == [1, 3]
    assert clean_response(key("single"), None) is None
