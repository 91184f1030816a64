import pytest
from django.core.management import CommandError, call_command

from quizzes.importing.excel import template_workbook
from quizzes.models import QuestionBank

pytestmark = pytest.mark.django_db

GIFT_OK = """// demo
::q1:: Mã OTP có nên chia sẻ cho người khác? {F}

::q2:: Tên ứng dụng định danh điện tử quốc gia? {=VNeID =ứng dụng VNeID}
"""

GIFT_BAD = """::q1:: Câu đúng {T}

::ghép:: Ghép cặp {
=Công an -> 113
=Cứu hỏa -> 114
}
"""


def test_import_command_creates_the_bank_and_prints_the_count(tmp_path, organisation, capsys):
    path = tmp_path / "demo.gift"
    path.write_text(GIFT_OK, encoding="utf-8")
    call_command("import_questions", str(path), bank="an-toan", organisation=organisation.slug)
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1] == "imported 2 questions into an-toan"
    bank = QuestionBank.objects.get(slug="an-toan")
    assert bank.organisation == organisation and bank.questions.count() == 2


def test_import_command_reads_the_excel_template(tmp_path, organisation, capsys):
    path = tmp_path / "mau.xlsx"
    path.write_bytes(template_workbook())
    call_command("import_questions", str(path), bank="mau", organisation=organisation.slug)
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("imported ")


def test_unsupported_question_fails_naming_it_and_imports_nothing(tmp_path, organisation, capsys):
    path = tmp_path / "bad.gift"
    path.write_text(GIFT_BAD, encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_questions", str(path), bank="xau", organisation=organisation.slug)
    assert "ghép" in capsys.readouterr().err
    assert not QuestionBank.objects.filter(slug="xau").exists()


def test_unknown_organisation_is_an_error(tmp_path):
    path = tmp_path / "demo.gift"
    path.write_text(GIFT_OK, encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_questions", str(path), bank="x", organisation="nope")
