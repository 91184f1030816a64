"""Forum pages: Markdown made safe, pictures behind the permission check, quoting, fragments for live pages,
the unsubscribe link, the hooks from rounds, and the playground page with its weekly board."""

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from conftest import served_status
from contests import services as contest_services
from contests.models import Event
from forums import notifications, selectors, services
from forums.models import EmailOptOut
from leaderboard import ranking
from leaderboard.services import board_configure, score_record

pytestmark = pytest.mark.django_db

NASTY = (
    "Xem <script>alert('xss')</script> này\n\n"
    "[bấm vào đây](javascript:alert(1)) và [trang thật](https://thuvien.example.vn/)\n\n"
    '<img src="x" onerror="alert(2)"> <a href="javascript:alert(3)" onclick="alert(4)">link</a>\n\n'
    "**đậm** và > trích dẫn"
)


def test_markdown_is_rendered_and_scripts_and_javascript_links_are_stripped(client, forum, member, now):
    topic = services.topic_create(event=forum, author=member, title="Thử", body=NASTY, now=now)
    body = client.get(reverse("forum_topic", args=[topic.pk])).content.decode()
    assert "<strong>đậm</strong>" in body
    assert 'href="https://thuvien.example.vn/"' in body
    for bad in ("alert('xss')", "javascript:", "onerror", "onclick", '<img src="x"'):
        assert bad not in body, bad


def test_the_title_is_escaped(client, forum, member, now):
    topic = services.topic_create(event=forum, author=member, title="<b>to</b> tiếng", body="…", now=now)
    body = client.get(reverse("forum_topics", args=[forum.slug])).content.decode()
    assert "&lt;b&gt;to&lt;/b&gt; tiếng" in body and topic.title not in body


def test_the_topic_page_costs_the_same_queries_whatever_the_threads_length(client, topic, member2, member3, now):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(member3)
    url = reverse("forum_topic", args=[topic.pk])
    client.get(url)  # warm: the header's notification bell reads its count once, then from the cache
    with CaptureQueriesContext(connection) as short:
        client.get(url)
    for i, author in enumerate([member2, member3] * 5):
        services.post_create(topic=topic, author=author, body=f"Trả lời {i}", now=now + dt.timedelta(minutes=i))
    with CaptureQueriesContext(connection) as long:
        response = client.get(url)
    assert response.content.decode().count('<article class="forum-post') == 11
    assert len(long) == len(short) <= 25


def test_a_reply_redirects_to_its_place_and_the_topic_moves_up(client, topic, member2, forum, member, now):
    from django.utils import timezone

    other = services.topic_create(event=forum, author=member, title="Mới hơn", body="…", now=timezone.now())
    assert selectors.topics_listed(event=forum, moderator=False).first() == other
    client.force_login(member2)
    response = client.post(reverse("forum_reply", args=[topic.pk]), {"body": "Trả lời mới"})
    post = topic.posts.get(body="Trả lời mới")
    assert response["Location"].endswith(f"#post-{post.pk}")
    listed = list(selectors.topics_listed(event=forum, moderator=False))
    assert listed[0] == topic and listed[1] == other


def test_a_refused_reply_keeps_what_was_written(client, topic, organiser, member2):
    services.topic_lock(topic=topic, by=organiser, locked=True)
    client.force_login(member2)
    response = client.post(reverse("forum_reply", args=[topic.pk]), {"body": "Một ý rất dài tôi đã gõ"})
    assert response.status_code == 400 and "Một ý rất dài tôi đã gõ" in response.content.decode()


def test_quoting_prefills_the_reply_and_links_to_the_quoted_post(client, reply, member3):
    client.force_login(member3)
    page = client.get(f"{reverse('forum_reply', args=[reply.topic_id])}?quote={reply.pk}")
    assert "&gt; Học 20 phút mỗi tối." in page.content.decode()
    client.post(reverse("forum_reply", args=[reply.topic_id]), {"body": "> Học 20 phút\n\nHay!", "quote": reply.pk})
    quoting = reply.topic.posts.get(body__endswith="Hay!")
    assert quoting.quote == reply
    body = client.get(reverse("forum_post_fragment", args=[quoting.pk])).content.decode()
    assert f'href="#post-{reply.pk}"' in body and "<blockquote>" in body


def test_posts_after_returns_only_newer_posts(client, topic, reply, member3, now):
    newer = services.post_create(topic=topic, author=member3, body="Mới nhất", now=now)
    body = client.get(reverse("forum_posts_after", args=[topic.pk]), {"after": reply.pk}).content.decode()
    assert f'id="post-{newer.pk}"' in body and f'id="post-{reply.pk}"' not in body
    assert client.get(reverse("forum_posts_after", args=[topic.pk]), {"after": "x"}).status_code == 404


def jpeg(size=(2400, 1800)) -> SimpleUploadedFile:
    out = BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, format="JPEG")
    return SimpleUploadedFile("anh.jpg", out.getvalue(), content_type="image/jpeg")


def test_pictures_are_served_through_the_permission_check(client, fetch_media, forum, member, member2, organiser):
    client.force_login(member)
    client.post(reverse("forum_topic_create", args=[forum.slug]), {"title": "Có ảnh", "body": "Xem", "image": jpeg()})
    post = forum.forum_topics.get().posts.get()
    url = reverse("forum_post_image", args=[post.pk])
    client.logout()
    response = fetch_media(url)  # on S3: the bucket's answer at the signed URL, with the headers signed into it
    assert response.status_code == 200 and response["Cache-Control"].startswith("private")
    with Image.open(BytesIO(response.body)) as served:
        assert max(served.size) <= 1600
    services.post_hide(post=post, by=organiser, hidden=True)
    client.force_login(member2)
    assert client.get(url).status_code == 404
    client.force_login(organiser)
    assert client.get(url).status_code == served_status()


def test_a_picture_that_is_too_big_is_refused_with_a_message(client, forum, member):
    client.force_login(member)
    big = SimpleUploadedFile("big.jpg", b"\xff" * (8 * 1024 * 1024 + 1), content_type="image/jpeg")
    response = client.post(
        reverse("forum_topic_create", args=[forum.slug]), {"title": "Ảnh to", "body": "…", "image": big}
    )
    assert response.status_code == 200 and not forum.forum_topics.exists()
    assert response.context["form"].errors["image"]


# --- Unsubscribe ------------------------------------------------------------------------------------


def test_the_unsubscribe_link_asks_first_then_stops_emails(client, topic, member):
    url = reverse("forum_unsubscribe", args=[notifications.unsubscribe_token(user_id=member.pk, topic_id=topic.pk)])
    assert client.get(url).status_code == 200
    assert not EmailOptOut.objects.exists(), "opening the link (a mail scanner) changes nothing"
    client.post(url, {"scope": "topic"})
    assert EmailOptOut.objects.get(user=member).topic == topic
    client.post(url, {"scope": "all"})
    assert EmailOptOut.objects.filter(user=member, topic__isnull=True).exists()


def test_one_click_unsubscribe_works_without_a_session_or_csrf_token(topic, member):
    from django.test import Client

    url = reverse("forum_unsubscribe", args=[notifications.unsubscribe_token(user_id=member.pk, topic_id=topic.pk)])
    response = Client(enforce_csrf_checks=True).post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and EmailOptOut.objects.filter(user=member, topic=topic).exists()


def test_a_forged_unsubscribe_token_is_not_found(client, topic, member):
    assert client.get(reverse("forum_unsubscribe", args=["forged-token"])).status_code == 404
    unknown = notifications.unsubscribe_token(user_id=member.pk, topic_id=topic.pk + 100)
    assert client.post(reverse("forum_unsubscribe", args=[unknown])).status_code == 404


# --- Hooks from rounds ---------------------------------------------------------------------------------


def test_the_points_round_links_the_event_page_to_the_forum(client, forum, organiser):
    rnd = selectors.points_round_of(event=forum)
    assert rnd.get_absolute_url() == reverse("forum_round", args=[rnd.pk])
    event_page = client.get(forum.get_absolute_url()).content.decode()
    assert rnd.get_absolute_url() in event_page
    assert client.get(rnd.get_absolute_url())["Location"] == reverse("forum_topics", args=[forum.slug])
    client.force_login(organiser)
    response = client.get(rnd.get_settings_url())
    assert response["Location"] == reverse("forum_moderation", args=[forum.slug])


def test_the_board_lists_contributors_and_explains_my_points(client, topic, reply, member, member2):
    services.reaction_set(post=reply, user=member, kind="helpful")
    client.force_login(member2)
    response = client.get(reverse("forum_board", args=[topic.event.slug]))
    standings = response.context["standings"]
    assert [(row["rank"], row["score"].user, row["score"].points) for row in standings] == [
        (1, member2, Decimal(3)),
        (2, member, Decimal(2)),
    ]
    assert response.context["mine"].by_kind == {"reply": 1, "helpful": 2}


# --- Playground -----------------------------------------------------------------------------------------


@pytest.fixture
def playground(make_event, organisation, now):
    from quizzes import services as quiz_services
    from quizzes.tests.conftest import sample_questions

    event = make_event(kind=Event.Kind.PLAYGROUND, rounds=0)
    window = {"opens_at": event.opens_at, "closes_at": event.closes_at}
    quiz_round = contest_services.round_create(event=event, fields={"title": "Đố vui tuần", "kind": "quiz", **window})
    live_round = contest_services.round_create(
        event=event, fields={"title": "Đố vui trực tiếp", "kind": "live", **window}
    )
    bank = quiz_services.bank_create(organisation=organisation, title="Luyện tập", is_public=True)
    quiz_services.bank_create(organisation=organisation, title="Ngân hàng riêng", is_public=False)
    quiz_services.questions_import(bank=bank, questions=sample_questions())
    from quizzes.review import questions_approve_as_system

    questions_approve_as_system(questions=bank.questions.all(), comment="test data")
    quiz = quiz_services.quiz_create(
        organisation=organisation, bank=bank, title="Đề", question_ids=list(bank.questions.values_list("pk", flat=True))
    )
    quiz_services.quiz_round_configure(rnd=quiz_round, quiz=quiz, settings={"attempts_allowed": 10})
    contest_services.event_transition(event=event, to_state=Event.State.OPEN, by=event.created_by)
    event.refresh_from_db()
    return {"event": event, "quiz_round": quiz_round, "live_round": live_round, "quiz": quiz}


def test_the_playground_page_offers_practice_quizzes_and_live_games(client, playground, organiser):
    from live import services as live_services

    session = live_services.session_create(quiz=playground["quiz"], host=organiser, rnd=playground["live_round"])
    body = client.get(reverse("playground", args=[playground["event"].slug])).content.decode()
    assert "Luyện tập" in body and "Ngân hàng riêng" not in body
    assert reverse("quiz_round", args=[playground["quiz_round"].pk]) in body
    assert session.pin in body


def test_the_weekly_board_counts_only_this_weeks_scores(client, playground, member, member2, now):
    from forums import playgrounds

    start, end = playgrounds.week_bounds(now)
    assert start <= now < end and start.weekday() == 0 and (end - start).days == 7
    quiz_round, live_round = playground["quiz_round"], playground["live_round"]
    score_record(rnd=quiz_round, user=member, points=Decimal(8), max_points=Decimal(10), submitted_at=start)
    score_record(rnd=live_round, user=member, points=Decimal(3000), max_points=Decimal(6000), submitted_at=now)
    score_record(
        rnd=quiz_round,
        user=member2,
        points=Decimal(10),
        max_points=Decimal(10),
        submitted_at=start - dt.timedelta(seconds=1),
    )
    board = client.get(reverse("playground", args=[playground["event"].slug])).context["board"]
    assert [(row["rank"], row["user"], row["total"]) for row in board] == [(1, member, 130.0)]


def test_a_forum_is_not_a_playground(client, forum):
    assert client.get(reverse("playground", args=[forum.slug])).status_code == 404


def test_the_leaderboards_round_board_shows_the_points_round(client, topic, reply, member):
    rnd = selectors.points_round_of(event=topic.event)
    response = client.get(reverse("round_board", args=[rnd.pk]))
    assert response.status_code == 200
    assert (
        reverse("round_board", args=[rnd.pk])
        in client.get(reverse("forum_board", args=[topic.event.slug])).content.decode()
    )
    assert client.get(reverse("event_board", args=[topic.event.slug])).status_code == 200


def test_reacting_too_fast_gets_429_and_changes_nothing(client, reply, member, monkeypatch):
    monkeypatch.setattr(services, "REACTIONS_PER_MINUTE", 1)
    client.force_login(member)
    url = reverse("forum_post_react", args=[reply.pk])
    assert client.post(url, {"kind": "helpful"}).status_code == 302
    response = client.post(url, {"kind": "helpful"})  # would take the reaction back
    assert response.status_code == 429 and "Bạn đang bày tỏ cảm xúc quá nhanh" in response.content.decode()
    assert reply.reactions.get().kind == "helpful"


# --- Rounds whose board is closed -------------------------------------------------------------------


def hide_until_close(rnd):
    """The board settings a prediction round gets from the quiz app."""
    return board_configure(rnd=rnd, chain=ranking.default_chain(with_prediction=True), hidden_until_close=True)


def test_the_weekly_board_leaves_out_a_round_whose_board_is_closed(client, playground, member, member2, now):
    quiz_round, live_round = playground["quiz_round"], playground["live_round"]
    hide_until_close(quiz_round)
    score_record(rnd=quiz_round, user=member, points=Decimal(8), max_points=Decimal(10), submitted_at=now)
    score_record(rnd=quiz_round, user=member2, points=Decimal(9), max_points=Decimal(10), submitted_at=now)
    score_record(rnd=live_round, user=member2, points=Decimal(3000), max_points=Decimal(6000), submitted_at=now)
    board = client.get(reverse("playground", args=[playground["event"].slug])).context["board"]
    assert [(row["user"], row["total"]) for row in board] == [(member2, 50.0)]


def test_the_contribution_board_stays_empty_while_a_live_round_with_scores_is_hidden(
    client, make_forum, member, member2, now
):
    forum = make_forum(live_round=True)
    topic = services.topic_create(event=forum, author=member, title="Thử", body="…", now=now)
    services.post_create(topic=topic, author=member2, body="Trả lời", now=now)
    url = reverse("forum_board", args=[forum.slug])
    assert len(client.get(url).context["standings"]) == 2

    live_round = forum.rounds.get(kind="live")
    hide_until_close(live_round)
    assert len(client.get(url).context["standings"]) == 2, "a hidden live round without scores hides nothing"
    score_record(rnd=live_round, user=member, points=Decimal(4500), max_points=Decimal(6000), submitted_at=now)
    services.points_refresh(event=forum, user=member, now=now)  # 2 + 15 points from the live round
    assert client.get(url).context["standings"] == []
    board_configure(rnd=live_round, chain=ranking.default_chain(with_prediction=False))  # its board opens
    standings = client.get(url).context["standings"]
    assert [(row["score"].user, row["score"].points) for row in standings] == [(member, 17), (member2, 1)]


def test_the_topic_list_stops_saying_answered_once_the_best_answer_is_hidden(client, topic, reply, organiser):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("forum_topics", args=[topic.event.slug])
    services.post_mark_best(post=reply, by=organiser, best=True)
    assert "✓ Answered" in client.get(url).content.decode()
    services.post_hide(post=reply, by=organiser, hidden=True)
    assert "✓ Answered" not in client.get(url).content.decode(), "readers cannot see that answer any more"
    client.force_login(organiser)
    assert "✓ Answered" not in client.get(url).content.decode(), "nor does it answer the topic for moderators"
    services.post_hide(post=reply, by=organiser, hidden=False)
    assert "✓ Answered" in client.get(url).content.decode()
