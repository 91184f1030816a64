"""Judging's models leave ``submissions`` for the ``judging`` app (layout move, issue 17): state only, the
tables and rows stay (``judging`` 0001 adopts them under their old names)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('submissions', '0004_reading_boards_await_release'),
        ('judging', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='judgescore',
                    name='assignment',
                ),
                migrations.RemoveField(
                    model_name='criterion',
                    name='reading_round',
                ),
                migrations.RemoveField(
                    model_name='criterionmark',
                    name='criterion',
                ),
                migrations.RemoveField(
                    model_name='criterionmark',
                    name='score',
                ),
                migrations.RemoveField(
                    model_name='judgeinvitation',
                    name='accepted_by',
                ),
                migrations.RemoveField(
                    model_name='judgeinvitation',
                    name='invited_by',
                ),
                migrations.RemoveField(
                    model_name='judgeinvitation',
                    name='reading_round',
                ),
                migrations.RemoveField(
                    model_name='judgescore',
                    name='version',
                ),
                migrations.RemoveField(
                    model_name='roundjudge',
                    name='conflict_organisations',
                ),
                migrations.RemoveField(
                    model_name='roundjudge',
                    name='invited_by',
                ),
                migrations.RemoveField(
                    model_name='roundjudge',
                    name='reading_round',
                ),
                migrations.RemoveField(
                    model_name='roundjudge',
                    name='user',
                ),
                migrations.DeleteModel(
                    name='Assignment',
                ),
                migrations.DeleteModel(
                    name='Criterion',
                ),
                migrations.DeleteModel(
                    name='CriterionMark',
                ),
                migrations.DeleteModel(
                    name='JudgeInvitation',
                ),
                migrations.DeleteModel(
                    name='JudgeScore',
                ),
                migrations.DeleteModel(
                    name='RoundJudge',
                ),
            ],
            database_operations=[],
        ),
    ]
