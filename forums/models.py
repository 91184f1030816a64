"""Discussion of forum events: topics (threads) made of posts, reactions, reports, learning resources.

Invariants that must hold whatever code writes the rows are database constraints: one opening post per
topic, one reaction per person and post, one report per person and post, one e-mail opt-out per person
and topic. Who may do what, and the points a contribution earns, live in ``selectors.py``,
``services.py`` and ``points.py``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from contests.models import Event

EDIT_WINDOW = dt.timedelta(minutes=15)  # long enough to fix a typo, short enough that replies stay meaningful


class Topic(models.Model):
    """A thread of a forum event. Its first post (``is_opening``) carries the question or the idea."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="forum_topics")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_topics")
    title = models.CharField(_("title"), max_length=200)
    created_at = models.DateTimeField()
    last_posted_at = models.DateTimeField()
    pinned = models.BooleanField(_("pinned"), default=False)
    locked = models.BooleanField(_("locked"), default=False)
    hidden = models.BooleanField(_("hidden"), default=False)
    best_answer = models.ForeignKey(
        "Post", verbose_name=_("best answer"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    best_marked_at = models.DateTimeField(null=True, blank=True)
    # When the author was last e-mailed about replies: at most one e-mail per topic per quiet period.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pinned", "-last_posted_at", "-pk"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        indexes = [models.Index(fields=["event", "hidden", "-pinned", "-last_posted_at"], name="topic_list_idx")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("forum_topic", kwargs={"topic_id": self.pk})


class Post(models.Model):
    """One message of a topic: Markdown source (rendered and sanitised when shown), an optional image."""

    # Not fields: set on a page's posts by ``selectors.decorate`` for the thread template.
    number: int
    my_reaction: str
    veiled: bool
    is_best: bool
    can_edit: bool
    own: bool

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_posts")
    body = models.TextField(_("message"), help_text=_("Markdown."))
    image = models.ImageField(_("image"), upload_to="forum/", blank=True)
    quote = models.ForeignKey(
        "self", verbose_name=_("quoted post"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_opening = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    hidden = models.BooleanField(_("hidden"), default=False)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["topic", "created_at", "pk"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        constraints = [
            models.UniqueConstraint(fields=["topic"], condition=Q(is_opening=True), name="post_one_opening_per_topic"),
        ]
        indexes = [
            models.Index(fields=["topic", "created_at"], name="post_thread_idx"),
            models.Index(fields=["author", "created_at"], name="post_rate_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} · #{self.pk}"

    def get_absolute_url(self) -> str:
        return f"{self.topic.get_absolute_url()}#post-{self.pk}"

    def editable_by(self, user, *, moderator: bool, now: dt.datetime) -> bool:
        """Authors edit their own post for ``EDIT_WINDOW`` after writing it (organisers: their own, any time),
        while it is visible and its topic neither locked nor hidden. Nobody edits someone else's words:
        organisers hide a post instead, which leaves a trace."""
        if not user.is_authenticated or user.pk != self.author_id or self.hidden:
            return False
        if self.topic.hidden or (self.topic.locked and not moderator):
            return False
        return moderator or now < self.created_at + EDIT_WINDOW


class Reaction(models.Model):
    """ "Helpful" or "thanks" from one reader on one post: one reaction per person and post, whichever kind."""

    class Kind(models.TextChoices):
        HELPFUL = "helpful", _("Helpful")
        THANKS = "thanks", _("Thanks")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_reactions")
    kind = models.CharField(_("reaction"), max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("reaction")
        verbose_name_plural = _("reactions")
        constraints = [
            models.UniqueConstraint(fields=["post", "user"], name="reaction_one_per_user_per_post"),
        ]


class Report(models.Model):
    """A reader's report of an abusive post, waiting in the moderation queue until an organiser decides."""

    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam or advertising")
        ABUSE = "abuse", _("Insults, harassment or hate")
        PERSONAL_DATA = "personal_data", _("Someone's personal data")
        FALSE = "false", _("False or misleading information")
        OTHER = "other", _("Something else")

    class Outcome(models.TextChoices):
        OPEN = "", _("Waiting")
        HIDDEN = "hidden", _("Post hidden")
        DISMISSED = "dismissed", _("Dismissed")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_reports")
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.CharField(_("details"), max_length=500, blank=True)
    created_at = models.DateTimeField()
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.OPEN, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(fields=["post", "reporter"], name="report_one_per_user_per_post"),
        ]
        indexes = [models.Index(fields=["outcome", "created_at"], name="report_queue_idx")]


class Resource(models.Model):
    """A learning resource the organisers link from the forum (open courseware, a library's e-books…)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="forum_resources")
    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("link"), max_length=500)
    note = models.CharField(_("note"), max_length=300, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("learning resource")
        verbose_name_plural = _("learning resources")

    def __str__(self) -> str:
        return self.title


class EmailOptOut(models.Model):
    """A person who asked for no more reply e-mails: about one topic, or (topic empty) about any topic."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_opt_outs")
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "topic"], name="emailoptout_one_per_topic"),
            models.UniqueConstraint(
                fields=["user"], condition=Q(topic__isnull=True), name="emailoptout_one_for_all_topics"
            ),
        ]
