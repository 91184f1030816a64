"""Live sessions: a quiz hosted in real time (host on a projector, players on phones).

The tables were created by the ``quizzes`` app before the live game became an app of its own; each model
keeps its old table name (``Meta.db_table``) so the move changed the migration state, not the database.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contests.models import Round
from quizzes.models import Quiz


class LiveSession(models.Model):
    """A quiz hosted in real time. Its state is persisted at every step so that a restarted server lets
    the host resume and players rejoin with their scores."""

    class State(models.TextChoices):
        LOBBY = "lobby", _("Lobby")
        QUESTION = "question", _("Question")
        REVEAL = "reveal", _("Answer shown")
        LEADERBOARD = "leaderboard", _("Leaderboard")
        ENDED = "ended", _("Ended")

    class Scoring(models.TextChoices):
        SPEED = "speed", _("Faster right answers earn more (up to 1000)")
        FLAT = "flat", _("Every right answer earns the same")

    quiz = models.ForeignKey(Quiz, verbose_name=_("quiz"), on_delete=models.PROTECT, related_name="live_sessions")
    round = models.ForeignKey(
        Round,
        verbose_name=_("live round"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="live_sessions",
    )
    host = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="hosted_sessions")
    pin = models.CharField(max_length=8, db_index=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.LOBBY)
    allow_guests = models.BooleanField(_("guests may join without an account"), default=True)
    scoring = models.CharField(_("scoring"), max_length=6, choices=Scoring.choices, default=Scoring.SPEED)
    streak_bonus = models.BooleanField(_("streak bonus"), default=True)
    question_time_s = models.PositiveSmallIntegerField(
        _("seconds per question"), default=20, help_text=_("Used when a question has no time limit of its own.")
    )
    locked = models.BooleanField(default=False)
    question_ids = models.JSONField(default=list)  # the order of play, fixed when the session is created
    current_index = models.IntegerField(default=-1)
    question_started_at = models.DateTimeField(null=True, blank=True)
    question_deadline = models.DateTimeField(null=True, blank=True)
    paused_remaining_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # One session of a live round counts for its leaderboard: the first hosted, unless the organiser chooses
    # another (logged in LiveRoundChoice). A later session never overwrites the counting one's scores.
    counts = models.BooleanField(_("counts for the round"), default=False)
    skipped = models.JSONField(default=list)  # indices the host skipped: never scored (verify_results skips them)

    class Meta:
        db_table = "quizzes_livesession"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["pin"], condition=~Q(state="ended"), name="livesession_unique_live_pin"),
            models.UniqueConstraint(
                fields=["round"], condition=Q(counts=True), name="livesession_one_counting_per_round"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quiz} · {self.pin}"

    @property
    def is_paused(self) -> bool:
        return self.paused_remaining_ms is not None


class LiveRoundChoice(models.Model):
    """Each time a live round's counting session was set: which one, the one before, by whom and when."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="live_choices")
    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="+")
    previous = models.ForeignKey(LiveSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()

    class Meta:
        db_table = "quizzes_liveroundchoice"
        ordering = ["round", "at", "pk"]
        verbose_name = _("counting session of a live round")
        verbose_name_plural = _("counting sessions of live rounds")


class LivePlayer(models.Model):
    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="players")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    nickname = models.CharField(max_length=20)
    score = models.IntegerField(default=0)
    streak = models.PositiveSmallIntegerField(default=0)
    previous_rank = models.PositiveIntegerField(null=True, blank=True)
    kicked = models.BooleanField(default=False)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "quizzes_liveplayer"
        ordering = ["session", "-score", "joined_at"]
        constraints = [
            models.UniqueConstraint(fields=["session", "nickname"], name="liveplayer_unique_nickname"),
            models.UniqueConstraint(
                fields=["session", "user"], condition=Q(user__isnull=False), name="liveplayer_one_per_user"
            ),
        ]


class LiveAnswer(models.Model):
    """One answer of one player to one question: the unique constraint makes a second answer impossible."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="answers")
    player = models.ForeignKey(LivePlayer, on_delete=models.CASCADE, related_name="answers")
    question_index = models.PositiveSmallIntegerField()
    response = models.JSONField()
    elapsed_ms = models.PositiveIntegerField()
    correct = models.BooleanField()
    points = models.PositiveIntegerField()
    answered_at = models.DateTimeField()

    class Meta:
        db_table = "quizzes_liveanswer"
        constraints = [
            models.UniqueConstraint(fields=["player", "question_index"], name="liveanswer_one_per_question"),
        ]
        indexes = [models.Index(fields=["session", "question_index"])]
