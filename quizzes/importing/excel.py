"""Our own question template: one row per question, as an Excel workbook (.xlsx) or a CSV file.

Row 1 names the columns, in Vietnamese or English, in any order and any case; every other non-empty row is
a question, named in messages by its row number as Excel shows it ("row 12"). See ``GUIDE`` (also the
"Hướng dẫn" sheet of the downloadable template) for what each column holds.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, time

from django.utils.translation import gettext as _

from contests import xlsx
from contests.xlsx import UnreadableWorkbook, open_workbook

from .base import (
    MAX_CHOICES,
    MULTIPLE,
    ORDERING,
    QUESTION_TYPES,
    SHORT_TEXT,
    SINGLE,
    TRUE_FALSE,
    ImportFileError,
    ParsedChoice,
    ParsedQuestion,
    row_label,
    validate_question,
)

MAX_QUESTIONS = 5000
TRUE_LABEL, FALSE_LABEL = "Đúng", "Sai"
LETTERS = "ABCDEFGHIJ"

# --- Shared helpers (also used by the Kahoot, GIFT and Moodle importers and the exporter) ---------------------


def norm(value: object) -> str:
    """A label or keyword as compared: NFC (so that macOS's decomposed "đáp án" matches), lower case, ``_`` as a
    space, whitespace collapsed."""
    text = unicodedata.normalize("NFC", str(value or "")).lower().replace("_", " ")
    return " ".join(text.split())


def cell_text(value: object) -> str:
    """A cell as the text the user sees: 2.0 → "2", a date → "2024-05-01", TRUE → "true", None → ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


TRUE_WORDS = frozenset({"true", "t", "đúng", "đ", "yes", "y", "có"})
FALSE_WORDS = frozenset({"false", "f", "sai", "s", "no", "n", "không", "k"})


def truth(value: str) -> bool | None:
    """True for "Đúng"/"true"/"T"…, False for "Sai"/"false"/"F"…, None for anything else."""
    word = norm(value).rstrip(".")
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def choice_positions(raw: str) -> tuple[list[int], list[str]]:
    """Read "2", "1,3", "A, C", "1;3" or "1 3" into 1-based positions; also return the tokens not understood.

    A decimal point also separates, since Excel set to Vietnamese turns a typed "1,3" into the number 1.3."""
    positions, bad = [], []
    for token in re.split(r"[\s,;/.&+]+", norm(raw)):
        if not token:
            continue
        if token.isdigit() and 1 <= int(token) <= MAX_CHOICES:
            positions.append(int(token))
        elif len(token) == 1 and token.upper() in LETTERS:
            positions.append(LETTERS.index(token.upper()) + 1)
        else:
            bad.append(token)
    return positions, bad


def load_xlsx(data: bytes):
    """Open an .xlsx read-only with cached values (not formulas), or raise ImportFileError (zip bombs and
    damaged files included: see ``contests.xlsx``)."""
    try:
        return open_workbook(data)
    except UnreadableWorkbook as exc:
        raise ImportFileError(str(exc)) from exc


def sheet_rows(sheet) -> Iterator[tuple]:
    """A sheet's rows; a damaged sheet, which fails only while it is read, raises ImportFileError."""
    try:
        yield from xlsx.sheet_rows(sheet)
    except UnreadableWorkbook as exc:
        raise ImportFileError(str(exc)) from exc


def too_many_questions() -> ImportFileError:
    return ImportFileError(_("A file can hold at most %(n)d questions.") % {"n": MAX_QUESTIONS})


def no_questions() -> ImportFileError:
    return ImportFileError(_("The file has no questions."))


# --- Columns -------------------------------------------------------------------------------------------------

# key → (header in the template, other accepted headers); "choice_N" is matched separately, see _column_key.
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "type": ("Loại", ("type", "loại", "loại câu hỏi", "kiểu", "question type")),
    "question": ("Câu hỏi", ("question", "câu hỏi", "nội dung", "nội dung câu hỏi", "question text")),
    "correct": (
        "Đáp án đúng",
        ("correct", "đáp án đúng", "correct answer", "correct answers", "correct answer(s)", "correct choice"),
    ),
    "topic": ("Chủ đề", ("topic", "chủ đề")),
    "difficulty": ("Độ khó", ("difficulty", "độ khó", "mức độ")),
    "explanation": ("Giải thích", ("explanation", "giải thích")),
    "resource_url": ("Tài liệu", ("resource url", "resource link", "resource", "tài liệu", "link tài liệu")),
    "resource_title": ("Tên tài liệu", ("resource title", "tên tài liệu", "tiêu đề tài liệu")),
    "partial_credit": ("Tính điểm từng phần", ("partial credit", "tính điểm từng phần")),
    "ignore_diacritics": ("Bỏ qua dấu", ("ignore diacritics", "bỏ qua dấu")),
    "points": ("Điểm", ("points", "point", "điểm", "số điểm")),
    "time_limit": ("Thời gian", ("time limit", "time limit s", "thời gian", "thời gian (giây)", "time (s)")),
}
CHOICE_HEADER = re.compile(r"^(?:choice|answer|option|đáp án|lựa chọn|phương án) ?(10|[1-9]|[a-j])$|^([a-j])$")

TEMPLATE_KEYS = ["type", "question", *(f"choice_{n}" for n in range(1, MAX_CHOICES + 1)), *list(COLUMNS)[2:]]
TEMPLATE_HEADERS = [COLUMNS[key][0] if key in COLUMNS else f"Đáp án {key[7:]}" for key in TEMPLATE_KEYS]

TYPE_NAMES = {
    SINGLE: ("single", "một đáp án", "1 đáp án", "chọn một", "single choice"),
    MULTIPLE: ("multiple", "nhiều đáp án", "chọn nhiều", "multiple choice", "multiple answers"),
    TRUE_FALSE: ("true false", "đúng/sai", "true/false", "đúng sai", "đúng - sai"),
    SHORT_TEXT: ("short text", "trả lời ngắn", "short answer", "điền từ"),
    ORDERING: ("ordering", "sắp xếp", "order", "sắp xếp thứ tự"),
}
TYPE_BY_NAME = {name: kind for kind, names in TYPE_NAMES.items() for name in names}
TYPE_LABELS = {kind: names[1] for kind, names in TYPE_NAMES.items()}  # the Vietnamese names, as the template writes

DIFFICULTY_WORDS = {
    "dễ": 1,
    "easy": 1,
    "trung bình": 2,
    "tb": 2,
    "vừa": 2,
    "medium": 2,
    "khó": 3,
    "hard": 3,
}
YES_WORDS = frozenset({"yes", "y", "có", "true", "đúng", "1", "x", "✓", "✔"})
NO_WORDS = frozenset({"no", "n", "không", "false", "sai", "0", "-"})

GUIDE: list[tuple[str, str]] = [
    (
        "Loại",
        "Một trong: một đáp án, nhiều đáp án, đúng/sai, trả lời ngắn, sắp xếp (hoặc single, multiple, "
        "true_false, short_text, ordering). Bắt buộc.",
    ),
    ("Câu hỏi", "Nội dung câu hỏi, tối đa 2000 ký tự. Bắt buộc."),
    (
        "Đáp án 1 … Đáp án 10",
        "Các lựa chọn, mỗi ô một lựa chọn, từ trái sang phải (cần ít nhất hai). Câu trả lời "
        "ngắn: mỗi ô là một câu trả lời được chấp nhận. Câu sắp xếp: ghi các mục theo đúng thứ tự. Câu đúng/sai: có "
        "thể để trống (tự thêm “Đúng”, “Sai”).",
    ),
    (
        "Đáp án đúng",
        "Số thứ tự (hoặc chữ cái) của lựa chọn đúng: “2”, “B”; nhiều đáp án: “1,3” hoặc “A,C”. "
        "Câu đúng/sai: ghi “Đúng” hoặc “Sai”. Câu trả lời ngắn và câu sắp xếp: để trống.",
    ),
    ("Chủ đề", "Chủ đề của câu hỏi, để lọc và rút câu ngẫu nhiên theo chủ đề. Không bắt buộc."),
    ("Độ khó", "1 (dễ), 2 (trung bình) hoặc 3 (khó); cũng có thể ghi chữ. Để trống: trung bình."),
    ("Giải thích", "Hiện cho thí sinh sau khi trả lời. Không bắt buộc."),
    ("Tài liệu", "Đường dẫn http(s) tới tài liệu tham khảo. Không bắt buộc."),
    ("Tên tài liệu", "Tên hiển thị của đường dẫn tài liệu. Không bắt buộc."),
    (
        "Tính điểm từng phần",
        "Câu nhiều đáp án: ghi “có” để cộng điểm cho từng lựa chọn đúng; để trống: phải chọn đúng tất cả mới có điểm.",
    ),
    ("Bỏ qua dấu", "Câu trả lời ngắn: ghi “có” để chấp nhận câu trả lời không dấu (“Ha Noi” cho “Hà Nội”)."),
    ("Điểm", "Số điểm của câu, lớn hơn 0. Để trống: 1."),
    ("Thời gian", "Thời gian trả lời tính bằng giây (5–600), dùng cho thi trực tiếp. Không bắt buộc."),
]


def _column_key(label: object) -> str | None:
    name = norm(label).strip("*: ")
    for candidate in (name, re.sub(r"\s*\(.*\)$", "", name)):
        for key, (_header, names) in COLUMNS.items():
            if candidate in names:
                return key
        if match := CHOICE_HEADER.match(candidate):
            token = match.group(1) or match.group(2)
            return f"choice_{int(token) if token.isdigit() else LETTERS.index(token.upper()) + 1}"
    return None


def header_columns(header: Iterable[object]) -> tuple[dict[str, int], dict[str, str]]:
    """Map each known column key to its index (the first one wins) and to its label as the file writes it."""
    columns, labels = {}, {}
    for index, title in enumerate(header):
        key = _column_key(title)
        if key and key not in columns:
            columns[key] = index
            labels[key] = cell_text(title)
    return columns, labels


def is_question_header(header: Iterable[object]) -> bool:
    return "question" in header_columns(header)[0]


# --- Parsing -------------------------------------------------------------------------------------------------


def parse_excel(data: bytes) -> list[ParsedQuestion]:
    """Read an .xlsx in our template: the first sheet whose row 1 has a question column."""
    workbook = load_xlsx(data)
    try:
        first_header = None
        for sheet in workbook.worksheets:
            rows = sheet_rows(sheet)
            header = next(rows, None)
            if header is None:
                continue
            if first_header is None:
                first_header = header
            if is_question_header(header):
                return _parse_rows(header, rows)
        if first_header is None:
            raise ImportFileError(_("The workbook is empty."))
        return _parse_rows(first_header, iter(()))  # raises: the missing columns named
    finally:
        workbook.close()


def parse_csv(data: bytes) -> list[ParsedQuestion]:
    """Read a CSV in our template: UTF-8 (with or without BOM), comma, semicolon or tab separated."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _("The CSV file is not UTF-8 text. In Excel choose “Save as” → “CSV UTF-8 (comma delimited)”.")
        ) from exc
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    if not first_line:
        raise ImportFileError(_("The file is empty."))
    delimiter = max(",;\t", key=first_line.count)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ImportFileError(_("The CSV file cannot be read: %(error)s.") % {"error": exc}) from exc
    start = next((index for index, row in enumerate(rows) if any(cell.strip() for cell in row)), None)
    if start is None:  # only quotes and blanks: the first line looked like something, its cells are empty
        raise ImportFileError(_("The file is empty."))
    return _parse_rows(rows[start], iter(rows[start + 1 :]), first_line=start + 2)


def _parse_rows(
    header: Iterable[object], rows: Iterable[Iterable[object]], first_line: int = 2
) -> list[ParsedQuestion]:
    columns, labels = header_columns(header)
    if "question" not in columns:
        raise ImportFileError(
            _("The first row must name the columns; missing: %(columns)s.") % {"columns": "“Câu hỏi” (question)"}
        )
    questions = []
    for line, values in enumerate(rows, start=first_line):
        values = tuple(values)

        def get(key: str, values=values) -> object:
            index = columns.get(key)
            return values[index] if index is not None and index < len(values) else None

        if all(cell_text(get(key)) == "" for key in columns):
            continue
        if len(questions) >= MAX_QUESTIONS:
            raise too_many_questions()
        questions.append(validate_question(_parse_row(row_label(line), get, labels)))
    if not questions:
        raise no_questions()
    return questions


def _parse_row(where: str, get: Callable[[str], object], labels: dict[str, str]) -> ParsedQuestion:
    raw_type = cell_text(get("type"))
    correct_raw = cell_text(get("correct"))
    cells = [(n, cell_text(get(f"choice_{n}"))) for n in range(1, MAX_CHOICES + 1)]
    present = [(n, text) for n, text in cells if text]
    question = ParsedQuestion(
        where=where, type=TYPE_BY_NAME.get(norm(raw_type), raw_type), text=cell_text(get("question"))
    )
    errors = question.errors
    if not raw_type:
        question.type = _guess_type(present, correct_raw)
        if not question.type:
            question.type = SINGLE
            errors.append(_("no question type"))
    elif question.type not in QUESTION_TYPES:
        return question  # validate_question reports the type; the other cells cannot be judged without one

    if question.type == TRUE_FALSE:
        question.choices = _true_false_choices(present, correct_raw, errors)
    elif question.type == SHORT_TEXT:
        accepted = [text for _n, text in present] or ([correct_raw] if correct_raw else [])
        question.choices = [ParsedChoice(text, True) for text in accepted]
    elif question.type == ORDERING:
        question.choices = _ordering_choices(present, correct_raw, errors)
    else:
        question.choices = _marked_choices(present, correct_raw, errors)

    question.topic = cell_text(get("topic"))
    question.explanation = cell_text(get("explanation"))
    question.resource_url = cell_text(get("resource_url"))
    question.resource_title = cell_text(get("resource_title"))
    question.difficulty = _difficulty(get("difficulty"), errors)
    question.partial_credit = _yes_no(get("partial_credit"), labels.get("partial_credit", ""), errors)
    question.ignore_diacritics = _yes_no(get("ignore_diacritics"), labels.get("ignore_diacritics", ""), errors)
    question.points = _points(get("points"), errors)
    question.time_limit_s = _seconds(get("time_limit"), errors)
    return question


def _guess_type(present: list[tuple[int, str]], correct_raw: str) -> str:
    """For a row whose type cell is empty: true/false when the answer is "Đúng"/"Sai" with no choices, else by
    the number of correct answers."""
    if not present and truth(correct_raw) is not None:
        return TRUE_FALSE
    positions, bad = choice_positions(correct_raw)
    if bad or not positions:
        return ""
    return SINGLE if len(set(positions)) == 1 else MULTIPLE


def _marked_choices(present: list[tuple[int, str]], correct_raw: str, errors: list[str]) -> list[ParsedChoice]:
    positions, bad = choice_positions(correct_raw)
    texts = dict(present)
    if bad:
        by_text = [n for n, text in present if norm(text) == norm(correct_raw)]
        if len(by_text) == 1:  # the correct answer written out in full rather than by its number
            positions, bad = by_text, []
        else:
            errors.append(_("cannot read the correct answer “%(value)s”") % {"value": correct_raw})
    if empty := sorted(n for n in set(positions) if n not in texts):
        errors.append(_("choice %(n)d is marked correct but is empty") % {"n": empty[0]})
    return [ParsedChoice(text, n in positions) for n, text in present]


def _true_false_choices(present: list[tuple[int, str]], correct_raw: str, errors: list[str]) -> list[ParsedChoice]:
    answer = truth(correct_raw)
    if not present:
        if answer is None and correct_raw:
            positions, bad = choice_positions(correct_raw)
            if not bad and set(positions) <= {1, 2}:
                return [ParsedChoice(TRUE_LABEL, 1 in positions), ParsedChoice(FALSE_LABEL, 2 in positions)]
            errors.append(
                _("the answer of a true/false question must be “Đúng” or “Sai”, not “%(value)s”")
                % {"value": correct_raw}
            )
        return [ParsedChoice(TRUE_LABEL, answer is True), ParsedChoice(FALSE_LABEL, answer is False)]
    if answer is not None:
        matching = [n for n, text in present if truth(text) is answer]
        if not matching and len(present) == 2:
            matching = [present[0 if answer else 1][0]]  # choices worded otherwise: the first one is "true"
        return [ParsedChoice(text, n in matching) for n, text in present]
    return _marked_choices(present, correct_raw, errors)


def _ordering_choices(present: list[tuple[int, str]], correct_raw: str, errors: list[str]) -> list[ParsedChoice]:
    if correct_raw:
        positions, bad = choice_positions(correct_raw)
        if not bad and sorted(positions) == [n for n, _text in present]:
            texts = dict(present)  # the order given as a permutation of the choices, e.g. "3,1,2"
            return [ParsedChoice(texts[n]) for n in positions]
        errors.append(_("for an ordering question list the choices in the correct order and leave “correct” empty"))
    return [ParsedChoice(text) for _n, text in present]


def _difficulty(value: object, errors: list[str]) -> int:
    text = norm(cell_text(value))
    if not text:
        return 2
    if text in DIFFICULTY_WORDS:
        return DIFFICULTY_WORDS[text]
    if re.fullmatch(r"-?\d+", text):
        return int(text)  # validate_question names the allowed values
    errors.append(
        _("cannot read the difficulty “%(value)s” (1, 2, 3 or dễ, trung bình, khó)") % {"value": cell_text(value)}
    )
    return 2


def _yes_no(value: object, column: str, errors: list[str]) -> bool:
    text = norm(cell_text(value))
    if text in YES_WORDS:
        return True
    if not text or text in NO_WORDS:
        return False
    errors.append(_("“%(column)s” must be yes or no, not “%(value)s”") % {"column": column, "value": cell_text(value)})
    return False


def _points(value: object, errors: list[str]) -> float:
    text = cell_text(value).replace(",", ".")
    if not text:
        return 1.0
    try:
        points = float(text)
        if not math.isfinite(points):
            raise ValueError
    except ValueError:
        errors.append(_("points must be a number, not “%(value)s”") % {"value": cell_text(value)})
        return 1.0
    return points


def _seconds(value: object, errors: list[str]) -> int | None:
    text = norm(cell_text(value))
    if not text:
        return None
    match = re.fullmatch(r"(\d+(?:[.,]\d+)?) ?(?:s|sec|secs|seconds|giây)?", text)
    if not match:
        errors.append(_("the time limit must be a number of seconds, not “%(value)s”") % {"value": cell_text(value)})
        return None
    return round(float(match.group(1).replace(",", ".")))


# --- Template ------------------------------------------------------------------------------------------------

EXAMPLES = [
    ParsedQuestion(
        where="",
        type=SINGLE,
        text="Khi nhận được tin nhắn báo trúng thưởng kèm đường link lạ, bạn nên làm gì?",
        choices=[
            ParsedChoice("Bấm vào link để nhận thưởng ngay"),
            ParsedChoice("Không bấm, kiểm tra lại với nguồn chính thức", True),
            ParsedChoice("Chuyển tiếp cho bạn bè cùng nhận"),
            ParsedChoice("Nhập số tài khoản ngân hàng để nhận tiền"),
        ],
        topic="Lừa đảo trực tuyến",
        difficulty=1,
        explanation="Tin nhắn trúng thưởng kèm link lạ thường là lừa đảo (phishing) để đánh cắp thông tin.",
        resource_url="https://khonggianmang.vn",
        resource_title="Cổng thông tin Không gian mạng Việt Nam",
        time_limit_s=20,
    ),
    ParsedQuestion(
        where="",
        type=MULTIPLE,
        text="Những cách nào giúp bảo vệ tài khoản mạng xã hội của bạn?",
        choices=[
            ParsedChoice("Bật xác thực hai yếu tố", True),
            ParsedChoice("Dùng chung một mật khẩu cho mọi trang"),
            ParsedChoice("Đặt mật khẩu dài, khó đoán", True),
            ParsedChoice("Chia sẻ mã OTP cho người quen"),
        ],
        topic="An toàn tài khoản",
        difficulty=2,
        explanation="Mật khẩu mạnh và xác thực hai yếu tố là hai lớp bảo vệ cơ bản; không bao giờ chia sẻ mã OTP.",
        partial_credit=True,
        points=2.0,
    ),
    ParsedQuestion(
        where="",
        type=TRUE_FALSE,
        text="Đăng ảnh căn cước công dân lên mạng xã hội là an toàn nếu chỉ để chế độ bạn bè.",
        choices=[ParsedChoice(TRUE_LABEL), ParsedChoice(FALSE_LABEL, True)],
        topic="Quyền riêng tư",
        difficulty=1,
        explanation="Ảnh giấy tờ tùy thân có thể bị lợi dụng để mạo danh, vay tiền hoặc lừa đảo.",
    ),
    ParsedQuestion(
        where="",
        type=SHORT_TEXT,
        text="Viết tắt của mật khẩu dùng một lần mà ngân hàng gửi qua tin nhắn là gì?",
        choices=[ParsedChoice("OTP", True), ParsedChoice("mã OTP", True)],
        topic="An toàn tài khoản",
        difficulty=2,
        ignore_diacritics=True,
    ),
    ParsedQuestion(
        where="",
        type=ORDERING,
        text="Sắp xếp các bước xử lý khi phát hiện tài khoản bị đánh cắp theo đúng thứ tự.",
        choices=[
            ParsedChoice("Đổi mật khẩu ngay"),
            ParsedChoice("Đăng xuất khỏi mọi thiết bị lạ"),
            ParsedChoice("Bật xác thực hai yếu tố"),
            ParsedChoice("Báo cho bạn bè và nền tảng về việc bị mất tài khoản"),
        ],
        topic="An toàn tài khoản",
        difficulty=3,
        time_limit_s=60,
    ),
]


def template_workbook() -> bytes:
    """The downloadable template: the column headers, one example row per question type, and a "Hướng dẫn"
    sheet describing each column."""
    from .export import export_workbook  # the exporter writes this very layout

    return export_workbook(EXAMPLES)
