"""The live game's models move here from ``quizzes`` (layout move, issue 17).

State only: the tables stay where ``quizzes`` 0003/0004 created them (each model names its table in
``Meta.db_table``), so every row is kept and no SQL runs. The content types (and so the admin permissions
and log entries that point at them) are relabelled from ``quizzes`` to ``live``.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODELS = ["livesession", "liveroundchoice", "liveplayer", "liveanswer"]


def _relabel(apps, *, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        old = ContentType.objects.filter(app_label=source, model=model).first()
        if old is None:
            continue
        ContentType.objects.filter(app_label=target, model=model).delete()  # an empty one made by a former run
        old.app_label = target
        old.save(update_fields=["app_label"])


def relabel_content_types(apps, schema_editor):
    _relabel(apps, source="quizzes", target="live")


def unrelabel_content_types(apps, schema_editor):
    _relabel(apps, source="live", target="quizzes")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('contests', '0003_forum_round_teacher_role'),
        ('quizzes', '0005_rounds_await_release'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='LiveSession',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('pin', models.CharField(db_index=True, max_length=8)),
                        ('state', models.CharField(choices=[('lobby', 'Lobby'), ('question', 'Question'), ('reveal', 'Answer shown'), ('leaderboard', 'Leaderboard'), ('ended', 'Ended')], default='lobby', max_length=12)),
                        ('allow_guests', models.BooleanField(default=True, verbose_name='guests may join without an account')),
                        ('scoring', models.CharField(choices=[('speed', 'Faster right answers earn more (up to 1000)'), ('flat', 'Every right answer earns the same')], default='speed', max_length=6, verbose_name='scoring')),
                        ('streak_bonus', models.BooleanField(default=True, verbose_name='streak bonus')),
                        ('question_time_s', models.PositiveSmallIntegerField(default=20, help_text='Used when a question has no time limit of its own.', verbose_name='seconds per question')),
                        ('locked', models.BooleanField(default=False)),
                        ('question_ids', models.JSONField(default=list)),
                        ('current_index', models.IntegerField(default=-1)),
                        ('question_started_at', models.DateTimeField(blank=True, null=True)),
                        ('question_deadline', models.DateTimeField(blank=True, null=True)),
                        ('paused_remaining_ms', models.PositiveIntegerField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('ended_at', models.DateTimeField(blank=True, null=True)),
                        ('counts', models.BooleanField(default=False, verbose_name='counts for the round')),
                        ('skipped', models.JSONField(default=list)),
                        ('host', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='hosted_sessions', to=settings.AUTH_USER_MODEL)),
                        ('quiz', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='live_sessions', to='quizzes.quiz', verbose_name='quiz')),
                        ('round', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='live_sessions', to='contests.round', verbose_name='live round')),
                    ],
                    options={
                        'db_table': 'quizzes_livesession',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='LiveRoundChoice',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField()),
                        ('by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('round', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='live_choices', to='contests.round')),
                        ('previous', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='live.livesession')),
                        ('session', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='live.livesession')),
                    ],
                    options={
                        'verbose_name': 'counting session of a live round',
                        'verbose_name_plural': 'counting sessions of live rounds',
                        'db_table': 'quizzes_liveroundchoice',
                        'ordering': ['round', 'at', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='LivePlayer',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('nickname', models.CharField(max_length=20)),
                        ('score', models.IntegerField(default=0)),
                        ('streak', models.PositiveSmallIntegerField(default=0)),
                        ('previous_rank', models.PositiveIntegerField(blank=True, null=True)),
                        ('kicked', models.BooleanField(default=False)),
                        ('joined_at', models.DateTimeField(auto_now_add=True)),
                        ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('session', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='players', to='live.livesession')),
                    ],
                    options={
                        'db_table': 'quizzes_liveplayer',
                        'ordering': ['session', '-score', 'joined_at'],
                    },
                ),
                migrations.CreateModel(
                    name='LiveAnswer',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('question_index', models.PositiveSmallIntegerField()),
                        ('response', models.JSONField()),
                        ('elapsed_ms', models.PositiveIntegerField()),
                        ('correct', models.BooleanField()),
                        ('points', models.PositiveIntegerField()),
                        ('answered_at', models.DateTimeField()),
                        ('player', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='answers', to='live.liveplayer')),
                        ('session', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='answers', to='live.livesession')),
                    ],
                    options={
                        'db_table': 'quizzes_liveanswer',
                    },
                ),
                migrations.AddConstraint(
                    model_name='livesession',
                    constraint=models.UniqueConstraint(condition=models.Q(('state', 'ended'), _negated=True), fields=('pin',), name='livesession_unique_live_pin'),
                ),
                migrations.AddConstraint(
                    model_name='livesession',
                    constraint=models.UniqueConstraint(condition=models.Q(('counts', True)), fields=('round',), name='livesession_one_counting_per_round'),
                ),
                migrations.AddConstraint(
                    model_name='liveplayer',
                    constraint=models.UniqueConstraint(fields=('session', 'nickname'), name='liveplayer_unique_nickname'),
                ),
                migrations.AddConstraint(
                    model_name='liveplayer',
                    constraint=models.UniqueConstraint(condition=models.Q(('user__isnull', False)), fields=('session', 'user'), name='liveplayer_one_per_user'),
                ),
                migrations.AddIndex(
                    model_name='liveanswer',
                    index=models.Index(fields=['session', 'question_index'], name='quizzes_liv_session_bac2e6_idx'),
                ),
                migrations.AddConstraint(
                    model_name='liveanswer',
                    constraint=models.UniqueConstraint(fields=('player', 'question_index'), name='liveanswer_one_per_question'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(relabel_content_types, unrelabel_content_types),
    ]
