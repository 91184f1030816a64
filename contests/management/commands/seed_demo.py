"""Demo data for ``make run``: organisations, regions, one user per role, events of every kind.

Idempotent: run it any number of times; existing rows are kept (so demo work survives restarts).
``--rich`` (what ``make run`` uses) adds a few hundred simulated participants and what they did: submitted
attempts, a published round with prizes and certificates, votes, judged entries, forum discussions.
"""

import datetime as dt
import time
from importlib import import_module

from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

from contests import services
from contests.demo import RICH_EMAIL, rich_participants
from contests.models import Category, Event, Membership, Organisation, Profile, Region
from contests.phones import normalise_phone
from contests.roster import RosterRow

DEMO_PASSWORD = "demo-2023!"

ORGANISATIONS = [
    ("so-gddt-thai-nguyen", "Sở Giáo dục và Đào tạo Thái Nguyên", "TN", "Cơ quan quản lý", 180),
    ("thu-vien-tinh-thai-nguyen", "Thư viện tỉnh Thái Nguyên", "TN-TPTN", "Thư viện", 45),
]
UNITS = [
    ("THPT-DT", "Trường THPT Đại Từ", "Trung học phổ thông", 1200, "TN-DT"),
    ("THPT-CVA", "Trường THPT Chu Văn An", "Trung học phổ thông", 1350, "TN-TPTN"),
    ("THCS-PL", "Trường THCS Phú Lương", "Trung học cơ sở", 650, "TN-PL"),
    ("THCS-DH", "Trường THCS Định Hóa", "Trung học cơ sở", 540, "TN-DH"),
    ("TH-VN", "Trường Tiểu học Võ Nhai", "Tiểu học", 480, "TN-VN"),
]
USERS = [
    # email, full name, role label, phone, category, date of birth, region code
    (
        "admin@demo.vn",
        "Quản trị Hệ thống",
        "site admin",
        "0911000001",
        Category.CIVIL_SERVANT,
        dt.date(1985, 3, 1),
        "TN-TPTN-01",
    ),
    (
        "organiser@demo.vn",
        "Nguyễn Thị Hoa",
        "organiser (Sở GD&ĐT)",
        "0911000002",
        Category.CIVIL_SERVANT,
        dt.date(1982, 5, 12),
        "TN-TPTN-02",
    ),
    (
        "library@demo.vn",
        "Trần Văn Minh",
        "organiser (Thư viện tỉnh)",
        "0911000003",
        Category.CIVIL_SERVANT,
        dt.date(1979, 8, 20),
        "TN-TPTN-03",
    ),
    ("judge@demo.vn", "Lê Thu Trang", "judge", "0911000004", Category.TEACHER, dt.date(1988, 11, 2), "TN-SC-01"),
    (
        "an@demo.vn",
        "Phạm Văn An",
        "participant (citizen)",
        "0911000005",
        Category.CITIZEN,
        dt.date(1995, 1, 15),
        "TN-DT-01",
    ),
    (
        "binh@demo.vn",
        "Hoàng Thị Bình",
        "participant (pupil, minor)",
        "0911000006",
        Category.PUPIL,
        dt.date(2011, 9, 5),
        "TN-PL-02",
    ),
]


class Command(BaseCommand):
    help = "Load demo organisations, users (printed with their password) and events. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rich",
            action="store_true",
            help="Also add simulated participants with attempts, published results, votes and forum posts.",
        )

    @transaction.atomic
    def handle(self, *args, **options):
        call_command("load_regions", stdout=self.stdout)
        now = timezone.now()
        organisations = {
            slug: self._organisation(slug, name, region, group, headcount)
            for slug, name, region, group, headcount in ORGANISATIONS
        }
        department = organisations["so-gddt-thai-nguyen"]
        library = organisations["thu-vien-tinh-thai-nguyen"]
        services.roster_import(
            organisation=department,
            rows=[
                RosterRow(line=i, code=c, name=n, group=g, headcount=h, region_code=r)
                for i, (c, n, g, h, r) in enumerate(UNITS, 2)
            ],
        )
        users = {
            email: self._user(email, name, phone, category, born, region, now)
            for email, name, _r, phone, category, born, region in USERS
        }
        users["admin@demo.vn"].is_staff = users["admin@demo.vn"].is_superuser = True
        users["admin@demo.vn"].save(update_fields=["is_staff", "is_superuser"])
        services.membership_add(user=users["organiser@demo.vn"], organisation=department)
        services.membership_add(user=users["library@demo.vn"], organisation=library)
        services.membership_add(user=users["judge@demo.vn"], organisation=department, role=Membership.Role.JUDGE)
        self._events(department, library, users["organiser@demo.vn"], users["library@demo.vn"], now)
        for app in apps.get_app_configs():
            if module_has_submodule(app.module, "demo") and app.name != "contests":
                import_module(f"{app.name}.demo").seed(stdout=self.stdout, now=now)
        if options.get("rich"):
            self._rich(now)
        self._print_logins()

    def _rich(self, now):
        """The simulated participants, then each app's ``seed_rich`` in dependency order."""
        started = time.monotonic()
        people = rich_participants(password=DEMO_PASSWORD, now=now)
        self.stdout.write(f"{len(people)} simulated participants ({RICH_EMAIL.format(1)} …)")
        for app in apps.get_app_configs():
            if module_has_submodule(app.module, "demo"):
                seeder = getattr(import_module(f"{app.name}.demo"), "seed_rich", None)
                if seeder is not None:
                    seeder(stdout=self.stdout, now=now, people=people)
        self.stdout.write(f"rich demo ready in {time.monotonic() - started:.1f} s")

    def _organisation(self, slug, name, region_code, group, headcount):
        organisation, _created = Organisation.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "region": Region.objects.get(code=region_code),
                "group": group,
                "headcount": headcount,
            },
        )
        return organisation

    def _user(self, email, full_name, phone, category, born, region_code, now):
        User = get_user_model()
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(username=email.split("@")[0], email=email, password=DEMO_PASSWORD)
        EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        profile = services.profile_get_or_create(user=user)
        if not profile.is_complete:
            minor = Profile(date_of_birth=born).is_minor
            services.profile_update(
                profile=profile,
                data={
                    "full_name": full_name,
                    "phone": normalise_phone(phone),
                    "date_of_birth": born,
                    "region": Region.objects.get(code=region_code),
                    "category": category,
                    "guardian_name": "Hoàng Văn Cường" if minor else "",
                },
                data_consent=True,
                guardian_consent=minor,
                now=now,
            )
        return user

    def _events(self, department, library, organiser, librarian, now):
        day = dt.timedelta(days=1)
        self._event(
            department,
            organiser,
            now,
            slug="cong-dan-so-2023",
            kind=Event.Kind.CONTEST,
            state=Event.State.OPEN,
            title="Cuộc thi “Công dân số” – Tuần lễ học tập suốt đời 2023",
            summary="Thi trắc nghiệm trực tuyến, vòng chung kết trực tiếp và cuộc thi đọc sách về kỹ năng công dân số.",
            description=(
                "Hưởng ứng **Tuần lễ hưởng ứng học tập suốt đời năm 2023** với chủ đề *“Xây dựng năng lực tự học "
                "trong kỷ nguyên số”* (Kế hoạch số 167/KH-UBND).\n\n"
                "Cuộc thi giúp học sinh, sinh viên và người dân nắm vững kỹ năng thiết yếu của công dân số: an toàn "
                "trên mạng, nhận diện lừa đảo và tin giả, bảo vệ dữ liệu cá nhân, sử dụng dịch vụ công trực tuyến."
            ),
            rules=(
                "1. Mỗi số điện thoại chỉ đăng ký một tài khoản.\n"
                "2. Vòng 1: làm bài trắc nghiệm trong thời gian quy định; xếp hạng theo điểm, sau đó theo sai số "
                "dự đoán, thời gian làm bài và thời điểm nộp bài.\n"
                "3. Bài dự thi đọc sách phải là sản phẩm của chính người dự thi."
            ),
            opens_at=now - day,
            closes_at=now + 7 * day,
            rounds=[
                ("Vòng 1: Thi trắc nghiệm trực tuyến", "quiz", now - day, now + 5 * day, 1),
                ("Vòng 2: Đọc sách – ghi âm, ghi hình", "reading", now - day, now + 6 * day, 1),
                (
                    "Chung kết trực tiếp tại Lễ khai mạc",
                    "live",
                    now + 6 * day,
                    now + 6 * day + dt.timedelta(hours=2),
                    2,
                ),
            ],
        )
        self._event(
            department,
            organiser,
            now,
            slug="san-choi-ky-nang-so",
            kind=Event.Kind.PLAYGROUND,
            state=Event.State.OPEN,
            title="Sân chơi Kỹ năng số cho học sinh",
            summary="Luyện tập không giới hạn, đố vui trực tiếp trong lớp học, bảng xếp hạng theo tuần.",
            description="Sân chơi mở cho mọi học sinh: luyện tập bộ câu hỏi công khai và tham gia đố vui trực tiếp.",
            rules="Không có giải thưởng; điểm chỉ để tự đánh giá.",
            opens_at=now - 2 * day,
            closes_at=now + 30 * day,
            rounds=[("Đố vui hằng tuần", "quiz", now - 2 * day, now + 30 * day, 1)],
        )
        self._event(
            library,
            librarian,
            now,
            slug="dien-dan-tu-hoc-ky-nguyen-so",
            kind=Event.Kind.FORUM,
            state=Event.State.OPEN,
            title="Diễn đàn “Tự học trong kỷ nguyên số”",
            summary="Trao đổi kinh nghiệm tự học, giới thiệu tài nguyên giáo dục mở và thư viện số.",
            description="Diễn đàn do Thư viện tỉnh tổ chức, kèm buổi nói chuyện sách và đố vui trực tiếp.",
            rules="Tôn trọng người khác; không đăng thông tin cá nhân của người khác.",
            opens_at=now + 2 * day,
            closes_at=now + 9 * day,
            rounds=[
                (
                    "Đố vui trực tiếp tại buổi nói chuyện sách",
                    "live",
                    now + 3 * day,
                    now + 3 * day + dt.timedelta(hours=1),
                    1,
                )
            ],
        )
        self._event(
            library,
            librarian,
            now,
            slug="thu-vien-so-ban-nhap",
            kind=Event.Kind.CONTEST,
            state=Event.State.DRAFT,
            title="Cuộc thi Đại sứ văn hóa đọc (bản nháp)",
            summary="Đang chuẩn bị.",
            description="",
            rules="",
            opens_at=now + 10 * day,
            closes_at=now + 40 * day,
            rounds=[],
        )

    def _event(self, organisation, by, now, *, slug, state, rounds, **fields):
        event = Event.objects.filter(slug=slug).first()
        if event is not None:
            return event
        event = services.event_create(organisation=organisation, by=by, fields={"slug": slug, **fields})
        for title, kind, opens_at, closes_at, weight in rounds:
            services.round_create(
                event=event,
                fields={"title": title, "kind": kind, "opens_at": opens_at, "closes_at": closes_at, "weight": weight},
            )
        if state != Event.State.DRAFT:
            services.event_transition(event=event, to_state=state, by=by, now=now)
        return event

    def _print_logins(self):
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
        for email, _name, role, *_rest in USERS:
            self.stdout.write(f"  {role:<28} {email}")
        self.stdout.write("")
