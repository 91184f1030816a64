"""The question importers and the exporter: pure functions over real files built here (no database)."""

from __future__ import annotations

import unicodedata
from io import BytesIO

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook

from quizzes.importing.base import (
    MULTIPLE,
    ORDERING,
    QUESTION_TYPES,
    SHORT_TEXT,
    SINGLE,
    TRUE_FALSE,
    ImportFileError,
    ParsedChoice,
    ParsedQuestion,
)
from quizzes.importing.detect import FORMATS, parse_questions
from quizzes.importing.excel import MAX_QUESTIONS, TEMPLATE_HEADERS, parse_csv, parse_excel, template_workbook
from quizzes.importing.export import export_workbook
from quizzes.importing.gift import parse_gift
from quizzes.importing.kahoot import looks_like_kahoot, parse_kahoot
from quizzes.importing.moodle_xml import html_to_text, parse_moodle_xml


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted by their English msgid, whatever the Vietnamese catalogue says."""
    with translation.override("en"):
        yield


def xlsx(*rows, title: str = "Sheet") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def windows_1258(text: str) -> bytes:
    """Text as Excel on a Vietnamese Windows saves a plain "CSV" (not UTF-8)."""
    tones = "\u0300\u0301\u0303\u0309\u0323"  # Windows-1258 has â, ơ, đ… but writes tones as combining marks
    out = []
    for char in unicodedata.normalize("NFC", text):
        decomposed = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
        out.append(base + "".join(c for c in decomposed if c in tones))
    return "".join(out).encode("cp1258")


def texts(question: ParsedQuestion) -> list[str]:
    return [choice.text for choice in question.choices]


def marks(question: ParsedQuestion) -> list[bool]:
    return [choice.is_correct for choice in question.choices]


def by_where(questions: list[ParsedQuestion]) -> dict[str, ParsedQuestion]:
    return {question.where: question for question in questions}


HEADER_VI = ["Loại", "Câu hỏi", "Đáp án 1", "Đáp án 2", "Đáp án 3", "Đáp án 4", "Đáp án đúng"]


# --- Our Excel template --------------------------------------------------------------------------------------


def test_template_has_one_valid_example_per_type_and_a_guide_sheet():
    data = template_workbook()
    questions = parse_excel(data)
    assert [q.type for q in questions] == list(QUESTION_TYPES)
    assert all(q.errors == [] for q in questions)
    assert [q.where for q in questions] == ["row 2", "row 3", "row 4", "row 5", "row 6"]
    workbook = load_workbook(BytesIO(data))
    assert workbook.sheetnames == ["Câu hỏi", "Hướng dẫn"]
    assert [cell.value for cell in workbook["Câu hỏi"][1]] == TEMPLATE_HEADERS
    kinds = [row[0] for row in workbook["Câu hỏi"].iter_rows(min_row=2, values_only=True)]
    assert kinds == ["một đáp án", "nhiều đáp án", "đúng/sai", "trả lời ngắn", "sắp xếp"]
    guide = [row[0] for row in workbook["Hướng dẫn"].iter_rows(min_row=2, values_only=True)]
    assert "Đáp án đúng" in guide and "Thời gian" in guide and len(guide) == len(TEMPLATE_HEADERS) - 9


def test_every_column_in_english_in_any_order_and_case():
    row = {
        "POINTS": 2,
        "Question": "Mật khẩu nào mạnh nhất?",
        "Correct": "2",
        "choice_2": "Tr0ng#Dong!2024",
        "Choice_1": "123456",
        "Choice_3": "matkhau",
        "Type": "single",
        "Topic": "An toàn tài khoản",
        "Difficulty": "hard",
        "Explanation": "Dài, có chữ hoa, số và ký tự đặc biệt.",
        "Resource_URL": "https://example.vn/mat-khau",
        "Resource_Title": "Hướng dẫn",
        "Partial_Credit": "no",
        "Ignore_Diacritics": "no",
        "Time_Limit": 30,
        "Ghi chú (unknown columns are ignored)": "bỏ qua",
    }
    data = xlsx(list(row), list(row.values()))
    [question] = parse_excel(data)
    assert question == ParsedQuestion(
        where="row 2",
        type=SINGLE,
        text="Mật khẩu nào mạnh nhất?",
        choices=[ParsedChoice("123456"), ParsedChoice("Tr0ng#Dong!2024", True), ParsedChoice("matkhau")],
        topic="An toàn tài khoản",
        difficulty=3,
        explanation="Dài, có chữ hoa, số và ký tự đặc biệt.",
        resource_url="https://example.vn/mat-khau",
        resource_title="Hướng dẫn",
        time_limit_s=30,
        points=2.0,
    )


@pytest.mark.parametrize(
    ("type_cell", "expected"),
    [
        ("một đáp án", SINGLE),
        ("Nhiều đáp án", MULTIPLE),
        ("ĐÚNG/SAI", TRUE_FALSE),
        ("trả lời ngắn", SHORT_TEXT),
        ("Sắp xếp", ORDERING),
        ("single", SINGLE),
        ("multiple", MULTIPLE),
        ("true_false", TRUE_FALSE),
        ("short_text", SHORT_TEXT),
        ("ordering", ORDERING),
    ],
)
def test_type_names_in_vietnamese_or_english(type_cell, expected):
    [question] = parse_excel(xlsx(["loại", "câu hỏi", "đáp án 1", "đáp án 2"], [type_cell, "Câu?", "A1", "B1"]))
    assert question.type == expected


def test_decomposed_unicode_headers_are_matched():
    header = [unicodedata.normalize("NFD", label) for label in HEADER_VI]
    [question] = parse_excel(xlsx(header, ["một đáp án", "Câu?", "Có", "Không", "", "", "1"]))
    assert question.errors == [] and marks(question) == [True, False]


@pytest.mark.parametrize(
    ("kind", "correct", "expected_type", "expected_marks"),
    [
        ("một đáp án", "2", SINGLE, [False, True, False, False]),
        ("một đáp án", 2, SINGLE, [False, True, False, False]),
        ("một đáp án", 3.0, SINGLE, [False, False, True, False]),
        ("một đáp án", "b", SINGLE, [False, True, False, False]),
        ("một đáp án", "Báo cáo tài khoản giả", SINGLE, [False, False, False, True]),
        ("nhiều đáp án", "1,3", MULTIPLE, [True, False, True, False]),
        ("nhiều đáp án", "A, C", MULTIPLE, [True, False, True, False]),
        ("nhiều đáp án", "1; 4", MULTIPLE, [True, False, False, True]),
        ("nhiều đáp án", 1.3, MULTIPLE, [True, False, True, False]),  # Excel in Vietnamese turned "1,3" into 1.3
        ("", "2", SINGLE, [False, True, False, False]),  # no type: guessed from the number of correct answers
        ("", "2,4", MULTIPLE, [False, True, False, True]),
    ],
)
def test_correct_answers_by_number_letter_or_text(kind, correct, expected_type, expected_marks):
    row = [kind, "Gặp tài khoản giả mạo người nổi tiếng, bạn làm gì?", "Kết bạn", "Chặn", "Chia sẻ"]
    [question] = parse_excel(xlsx(HEADER_VI, [*row, "Báo cáo tài khoản giả", correct]))
    assert question.errors == []
    assert (question.type, marks(question)) == (expected_type, expected_marks)


@pytest.mark.parametrize(
    ("correct", "expected"),
    [
        ("Đúng", [True, False]),
        ("sai", [False, True]),
        ("TRUE", [True, False]),
        (False, [False, True]),
        ("2", [False, True]),
    ],
)
def test_true_false_choices_added_when_absent(correct, expected):
    header = ["Loại", "Câu hỏi", "Đáp án đúng"]
    [question] = parse_excel(xlsx(header, ["đúng/sai", "Mã OTP có thể đọc cho nhân viên ngân hàng.", correct]))
    assert question.errors == []
    assert texts(question) == ["Đúng", "Sai"] and marks(question) == expected


def test_true_false_with_own_choices():
    [question] = parse_excel(
        xlsx(HEADER_VI, ["đúng/sai", "Wi-Fi công cộng luôn an toàn?", "Sai", "Đúng", "", "", "Sai"])
    )
    assert question.errors == [] and texts(question) == ["Sai", "Đúng"] and marks(question) == [True, False]


def test_short_text_choices_are_accepted_answers():
    header = ["type", "question", "choice 1", "choice 2", "ignore diacritics", "time limit"]
    [question] = parse_excel(xlsx(header, ["trả lời ngắn", "Thủ đô của Việt Nam?", "Hà Nội", "Ha Noi", "có", "20s"]))
    assert question.errors == []
    assert question.choices == [ParsedChoice("Hà Nội", True), ParsedChoice("Ha Noi", True)]
    assert question.ignore_diacritics is True and question.time_limit_s == 20


def test_ordering_keeps_the_order_or_applies_a_permutation():
    header = ["Loại", "Câu hỏi", "A", "B", "C", "Đáp án đúng"]
    rows = [
        ["sắp xếp", "Thứ tự đăng nhập an toàn", "Mở trang chính thức", "Nhập mật khẩu", "Nhập mã OTP", ""],
        ["sắp xếp", "Thứ tự đăng nhập an toàn", "Nhập mã OTP", "Mở trang chính thức", "Nhập mật khẩu", "2,3,1"],
        ["sắp xếp", "Thứ tự?", "Một", "Hai", "Ba", "1,2"],
    ]
    first, second, third = parse_excel(xlsx(header, *rows))
    assert texts(first) == texts(second) == ["Mở trang chính thức", "Nhập mật khẩu", "Nhập mã OTP"]
    assert first.errors == second.errors == []
    assert third.errors == ["for an ordering question list the choices in the correct order and leave “correct” empty"]


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (["một đáp án", "Câu?", "A1", "B1", "", "", ""], "no correct answer"),
        (["một đáp án", "Câu?", "A1", "B1", "", "", "1,2"], "more than one correct answer"),
        (["một đáp án", "Câu?", "Chặn", "chặn", "", "", "1"], "two choices have the same text"),
        (["tự luận", "Câu?", "A1", "B1", "", "", "1"], "question type “tự luận” is not supported"),
        (["một đáp án", "", "A1", "B1", "", "", "1"], "no question text"),
        (["một đáp án", "Câu?", "A1", "", "", "", "1"], "at least two choices are needed"),
        (["một đáp án", "Câu?", "A1", "B1", "", "", "3"], "choice 3 is marked correct but is empty"),
        (["một đáp án", "Câu?", "A1", "B1", "", "", "bốn"], "cannot read the correct answer “bốn”"),
        (["", "Câu?", "A1", "B1", "", "", ""], "no question type"),
        (["trả lời ngắn", "Câu?", "", "", "", "", ""], "no accepted answer"),
        (["đúng/sai", "Câu?", "", "", "", "", "có lẽ"], "the answer of a true/false question must be “Đúng” or “Sai”"),
    ],
)
def test_row_errors_name_the_excel_row(row, error):
    valid = ["một đáp án", "Câu hợp lệ?", "A1", "B1", "", "", "1"]
    questions = parse_excel(xlsx(HEADER_VI, valid, row))
    assert questions[0].errors == []
    assert questions[1].where == "row 3"
    assert any(message.startswith(error) for message in questions[1].errors), questions[1].errors


@pytest.mark.parametrize(
    ("column", "value", "error"),
    [
        ("Độ khó", "Rất khó", "cannot read the difficulty “Rất khó” (1, 2, 3 or dễ, trung bình, khó)"),
        ("Độ khó", 5, "difficulty must be 1 (easy), 2 (medium) or 3 (hard)"),
        ("Điểm", "mười", "points must be a number, not “mười”"),
        ("Điểm", 0, "points must be positive"),
        ("Thời gian", "lâu", "the time limit must be a number of seconds, not “lâu”"),
        ("Thời gian", 900, "time limit must be between 5 and 600 seconds"),
        ("Tài liệu", "javascript:alert(1)", "the resource link is not a valid http(s) address"),
        ("Tính điểm từng phần", "Tùy", "“Tính điểm từng phần” must be yes or no, not “Tùy”"),
    ],
)
def test_optional_column_errors(column, value, error):
    [question] = parse_excel(xlsx([*HEADER_VI, column], ["nhiều đáp án", "Câu?", "A1", "B1", "", "", "1,2", value]))
    assert question.errors == [error]


@pytest.mark.parametrize(
    ("value", "expected"), [("dễ", 1), ("Trung bình", 2), ("khó", 3), ("easy", 1), ("HARD", 3), (1, 1), ("", 2)]
)
def test_difficulty_words_and_numbers(value, expected):
    [question] = parse_excel(xlsx([*HEADER_VI, "Độ khó"], ["một đáp án", "Câu?", "A1", "B1", "", "", "1", value]))
    assert question.difficulty == expected and question.errors == []


def test_blank_rows_are_skipped_and_row_numbers_kept():
    questions = parse_excel(
        xlsx(HEADER_VI, ["một đáp án", "Câu 1?", "A", "B", "", "", "1"], [], [None] * 7, ["một đáp án", "Câu 2?"])
    )
    assert [q.where for q in questions] == ["row 2", "row 5"]


def test_the_first_sheet_with_a_question_column_is_read():
    workbook = Workbook()
    workbook.active.append(["Ghi chú"])
    workbook.active.append(["Tệp này gồm câu hỏi tuần 1"])
    workbook.create_sheet("Câu hỏi").append(HEADER_VI)
    workbook["Câu hỏi"].append(["một đáp án", "Câu 1?", "A", "B", "", "", "1"])
    out = BytesIO()
    workbook.save(out)
    [question] = parse_excel(out.getvalue())
    assert question.text == "Câu 1?"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not a workbook", "The file is not an Excel workbook (.xlsx)."),
        (xlsx(["Tên", "Lớp"], ["An", "10A"]), "The first row must name the columns; missing: “Câu hỏi” (question)."),
        (xlsx(HEADER_VI), "The file has no questions."),
    ],
)
def test_unreadable_workbooks(data, message):
    with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        parse_excel(data)


def test_too_many_rows():
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["Câu hỏi"])
    for n in range(MAX_QUESTIONS + 1):
        sheet.append([f"Câu {n}?"])
    out = BytesIO()
    workbook.save(out)
    with pytest.raises(ImportFileError, match="at most 5000 questions"):
        parse_excel(out.getvalue())


# --- CSV -----------------------------------------------------------------------------------------------------


def test_csv_with_semicolons_and_bom():
    text = (
        "Loại;Câu hỏi;Đáp án 1;Đáp án 2;Đáp án 3;Đáp án đúng;Chủ đề\r\n"
        "một đáp án;Ai được biết mã OTP của bạn?;Chỉ mình bạn;Nhân viên ngân hàng;Bạn thân;1;An toàn tài khoản\r\n"
        'nhiều đáp án;"Dấu hiệu lừa đảo; chọn tất cả";Yêu cầu chuyển tiền gấp;Link lạ;Lời chào;1,2;\r\n'
    )
    first, second = parse_csv(("\ufeff" + text).encode())
    assert first.where == "row 2" and first.errors == [] and first.topic == "An toàn tài khoản"
    assert marks(first) == [True, False, False]
    assert second.where == "row 3" and second.type == MULTIPLE and second.text == "Dấu hiệu lừa đảo; chọn tất cả"
    assert marks(second) == [True, True, False]


def test_csv_with_commas_and_quoted_newlines():
    text = (
        "type,question,choice_1,choice_2,correct\n"
        'single,"Dòng một\nDòng hai, vẫn là câu hỏi",Có,Không,1\n'
        "true_false,Phần mềm lậu có thể chứa mã độc.,,,đúng\n"
    )
    first, second = parse_csv(text.encode())
    assert first.text == "Dòng một\nDòng hai, vẫn là câu hỏi" and first.errors == []
    assert second.where == "row 3" and second.type == TRUE_FALSE and marks(second) == [True, False]


def test_csv_rows_are_numbered_as_in_the_file():
    text = "\n\ncâu hỏi,đáp án 1,đáp án 2,đáp án đúng\nCâu?,Có,Không,1\n,,,\nCâu 2?,Có,Không,\n"
    first, second = parse_csv(text.encode())
    assert (first.where, second.where) == ("row 4", "row 6")
    assert second.errors == ["no question type", "no correct answer"]


def test_unknown_type_is_the_only_error():
    [question] = parse_excel(xlsx(HEADER_VI, ["tự luận", "Nêu cảm nghĩ về mạng xã hội", "", "", "", "", "x"]))
    assert question.errors == ["question type “tự luận” is not supported"]


def test_csv_not_utf8():
    with pytest.raises(ImportFileError, match="not UTF-8"):
        parse_csv(windows_1258("Câu hỏi;Đáp án 1\nMật khẩu?;abc\n"))


# --- Kahoot --------------------------------------------------------------------------------------------------

KAHOOT_HEADER = [
    None,
    "Question - max 120 characters",
    "Answer 1 - max 75 characters",
    "Answer 2 - max 75 characters",
    "Answer 3 - max 75 characters",
    "Answer 4 - max 75 characters",
    "Time limit (sec) – 5, 10, 20, 30, 60, 90, 120, or 240 secs",
    "Correct answer(s) - choose at least one",
]


def kahoot_file(*questions) -> bytes:
    return xlsx(
        [None, "Quiz template"],
        [None, "Add questions, at least two answer alternatives, time limit and choose correct answers."],
        [],
        [None, None, "Max 75 characters", None, None, None, "Time limit", "Correct answers"],
        [],
        [],
        [],
        KAHOOT_HEADER,
        *questions,
        [len(questions) + 1],  # a pre-numbered, empty row of the template
        [len(questions) + 2],
    )


def test_kahoot_sheet_with_title_rows_above_the_header():
    data = kahoot_file(
        [1, "Mạng xã hội nào yêu cầu tối thiểu 13 tuổi?", "Facebook", "Không có", None, None, 20, 1],
        [2, "Chọn các mật khẩu yếu", "123456", "Tr0ng#Dong!", "ngaysinh2008", "qwerty", 30, "1,3,4"],
        [3, "Bật 2FA giúp tài khoản an toàn hơn.", "True", "False", None, None, "10", 1],
        [4, "Tin nhắn lạ đòi mã OTP là an toàn.", "Đúng", "Sai", None, None, 20, "2"],
        [5, "Câu thiếu đáp án đúng", "A", "B", None, None, 20, None],
    )
    assert looks_like_kahoot(data)
    single, multiple, true_false, dung_sai, broken = parse_kahoot(data)
    assert single.where == "row 9" and single.type == SINGLE and single.time_limit_s == 20
    assert texts(single) == ["Facebook", "Không có"] and marks(single) == [True, False] and single.errors == []
    assert multiple.type == MULTIPLE and marks(multiple) == [True, False, True, True] and multiple.time_limit_s == 30
    assert true_false.type == TRUE_FALSE and texts(true_false) == ["Đúng", "Sai"] and marks(true_false) == [True, False]
    assert dung_sai.type == TRUE_FALSE and marks(dung_sai) == [False, True] and dung_sai.errors == []
    assert broken.where == "row 13" and broken.errors == ["no correct answer"]


@pytest.mark.parametrize(
    ("correct", "error"),
    [("5", "answer 5 is marked correct but is empty"), ("một", "cannot read the correct answer “một”")],
)
def test_kahoot_bad_correct_answer(correct, error):
    [question] = parse_kahoot(kahoot_file([1, "Câu?", "A", "B", "C", None, 20, correct]))
    assert any(message.startswith(error) for message in question.errors), question.errors


def test_kahoot_header_in_row_one_is_still_found():
    data = xlsx(KAHOOT_HEADER, [1, "Câu?", "A", "B", None, None, 20, 2])
    assert looks_like_kahoot(data)
    assert parse_kahoot(data)[0].where == "row 2"


def test_our_template_and_garbage_do_not_look_like_kahoot():
    assert not looks_like_kahoot(template_workbook())
    assert not looks_like_kahoot(b"not a workbook")
    with pytest.raises(ImportFileError, match="not Kahoot's quiz template"):
        parse_kahoot(template_workbook())


# --- GIFT ----------------------------------------------------------------------------------------------------

GIFT = """\
// Bộ câu hỏi Công dân số, xuất từ Moodle
$CATEGORY: $course$/top/Công dân số/An toàn thông tin

::Q-phishing::Email yêu cầu \\"xác minh tài khoản\\" kèm đường link lạ là dấu hiệu của gì? {
  =Lừa đảo trực tuyến (phishing)#Chính xác!
  ~Thông báo bảo mật bình thường#Không, ngân hàng không gửi link như vậy.
  ~Quảng cáo
  ####Không bấm vào link lạ; hãy liên hệ trực tiếp với ngân hàng.
}

::Q-matkhau::Chọn các cách đặt mật khẩu an toàn {
  ~%50%Dùng cụm từ dài
  ~%50%Kết hợp chữ hoa, số và ký tự đặc biệt
  ~%-100%Dùng ngày sinh
}

// Đúng/sai
Chia sẻ mã OTP cho người lạ là an toàn.{F}

Viết tắt tiếng Anh của \\"xác thực hai yếu tố\\" là gì? {=2FA =MFA#cũng đúng}

$CATEGORY: $course$/top/Công dân số/Bản quyền

::Tiêu đề\\: có dấu hai chấm::[html]<p>Tải phần mềm <b>bẻ khóa</b> là&nbsp;vi phạm
{~đạo đức =bản quyền ~không gì} theo luật.</p>

Đây chỉ là một đoạn mô tả, không phải câu hỏi.

::Q-ký-hiệu::Ký hiệu \\{ và \\} và \\~ và \\= và \\# nghĩa là gì?{=Dấu ngoặc nhọn ~Không có gì}
"""


def test_gift_file():
    questions = parse_gift(GIFT)
    assert [q.where for q in questions] == [
        "question 1 (Q-phishing)",
        "question 2 (Q-matkhau)",
        "question 3",
        "question 4",
        "question 5 (Tiêu đề: có dấu hai chấm)",
        "question 6 (Q-ký-hiệu)",
    ]
    assert all(q.errors == [] for q in questions), [q.errors for q in questions]
    phishing, passwords, otp, two_fa, piracy, symbols = questions
    assert phishing.type == SINGLE and marks(phishing) == [True, False, False]
    assert texts(phishing)[1] == "Thông báo bảo mật bình thường"
    assert phishing.explanation == "Không bấm vào link lạ; hãy liên hệ trực tiếp với ngân hàng."
    assert phishing.topic == "An toàn thông tin"
    assert passwords.type == MULTIPLE and passwords.partial_credit and marks(passwords) == [True, True, False]
    assert otp.type == TRUE_FALSE and otp.choices == [ParsedChoice("Đúng"), ParsedChoice("Sai", True)]
    assert two_fa.type == SHORT_TEXT and texts(two_fa) == ["2FA", "MFA"] and all(marks(two_fa))
    assert piracy.topic == "Bản quyền" and piracy.text == "Tải phần mềm bẻ khóa là vi phạm _____ theo luật."
    assert marks(piracy) == [False, True, False]
    assert symbols.text == "Ký hiệu { và } và ~ và = và # nghĩa là gì?"


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("::Ghép::Ghép ứng dụng với công dụng {=Zalo -> nhắn tin =Google Maps -> chỉ đường}", "matching"),
        ("::Số::Một năm có bao nhiêu tháng? {#12}", "numerical"),
        ("::Tự luận::Nêu cách bảo vệ thông tin cá nhân. {}", "essay"),
    ],
)
def test_gift_unsupported_types_are_reported_not_dropped(question, kind):
    questions = parse_gift(f"Câu mở đầu {{=Có ~Không}}\n\n{question}\n")
    assert len(questions) == 2
    title = question.split("::")[1]
    assert questions[1].where == f"question 2 ({title})"
    assert questions[1].type == kind
    assert questions[1].errors == [f"question type “{kind}” is not supported"]


def test_gift_ordering_extension():
    [question] = parse_gift("::Thứ tự::Sắp xếp các bước {>\n3 ALL VERTICAL\nĐổi mật khẩu\nĐăng xuất\nBật 2FA\n}")
    assert question.type == ORDERING and texts(question) == ["Đổi mật khẩu", "Đăng xuất", "Bật 2FA"]
    assert question.errors == []


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("::Hở::Câu hỏi thiếu ngoặc đóng {=A ~B", "the answers are not closed by “}”"),
        ("Câu hỏi {A B C}", "cannot read the answers"),
        ("Câu hỏi {=A =B ~C}", "more than one correct answer"),
        ("Câu hỏi {~A ~B}", "no correct answer"),
    ],
)
def test_gift_broken_questions(source, error):
    [question] = parse_gift(source)
    assert question.where.startswith("question 1")
    assert any(message.startswith(error) for message in question.errors), question.errors


@pytest.mark.parametrize("source", ["", "// chỉ có chú thích\n", "Một đoạn mô tả.\n\nMột đoạn nữa."])
def test_gift_without_questions(source):
    with pytest.raises(ImportFileError, match="no questions"):
        parse_gift(source)


# --- Moodle XML ----------------------------------------------------------------------------------------------

MOODLE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category">
    <category><text>$course$/top/Công dân số/Mạng xã hội</text></category>
  </question>
  <question type="multichoice">
    <name><text>MXH-01</text></name>
    <questiontext format="html">
      <text><![CDATA[<p>Khi thấy bài đăng <strong>tin giả</strong>, bạn&nbsp;nên làm gì?</p>]]></text>
    </questiontext>
    <generalfeedback format="html"><text>&lt;p&gt;Kiểm chứng trước khi chia sẻ.&lt;/p&gt;</text></generalfeedback>
    <defaultgrade>2.0000000</defaultgrade>
    <single>true</single>
    <answer fraction="0" format="html"><text>Chia sẻ ngay</text></answer>
    <answer fraction="100" format="html"><text><![CDATA[<p>Báo cáo &amp; kiểm chứng</p>]]></text></answer>
    <answer fraction="0" format="html"><text>Bình luận chửi bới</text></answer>
  </question>
  <question type="multichoice">
    <name><text>MXH-02</text></name>
    <questiontext format="html"><text>Thông tin nào không nên công khai?</text></questiontext>
    <single>false</single>
    <answer fraction="50"><text>Số điện thoại</text></answer>
    <answer fraction="50"><text>Địa chỉ nhà</text></answer>
    <answer fraction="-100"><text>Sở thích đọc sách</text></answer>
  </question>
  <question type="description">
    <name><text>Giới thiệu</text></name>
    <questiontext format="html"><text>Phần tiếp theo nói về mật khẩu.</text></questiontext>
  </question>
  <question type="category">
    <category><text>$course$/top/Công dân số/Mật khẩu</text></category>
  </question>
  <question type="truefalse">
    <name><text>MK-01</text></name>
    <questiontext format="moodle_auto_format"><text>Nên dùng một mật khẩu cho mọi tài khoản.</text></questiontext>
    <answer fraction="0"><text>true</text></answer>
    <answer fraction="100"><text>false</text></answer>
  </question>
  <question type="shortanswer">
    <name><text>MK-02</text></name>
    <questiontext format="plain_text"><text>Mã xác thực một lần gọi tắt là gì?</text></questiontext>
    <usecase>0</usecase>
    <answer fraction="100"><text>OTP</text></answer>
    <answer fraction="50"><text>mã</text></answer>
  </question>
  <question type="ordering">
    <name><text>MK-03</text></name>
    <questiontext format="html"><text>Sắp xếp các bước khôi phục tài khoản</text></questiontext>
    <answer fraction="2.0000000"><text>Đổi mật khẩu</text></answer>
    <answer fraction="1.0000000"><text>Chọn &quot;Quên mật khẩu&quot;</text></answer>
    <answer fraction="3.0000000"><text>Bật xác thực hai yếu tố</text></answer>
  </question>
</quiz>
"""


def test_moodle_xml_file():
    questions = parse_moodle_xml(MOODLE_XML.encode())
    assert [q.where for q in questions] == [
        "question 1 (MXH-01)",
        "question 2 (MXH-02)",
        "question 3 (MK-01)",
        "question 4 (MK-02)",
        "question 5 (MK-03)",
    ]
    assert all(q.errors == [] for q in questions), [q.errors for q in questions]
    fake_news, private, one_password, otp, recovery = questions
    assert fake_news.type == SINGLE and fake_news.text == "Khi thấy bài đăng tin giả, bạn nên làm gì?"
    assert texts(fake_news)[1] == "Báo cáo & kiểm chứng" and marks(fake_news) == [False, True, False]
    assert fake_news.explanation == "Kiểm chứng trước khi chia sẻ." and fake_news.points == 2.0
    assert fake_news.topic == "Mạng xã hội"
    assert private.type == MULTIPLE and private.partial_credit and marks(private) == [True, True, False]
    assert one_password.type == TRUE_FALSE and one_password.topic == "Mật khẩu"
    assert one_password.choices == [ParsedChoice("Đúng"), ParsedChoice("Sai", True)]
    assert otp.type == SHORT_TEXT and otp.choices == [ParsedChoice("OTP", True)]
    assert recovery.type == ORDERING
    assert texts(recovery) == ['Chọn "Quên mật khẩu"', "Đổi mật khẩu", "Bật xác thực hai yếu tố"]


@pytest.mark.parametrize("kind", ["matching", "numerical", "essay", "calculated", "multianswer", "ddwtos", "gapselect"])
def test_moodle_unsupported_types_are_reported(kind):
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<quiz><question type="{kind}"><name><text>Câu khó</text></name>
<questiontext format="html"><text>Nội dung</text></questiontext></question></quiz>"""
    [question] = parse_moodle_xml(xml.encode())
    assert question.where == "question 1 (Câu khó)"
    assert question.errors == [f"question type “{kind}” is not supported"]


@pytest.mark.parametrize(
    "xml",
    [
        '<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY lol "lol">]><quiz><question type="essay"/></quiz>',
        '<?xml version="1.0"?><!doctype quiz SYSTEM "file:///etc/passwd"><quiz/>',
        '<?xml version="1.0"?><quiz><!ENTITY x "y"></quiz>',
    ],
)
def test_moodle_xml_with_doctype_or_entities_is_refused(xml):
    with pytest.raises(ImportFileError, match="DOCTYPE or entities, which are refused for safety"):
        parse_moodle_xml(xml.encode())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<quiz><question>", "not valid XML"),
        (b'<?xml version="1.0"?><html><body/></html>', "its root is <html>, not <quiz>"),
        (
            b'<quiz><question type="category"><category><text>$course$/top/A</text></category></question></quiz>',
            "no questions",
        ),
        (b"   ", "empty"),
    ],
)
def test_unreadable_moodle_xml(data, message):
    with pytest.raises(ImportFileError, match=message):
        parse_moodle_xml(data)


def test_html_to_text():
    html = "<p>Một&nbsp;<b>hai</b></p><script>alert(1)</script><ul><li>ba &lt; bốn</li></ul>năm<br>sáu"
    assert html_to_text(html) == "Một hai\nba < bốn\nnăm\nsáu"


# --- Detection -----------------------------------------------------------------------------------------------

CSV_SAMPLE = "Loại;Câu hỏi;Đáp án 1;Đáp án 2;Đáp án đúng\nmột đáp án;Có nên dùng Wi-Fi lạ? {chú ý};Có;Không;2\n"


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (template_workbook(), "cau-hoi.xlsx", "excel"),
        (template_workbook(), "khong-co-duoi", "excel"),
        (kahoot_file([1, "Câu?", "A", "B", None, None, 20, 1]), "kahoot.xlsx", "kahoot"),
        (GIFT.encode(), "cau-hoi.txt", "gift"),
        (GIFT.encode(), "cau-hoi.csv", "gift"),  # the content wins over the extension
        (("\ufeff" + GIFT).encode(), "cau-hoi.gift", "gift"),
        (MOODLE_XML.encode(), "moodle.xml", "moodle_xml"),
        (MOODLE_XML.encode(), "moodle.txt", "moodle_xml"),
        (CSV_SAMPLE.encode(), "cau-hoi.csv", "csv"),
        (CSV_SAMPLE.encode(), "cau-hoi.txt", "csv"),  # braces in a question do not make it GIFT
        (("\ufeff" + CSV_SAMPLE).encode(), "", "csv"),
    ],
)
def test_detect_picks_the_parser(data, filename, expected):
    name, questions = parse_questions(data, filename)
    assert name == expected and name in FORMATS
    assert questions and all(q.errors == [] for q in questions)


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "x.xlsx", "The file is empty"),
        (windows_1258("Câu hỏi;Đáp án\nMật khẩu?;abc"), "x.csv", "neither an Excel workbook nor UTF-8 text"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", r"Old Excel files \(\.xls\)"),
        (b"PK\x03\x04 not really a zip", "x.zip", "zip archive but not an Excel workbook"),
        (b"<html><body>Trang web</body></html>", "page.html", "format is not recognised"),
        ("Chỉ là ghi chú".encode(), "notes.md", "format is not recognised"),
        (b"plain text", "x.xlsx", r"not an Excel workbook \(\.xlsx\)"),
    ],
)
def test_detect_refuses_unknown_content(data, filename, message):
    with pytest.raises(ImportFileError, match=message):
        parse_questions(data, filename)


# --- Export round trip ---------------------------------------------------------------------------------------

ROUND_TRIP = [
    ParsedQuestion(
        where="",
        type=SINGLE,
        text="=Câu bắt đầu bằng dấu bằng, có dấu phẩy, và “ngoặc kép”?",
        choices=[ParsedChoice("=SUM(A1)"), ParsedChoice("1,3", True), ParsedChoice("0012")],
        topic="Công thức",
        difficulty=1,
        explanation="Văn bản, không phải công thức.",
        resource_url="https://example.vn/tai-lieu?a=1&b=2",
        resource_title="Tài liệu",
        time_limit_s=45,
        points=1.5,
    ),
    ParsedQuestion(
        where="",
        type=MULTIPLE,
        text="Chọn các hành vi văn minh trên mạng",
        choices=[ParsedChoice(f"Lựa chọn {n}", n % 3 == 0) for n in range(1, 11)],
        partial_credit=True,
        difficulty=3,
        points=3.0,
    ),
    ParsedQuestion(
        where="",
        type=TRUE_FALSE,
        text="Mọi thông tin trên mạng đều đúng.",
        choices=[ParsedChoice("Đúng"), ParsedChoice("Sai", True)],
    ),
    ParsedQuestion(
        where="",
        type=TRUE_FALSE,
        text="Có nên cập nhật phần mềm thường xuyên?",
        choices=[ParsedChoice("Có", True), ParsedChoice("Không")],
    ),
    ParsedQuestion(
        where="",
        type=SHORT_TEXT,
        text="Thủ đô của Việt Nam?",
        choices=[ParsedChoice("Hà Nội", True), ParsedChoice("Thành phố Hà Nội", True)],
        ignore_diacritics=True,
    ),
    ParsedQuestion(
        where="",
        type=ORDERING,
        text="Sắp xếp theo thời gian",
        choices=[ParsedChoice("1945"), ParsedChoice("1975"), ParsedChoice("1986"), ParsedChoice("2024")],
        time_limit_s=60,
    ),
]


@pytest.mark.parametrize("original", ROUND_TRIP, ids=lambda q: q.type)
def test_export_then_parse_gives_the_question_back(original):
    [parsed] = parse_excel(export_workbook([original]))
    assert parsed == ParsedQuestion.from_dict({**original.as_dict(), "where": "row 2"})


def test_export_round_trip_of_all_types_together():
    parsed = parse_excel(export_workbook(ROUND_TRIP))
    assert {q.type for q in parsed} == set(QUESTION_TYPES)
    assert [q.as_dict() | {"where": ""} for q in parsed] == [q.as_dict() for q in ROUND_TRIP]
    assert [q.where for q in parsed] == [f"row {n}" for n in range(2, len(ROUND_TRIP) + 2)]


@pytest.mark.parametrize("reader", [parse_gift, parse_moodle_xml], ids=["gift", "moodle_xml"])
def test_imported_questions_survive_an_export(reader):
    source = GIFT if reader is parse_gift else MOODLE_XML.encode()
    questions = reader(source)
    again = parse_excel(export_workbook(questions))
    assert [q.as_dict() | {"where": ""} for q in again] == [q.as_dict() | {"where": ""} for q in questions]
