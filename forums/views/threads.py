"""Pages of a forum for its readers and writers: topics, a thread, writing, reactions, reports, and the
small fragments that open pages re-fetch when the thread's WebSocket pings them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from contest_site import ratelimit
from contest_site.serving import media_response
from contests.invites import SESSION_KEY as INVITE_SESSION_KEY
from contests.invites import require_round
from contests.models import Round

from .. import playgrounds, selectors, services
from ..forms import EditForm, ReplyForm, ReportForm, TopicForm, quoted
from ..models import Post, Topic


def invite_codes(request) -> set[str]:
    return set(request.session.get(INVITE_SESSION_KEY, []))


def show_errors(request, exc: Exception, form=None) -> None:
    """A service's refusal next to the form's fields, or as a message."""
    if isinstance(exc, ValidationError) and form is not None and hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return
    for message in exc.messages if isinstance(exc, ValidationError) else [str(exc)]:
        messages.error(request, message)


def _abilities(request, event, now) -> dict:
    """What the reader may do in this forum, computed once per request."""
    moderator = selectors.is_moderator(user=request.user, event=event)
    problems = selectors.posting_problems(user=request.user, event=event, now=now, moderator=moderator)
    return {"moderator": moderator, "posting_problems": problems, "can_post": not problems}


def forum_topics(request, slug: str):
    now = timezone.now()
    event = selectors.access_forum_for_reader(user=request.user, slug=slug, invite_codes=invite_codes(request))
    abilities = _abilities(request, event, now)
    page = Paginator(
        selectors.topics_listed(event=event, moderator=abilities["moderator"]), selectors.TOPICS_PER_PAGE
    ).get_page(request.GET.get("page"))
    context = {
        "event": event,
        "page": page,
        "now": now,
        "resources": event.forum_resources.all(),
        "live": playgrounds.live_of(event=event),
        "open_reports": selectors.reports_open(event=event).count() if abilities["moderator"] else 0,
        **abilities,
    }
    return render(request, "forums/topics.html", context)


@login_required
def topic_create(request, slug: str):
    now = timezone.now()
    event = selectors.access_forum_for_reader(user=request.user, slug=slug, invite_codes=invite_codes(request))
    abilities = _abilities(request, event, now)
    form = TopicForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            topic = services.topic_create(
                event=event,
                author=request.user,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                image=form.cleaned_data["image"],
                now=now,
            )
        except (services.ForumError, ValidationError) as exc:
            show_errors(request, exc, form)
        else:
            return redirect(topic)
    return render(request, "forums/topic_form.html", {"event": event, "form": form, **abilities})


def _thread_context(request, topic: Topic, now, *, form=None) -> dict:
    abilities = _abilities(request, topic.event, now)
    paginator = Paginator(selectors.posts_shown(topic=topic), selectors.POSTS_PER_PAGE)
    wanted = request.GET.get("page")
    page = paginator.get_page(paginator.num_pages if wanted == "last" else wanted)
    posts = selectors.decorate(
        posts=list(page.object_list), topic=topic, user=request.user, moderator=abilities["moderator"], now=now
    )
    can_reply = abilities["can_post"] and not topic.hidden and (not topic.locked or abilities["moderator"])
    return {
        "event": topic.event,
        "topic": topic,
        "page": page,
        "posts": posts,
        "form": form or ReplyForm(),
        "can_reply": can_reply,
        "now": now,
        **abilities,
    }


def topic_detail(request, topic_id: int):
    now = timezone.now()
    topic = selectors.access_topic_for_reader(user=request.user, topic_id=topic_id, invite_codes=invite_codes(request))
    return render(request, "forums/topic.html", _thread_context(request, topic, now))


@login_required
def post_reply(request, topic_id: int):
    """GET: a reply page (with a quoted post when ``?quote=`` names one). POST: send the reply."""
    now = timezone.now()
    topic = selectors.access_topic_for_reader(user=request.user, topic_id=topic_id, invite_codes=invite_codes(request))
    quote = _quotable(topic, request.POST.get("quote") or request.GET.get("quote"))
    if request.method != "POST":
        initial = {"quote": quote.pk, "body": quoted(quote.body)} if quote else {}
        context = {**_thread_context(request, topic, now, form=ReplyForm(initial=initial)), "quote": quote}
        return render(request, "forums/reply_form.html", context)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            post = services.post_create(
                topic=topic,
                author=request.user,
                body=form.cleaned_data["body"],
                quote=quote,
                image=form.cleaned_data["image"],
                now=now,
            )
        except (services.ForumError, ValidationError) as exc:
            show_errors(request, exc, form)
        else:
            return redirect(selectors.post_location(post=post))
    context = {**_thread_context(request, topic, now, form=form), "quote": quote}
    return render(request, "forums/reply_form.html", context, status=400)


def _quotable(topic: Topic, raw) -> Post | None:
    if not raw or not str(raw).isdigit():
        return None
    return topic.posts.select_related("author__profile").filter(pk=int(raw), hidden=False).first()


@login_required
def post_edit(request, post_id: int):
    now = timezone.now()
    post = selectors.access_post_for_reader(user=request.user, post_id=post_id, invite_codes=invite_codes(request))
    abilities = _abilities(request, post.topic.event, now)
    if not abilities["can_post"] or not post.editable_by(request.user, moderator=abilities["moderator"], now=now):
        messages.error(request, _("This message can no longer be edited."))
        return redirect(selectors.post_location(post=post))
    initial = {"body": post.body, "title": post.topic.title}
    form = EditForm(request.POST or None, initial=initial, opening=post.is_opening)
    if request.method == "POST" and form.is_valid():
        try:
            services.post_edit(
                post=post,
                by=request.user,
                body=form.cleaned_data["body"],
                title=form.cleaned_data.get("title"),
                now=now,
            )
        except (services.ForumError, ValidationError) as exc:
            show_errors(request, exc, form)
        else:
            return redirect(selectors.post_location(post=post))
    return render(
        request, "forums/post_edit.html", {"post": post, "topic": post.topic, "event": post.topic.event, "form": form}
    )


@require_POST
@login_required
def post_react(request, post_id: int):
    post = selectors.access_post_for_reader(user=request.user, post_id=post_id, invite_codes=invite_codes(request))
    try:
        services.reaction_set(post=post, user=request.user, kind=request.POST.get("kind", ""))
    except services.ForumLimited as exc:
        return ratelimit.too_many(request, str(exc), back_url=selectors.post_location(post=post))
    except services.ForumError as exc:
        messages.error(request, str(exc))
    return redirect(selectors.post_location(post=post))


@login_required
def post_report(request, post_id: int):
    post = selectors.access_post_for_reader(user=request.user, post_id=post_id, invite_codes=invite_codes(request))
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_create(post=post, reporter=request.user, **form.cleaned_data)
        except (services.ForumError, ValidationError) as exc:
            show_errors(request, exc, form)
        else:
            messages.success(request, _("Thank you. The organisers will look at this message."))
            return redirect(selectors.post_location(post=post))
    return render(
        request, "forums/report_form.html", {"post": post, "topic": post.topic, "event": post.topic.event, "form": form}
    )


# --- Fragments for live pages and files ------------------------------------------------------------


def _fragment(request, topic: Topic, posts_query) -> dict:
    now = timezone.now()
    abilities = _abilities(request, topic.event, now)
    posts = selectors.decorate(
        posts=list(posts_query[: selectors.POSTS_PER_PAGE]),
        topic=topic,
        user=request.user,
        moderator=abilities["moderator"],
        now=now,
    )
    can_reply = abilities["can_post"] and (not topic.locked or abilities["moderator"])
    return {"topic": topic, "posts": posts, "can_reply": can_reply, **abilities}


@require_GET
def post_fragment(request, post_id: int):
    """One post as the thread shows it to this reader (a placeholder if it was hidden)."""
    post = selectors.access_post_for_reader(user=request.user, post_id=post_id, invite_codes=invite_codes(request))
    context = _fragment(request, post.topic, selectors.posts_shown(topic=post.topic, ids=[post.pk]))
    return render(request, "forums/_posts.html", context)


@require_GET
def posts_after(request, topic_id: int):
    """The posts written after ``?after=<post id>`` (the newest one the page has), oldest first."""
    topic = selectors.access_topic_for_reader(user=request.user, topic_id=topic_id, invite_codes=invite_codes(request))
    after = request.GET.get("after", "")
    if not after.isdigit():
        raise Http404
    context = _fragment(request, topic, selectors.posts_shown(topic=topic, after=int(after)))
    return render(request, "forums/_posts.html", context)


def post_image(request, post_id: int):
    """A post's picture, after the same checks as the post (hidden posts: organisers only)."""
    post = selectors.access_post_for_reader(user=request.user, post_id=post_id, invite_codes=invite_codes(request))
    moderator = selectors.is_moderator(user=request.user, event=post.topic.event)
    if not selectors.image_visible(post=post, moderator=moderator):
        raise Http404
    return media_response(request, post.image)


def forum_round(request, round_id: int):
    """The page of a forum's points round (``Round.get_absolute_url`` convention): the forum itself."""
    require_round(request, round_id)
    rnd = Round.objects.select_related("event").filter(pk=round_id, kind=selectors.POINTS_ROUND_KIND).first()
    if rnd is None:
        raise Http404
    return redirect("forum_topics", slug=rnd.event.slug)
