"""Reads of the forums app. ``access_*`` helpers fetch an object *and* check permission; their error is the
same 404 for "does not exist" and "not yours to see", so that ids reveal nothing.

Who may do what:
- read: anyone who may see the event's page (drafts: its organisers; invite-only: with the code), and the
  event is a forum. Hidden topics exist only for moderators; hidden posts show a placeholder to others.
- write (topics, replies, reactions): organisers of the event's organisation, and signed-in participants
  whose profile makes them eligible for the event, while the forum is open (``posting_problems``).
- moderate (pin, lock, hide, best answer, reports, resources): organisers of the event's organisation
  and site admins.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from contests.models import Event, Round
from contests.participation import event_participation_problems
from contests.selectors import access_event_for_visitor, organisations_organised_by
from leaderboard.ranking import competition_ranks
from leaderboard.selectors import any_score_in, closed_board_rounds, scored_user_ids, scores_in_event, scores_of_round

from . import points
from .models import Post, Reaction, Report, Topic

if TYPE_CHECKING:
    from collections.abc import Iterable

POINTS_ROUND_KIND = "forum"  # the kind of the round that holds a forum's contribution points (docs/forums.md)
POSTS_PER_PAGE = 30
TOPICS_PER_PAGE = 25


# --- Roles and rules ---------------------------------------------------------------------------


def is_moderator(*, user: Any, event: Event) -> bool:
    """Organisers of the event's organisation (and site admins) moderate its forum."""
    if not user.is_authenticated:
        return False
    return organisations_organised_by(user).filter(pk=event.organisation_id).exists()


def forum_is_open(*, event: Event, now: dt.datetime, moderator: bool) -> bool:
    """Open for writing: an opened event that has not ended. Organisers may also write while it is a draft,
    to prepare welcome topics. Discussion may start before the event's first talk (``opens_at``)."""
    if now >= event.closes_at:
        return False
    allowed = {Event.State.OPEN, Event.State.DRAFT} if moderator else {Event.State.OPEN}
    return event.state in allowed


def posting_problems(*, user: Any, event: Event, now: dt.datetime, moderator: bool | None = None) -> list[str]:
    """Why ``user`` may not write in the forum now (empty list = they may)."""
    if not user.is_authenticated:
        return [_("Sign in to take part in the discussion.")]
    if moderator is None:
        moderator = is_moderator(user=user, event=event)
    if not forum_is_open(event=event, now=now, moderator=moderator):
        return [_("This forum is closed for new messages.")]
    if moderator:
        return []
    return event_participation_problems(event=event, user=user, now=now, insiders_welcome=True)


# --- Access ------------------------------------------------------------------------------------


def _readable_forum(*, user: Any, event: Event, invite_codes: set[str]) -> Event:
    if event.kind != Event.Kind.FORUM:
        raise Http404
    event, unlocked = access_event_for_visitor(user=user, slug=event.slug, invite_codes=invite_codes)
    if not unlocked:
        raise Http404
    return event


def access_forum_for_reader(*, user: Any, slug: str, invite_codes: set[str]) -> Event:
    event = Event.objects.filter(slug=slug, kind=Event.Kind.FORUM).first()
    if event is None:
        raise Http404
    return _readable_forum(user=user, event=event, invite_codes=invite_codes)


def access_forum_for_moderator(*, user: Any, slug: str) -> Event:
    event = (
        Event.objects.select_related("organisation")
        .filter(slug=slug, kind=Event.Kind.FORUM, organisation__in=organisations_organised_by(user))
        .first()
    )
    if event is None:
        raise Http404
    return event


def access_topic_for_reader(*, user: Any, topic_id: int, invite_codes: set[str]) -> Topic:
    topic = Topic.objects.select_related("event__organisation", "author__profile").filter(pk=topic_id).first()
    if topic is None:
        raise Http404
    topic.event = _readable_forum(user=user, event=topic.event, invite_codes=invite_codes)
    if topic.hidden and not is_moderator(user=user, event=topic.event):
        raise Http404
    return topic


def access_topic_for_moderator(*, user: Any, topic_id: int) -> Topic:
    topic = (
        Topic.objects.select_related("event__organisation")
        .filter(pk=topic_id, event__kind=Event.Kind.FORUM, event__organisation__in=organisations_organised_by(user))
        .first()
    )
    if topic is None:
        raise Http404
    return topic


def access_post_for_reader(*, user: Any, post_id: int, invite_codes: set[str]) -> Post:
    """A post of a topic the user may read. Hidden posts are returned too: callers show a placeholder to
    non-moderators (``posts_shown``) and never serve their image (``image_visible``)."""
    post = Post.objects.filter(pk=post_id).only("pk", "topic_id").first()
    if post is None:
        raise Http404
    topic = access_topic_for_reader(user=user, topic_id=post.topic_id, invite_codes=invite_codes)
    post = Post.objects.select_related("author__profile").get(pk=post_id)
    post.topic = topic
    return post


def access_post_for_moderator(*, user: Any, post_id: int) -> Post:
    post = (
        Post.objects.select_related("topic__event__organisation", "author")
        .filter(
            pk=post_id,
            topic__event__kind=Event.Kind.FORUM,
            topic__event__organisation__in=organisations_organised_by(user),
        )
        .first()
    )
    if post is None:
        raise Http404
    return post


def image_visible(*, post: Post, moderator: bool) -> bool:
    return bool(post.image) and (moderator or not post.hidden)


# --- Lists -------------------------------------------------------------------------------------


def topics_listed(*, event: Event, moderator: bool) -> QuerySet[Topic]:
    """The forum's topics, pinned first then by latest activity, with their visible reply count and whether
    they are ``answered``: a best answer that a moderator has since hidden no longer answers the topic for
    anyone (readers cannot see it, and the contribution board no longer counts it)."""
    topics = Topic.objects.filter(event=event)
    if not moderator:
        topics = topics.filter(hidden=False)
    return (
        topics.select_related("author__profile")
        .annotate(
            replies=Count("posts", filter=Q(posts__is_opening=False, posts__hidden=False)),
            answered=Q(best_answer__isnull=False, best_answer__hidden=False),
        )
        .order_by("-pinned", "-last_posted_at", "-pk")
    )


def posts_shown(*, topic: Topic, after: int | None = None, ids: Iterable[int] | None = None) -> QuerySet[Post]:
    """A thread's posts in writing order with their reaction counts (``decorate`` adds the per-reader
    parts once a page is evaluated)."""
    rows = (
        topic.posts.select_related("author__profile", "quote__author__profile")
        .annotate(
            helpful=Count("reactions", filter=Q(reactions__kind=Reaction.Kind.HELPFUL)),
            thanks=Count("reactions", filter=Q(reactions__kind=Reaction.Kind.THANKS)),
        )
        .order_by("pk")
    )
    if after is not None:
        rows = rows.filter(pk__gt=after)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows


def decorate(*, posts: list[Post], topic: Topic, user: Any, moderator: bool, now: dt.datetime) -> list[Post]:
    """Add what the page needs to each post of an evaluated page: its number in the thread, the reader's
    own reaction, whether it is veiled to them (hidden: a placeholder), the best answer, whether they may
    edit it. Two queries whatever the page's length."""
    if not posts:
        return posts
    before = topic.posts.filter(pk__lt=posts[0].pk).count()
    mine: dict[int, str] = {}
    if user.is_authenticated:
        mine = dict(Reaction.objects.filter(post__in=[p.pk for p in posts], user=user).values_list("post_id", "kind"))
    for index, post in enumerate(posts, start=before + 1):
        post.topic = topic
        post.number = index
        post.my_reaction = mine.get(post.pk, "")
        post.veiled = post.hidden and not moderator
        post.is_best = topic.best_answer_id == post.pk
        post.can_edit = post.editable_by(user, moderator=moderator, now=now)
        post.own = user.is_authenticated and post.author_id == user.pk
    return posts


def reports_open(*, event: Event) -> QuerySet[Report]:
    return (
        Report.objects.filter(post__topic__event=event, outcome=Report.Outcome.OPEN)
        .select_related("post__author__profile", "post__topic", "reporter__profile")
        .order_by("post_id", "created_at")
    )


def posts_hidden(*, event: Event) -> QuerySet[Post]:
    return (
        Post.objects.filter(topic__event=event, hidden=True)
        .select_related("author__profile", "topic")
        .order_by("-hidden_at")
    )


# --- Contribution board ------------------------------------------------------------------------


def points_round_of(*, event: Event) -> Round | None:
    """The round that holds the forum's contribution points: its first round of kind "forum"."""
    return event.rounds.filter(kind=POINTS_ROUND_KIND).order_by("position").first()


def forum_board(*, event: Event, limit: int = 50, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The best contributors: points, then who reached them first. Three small queries.

    Contribution points include the forum's live rounds (``contributions_of``), so the public board stays
    empty while the points round or a live round with scores has a closed board
    (``leaderboard.selectors.closed_board_rounds``): a total cannot leave out a part already added in.
    """
    rnd = points_round_of(event=event)
    if rnd is None:
        return []
    closed = closed_board_rounds(now=now or timezone.now(), event=event)
    if rnd.pk in closed or any_score_in(rounds=closed, kind=Round.Kind.LIVE):
        return []
    scores = list(
        scores_of_round(rnd=rnd, positive_only=True)
        .select_related("user__profile")
        .order_by("-points", "submitted_at", "user_id")[:limit]
    )
    ranks = competition_ranks([(s.points, s.submitted_at) for s in scores])
    return [{"rank": rank, "score": score} for rank, score in zip(ranks, scores, strict=True)]


def contributions_of(*, event: Event, user: Any) -> list[points.Contribution]:
    """Everything ``user`` did or received in the forum that may earn points (``points.py`` caps it).

    Left out here, as the rules say: hidden posts, posts of hidden topics, reactions to those, reactions
    one gave oneself (refused anyway). Four small queries.
    """
    local = timezone.localdate
    visible = Post.objects.filter(topic__event=event, author=user, hidden=False, topic__hidden=False)
    found = [
        points.Contribution(kind=points.TOPIC if opening else points.REPLY, at=at, day=local(at))
        for opening, at in visible.values_list("is_opening", "created_at")
    ]
    reactions = Reaction.objects.filter(post__in=visible).exclude(user=user)
    found += [
        points.Contribution(kind=kind, at=at, day=local(at), post=post_id, giver=giver)
        for kind, at, post_id, giver in reactions.values_list("kind", "created_at", "post_id", "user_id")
    ]
    best = Topic.objects.filter(event=event, hidden=False, best_answer__in=visible, best_marked_at__isnull=False)
    found += [
        points.Contribution(kind=points.BEST_ANSWER, at=at, day=local(at))
        for at in cast("list[dt.datetime]", best.values_list("best_marked_at", flat=True))
    ]
    live = scores_in_event(event=event, kind=Round.Kind.LIVE, user=user, scored_out_of_something=True)
    found += [
        points.Contribution(kind=points.LIVE, at=at, day=local(at), share=score / maximum)
        for score, maximum, at in live.values_list("points", "max_points", "submitted_at")
    ]
    return found


def contribution_breakdown(*, event: Event, user: Any) -> points.Tally:
    """The reader's own points by rule, recomputed from the rows (what the board shows, explained)."""
    return points.tally(contributions_of(event=event, user=user))


def post_location(*, post: Post) -> str:
    """The URL of a post on the page of its thread where it stands."""
    before = Post.objects.filter(topic_id=post.topic_id, pk__lt=post.pk).count()
    page = before // POSTS_PER_PAGE + 1
    url = reverse("forum_topic", kwargs={"topic_id": post.topic_id})
    return f"{url}?page={page}#post-{post.pk}" if page > 1 else f"{url}#post-{post.pk}"


def points_candidates(*, event: Event) -> QuerySet[Any]:
    """Everyone who may have contribution points in the forum: who wrote in it or played its live rounds."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(
            Q(forum_posts__topic__event=event) | Q(round_scores__round__event=event, round_scores__round__kind="live")
        )
        .distinct()
    )


def points_recompute(rnd: Round) -> dict[int, Decimal]:
    """``{user id: points}`` of a forum's points round, recomputed from the posts, reactions, best answers
    and live scores (``manage.py verify_results``, through ``leaderboard.recompute``). Everyone who could
    have points is included when they have some or already have a row, as ``services.points_refresh``
    records them."""
    event = rnd.event
    recorded = scored_user_ids(rnd=rnd)
    found = {}
    for user in points_candidates(event=event):
        if is_moderator(user=user, event=event):
            continue
        total = contribution_breakdown(event=event, user=user).points
        if total or user.pk in recorded:
            found[user.pk] = Decimal(total)
    return found
