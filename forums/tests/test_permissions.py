"""Who may do what in a forum, over HTTP: anonymous / signed in without a profile / eligible participant /
the post's author / organiser of another organisation / organiser of this one / site admin.

Reading a public forum is open; writing needs an eligible profile (or to organise the forum); editing is
the author's, within the window; moderating is the forum's organisers'. Moderation URLs answer 404 to
everyone else (the same answer as for an id that does not exist), and forged requests change nothing.
"""

import datetime as dt

import pytest
from django.urls import reverse

from contests.models import Event
from forums import services
from forums.models import EDIT_WINDOW, Post, Report, Topic

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "no_profile", "member3", "author", "other_organiser", "organiser", "admin_user"]
WRITERS = {"member3", "author", "organiser", "admin_user"}
MODERATORS = {"organiser", "admin_user"}


@pytest.fixture
def actors(request, make_user, reply):
    found = {}
    for role in ROLES:
        if role == "anonymous":
            found[role] = None
        elif role == "no_profile":
            found[role] = make_user("no-profile@example.vn")
        elif role == "author":
            found[role] = reply.author
        else:
            found[role] = request.getfixturevalue(role)
    return found


def as_(client, user):
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("role", ROLES)
def test_everyone_reads_a_public_forum(client, actors, reply, role):
    c = as_(client, actors[role])
    topic = reply.topic
    for url in (
        reverse("forum_topics", args=[topic.event.slug]),
        reverse("forum_topic", args=[topic.pk]),
        reverse("forum_board", args=[topic.event.slug]),
        reverse("forum_post_fragment", args=[reply.pk]),
        f"{reverse('forum_posts_after', args=[topic.pk])}?after=0",
    ):
        assert c.get(url).status_code == 200, url


@pytest.mark.parametrize("role", ROLES)
def test_who_may_start_a_topic(client, actors, forum, role):
    response = as_(client, actors[role]).post(
        reverse("forum_topic_create", args=[forum.slug]), {"title": "Câu hỏi mới", "body": "Nội dung"}
    )
    created = Topic.objects.filter(title="Câu hỏi mới").exists()
    if role == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert created == (role in WRITERS)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_reply(client, actors, reply, role):
    response = as_(client, actors[role]).post(reverse("forum_reply", args=[reply.topic_id]), {"body": "Ý kiến mới"})
    created = Post.objects.filter(body="Ý kiến mới").exists()
    assert created == (role in WRITERS)
    if role in WRITERS:
        assert response.status_code == 302 and "#post-" in response["Location"]
    elif role != "anonymous":
        assert response.status_code == 400, "the form comes back with the reason, and the text kept"


@pytest.mark.parametrize("role", ROLES)
def test_only_the_author_edits_within_the_window(client, actors, reply, role):
    response = as_(client, actors[role]).post(reverse("forum_post_edit", args=[reply.pk]), {"body": "Đã sửa"})
    reply.refresh_from_db()
    assert (reply.body == "Đã sửa") == (role == "author")
    assert response.status_code == 302


def test_the_edit_link_closes_with_the_window(client, reply):
    client.force_login(reply.author)
    Post.objects.filter(pk=reply.pk).update(created_at=reply.created_at - EDIT_WINDOW - dt.timedelta(seconds=1))
    client.post(reverse("forum_post_edit", args=[reply.pk]), {"body": "Sửa muộn"})
    reply.refresh_from_db()
    assert reply.body != "Sửa muộn"
    body = client.get(reverse("forum_topic", args=[reply.topic_id])).content.decode()
    assert reverse("forum_post_edit", args=[reply.pk]) not in body


def _moderation_requests(reply):
    topic = reply.topic
    return [
        (reverse("forum_topic_moderate", args=[topic.pk]), {"action": "pin"}),
        (reverse("forum_topic_moderate", args=[topic.pk]), {"action": "lock"}),
        (reverse("forum_post_moderate", args=[reply.pk]), {"action": "best"}),
        (reverse("forum_post_moderate", args=[reply.pk]), {"action": "hide"}),
        (reverse("forum_report_decide", args=[reply.pk]), {"decision": "dismiss"}),
        (
            reverse("forum_resource_add", args=[topic.event.slug]),
            {"title": "Sách điện tử", "url": "https://thuvien.example.vn/", "note": ""},
        ),
        (reverse("forum_points_recalculate", args=[topic.event.slug]), {}),
    ]


def _state(reply):
    topic = Topic.objects.get(pk=reply.topic_id)
    return (
        topic.pinned,
        topic.locked,
        topic.best_answer_id,
        Post.objects.get(pk=reply.pk).hidden,
        topic.event.forum_resources.count(),
    )


@pytest.mark.parametrize("role", ROLES)
def test_only_the_forums_organisers_moderate(client, actors, reply, role):
    c = as_(client, actors[role])
    before = _state(reply)
    page = c.get(reverse("forum_moderation", args=[reply.topic.event.slug]))
    statuses = [c.post(url, data).status_code for url, data in _moderation_requests(reply)]
    if role in MODERATORS:
        assert page.status_code == 200 and set(statuses) == {302}
        assert _state(reply) == (True, True, reply.pk, True, 1)
    else:
        expected = 302 if role == "anonymous" else 404
        assert page.status_code == expected and set(statuses) == {expected}
        assert _state(reply) == before


@pytest.mark.parametrize("role", ROLES)
def test_signed_in_readers_report_others_posts(client, actors, reply, role):
    as_(client, actors[role]).post(reverse("forum_post_report", args=[reply.pk]), {"reason": "spam", "note": ""})
    reported = Report.objects.filter(post=reply).exists()
    assert reported == (role not in {"anonymous", "author"})


@pytest.mark.parametrize("role", ROLES)
def test_who_may_react(client, actors, reply, role):
    as_(client, actors[role]).post(reverse("forum_post_react", args=[reply.pk]), {"kind": "helpful"})
    assert reply.reactions.exists() == (role in WRITERS - {"author"})


def test_a_draft_forum_exists_only_for_its_organisers(client, make_forum, organiser, other_organiser, member):
    draft = make_forum(state=Event.State.DRAFT)
    url = reverse("forum_topics", args=[draft.slug])
    assert client.get(url).status_code == 404
    for outsider in (member, other_organiser):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    client.force_login(organiser)
    assert client.get(url).status_code == 200


def test_an_invite_only_forum_needs_the_code(client, make_forum, member, now):
    private = make_forum(visibility=Event.Visibility.INVITE)
    topic = services.topic_create(event=private, author=private.created_by, title="Nội bộ", body="Bí mật", now=now)
    client.force_login(member)
    urls = [reverse("forum_topics", args=[private.slug]), reverse("forum_topic", args=[topic.pk])]
    assert [client.get(u).status_code for u in urls] == [404, 404]
    client.post(reverse("event_unlock", args=[private.slug]), {"code": private.invite_code})
    assert [client.get(u).status_code for u in urls] == [200, 200]


def test_hidden_topics_and_posts_stay_with_the_organisers(client, reply, organiser, member3, now):
    services.post_hide(post=reply, by=organiser, hidden=True, now=now)
    client.force_login(member3)
    fragment = client.get(reverse("forum_post_fragment", args=[reply.pk])).content.decode()
    assert reply.body not in fragment, "a placeholder, not the text"
    services.topic_hide(topic=reply.topic, by=organiser, hidden=True, now=now)
    assert client.get(reverse("forum_topic", args=[reply.topic_id])).status_code == 404
    client.force_login(organiser)
    assert reply.body in client.get(reverse("forum_topic", args=[reply.topic_id])).content.decode()


def test_a_contest_is_not_a_forum(client, make_event):
    contest = make_event(state=Event.State.OPEN)
    assert client.get(reverse("forum_topics", args=[contest.slug])).status_code == 404
