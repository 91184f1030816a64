"""Judging's models move here from ``submissions`` (layout move, issue 17).

State only: the tables stay where ``submissions`` 0002 created them (each model names its table in
``Meta.db_table``; the panel's many-to-many table follows from it), so every row is kept and no SQL runs.
The content types (and so admin permissions and log entries) are relabelled from ``submissions`` to ``judging``.
"""

import django.db.models.deletion
import judging.models
from django.conf import settings
from django.db import migrations, models

MODELS = ["criterion", "roundjudge", "judgeinvitation", "assignment", "judgescore", "criterionmark"]


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
    _relabel(apps, source="submissions", target="judging")


def unrelabel_content_types(apps, schema_editor):
    _relabel(apps, source="judging", target="submissions")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('contests', '0003_forum_round_teacher_role'),
        ('submissions', '0004_reading_boards_await_release'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Assignment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('stage', models.PositiveSmallIntegerField(default=1)),
                        ('state', models.CharField(choices=[('active', 'Assigned'), ('conflict', 'Conflict of interest declared'), ('withdrawn', 'Withdrawn by the organisers')], default='active', max_length=10)),
                        ('extra', models.BooleanField(default=False)),
                        ('created_at', models.DateTimeField()),
                        ('ended_at', models.DateTimeField(blank=True, null=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('entry', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='assignments', to='submissions.entry')),
                    ],
                    options={
                        'db_table': 'submissions_assignment',
                        'ordering': ['entry', 'created_at', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='Criterion',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('position', models.PositiveSmallIntegerField(default=0, verbose_name='order')),
                        ('name', models.CharField(max_length=120, verbose_name='criterion')),
                        ('description', models.TextField(blank=True, max_length=1000, verbose_name='what judges look for')),
                        ('max_points', models.DecimalField(decimal_places=2, default=10, max_digits=6, verbose_name='maximum')),
                        ('weight', models.DecimalField(decimal_places=2, default=1, max_digits=5, verbose_name='weight')),
                        ('reading_round', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='criteria', to='submissions.readinground')),
                    ],
                    options={
                        'verbose_name': 'rubric criterion',
                        'verbose_name_plural': 'rubric criteria',
                        'db_table': 'submissions_criterion',
                        'ordering': ['reading_round', 'position', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='JudgeInvitation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('email', models.EmailField(max_length=254, verbose_name='e-mail address')),
                        ('stages', models.CharField(choices=[('first', 'Shortlist stage (or the only stage)'), ('final', 'Final stage'), ('both', 'Both stages')], default='first', max_length=5, verbose_name='stages')),
                        ('token', models.CharField(default=judging.models.new_invitation_token, editable=False, max_length=64, unique=True)),
                        ('created_at', models.DateTimeField()),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                        ('accepted_at', models.DateTimeField(blank=True, null=True)),
                        ('accepted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('invited_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('reading_round', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='invitations', to='submissions.readinground')),
                    ],
                    options={
                        'db_table': 'submissions_judgeinvitation',
                        'ordering': ['reading_round', 'created_at', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='JudgeScore',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('total', models.DecimalField(blank=True, decimal_places=2, max_digits=9, null=True)),
                        ('comment', models.TextField(blank=True, max_length=2000, verbose_name='comment for the organisers')),
                        ('submitted_at', models.DateTimeField(blank=True, null=True)),
                        ('updated_at', models.DateTimeField()),
                        ('assignment', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='score', to='judging.assignment')),
                        ('version', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='submissions.entryversion')),
                    ],
                    options={
                        'db_table': 'submissions_judgescore',
                        'ordering': ['assignment', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='CriterionMark',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('value', models.DecimalField(blank=True, decimal_places=2, max_digits=6, null=True)),
                        ('criterion', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='marks', to='judging.criterion')),
                        ('score', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='marks', to='judging.judgescore')),
                    ],
                    options={
                        'db_table': 'submissions_criterionmark',
                        'ordering': ['score', 'criterion__position', 'criterion_id'],
                    },
                ),
                migrations.CreateModel(
                    name='RoundJudge',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('stages', models.CharField(choices=[('first', 'Shortlist stage (or the only stage)'), ('final', 'Final stage'), ('both', 'Both stages')], default='first', max_length=5, verbose_name='stages')),
                        ('conflict_emails', models.TextField(blank=True, help_text='One address per line: relatives, pupils, colleagues whose entries this judge must not score.', verbose_name='declared people (e-mail addresses)')),
                        ('created_at', models.DateTimeField()),
                        ('reminded_at', models.DateTimeField(blank=True, null=True)),
                        ('conflict_organisations', models.ManyToManyField(blank=True, related_name='+', to='contests.organisation', verbose_name='declared organisations')),
                        ('invited_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('reading_round', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='judges', to='submissions.readinground')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='judging_panels', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'judge of a round',
                        'verbose_name_plural': 'judges of a round',
                        'db_table': 'submissions_roundjudge',
                        'ordering': ['reading_round', 'created_at', 'pk'],
                    },
                ),
                migrations.AddField(
                    model_name='assignment',
                    name='judge',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='assignments', to='judging.roundjudge'),
                ),
                migrations.AddConstraint(
                    model_name='criterion',
                    constraint=models.CheckConstraint(condition=models.Q(('max_points__gt', 0)), name='criterion_max_positive'),
                ),
                migrations.AddConstraint(
                    model_name='criterion',
                    constraint=models.CheckConstraint(condition=models.Q(('weight__gte', 0)), name='criterion_weight_not_negative'),
                ),
                migrations.AddConstraint(
                    model_name='judgeinvitation',
                    constraint=models.UniqueConstraint(fields=('reading_round', 'email'), name='judgeinvitation_unique_email'),
                ),
                migrations.AddConstraint(
                    model_name='criterionmark',
                    constraint=models.UniqueConstraint(fields=('score', 'criterion'), name='mark_unique_per_criterion'),
                ),
                migrations.AddConstraint(
                    model_name='criterionmark',
                    constraint=models.CheckConstraint(condition=models.Q(('value__isnull', True), ('value__gte', 0), _connector='OR'), name='mark_not_negative'),
                ),
                migrations.AddConstraint(
                    model_name='roundjudge',
                    constraint=models.UniqueConstraint(fields=('reading_round', 'user'), name='roundjudge_unique_user'),
                ),
                migrations.AddIndex(
                    model_name='assignment',
                    index=models.Index(fields=['judge', 'stage', 'state'], name='assignment_queue_idx'),
                ),
                migrations.AddConstraint(
                    model_name='assignment',
                    constraint=models.UniqueConstraint(fields=('entry', 'judge', 'stage'), name='assignment_unique_judge_entry_stage'),
                ),
                migrations.AddConstraint(
                    model_name='assignment',
                    constraint=models.CheckConstraint(condition=models.Q(('stage__in', [1, 2])), name='assignment_stage'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(relabel_content_types, unrelabel_content_types),
    ]
