"""Question banks, quizzes, quiz rounds and self-paced attempts.

An attempt stores one ``AttemptItem`` row per question drawn, created when the attempt starts: an
autosave is then a single-row UPDATE, and a reload shows exactly the questions, order and answers the
participant had. The answer key stays in ``Choice.is_correct`` and is only read by grading and by views
that the feedback policy has opened.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contests.models import Organisation, Round

from .question_types import MULTIPLE, ORDERING, SHORT_TEXT, SINGLE, TRUE_FALSE


class QuestionBank(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="question_banks")
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_public = models.BooleanField(
        _("open for practice"), default=False, help_text=_("Anyone can practise this bank without limits.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("question bank")
        verbose_name_plural = _("question banks")

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    class Type(models.TextChoices):
        SINGLE = SINGLE, _("Single choice")
        MULTIPLE = MULTIPLE, _("Multiple choice")
        TRUE_FALSE = TRUE_FALSE, _("True / false")
        SHORT_TEXT = SHORT_TEXT, _("Short text answer")
        ORDERING = ORDERING, _("Ordering")

    class Difficulty(models.IntegerChoices):
        EASY = 1, _("Easy")
        MEDIUM = 2, _("Medium")
        HARD = 3, _("Hard")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEWED = "reviewed", _("Reviewed")
        APPROVED = "approved", _("Approved")

    bank = models.ForeignKey(QuestionBank, on_delete=models.CASCADE, related_name="questions")
    type = models.CharField(_("type"), max_length=12, choices=Type.choices, default=Type.SINGLE)
    text = models.TextField(_("question"))
    image = models.ImageField(_("image"), upload_to="questions/", blank=True)
    topic = models.CharField(_("topic"), max_length=120, blank=True, db_index=True)
    difficulty = models.PositiveSmallIntegerField(_("difficulty"), choices=Difficulty.choices, default=2)
    explanation = models.TextField(_("explanation"), blank=True)
    resource_url = models.URLField(_("learning resource link"), blank=True)
    resource_title = models.CharField(_("learning resource title"), max_length=200, blank=True)
    partial_credit = models.BooleanField(
        _("partial credit"), default=False, help_text=_("Multiple choice: credit for each correct choice.")
    )
    ignore_diacritics = models.BooleanField(
        _("accept answers without diacritics"), default=False, help_text=_("Short text: “Ha Noi” counts as “Hà Nội”.")
    )
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2, default=1)
    time_limit_s = models.PositiveSmallIntegerField(_("time limit in live quizzes (s)"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Review before use (quizzes.review): draft → reviewed → approved, never by the author; only approved
    # questions are drawn into a contest's quiz round or served in practice.
    status = models.CharField(_("review status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["bank", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [models.CheckConstraint(condition=Q(points__gt=0), name="question_points_positive")]

    def __str__(self) -> str:
        return self.text[:80]


class QuestionReview(models.Model):
    """One step of a question's review, kept as its history: who, when, the decision and the comment."""

    class Decision(models.TextChoices):
        REVIEW = "review", _("Reviewed")
        APPROVE = "approve", _("Approved")
        RETURN = "return", _("Returned to the author")
        EDIT_APPROVED = "edit", _("Edited after approval")
        EDIT_REVIEWED = "edit_rev", _("Edited after review")

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="reviews")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    from_status = models.CharField(max_length=10, choices=Question.Status.choices)
    to_status = models.CharField(max_length=10, choices=Question.Status.choices)
    comment = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["question", "at", "pk"]
        verbose_name = _("question review")
        verbose_name_plural = _("question reviews")


class Choice(models.Model):
    """A choice; for short text an accepted answer; for ordering an item whose ``position`` is its right place."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(_("text"), max_length=500)
    is_correct = models.BooleanField(_("correct"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["question", "position", "pk"]

    def __str__(self) -> str:
        return self.text


class Quiz(models.Model):
    class Selection(models.TextChoices):
        FIXED = "fixed", _("A fixed list of questions")
        SAMPLED = "sampled", _("Questions drawn for each attempt by rules")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="quizzes")
    bank = models.ForeignKey(
        QuestionBank, verbose_name=_("question bank"), on_delete=models.PROTECT, related_name="quizzes"
    )
    title = models.CharField(_("title"), max_length=200)
    selection = models.CharField(_("questions"), max_length=10, choices=Selection.choices, default=Selection.FIXED)
    shuffle_questions = models.BooleanField(_("shuffle the questions for each attempt"), default=True)
    shuffle_choices = models.BooleanField(_("shuffle the choices for each attempt"), default=True)
    questions = models.ManyToManyField(Question, through="QuizItem", related_name="+", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")

    def __str__(self) -> str:
        return self.title


class QuizItem(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["quiz", "position"]
        constraints = [models.UniqueConstraint(fields=["quiz", "question"], name="quizitem_unique_question")]


class SamplingRule(models.Model):
    """Draw ``count`` questions of a topic (blank = any) and difficulty (empty = any) for each attempt."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="rules")
    topic = models.CharField(_("topic"), max_length=120, blank=True)
    difficulty = models.PositiveSmallIntegerField(
        _("difficulty"), choices=Question.Difficulty.choices, null=True, blank=True
    )
    count = models.PositiveSmallIntegerField(_("number of questions"))

    class Meta:
        ordering = ["quiz", "pk"]


class QuizRound(models.Model):
    """The settings of a self-paced quiz round (``contests.Round`` of kind quiz)."""

    class Counting(models.TextChoices):
        BEST = "best", _("The best attempt counts")
        LAST = "last", _("The last attempt counts")
        FIRST = "first", _("The first attempt counts")

    class Feedback(models.TextChoices):
        IMMEDIATE = "immediate", _("Right answers shown right after submitting")
        AFTER_CLOSE = "after_close", _("Right answers shown after the round closes")
        NEVER = "never", _("Right answers never shown")

    class TimeTiebreak(models.TextChoices):
        TIME_USED = "time_used", _("Less time used ranks higher")
        SUBMITTED_AT = "submitted_at", _("Earlier submission ranks higher")

    round = models.OneToOneField(Round, on_delete=models.CASCADE, related_name="quiz_settings")
    quiz = models.ForeignKey(Quiz, verbose_name=_("quiz"), on_delete=models.PROTECT, related_name="rounds")
    time_limit_s = models.PositiveIntegerField(_("time limit (seconds)"), default=900)
    attempts_allowed = models.PositiveSmallIntegerField(_("attempts allowed"), default=1)
    counting = models.CharField(
        _("which attempt counts"), max_length=6, choices=Counting.choices, default=Counting.BEST
    )
    feedback = models.CharField(_("feedback"), max_length=12, choices=Feedback.choices, default=Feedback.AFTER_CLOSE)
    prediction_prompt = models.CharField(
        _("prediction question"),
        max_length=300,
        blank=True,
        help_text=_("E.g. “How many participants will get full marks in this round?” Leave empty for none."),
    )
    time_tiebreak = models.CharField(
        _("time tie-break"), max_length=14, choices=TimeTiebreak.choices, default=TimeTiebreak.TIME_USED
    )
    grace_s = models.PositiveSmallIntegerField(
        _("grace after the deadline (seconds)"),
        default=5,
        help_text=_("Answers sent this many seconds after the deadline are still accepted (network delay)."),
    )

    class Meta:
        verbose_name = _("quiz round settings")
        constraints = [
            models.CheckConstraint(condition=Q(time_limit_s__gte=30), name="quizround_time_limit_min"),
            models.CheckConstraint(condition=Q(attempts_allowed__gte=1), name="quizround_attempts_min"),
        ]

    def __str__(self) -> str:
        return str(self.round)

    @property
    def has_prediction(self) -> bool:
        return bool(self.prediction_prompt)


class Accommodation(models.Model):
    """Extra time or attempts granted to one participant, with the reason (kept as a log: rows are never edited)."""

    quiz_round = models.ForeignKey(QuizRound, on_delete=models.CASCADE, related_name="accommodations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    extra_time_percent = models.PositiveSmallIntegerField(_("extra time (%)"), default=0)
    extra_attempts = models.PositiveSmallIntegerField(_("extra attempts"), default=0)
    reason = models.CharField(_("reason"), max_length=300)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField()

    class Meta:
        ordering = ["granted_at"]


class Attempt(models.Model):
    # Not a field: set by ``attempt_submit`` (the positions of posted answers refused), read by the submit view.
    answers_refused: list[int]

    class Status(models.TextChoices):
        ACTIVE = "active", _("In progress")
        SUBMITTED = "submitted", _("Submitted")

    class ClosedBy(models.TextChoices):
        PARTICIPANT = "participant", _("Submitted by the participant")
        DEADLINE = "deadline", _("Closed at the deadline")

    quiz_round = models.ForeignKey(QuizRound, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts")
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=12, choices=ClosedBy.choices, blank=True)
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    prediction = models.PositiveIntegerField(null=True, blank=True)
    seed = models.BigIntegerField()
    # Where and on what the attempt was started, for the organisers' attempt report (insights): kept with the
    # attempt like its answers; never shown to other participants.
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["quiz_round", "user", "number"]
        constraints = [
            models.UniqueConstraint(fields=["quiz_round", "user", "number"], name="attempt_unique_number"),
            # One active attempt at a time per participant and round, whatever the race.
            models.UniqueConstraint(
                fields=["quiz_round", "user"], condition=Q(status="active"), name="attempt_one_active"
            ),
        ]
        indexes = [models.Index(fields=["status", "deadline"], name="attempt_sweep_idx")]

    def __str__(self) -> str:
        return f"{self.user} · {self.quiz_round} · #{self.number}"

    @property
    def time_used(self) -> dt.timedelta | None:
        if self.submitted_at is None:
            return None
        return min(self.submitted_at, self.deadline) - self.started_at

    @property
    def is_full_marks(self) -> bool:
        return self.score is not None and self.score == self.max_score


class AttemptItem(models.Model):
    """One question of one attempt: its place, the order its choices were shown in, the answer and its points."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    choice_order = models.JSONField(default=list)
    response = models.JSONField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    points = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    # How many times the page had been hidden (visibilitychange) when this answer was saved, the highest
    # value sent: written by the autosave's one UPDATE, so the attempt's count is the MAX over its items.
    left_page = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "position"], name="attemptitem_unique_position"),
            models.UniqueConstraint(fields=["attempt", "question"], name="attemptitem_unique_question"),
        ]


class PracticeAnswer(models.Model):
    """One practice answer of a signed-in user: progress per topic over time is read from these rows."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    topic = models.CharField(max_length=120, blank=True)
    correct = models.BooleanField()
    answered_at = models.DateTimeField()

    class Meta:
        ordering = ["answered_at"]
        indexes = [models.Index(fields=["user", "topic", "answered_at"])]
