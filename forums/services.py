"""Every write of the forums app. Views, consumers, commands and the demo call these; they never save rows.

Each service checks who may do it (the same rules as ``selectors``, so that a forged request changes
nothing), takes ``now`` for one clock, writes in one transaction, refreshes the contribution points of
whoever the change affects, and pings open pages after commit (``broadcast``).
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from contest_site import ratelimit
from contests.images import normalise_image
from contests.models import Event, Round
from leaderboard import ranking
from leaderboard.models import Score
from leaderboard.selectors import has_score
from leaderboard.services import ResultsFinal, board_configure, score_record

from . import broadcast, points, selectors
from .models import EmailOptOut, Post, Reaction, Report, Resource, Topic

IMAGE_SIZE = (1600, 1600)
BODY_MAX = 10_000
# Posting rate per person (organisers excepted): a burst of three in a minute, thirty in an hour. Counted
# from the posts themselves, so the limit holds across processes without a shared cache.
RATE_LIMITS = [(dt.timedelta(minutes=1), 3), (dt.timedelta(hours=1), 30)]
DOUBLE_SUBMIT = dt.timedelta(minutes=2)
# Reactions per person per minute: each one pings every open page of the thread, so a script toggling
# "helpful" must not turn readers' browsers into a fetch storm. Counted in the cache (rows are deleted
# when a reaction is taken back, so they cannot be counted).
REACTIONS_PER_MINUTE = 20


class ForumError(Exception):
    """A refusal the person should read (forum closed, topic locked, too fast, not allowed…)."""


class ForumLimited(ForumError, ratelimit.RateLimited):
    """Reacting too fast: the view answers 429."""


# --- Checks --------------------------------------------------------------------------------------


def _check_may_post(*, event: Event, user: Any, now: dt.datetime) -> bool:
    """Raise ForumError unless ``user`` may write in the forum now; return whether they moderate it."""
    moderator = selectors.is_moderator(user=user, event=event)
    problems = selectors.posting_problems(user=user, event=event, now=now, moderator=moderator)
    if problems:
        raise ForumError(" ".join(problems))
    return moderator


def _check_moderator(*, event: Event, user: Any) -> None:
    if not selectors.is_moderator(user=user, event=event):
        raise ForumError(_("Only the forum's organisers may do this."))


def _check_rate(*, user: Any, now: dt.datetime) -> None:
    for window, limit in RATE_LIMITS:
        if Post.objects.filter(author=user, created_at__gt=now - window).count() >= limit:
            raise ForumError(_("You are posting too fast. Wait a little, then send your message again."))


def _check_reaction_rate(*, user: Any, now: dt.datetime) -> None:
    if not ratelimit.hit(f"forum-reactions:{user.pk}", limit=REACTIONS_PER_MINUTE, period_s=60, now=now):
        raise ForumLimited(_("You are reacting too fast. Wait a minute, then try again."))


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")})
    if len(body) > BODY_MAX:
        raise ValidationError({"body": _("A message has at most %(max)d characters.") % {"max": BODY_MAX}})
    return body


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if len(title) < 3:
        raise ValidationError({"title": _("Give the topic a title of at least 3 characters.")})
    return title


def _apply_image(post: Post, image: Any) -> None:
    if image:
        cleaned = normalise_image(image, max_size=IMAGE_SIZE, name_stem=get_random_string(16))
        post.image.save(cast(str, cleaned.name), cleaned, save=False)


def _announce(post: Post, *, created: bool) -> None:
    """After commit: ping the thread's readers; for a reply, e-mail the topic's author (a background job)."""
    topic_id, post_id = post.topic_id, post.pk
    if created:
        transaction.on_commit(lambda: broadcast.post_created(topic_id=topic_id, post_id=post_id))
        if not post.is_opening and post.author_id != post.topic.author_id:
            from .tasks import reply_email_send

            transaction.on_commit(lambda: reply_email_send.enqueue(post_id))
    else:
        transaction.on_commit(lambda: broadcast.post_changed(topic_id=topic_id, post_id=post_id))


# --- Topics and posts ----------------------------------------------------------------------------


@transaction.atomic
def topic_create(
    *, event: Event, author: Any, title: str, body: str, image: Any = None, now: dt.datetime | None = None
) -> Topic:
    """Start a topic: the topic row and its opening post. Raises ForumError or ValidationError."""
    now = now or timezone.now()
    moderator = _check_may_post(event=event, user=author, now=now)
    if not moderator:
        _check_rate(user=author, now=now)
    topic = Topic(event=event, author=author, title=_clean_title(title), created_at=now, last_posted_at=now)
    topic.full_clean()
    topic.save()
    post = Post(topic=topic, author=author, body=_clean_body(body), is_opening=True, created_at=now)
    _apply_image(post, image)
    post.save()
    _after_write(event=event, user=author, moderator=moderator, now=now)
    _announce(post, created=True)
    return topic


@transaction.atomic
def post_create(
    *,
    topic: Topic,
    author: Any,
    body: str,
    quote: Post | None = None,
    image: Any = None,
    now: dt.datetime | None = None,
) -> Post:
    """Reply in a topic, optionally quoting one of its posts. Sending the same text again within two
    minutes returns the first post instead of a copy (a double click, a resent form)."""
    now = now or timezone.now()
    event = topic.event
    moderator = _check_may_post(event=event, user=author, now=now)
    locked = Topic.objects.select_for_update().filter(pk=topic.pk).values_list("locked", "hidden").first()
    if locked is None or locked[1]:
        raise ForumError(_("This topic is no longer available."))
    if locked[0] and not moderator:
        raise ForumError(_("This topic is locked: no new replies."))
    body = _clean_body(body)
    same = topic.posts.filter(author=author, body=body, created_at__gte=now - DOUBLE_SUBMIT).order_by("-pk").first()
    if same is not None:
        return same
    if not moderator:
        _check_rate(user=author, now=now)
    if quote is not None and (quote.topic_id != topic.pk or quote.hidden):
        quote = None
    post = Post(topic=topic, author=author, body=body, quote=quote, created_at=now)
    _apply_image(post, image)
    post.save()
    Topic.objects.filter(pk=topic.pk).update(last_posted_at=now)
    _after_write(event=event, user=author, moderator=moderator, now=now)
    _announce(post, created=True)
    return post


@transaction.atomic
def post_edit(*, post: Post, by: Any, body: str, title: str | None = None, now: dt.datetime | None = None) -> Post:
    """Change one's own post within the edit window (``Post.editable_by``); the opening post may also
    change the topic's title."""
    now = now or timezone.now()
    topic = post.topic
    moderator = _check_may_post(event=topic.event, user=by, now=now)
    if not post.editable_by(by, moderator=moderator, now=now):
        raise ForumError(_("This message can no longer be edited."))
    post.body = _clean_body(body)
    post.edited_at = now
    post.save(update_fields=["body", "edited_at"])
    if post.is_opening and title is not None:
        topic.title = _clean_title(title)
        topic.full_clean()
        topic.save(update_fields=["title"])
    _announce(post, created=False)
    return post


# --- Reactions and reports -----------------------------------------------------------------------


@transaction.atomic
def reaction_set(*, post: Post, user: Any, kind: str, now: dt.datetime | None = None) -> Reaction | None:
    """Give ``kind`` ("helpful" or "thanks") to a post; giving the same again takes it back, the other kind
    replaces it (one reaction per person and post, a database constraint). Returns the reaction or None."""
    now = now or timezone.now()
    if kind not in Reaction.Kind.values:
        raise ForumError(_("Unknown reaction."))
    topic = post.topic
    _check_may_post(event=topic.event, user=user, now=now)
    if post.author_id == user.pk:
        raise ForumError(_("You cannot react to your own message."))
    if post.hidden or topic.hidden:
        raise ForumError(_("This message is hidden."))
    _check_reaction_rate(user=user, now=now)
    current = Reaction.objects.select_for_update().filter(post=post, user=user).first()
    if current is not None and current.kind == kind:
        current.delete()
        reaction = None
    elif current is not None:
        current.kind, current.created_at = kind, now
        current.save(update_fields=["kind", "created_at"])
        reaction = current
    else:
        try:
            with transaction.atomic():
                reaction = Reaction.objects.create(post=post, user=user, kind=kind, created_at=now)
        except IntegrityError:  # the same person reacted in another tab at the same moment: theirs stands
            reaction = Reaction.objects.get(post=post, user=user)
    points_refresh(event=topic.event, user=post.author, now=now)
    _announce(post, created=False)
    return reaction


@transaction.atomic
def report_create(*, post: Post, reporter: Any, reason: str, note: str = "", now: dt.datetime | None = None) -> Report:
    """Report a post to the organisers. Reporting the same post again changes nothing."""
    now = now or timezone.now()
    if not reporter.is_authenticated:
        raise ForumError(_("Sign in to report a message."))
    if post.author_id == reporter.pk:
        raise ForumError(_("You cannot report your own message."))
    existing = Report.objects.filter(post=post, reporter=reporter).first()
    if existing is not None:
        return existing
    report = Report(post=post, reporter=reporter, reason=reason, note=(note or "").strip(), created_at=now)
    report.full_clean()
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        return Report.objects.get(post=post, reporter=reporter)
    return report


@transaction.atomic
def report_resolve(*, post: Post, by: Any, hide: bool, now: dt.datetime | None = None) -> int:
    """Decide every open report of a post: hide it, or dismiss the reports. Returns how many were decided."""
    now = now or timezone.now()
    _check_moderator(event=post.topic.event, user=by)
    if hide and not post.hidden:
        post_hide(post=post, by=by, hidden=True, now=now)
    outcome = Report.Outcome.HIDDEN if hide else Report.Outcome.DISMISSED
    return Report.objects.filter(post=post, outcome=Report.Outcome.OPEN).update(
        outcome=outcome, resolved_at=now, resolved_by=by
    )


# --- Moderation ----------------------------------------------------------------------------------


def topic_pin(*, topic: Topic, by: Any, pinned: bool) -> Topic:
    _check_moderator(event=topic.event, user=by)
    topic.pinned = pinned
    topic.save(update_fields=["pinned"])
    return topic


def topic_lock(*, topic: Topic, by: Any, locked: bool) -> Topic:
    _check_moderator(event=topic.event, user=by)
    topic.locked = locked
    topic.save(update_fields=["locked"])
    return topic


@transaction.atomic
def topic_hide(*, topic: Topic, by: Any, hidden: bool, now: dt.datetime | None = None) -> Topic:
    """Hide a whole topic (or show it again). Its posts stop (or start again) earning points."""
    now = now or timezone.now()
    _check_moderator(event=topic.event, user=by)
    topic.hidden = hidden
    topic.save(update_fields=["hidden"])
    for author in {post.author for post in topic.posts.select_related("author")}:
        points_refresh(event=topic.event, user=author, now=now)
    return topic


@transaction.atomic
def post_hide(*, post: Post, by: Any, hidden: bool, now: dt.datetime | None = None) -> Post:
    """Hide a post from everyone but the organisers (or show it again). It keeps its place in the thread
    as a placeholder, and stops earning points (with the reactions it received)."""
    now = now or timezone.now()
    _check_moderator(event=post.topic.event, user=by)
    post.hidden = hidden
    post.hidden_at, post.hidden_by = (now, by) if hidden else (None, None)
    post.save(update_fields=["hidden", "hidden_at", "hidden_by"])
    points_refresh(event=post.topic.event, user=post.author, now=now)
    _announce(post, created=False)
    return post


@transaction.atomic
def post_mark_best(*, post: Post, by: Any, best: bool, now: dt.datetime | None = None) -> Topic:
    """Mark a reply as the topic's best answer (replacing any other), or take the mark back."""
    now = now or timezone.now()
    topic = Topic.objects.select_for_update().get(pk=post.topic_id)
    _check_moderator(event=topic.event, user=by)
    if best and (post.is_opening or post.hidden):
        raise ForumError(_("Only a visible reply can be the best answer."))
    previous = topic.best_answer
    if best:
        topic.best_answer, topic.best_marked_at = post, now
    elif topic.best_answer_id == post.pk:
        topic.best_answer, topic.best_marked_at = None, None
    topic.save(update_fields=["best_answer", "best_marked_at"])
    for changed in {p for p in (previous, post) if p is not None}:
        points_refresh(event=topic.event, user=changed.author, now=now)
        _announce(changed, created=False)
    post.topic.best_answer_id = topic.best_answer_id
    return topic


def resource_add(
    *, event: Event, by: Any, title: str, url: str, note: str = "", now: dt.datetime | None = None
) -> Resource:
    _check_moderator(event=event, user=by)
    resource = Resource(event=event, title=title, url=url, note=note, added_by=by, created_at=now or timezone.now())
    resource.full_clean()
    resource.save()
    return resource


def resource_delete(*, resource: Resource, by: Any) -> None:
    _check_moderator(event=resource.event, user=by)
    resource.delete()


# --- Contribution points -------------------------------------------------------------------------


@transaction.atomic
def points_round(*, event: Event) -> Round:
    """The round that holds the forum's contribution points: the event's first round of kind "forum",
    created at the end of its rounds (spanning the event's window) when there is none yet.

    Caller: any write of the forum. Its board ranks by points, then by who reached them first. Its kind
    is not (yet) one of ``Round.Kind``'s choices, so the choices check is left out of ``full_clean``;
    every other rule of ``contests.services.round_create`` holds (the event is locked while the position
    is taken; the window lies inside the event's).
    """
    existing = selectors.points_round_of(event=event)
    if existing is not None:
        return existing
    Event.objects.select_for_update().filter(pk=event.pk).first()
    existing = selectors.points_round_of(event=event)
    if existing is not None:
        return existing
    last = event.rounds.aggregate(last=Max("position"))["last"] or 0
    with translation.override(settings.LANGUAGE_CODE):
        title, description = _("Forum contributions"), _("Points for helpful contributions to the forum.")
    rnd = Round(
        event=event,
        position=last + 1,
        title=title,
        description=description,
        kind=selectors.POINTS_ROUND_KIND,
        opens_at=event.opens_at,
        closes_at=event.closes_at,
    )
    rnd.full_clean()
    rnd.save()
    # Equal points: whoever reached them first ranks higher (``submitted_at`` is that moment).
    board_configure(rnd=rnd, chain=[ranking.POINTS, ranking.SUBMITTED_AT, ranking.REGISTERED_AT])
    return rnd


def _after_write(*, event: Event, user: Any, moderator: bool, now: dt.datetime) -> None:
    points_round(event=event)
    if not moderator:
        points_refresh(event=event, user=user, now=now)


def points_refresh(*, event: Event, user: Any, now: dt.datetime | None = None) -> Score | None:
    """Recompute ``user``'s contribution points in the forum from the rows and record them on the forum's
    board (``leaderboard.services.score_record``, the only door to a board).

    Recomputing from scratch (not adding deltas) makes every change safe to repeat and keeps hidden posts,
    withdrawn reactions and moved best answers right without bookkeeping. Organisers of the forum are not
    ranked: they moderate and mark best answers, so they do not compete.
    """
    now = now or timezone.now()
    if selectors.is_moderator(user=user, event=event):
        return None
    tally = points.tally(selectors.contributions_of(event=event, user=user))
    rnd = points_round(event=event)
    if tally.points == 0 and not has_score(rnd=rnd, user=user):
        return None
    try:
        return score_record(
            rnd=rnd,
            user=user,
            points=Decimal(tally.points),
            max_points=Decimal(points.CEILING),
            submitted_at=tally.last_counted_at or now,
        )
    except ResultsFinal:  # moderation after publication keeps the published points (a correction changes them)
        logging.getLogger(__name__).info("results final: forum points of user %s kept", user.pk)
        return None


def points_refresh_all(*, event: Event, now: dt.datetime | None = None) -> int:
    """Refresh everyone who wrote, was reacted to, or played a live round of the forum (after a live
    session, or from ``manage.py forum_points``). Returns how many people were refreshed."""
    now = now or timezone.now()
    count = 0
    for user in selectors.points_candidates(event=event):
        points_refresh(event=event, user=user, now=now)
        count += 1
    return count


# --- E-mail ---------------------------------------------------------------------------------------


def email_opt_out(*, user: Any, topic: Topic | None = None, now: dt.datetime | None = None) -> EmailOptOut:
    """Stop reply e-mails about ``topic`` (or about every topic when it is None). Repeating is harmless."""
    opt_out, _created = EmailOptOut.objects.get_or_create(
        user=user, topic=topic, defaults={"created_at": now or timezone.now()}
    )
    return opt_out
