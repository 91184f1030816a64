"""Demo part of the forums app: a lively thread in the library's forum "Tự học trong kỷ nguyên số".

Idempotent: nothing is added once the forum has topics. Everything goes through the services, as people
would do it, with times spread over the last hours (so that the posting rate limit is respected).
"""

import datetime as dt

from django.contrib.auth import get_user_model

from contests import services as contest_services
from contests.models import Event, Round
from forums import services
from forums.models import Topic

FORUM_SLUG = "dien-dan-tu-hoc-ky-nguyen-so"
DEMO_PEOPLE = ["library@demo.vn", "an@demo.vn", "binh@demo.vn"]  # the organiser, then two participants
RESOURCES = [
    (
        "Cổng Dịch vụ công quốc gia",
        "https://dichvucong.gov.vn/",
        "Làm thủ tục hành chính trực tuyến: thực hành ngay sau buổi nói chuyện.",
    ),
    (
        "Tài nguyên giáo dục mở (Wikipedia)",
        "https://vi.wikipedia.org/wiki/T%C3%A0i_nguy%C3%AAn_gi%C3%A1o_d%E1%BB%A5c_m%E1%BB%9F",
        "Khái niệm và các kho học liệu mở để tự học.",
    ),
]


def seed(*, stdout, now) -> None:
    event = Event.objects.filter(slug=FORUM_SLUG).first()
    if event is None:
        return
    services.points_round(event=event)
    _live_rounds_count_through_points(event)
    if Topic.objects.filter(event=event).exists():
        stdout.write(f"forum {event.slug}: already seeded")
        return
    users = {user.email: user for user in get_user_model().objects.filter(email__in=DEMO_PEOPLE)}
    librarian, an, binh = (users[email] for email in DEMO_PEOPLE)
    hour = dt.timedelta(hours=1)
    for title, url, note in RESOURCES:
        services.resource_add(event=event, by=librarian, title=title, url=url, note=note, now=now - 6 * hour)

    welcome = services.topic_create(
        event=event,
        author=librarian,
        title="Chào mừng đến với diễn đàn Tự học trong kỷ nguyên số",
        body=(
            "Chào các bạn! Đây là nơi trao đổi kinh nghiệm **tự học** và giới thiệu tài nguyên hay.\n\n"
            "- Tôn trọng người khác, không đăng thông tin cá nhân của người khác.\n"
            "- Bấm **Hữu ích** cho câu trả lời giúp được bạn: người viết được cộng điểm đóng góp.\n"
            "- Thấy bài vi phạm? Bấm **Báo cáo**, ban tổ chức sẽ xem xét."
        ),
        now=now - 5 * hour,
    )
    services.topic_pin(topic=welcome, by=librarian, pinned=True)

    question = services.topic_create(
        event=event,
        author=an,
        title="Làm sao để tự học đều đặn bằng điện thoại?",
        body=(
            "Mình hay mở điện thoại định học nhưng lại lướt mạng xã hội. "
            "Các bạn có mẹo gì để **giữ thói quen tự học** mỗi ngày không?"
        ),
        now=now - 4 * hour,
    )
    tip = services.post_create(
        topic=question,
        author=binh,
        body=(
            "Mình đặt lịch 20 phút mỗi tối và tắt thông báo trong lúc học. Mỗi tuần chọn *một* chủ đề, "
            "ghi lại 3 điều học được vào sổ tay.\n\n"
            "Mình hay học trên [Cổng Dịch vụ công](https://dichvucong.gov.vn/) để thực hành luôn."
        ),
        now=now - 3 * hour,
    )
    answer = services.post_create(
        topic=question,
        author=librarian,
        body=(
            "Thư viện gợi ý thêm: dùng chế độ **Tập trung** của điện thoại và mượn sách điện tử của thư viện "
            "tỉnh, mỗi cuốn có câu hỏi ôn tập ở cuối."
        ),
        quote=tip,
        now=now - 2 * hour,
    )
    services.reaction_set(post=tip, user=an, kind="helpful", now=now - 90 * dt.timedelta(minutes=1))
    services.reaction_set(post=answer, user=an, kind="thanks", now=now - 80 * dt.timedelta(minutes=1))
    services.post_mark_best(post=tip, by=librarian, best=True, now=now - hour)
    services.post_create(
        topic=question,
        author=an,
        body="Cảm ơn Bình và thư viện! Tối nay mình thử ngay 20 phút.",
        now=now - 30 * dt.timedelta(minutes=1),
    )
    stdout.write(f"forum {event.slug}: {Topic.objects.filter(event=event).count()} topics")


def _live_rounds_count_through_points(event: Event) -> None:
    """A forum's live quizzes enter its board as contribution points (capped, ``forums/points.py``), so
    their own weight in the event total is 0: otherwise a live game's thousands of points would count twice
    and drown every contribution."""
    for rnd in event.rounds.filter(kind=Round.Kind.LIVE).exclude(weight=0):
        contest_services.round_update(rnd=rnd, fields={"weight": 0})


# --- seed_demo --rich -------------------------------------------------------------------------------

RICH_TOPICS = [
    (
        "Học tiếng Anh miễn phí trên mạng: nguồn nào đáng tin?",
        "Mình muốn tự học tiếng Anh buổi tối, các bạn dùng trang hay ứng dụng nào?",
        ["Mình học trên kênh của Hội đồng Anh, có phụ đề.", "Thư viện tỉnh có tài khoản học liệu số miễn phí đó.",
         "Nên đặt mục tiêu 15 phút mỗi ngày thôi, đều đặn mới quan trọng.", "Cảm ơn cả nhà, mình thử ngay!"],
    ),
    (
        "Bị nhắn tin giả mạo ngân hàng thì làm gì?",
        "Hôm qua mẹ mình nhận tin nhắn báo khóa tài khoản kèm đường link lạ.",
        ["Tuyệt đối không bấm link; gọi tổng đài ngân hàng in trên thẻ.", "Báo cáo tin nhắn rác qua đầu số 5656.",
         "Nhớ đổi mật khẩu nếu lỡ nhập thông tin."],
    ),
    (
        "Cài VNeID mức 2 cho ông bà",
        "Ông bà mình ở xã xa, có cần ra công an xã không ạ?",
        ["Mức 2 phải ra công an xã để chụp ảnh, lấy vân tay.", "Mang căn cước gắn chip và điện thoại của ông bà nhé."],
    ),
    (
        "Mẹo tự học môn Tin học lớp 9",
        "Các bạn ôn phần bảng tính thế nào?",
        ["Làm lại các bài thực hành trong sách, mỗi bài hai lần.", "Xem video hướng dẫn trên kho học liệu của Bộ.",
         "Lập nhóm học online qua Zalo, mỗi tối thứ Ba."],
    ),
    (
        "Giới thiệu sách hay về kỹ năng số",
        "Mỗi người giới thiệu một cuốn nhé!",
        ["“Công dân số” – dễ đọc, nhiều ví dụ.", "“Làm chủ mạng xã hội” của nhóm tác giả trẻ.",
         "Thư viện tỉnh đang có tủ sách kỹ năng số, mượn được 2 tuần."],
    ),
]  # fmt: skip


def seed_rich(*, stdout, now, people) -> None:
    """Simulated participants discuss in the library's forum: topics, replies, reactions and best answers
    through the services, spread over the last two days. Idempotent: kept once the first topic exists."""
    event = Event.objects.filter(slug=FORUM_SLUG).first()
    if event is None or Topic.objects.filter(event=event, title=RICH_TOPICS[0][0]).exists():
        return
    librarian = get_user_model().objects.get(email="library@demo.vn")
    writers = iter(people[100:])
    minute = dt.timedelta(minutes=1)
    replies = 0
    for index, (title, body, answers) in enumerate(RICH_TOPICS):
        start = now - dt.timedelta(hours=48 - index * 8)
        topic = services.topic_create(event=event, author=next(writers), title=title, body=body, now=start)
        posts = []
        for number, text in enumerate(answers, start=1):
            posts.append(
                services.post_create(topic=topic, author=next(writers), body=text, now=start + number * 17 * minute)
            )
            replies += 1
        for number, reader in enumerate(people[200 + index * 10 : 205 + index * 10]):
            services.reaction_set(post=posts[0], user=reader, kind="helpful", now=start + (90 + number) * minute)
        if index % 2 == 0:
            services.post_mark_best(post=posts[0], by=librarian, best=True, now=start + 2 * 60 * minute)
    services.points_refresh_all(event=event, now=now)
    stdout.write(f"forum {event.slug}: {len(RICH_TOPICS)} simulated topics, {replies} replies")
