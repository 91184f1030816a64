"""The live game's models leave ``quizzes`` for the ``live`` app (layout move, issue 17): state only, the
tables and rows stay (``live`` 0001 adopts them under their old names)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('quizzes', '0007_review_question_status'),
        ('live', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='liveplayer',
                    name='session',
                ),
                migrations.RemoveField(
                    model_name='liveplayer',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='liveroundchoice',
                    name='by',
                ),
                migrations.RemoveField(
                    model_name='liveroundchoice',
                    name='previous',
                ),
                migrations.RemoveField(
                    model_name='liveroundchoice',
                    name='round',
                ),
                migrations.RemoveField(
                    model_name='liveroundchoice',
                    name='session',
                ),
                migrations.RemoveField(
                    model_name='livesession',
                    name='host',
                ),
                migrations.RemoveField(
                    model_name='livesession',
                    name='quiz',
                ),
                migrations.RemoveField(
                    model_name='livesession',
                    name='round',
                ),
                migrations.DeleteModel(
                    name='LiveAnswer',
                ),
                migrations.DeleteModel(
                    name='LivePlayer',
                ),
                migrations.DeleteModel(
                    name='LiveRoundChoice',
                ),
                migrations.DeleteModel(
                    name='LiveSession',
                ),
            ],
            database_operations=[],
        ),
    ]
