"""Property-based attacks on the question importers (GIFT, Moodle XML, Excel, CSV, Kahoot).

Whatever bytes an organiser uploads, ``parse_questions`` either refuses the whole file with a readable
``ImportFileError`` or returns questions each carrying its own errors; ``questions_import`` then imports all of
them or none. Inputs are drawn near the formats' grammar (so that the parsers get past their first checks) as
well as at random, and real workbooks are damaged member by member.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import replace

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import example, given
from hypothesis import strategies as st
from openpyxl import Workbook

from quizzes import services
from quizzes.importing.base import (
    MULTIPLE,
    QUESTION_TYPES,
    SHORT_TEXT,
    SINGLE,
    TRUE_FALSE,
    ImportFileError,
    ParsedChoice,
    ParsedQuestion,
    validate_question,
)
from quizzes.importing.detect import FORMATS, parse_questions
from quizzes.importing.excel import FALSE_LABEL, TEMPLATE_HEADERS, TRUE_LABEL, parse_excel
from quizzes.importing.export import export_workbook

# --- Inputs near each format ---------------------------------------------------------------------------------

WORDS = st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyÀÁẠẢÃàáạảãĐ ́̀0123456789 .,;?!", max_size=12)
GIFT_TOKENS = [
    "{", "}", "=", "~", "#", "####", "->", "%50%", "%-100%", "%100%", "::", "::T::", "[html]", "[markdown]",
    "$CATEGORY: $course$/top/A", "\\{", "\\=", "\\~", "\\:", "\\n", "\\", "\n", "\n\n", "//", "T", "FALSE",
    "{>", "ALL", '"', ",", ";", "Câu hỏi", "<p>", "</p>", "<script>", "&amp;", "&#0;", "\t", " ", "\ufeff",
    "\x00", "\ud800",
]  # fmt: skip
gift_texts = st.lists(st.one_of(st.sampled_from(GIFT_TOKENS), WORDS), max_size=40).map("".join)

HEADERS = [
    *TEMPLATE_HEADERS, "Question", "Type", "Correct", "choice 1", "answer b", "A", "Điểm", "points", "time limit",
    "Thời gian (giây)", "difficulty", "", None, "Câu hỏi", "Đáp án 11",
]  # fmt: skip
CELL_WORDS = [
    "một đáp án", "nhiều đáp án", "đúng/sai", "trả lời ngắn", "sắp xếp", "single", "multiple", "true_false",
    "short_text", "ordering", "essay", "1", "2", "1,3", "A, C", "3,1,2", "Đúng", "Sai", "có", "không", "x", "-1",
    "0", "9999.999", "1e309", "nan", "inf", "dễ", "khó", "4", "20 s", "700", "5", "http://x", "https://vi.vn/a",
    "javascript:alert(1)", "=1+1", "<script>alert(1)</script>", "", " ", "\x00",
]  # fmt: skip
cells = st.one_of(
    st.sampled_from(CELL_WORDS),
    WORDS,
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.datetimes(),
    st.text(max_size=30),
)
rows = st.lists(st.lists(cells, max_size=18), max_size=8)
headers = st.lists(st.sampled_from(HEADERS), min_size=1, max_size=18)


def _csv_text(cell) -> str:
    return "" if cell is None else str(cell)


@st.composite
def csv_files(draw) -> bytes:
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])))
    for row in [draw(headers), *draw(rows)]:
        writer.writerow([_csv_text(cell).replace("\x00", "") for cell in row])
    text = out.getvalue()
    if draw(st.booleans()):  # damage it: cut it anywhere or glue a stray quote in
        cut = draw(st.integers(min_value=0, max_value=len(text)))
        text = text[:cut] + draw(st.sampled_from(['"', "", "\n", '"\n"', "\r"])) + text[cut:]
    return (draw(st.sampled_from(["", "\ufeff"])) + text).encode("utf-8", "surrogatepass")


def _xlsx(sheets: list[list[list]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for index, sheet_rows in enumerate(sheets):
        sheet = workbook.create_sheet(f"S{index}")
        for row in sheet_rows:
            sheet.append([_storable(cell) for cell in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _storable(cell):
    """What openpyxl can write: it refuses control characters and numbers past Excel's range itself."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(cell, str):
        return ILLEGAL_CHARACTERS_RE.sub("", cell).encode("utf-8", "replace").decode("utf-8")
    if isinstance(cell, int) and not isinstance(cell, bool) and abs(cell) > 10**15:
        return str(cell)
    return cell


@st.composite
def workbooks(draw) -> bytes:
    """Our template, Kahoot's (title rows, then its header) or any sheet; sometimes several sheets."""
    layout = draw(st.sampled_from(["template", "kahoot", "any"]))
    body = draw(rows)
    if layout == "template":
        sheet = [draw(headers), *body]
    elif layout == "kahoot":
        title_rows = [["Quiz template"], ["Add questions"]][: draw(st.integers(0, 2))]
        kahoot = [
            None, "Question - max 120 characters", "Answer 1 - max 75 characters", "Answer 2 - max 75 characters",
            "Answer 3 - max 75 characters", "Answer 4 - max 75 characters",
            "Time limit (sec) – 5, 10, 20, 30, 60, 90, 120, or 240 secs", "Correct answer(s) - choose at least one",
        ]  # fmt: skip
        sheet = [*title_rows, kahoot, *body]
    else:
        sheet = body
    extra = draw(st.lists(rows, max_size=2))
    return _xlsx([sheet, *extra])


@st.composite
def damaged_workbooks(draw) -> bytes:
    """A real workbook with one member replaced by a cut, garbled or swapped copy of itself."""
    data = draw(workbooks())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    name = draw(st.sampled_from(sorted(members)))
    original = members[name]
    damage = draw(st.sampled_from(["cut", "garble", "swap", "drop", "empty"]))
    if damage == "cut":
        members[name] = original[: draw(st.integers(0, len(original)))]
    elif damage == "garble":
        at = draw(st.integers(0, max(0, len(original) - 1)))
        members[name] = original[:at] + draw(st.binary(min_size=1, max_size=8)) + original[at + 1 :]
    elif damage == "swap":
        members[name] = members[draw(st.sampled_from(sorted(members)))]
    elif damage == "drop":
        del members[name]
    else:
        members[name] = b""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return out.getvalue()


QUESTION_KINDS = ["multichoice", "truefalse", "shortanswer", "ordering", "matching", "essay", "category", "", "x"]


@st.composite
def moodle_documents(draw) -> bytes:
    parts = ["<?xml version='1.0' encoding='UTF-8'?>", "<quiz>"]
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(QUESTION_KINDS))
        fmt = draw(st.sampled_from(["html", "plain_text", "moodle_auto_format", "markdown"]))
        text = draw(st.one_of(WORDS, st.sampled_from(["&lt;p&gt;A&lt;/p&gt;", "<![CDATA[<b>x</b>]]>", ""])))
        parts.append(f'<question type="{kind}"><name><text>{draw(WORDS)}</text></name>')
        parts.append(f'<questiontext format="{fmt}"><text>{text}</text></questiontext>')
        parts.append(f"<category><text>$course$/top/{draw(WORDS)}</text></category>")
        parts.append(f"<defaultgrade>{draw(st.sampled_from(['1', '2.5', 'nan', 'inf', '-1', 'x', '']))}</defaultgrade>")
        parts.append(f"<single>{draw(st.sampled_from(['true', 'false', '1', '0', '']))}</single>")
        for _answer in range(draw(st.integers(0, 11))):
            fraction = draw(st.sampled_from(["100", "0", "50", "-100", "33.333", "nan", "1", "2", "x"]))
            parts.append(f'<answer fraction="{fraction}" format="{fmt}"><text>{draw(WORDS)}</text></answer>')
        parts.append("</question>")
    parts.append("</quiz>")
    text = "".join(parts)
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.sampled_from(["", "<", "&", "]]>", "<!ENTITY x 'y'>", "\x00"])) + text[cut:]
    return text.encode("utf-8", "surrogatepass")


NAMES = st.sampled_from(["q.xlsx", "q.csv", "q.gift", "q.txt", "q.xml", "q", "", "q.xls", "q.XLSX", "q.pdf"])
uploads = st.one_of(
    st.tuples(gift_texts.map(lambda t: t.encode("utf-8", "surrogatepass")), NAMES),
    st.tuples(csv_files(), NAMES),
    st.tuples(moodle_documents(), NAMES),
    st.tuples(workbooks(), NAMES),
    st.tuples(damaged_workbooks(), NAMES),
    st.tuples(st.binary(max_size=300), NAMES),
    st.tuples(st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")), NAMES),
    st.tuples(st.binary(max_size=200).map(lambda b: b"PK\x03\x04" + b), NAMES),
)


# --- Properties ----------------------------------------------------------------------------------------------


def parse_or_refuse(data: bytes, name: str) -> list[ParsedQuestion] | None:
    """Parse as the import page does; a refusal must be a readable message, anything else fails the test."""
    try:
        file_format, questions = parse_questions(data, name)
    except ImportFileError as exc:
        assert str(exc).strip(), "a refusal says why"
        return None
    assert file_format in FORMATS
    assert questions, "a file without questions is refused, not returned empty"
    json.dumps([question.as_dict() for question in questions])  # the preview keeps them in the (JSON) session
    for question in questions:
        assert question.where.strip()
        assert all(isinstance(error, str) and error.strip() for error in question.errors)
        if not question.errors:
            assert question.type in QUESTION_TYPES
            again = validate_question(ParsedQuestion.from_dict({**question.as_dict(), "errors": []}))
            assert again.errors == [], "a clean question stays clean when checked again"
    return questions


@pytest.fixture(autouse=True)
def vietnamese():
    with translation.override("vi"):
        yield


@given(upload=uploads)
@example(upload=(b'" "\n', "q.csv"))  # a first line of quoted blanks once escaped as StopIteration
@example(upload=(b"<?xml version='1.0'?><!DOCTYPE quiz [<!ENTITY a 'b'>]><quiz>&a;</quiz>", "q.xml"))
def test_any_upload_is_parsed_into_questions_or_refused_whole(upload):
    parse_or_refuse(*upload)


@pytest.mark.django_db
@given(
    upload=st.one_of(
        st.tuples(workbooks(), NAMES),
        st.tuples(csv_files(), NAMES),
        st.tuples(gift_texts.map(lambda t: t.encode("utf-8", "surrogatepass")), NAMES),
        st.tuples(moodle_documents(), NAMES),
    )
)
def test_an_import_takes_every_question_or_none(upload, organisation):
    questions = parse_or_refuse(*upload)
    if questions is None:
        return
    bank = services.bank_create(organisation=organisation, title="Ngân hàng tấn công")
    if any(question.errors for question in questions):
        with pytest.raises(ValidationError):
            services.questions_import(bank=bank, questions=questions)
        assert bank.questions.count() == 0, "nothing imported from a file with one bad question"
    else:
        assert services.questions_import(bank=bank, questions=questions) == len(questions)
        assert bank.questions.count() == len(questions)


# --- Export → import round trip ------------------------------------------------------------------------------

TEXT = st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyzÀÁẠẢÃàáạảãĐQW0123456789 .,?!-=()'\"<>&/:", min_size=1,
               max_size=60).map(str.strip).filter(bool)  # fmt: skip
URLS = st.sampled_from(["", "https://khonggianmang.vn", "http://example.vn/a?b=c&d=1"])


@st.composite
def valid_questions(draw) -> ParsedQuestion:
    kind = draw(st.sampled_from(QUESTION_TYPES))
    count = {TRUE_FALSE: 2, SHORT_TEXT: draw(st.integers(1, 4))}.get(kind, draw(st.integers(2, 10)))
    texts = draw(st.lists(TEXT, min_size=count, max_size=count, unique_by=lambda t: t.lower()))
    if kind == TRUE_FALSE and draw(st.booleans()):
        texts = [TRUE_LABEL, FALSE_LABEL]
    if kind in (SINGLE, TRUE_FALSE):
        right = {draw(st.integers(0, count - 1))}
    elif kind == MULTIPLE:
        right = set(draw(st.lists(st.integers(0, count - 1), min_size=1, unique=True)))
    else:
        right = set(range(count)) if kind == SHORT_TEXT else set()
    question = ParsedQuestion(
        where="",
        type=kind,
        text=draw(TEXT),
        choices=[ParsedChoice(text, index in right) for index, text in enumerate(texts)],
        topic=draw(st.one_of(st.just(""), TEXT)),
        difficulty=draw(st.integers(1, 3)),
        explanation=draw(st.one_of(st.just(""), TEXT)),
        resource_url=draw(URLS),
        resource_title=draw(st.one_of(st.just(""), TEXT)),
        partial_credit=kind == MULTIPLE and draw(st.booleans()),
        ignore_diacritics=kind == SHORT_TEXT and draw(st.booleans()),
        time_limit_s=draw(st.one_of(st.none(), st.integers(5, 600))),
        points=draw(st.sampled_from([1.0, 0.5, 2.0, 1.25, 10.0, 9999.0, 0.01])),
    )
    assert validate_question(replace(question, errors=[])).errors == []
    return question


@given(questions=st.lists(valid_questions(), min_size=1, max_size=6))
def test_export_to_excel_then_import_gives_the_same_questions(questions):
    again = parse_excel(export_workbook(questions))
    assert [replace(q, where="") for q in again] == questions
