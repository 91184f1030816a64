"""Demo data hooks: each app may have a ``demo.py`` whose ``seed(*, stdout, now)`` adds its part.

``manage.py seed_demo`` loads the core (organisations, users, events) and then calls every app's seeder,
so that this core app never imports the apps that build on it. ``seed_demo --rich`` then calls each app's
``seed_rich(*, stdout, now, people)`` with the simulated participants made here (``rich_participants``).
"""

import datetime as dt
import random

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from .models import Category, ConsentEvent, ConsentKind, Organisation, Profile, Region

RICH_PARTICIPANTS = 300
RICH_EMAIL = "thisinh{:03d}@demo.vn"  # simulated participants of ``seed_demo --rich`` (password: the demo's)
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Ma"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Ngọc", "Thu", "Quang", "Thanh", "Hữu", "Thảo", "Gia", "Khánh"]
GIVEN = [
    "An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Huy", "Khoa", "Lan", "Linh",
    "Long", "Mai", "Nam", "Ngân", "Phong", "Phúc", "Quân", "Quỳnh", "Sơn", "Tâm", "Thảo", "Trang", "Tú", "Vy",
]  # fmt: skip


def rich_participants(*, password: str, now: dt.datetime, count: int = RICH_PARTICIPANTS) -> list:
    """Simulated participants across the province's communes and the department's schools, with complete
    profiles and consents (a minor's guardian consent included), made in bulk: ``seed_demo --rich``.

    Idempotent: only the missing ones are made; the draw is seeded, so every run makes the same people.
    One password hash serves them all (hashing hundreds of passwords would cost most of the demo's time).
    """
    User = get_user_model()
    emails = [RICH_EMAIL.format(n) for n in range(1, count + 1)]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    rng = random.Random(2023)  # noqa: S311 - a reproducible demo, not a secret
    communes = list(Region.objects.filter(level=Region.Level.COMMUNE, code__startswith="TN-").order_by("code"))
    schools = list(Organisation.objects.filter(parent__slug="so-gddt-thai-nguyen").select_related("region"))
    hashed = make_password(password)
    users, plans = [], []
    for number, email in enumerate(emails, start=1):
        plan = _rich_person(rng, number, communes, schools, now)  # drawn for every number: stable people
        if email in existing:
            continue
        joined = now - dt.timedelta(days=20, minutes=number * 7)
        users.append(User(username=email.split("@")[0], email=email, password=hashed, date_joined=joined))
        plans.append(plan)
    User.objects.bulk_create(users)
    made = {u.email: u for u in User.objects.filter(email__in=[u.email for u in users])}
    EmailAddress.objects.bulk_create(
        EmailAddress(user=made[u.email], email=u.email, verified=True, primary=True) for u in users
    )
    Profile.objects.bulk_create(Profile(user=made[u.email], **plan) for u, plan in zip(users, plans, strict=True))
    # Their consents go into the consent history too, as ticked by each person (``consent_change``, in bulk).
    ConsentEvent.objects.bulk_create(
        ConsentEvent(user=made[u.email], kind=kind, action=ConsentEvent.Action.GIVEN, at=at, recorded_by=made[u.email])
        for u, plan in zip(users, plans, strict=True)
        for kind, at in (
            (ConsentKind.DATA_PROCESSING, plan["data_consent_at"]),
            (ConsentKind.GUARDIAN, plan["guardian_consent_at"]),
        )
        if at is not None
    )
    return list(User.objects.filter(email__in=emails).select_related("profile").order_by("email"))


def _rich_person(rng: random.Random, number: int, communes, schools, now: dt.datetime) -> dict:
    pupil = rng.random() < 0.6 and schools
    school = rng.choice(schools) if pupil else None
    if school is not None:
        age = {"Tiểu học": 10, "Trung học cơ sở": 13, "Trung học phổ thông": 16}.get(school.group, 15)
        category = Category.PUPIL
        district = school.region.code if school.region else "TN"
        nearby = [c for c in communes if c.code.startswith(district)] or communes
        region = rng.choice(nearby)
    else:
        age = rng.randint(19, 60)
        category = rng.choice([Category.CITIZEN, Category.CITIZEN, Category.TEACHER, Category.CIVIL_SERVANT,
                               Category.WORKER, Category.STUDENT])  # fmt: skip
        region = rng.choice(communes)
    born = dt.date(now.year - age, rng.randint(1, 12), rng.randint(1, 28))
    name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    minor = age < 18
    consent_at = now - dt.timedelta(days=19, minutes=number * 7)
    return {
        "full_name": name,
        "date_of_birth": born,
        "phone": f"+8497000{number:04d}",
        "region": region,
        "organisation": school,
        "category": category,
        "public_name": Profile.PublicName.FULL if rng.random() < 0.4 else Profile.PublicName.INITIALS,
        "data_consent_at": consent_at,
        "guardian_name": f"{name.split()[0]} Văn Phụ Huynh" if minor else "",
        "guardian_consent_at": consent_at if minor else None,
    }
