"""Services of the forum: writing, the rules each write checks, points on the board, e-mails."""

import datetime as dt
from decimal import Decimal
from io import BytesIO, StringIO

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from PIL import Image

from contests.models import Event
from forums import notifications, points, selectors, services
from forums.models import EDIT_WINDOW, EmailOptOut, Post, Reaction, Report, Topic
from leaderboard.models import Score
from leaderboard.services import score_record

pytestmark = pytest.mark.django_db


def score_of(event, user):
    row = Score.objects.filter(round=selectors.points_round_of(event=event), user=user).first()
    return None if row is None else row.points


# --- Writing -------------------------------------------------------------------------------------


def test_a_topic_is_a_title_and_an_opening_post(topic, member):
    opening = topic.posts.get()
    assert opening.is_opening and opening.author == member and topic.title == "Tự học thế nào?"


def test_one_opening_post_per_topic_is_a_database_rule(topic, member, now):
    with pytest.raises(IntegrityError), transaction.atomic():
        Post.objects.create(topic=topic, author=member, body="again", is_opening=True, created_at=now)


def test_organisers_may_prepare_topics_while_the_forum_is_a_draft(make_forum, organiser, member, now):
    draft = make_forum(state=Event.State.DRAFT)
    services.topic_create(event=draft, author=organiser, title="Chào mừng", body="Xin chào", now=now)
    with pytest.raises(services.ForumError):
        services.topic_create(event=draft, author=member, title="Sớm quá", body="…", now=now)


def test_nobody_writes_once_the_forum_has_ended(topic, organiser, member2, later):
    after = later(days=8)
    for author in (organiser, member2):
        with pytest.raises(services.ForumError):
            services.post_create(topic=topic, author=author, body="Muộn rồi", now=after)


def test_participants_need_a_complete_profile_to_write(forum, make_user, now):
    stranger = make_user("no-profile@example.vn")
    with pytest.raises(services.ForumError):
        services.topic_create(event=forum, author=stranger, title="Xin chào", body="…", now=now)


def test_eligibility_rules_of_the_event_apply(make_forum, member, now):
    pupils_only = make_forum(eligible_categories=["pupil"])
    with pytest.raises(services.ForumError):
        services.topic_create(event=pupils_only, author=member, title="Người lớn", body="…", now=now)


def test_a_locked_topic_takes_replies_from_organisers_only(topic, organiser, member2, now):
    services.topic_lock(topic=topic, by=organiser, locked=True)
    with pytest.raises(services.ForumError):
        services.post_create(topic=topic, author=member2, body="Còn ai không?", now=now)
    services.post_create(topic=topic, author=organiser, body="Chủ đề đã khóa.", now=now)


def test_empty_and_overlong_messages_are_refused(topic, member2, now):
    with pytest.raises(ValidationError):
        services.post_create(topic=topic, author=member2, body="   ", now=now)
    with pytest.raises(ValidationError):
        services.post_create(topic=topic, author=member2, body="x" * (services.BODY_MAX + 1), now=now)


def test_sending_the_same_reply_twice_keeps_one(topic, member2, now):
    first = services.post_create(topic=topic, author=member2, body="Đồng ý!", now=now)
    again = services.post_create(topic=topic, author=member2, body="Đồng ý!", now=now + dt.timedelta(seconds=3))
    assert again == first and topic.posts.count() == 2


def test_posting_too_fast_is_refused_then_allowed_again(topic, member2, now):
    for i in range(3):
        services.post_create(topic=topic, author=member2, body=f"Ý {i}", now=now + dt.timedelta(seconds=i))
    with pytest.raises(services.ForumError):
        services.post_create(topic=topic, author=member2, body="Ý 4", now=now + dt.timedelta(seconds=10))
    services.post_create(topic=topic, author=member2, body="Ý 4", now=now + dt.timedelta(seconds=61))


def test_the_hourly_limit_holds_too(topic, member2, now):
    for i in range(30):
        services.post_create(topic=topic, author=member2, body=f"Ý {i}", now=now + dt.timedelta(minutes=i))
    with pytest.raises(services.ForumError):
        services.post_create(topic=topic, author=member2, body="một nữa", now=now + dt.timedelta(minutes=45))


def test_organisers_are_not_rate_limited(topic, organiser, now):
    for i in range(6):
        services.post_create(topic=topic, author=organiser, body=f"Thông báo {i}", now=now)


def test_quoting_keeps_a_link_to_a_post_of_the_same_topic_only(topic, reply, member3, forum, member, now):
    other = services.topic_create(event=forum, author=member, title="Khác", body="Chủ đề khác", now=now)
    quoting = services.post_create(topic=topic, author=member3, body="> Học 20 phút\n\nĐúng!", quote=reply, now=now)
    foreign = services.post_create(topic=topic, author=member3, body="Lạc đề", quote=other.posts.get(), now=now)
    assert quoting.quote == reply and foreign.quote is None


# --- Editing ---------------------------------------------------------------------------------------


def test_authors_edit_within_the_window(reply, member2, now):
    services.post_edit(
        post=reply, by=member2, body="Học 30 phút mỗi tối.", now=now + EDIT_WINDOW - dt.timedelta(seconds=1)
    )
    reply.refresh_from_db()
    assert reply.body == "Học 30 phút mỗi tối." and reply.edited_at is not None


def test_nobody_edits_after_the_window(reply, member2, now):
    with pytest.raises(services.ForumError):
        services.post_edit(post=reply, by=member2, body="Sửa muộn", now=now + EDIT_WINDOW)


def test_nobody_edits_someone_elses_post(reply, member, organiser, now):
    for editor in (member, organiser):
        with pytest.raises(services.ForumError):
            services.post_edit(post=reply, by=editor, body="Sửa hộ", now=now)


def test_organisers_edit_their_own_posts_at_any_time(topic, organiser, now):
    notice = services.post_create(topic=topic, author=organiser, body="Lịch: thứ Bảy", now=now)
    services.post_edit(post=notice, by=organiser, body="Lịch: Chủ nhật", now=now + dt.timedelta(days=2))


def test_the_opening_post_edit_may_retitle_the_topic(topic, member, now):
    services.post_edit(post=topic.posts.get(), by=member, body="Mới", title="Tiêu đề mới", now=now)
    topic.refresh_from_db()
    assert topic.title == "Tiêu đề mới"


# --- Reactions and reports -------------------------------------------------------------------------


def test_one_reaction_per_person_and_post(reply, member, now):
    services.reaction_set(post=reply, user=member, kind="helpful", now=now)
    services.reaction_set(post=reply, user=member, kind="thanks", now=now)
    assert list(Reaction.objects.filter(post=reply).values_list("kind", flat=True)) == ["thanks"]
    services.reaction_set(post=reply, user=member, kind="thanks", now=now)
    assert not Reaction.objects.filter(post=reply).exists(), "the same reaction again takes it back"
    Reaction.objects.create(post=reply, user=member, kind="helpful", created_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reaction.objects.create(post=reply, user=member, kind="thanks", created_at=now)


def test_no_reacting_to_ones_own_post_or_with_an_unknown_kind(reply, member, member2, now):
    with pytest.raises(services.ForumError):
        services.reaction_set(post=reply, user=member2, kind="helpful", now=now)
    with pytest.raises(services.ForumError):
        services.reaction_set(post=reply, user=member, kind="love", now=now)


def test_toggling_reactions_in_a_loop_is_stopped(reply, member, now):
    with pytest.raises(services.ForumError):
        for _ in range(services.REACTIONS_PER_MINUTE + 1):
            services.reaction_set(post=reply, user=member, kind="helpful", now=now)
    services.reaction_set(post=reply, user=member, kind="helpful", now=now + dt.timedelta(minutes=1))


def test_reports_go_to_the_queue_once_per_person(reply, member, member3, now):
    services.report_create(post=reply, reporter=member, reason="spam", now=now)
    services.report_create(post=reply, reporter=member, reason="abuse", now=now)
    services.report_create(post=reply, reporter=member3, reason="abuse", note="Xúc phạm", now=now)
    assert Report.objects.filter(post=reply).count() == 2
    assert selectors.reports_open(event=reply.topic.event).count() == 2
    with pytest.raises(services.ForumError):
        services.report_create(post=reply, reporter=reply.author, reason="spam", now=now)


def test_deciding_reports_hides_or_dismisses(reply, member, member3, organiser, now):
    services.report_create(post=reply, reporter=member, reason="spam", now=now)
    with pytest.raises(services.ForumError):
        services.report_resolve(post=reply, by=member3, hide=True, now=now)
    assert services.report_resolve(post=reply, by=organiser, hide=True, now=now) == 1
    reply.refresh_from_db()
    assert reply.hidden and reply.hidden_by == organiser
    assert Report.objects.get(post=reply).outcome == Report.Outcome.HIDDEN
    assert not selectors.reports_open(event=reply.topic.event).exists()


# --- Moderation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action",
    [
        lambda t, p, by: services.topic_pin(topic=t, by=by, pinned=True),
        lambda t, p, by: services.topic_lock(topic=t, by=by, locked=True),
        lambda t, p, by: services.topic_hide(topic=t, by=by, hidden=True),
        lambda t, p, by: services.post_hide(post=p, by=by, hidden=True),
        lambda t, p, by: services.post_mark_best(post=p, by=by, best=True),
        lambda t, p, by: services.resource_add(event=t.event, by=by, title="Sách", url="https://example.vn/"),
    ],
    ids=["pin", "lock", "hide topic", "hide post", "best answer", "add resource"],
)
def test_only_organisers_of_the_forum_moderate(topic, reply, member, other_organiser, organiser, admin_user, action):
    for outsider in (member, reply.author, other_organiser):
        with pytest.raises(services.ForumError):
            action(topic, reply, outsider)
    action(topic, reply, organiser)
    action(topic, reply, admin_user)


def test_one_best_answer_per_topic(topic, reply, member3, organiser, now):
    second = services.post_create(topic=topic, author=member3, body="Dùng sổ tay.", now=now)
    services.post_mark_best(post=reply, by=organiser, best=True, now=now)
    services.post_mark_best(post=second, by=organiser, best=True, now=now)
    topic.refresh_from_db()
    assert topic.best_answer == second
    with pytest.raises(services.ForumError):
        services.post_mark_best(post=topic.posts.get(is_opening=True), by=organiser, best=True, now=now)


def test_hidden_topics_disappear_from_the_list_for_participants(topic, organiser, now):
    services.topic_hide(topic=topic, by=organiser, hidden=True, now=now)
    assert not selectors.topics_listed(event=topic.event, moderator=False).exists()
    assert selectors.topics_listed(event=topic.event, moderator=True).get() == topic


# --- Points on the board ---------------------------------------------------------------------------


def test_the_points_round_is_created_once_after_the_events_rounds(make_forum):
    event = make_forum(live_round=True)
    rounds = list(event.rounds.order_by("position").values_list("kind", "position"))
    assert rounds == [("live", 1), ("forum", 2)]
    assert services.points_round(event=event) == services.points_round(event=event)
    rnd = selectors.points_round_of(event=event)
    assert (rnd.opens_at, rnd.closes_at) == (event.opens_at, event.closes_at)


def test_contributions_reach_the_board_through_the_leaderboard(topic, reply, member, member2, organiser, now):
    assert score_of(topic.event, member) == Decimal(points.POINTS["topic"])
    services.reaction_set(post=reply, user=member, kind="helpful", now=now)
    assert score_of(topic.event, member2) == Decimal(1 + 2)
    services.post_mark_best(post=reply, by=organiser, best=True, now=now)
    assert score_of(topic.event, member2) == Decimal(1 + 2 + 10)
    row = Score.objects.get(round=selectors.points_round_of(event=topic.event), user=member2)
    assert row.max_points == points.CEILING


def test_organisers_are_not_ranked(topic, organiser, member, now):
    notice = services.post_create(topic=topic, author=organiser, body="Thông báo", now=now)
    services.reaction_set(post=notice, user=member, kind="thanks", now=now)
    assert score_of(topic.event, organiser) is None


def test_hiding_a_post_takes_its_points_back_and_showing_it_returns_them(reply, member, member2, organiser, now):
    services.reaction_set(post=reply, user=member, kind="helpful", now=now)
    services.post_hide(post=reply, by=organiser, hidden=True, now=now)
    assert score_of(reply.topic.event, member2) == 0
    services.post_hide(post=reply, by=organiser, hidden=False, now=now)
    assert score_of(reply.topic.event, member2) == 3


def test_hiding_a_topic_takes_back_every_authors_points(topic, reply, member, member2, organiser, now):
    services.topic_hide(topic=topic, by=organiser, hidden=True, now=now)
    assert score_of(topic.event, member) == 0 and score_of(topic.event, member2) == 0


def test_withdrawing_a_reaction_takes_its_points_back(reply, member, member2, now):
    services.reaction_set(post=reply, user=member, kind="helpful", now=now)
    services.reaction_set(post=reply, user=member, kind="helpful", now=now)
    assert score_of(reply.topic.event, member2) == 1


def test_live_round_scores_count_capped_after_a_recount(make_forum, member, now):
    event = make_forum(live_round=True)
    live = event.rounds.get(kind="live")
    score_record(rnd=live, user=member, points=Decimal(4500), max_points=Decimal(6000), submitted_at=now)
    assert services.points_refresh_all(event=event, now=now) == 1
    assert score_of(event, member) == points.live_points(Decimal("0.75")) == 15


# --- E-mail ----------------------------------------------------------------------------------------


def test_a_reply_enqueues_the_email_job_after_commit(topic, member2, now, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    jobs = DBTaskResult.objects.filter(task_path="forums.tasks.reply_email_send")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reply = services.post_create(topic=topic, author=member2, body="Trả lời", now=now)
    assert not jobs.exists(), "nothing is enqueued before the commit"
    for callback in callbacks:
        callback()
    assert jobs.get().args_kwargs["args"] == [reply.pk]
    with django_capture_on_commit_callbacks(execute=True):
        services.post_create(topic=topic, author=topic.author, body="Cảm ơn mọi người", now=now)
    assert jobs.count() == 1, "no e-mail about one's own reply"
    from forums.tasks import reply_email_send

    assert reply_email_send.call(reply.pk) is True and len(mail.outbox) == 1


def test_the_topic_author_gets_an_email_with_an_unsubscribe_link(reply, member, now):
    assert notifications.reply_notify(post_id=reply.pk, now=now) is True
    message = mail.outbox[-1]
    assert message.to == [member.email]
    assert reply.topic.title in message.subject
    token = notifications.unsubscribe_token(user_id=member.pk, topic_id=reply.topic_id)
    assert f"/forum/unsubscribe/{token}/" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_one_email_per_topic_per_quiet_period(topic, reply, member3, now):
    second = services.post_create(topic=topic, author=member3, body="Thêm ý", now=now)
    assert notifications.reply_notify(post_id=reply.pk, now=now)
    assert not notifications.reply_notify(post_id=second.pk, now=now + dt.timedelta(minutes=5))
    assert notifications.reply_notify(post_id=second.pk, now=now + notifications.QUIET)


def test_no_email_after_opting_out(reply, member, now):
    services.email_opt_out(user=member, topic=reply.topic, now=now)
    services.email_opt_out(user=member, topic=reply.topic, now=now)
    assert not notifications.reply_notify(post_id=reply.pk, now=now)
    assert EmailOptOut.objects.filter(user=member).count() == 1


def test_no_email_about_a_hidden_reply(reply, organiser, now):
    services.post_hide(post=reply, by=organiser, hidden=True, now=now)
    assert not notifications.reply_notify(post_id=reply.pk, now=now)


def test_tokens_are_checked():
    assert notifications.read_unsubscribe_token("forged") is None
    token = notifications.unsubscribe_token(user_id=3, topic_id=9)
    assert notifications.read_unsubscribe_token(token) == (3, 9)
    assert notifications.read_unsubscribe_token(token[:-2] + "xx") is None


# --- Images ----------------------------------------------------------------------------------------


def photo_with_gps(size=(3000, 2000)) -> SimpleUploadedFile:
    image = Image.new("RGB", size, (200, 80, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[0x8825] = {1: "N", 2: (21.0, 35.0, 0.0)}  # GPS
    out = BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")


def test_pictures_are_resized_and_lose_their_exif(forum, member, now):
    topic = services.topic_create(
        event=forum, author=member, title="Ảnh", body="Xem ảnh", image=photo_with_gps(), now=now
    )
    stored = topic.posts.get().image
    with Image.open(stored.open("rb")) as saved:
        assert max(saved.size) <= max(services.IMAGE_SIZE)
        assert not saved.getexif()


def test_a_file_that_is_not_an_image_is_refused(forum, member, now):
    fake = SimpleUploadedFile("virus.jpg", b"MZ not really a picture", content_type="image/jpeg")
    with pytest.raises(ValidationError):
        services.topic_create(event=forum, author=member, title="Ảnh", body="…", image=fake, now=now)
    assert not Topic.objects.exists()


def test_verify_results_recomputes_the_points_round(topic, reply, member, organiser, now):
    from django.core.management import call_command

    services.reaction_set(post=reply, user=member, kind="helpful", now=now)
    services.post_hide(post=topic.posts.get(is_opening=True), by=organiser, hidden=True, now=now)
    rnd = selectors.points_round_of(event=topic.event)
    assert selectors.points_recompute(rnd) == {member.pk: Decimal(0), reply.author_id: Decimal(3)}
    out = StringIO()
    call_command("verify_results", rnd.pk, stdout=out)
    assert "0 differences" in out.getvalue()
