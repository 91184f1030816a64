"""``manage.py import_questions FILE --bank SLUG --organisation SLUG``: all questions or none.

The format is read from the file's content (extension as a hint). The last line on success is
``imported N questions into SLUG``; any invalid or unsupported question exits non-zero, naming it.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from contests.models import Organisation
from quizzes import services
from quizzes.importing.base import ImportFileError
from quizzes.importing.detect import parse_questions
from quizzes.models import QuestionBank


class Command(BaseCommand):
    help = "Import questions (Excel/CSV template, Kahoot! spreadsheet, GIFT, Moodle XML) into a bank."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--bank", required=True, help="bank slug (created if missing)")
        parser.add_argument("--organisation", required=True, help="slug of the organisation that owns the bank")
        parser.add_argument("--title", default="", help="title of a new bank (default: the slug)")
        parser.add_argument("--public", action="store_true", help="open a new bank for practice")

    def handle(self, *args, file, bank, organisation, title, public, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}")
        owner = Organisation.objects.filter(slug=organisation).first()
        if owner is None:
            raise CommandError(f"no organisation with slug {organisation!r}")
        try:
            file_format, questions = parse_questions(path.read_bytes(), path.name)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        invalid = [q for q in questions if q.errors]
        if invalid:
            for question in invalid:
                self.stderr.write(f"{question.where}: {'; '.join(question.errors)}")
            raise CommandError(f"{len(invalid)} of {len(questions)} questions are invalid; nothing was imported")
        with transaction.atomic():
            target = QuestionBank.objects.filter(slug=bank).first()
            if target is None:
                target = services.bank_create(organisation=owner, title=title or bank, slug=bank, is_public=public)
            elif target.organisation_id != owner.pk:
                raise CommandError(f"bank {bank!r} belongs to another organisation")
            count = services.questions_import(bank=target, questions=questions)
        self.stdout.write(f"read {file_format} file {path.name}")
        self.stdout.write(f"imported {count} questions into {target.slug}")
