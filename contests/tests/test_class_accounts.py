"""Class accounts (issue 16): reading a class list, creating accounts, resetting passwords, guardian consent."""

import datetime as dt
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import Workbook

from contests.classes import services
from contests.classes.parsing import ClassListError, parse_class_list
from contests.models import ClassAccount, ConsentRecord, Membership, Organisation

TODAY = dt.date(2026, 12, 7)


def workbook(rows, header=("Họ và tên", "Ngày sinh", "Lớp")) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_class_list_is_read_with_dates_as_cells_or_text():
    data = workbook(
        [
            ("Nguyễn Văn An", dt.datetime(2013, 9, 15), "6A1"),
            ("  Trần   Thị Bình ", "02/03/2013", "6A1"),
            (None, None, None),  # an empty line is skipped
            ("Lê Minh", "2013-12-31", "6A2"),
        ]
    )
    rows = parse_class_list(data, today=TODAY)
    assert [(r.line, r.full_name, r.date_of_birth, r.class_name, r.errors) for r in rows] == [
        (2, "Nguyễn Văn An", "2013-09-15", "6A1", []),
        (3, "Trần Thị Bình", "2013-03-02", "6A1", []),
        (5, "Lê Minh", "2013-12-31", "6A2", []),
    ]


def test_english_headers_in_another_order_are_understood():
    rows = parse_class_list(
        workbook([("6A1", "An Nguyen", "15/09/2013")], header=("Class", "Full name", "Date of birth")), today=TODAY
    )
    assert rows[0].full_name == "An Nguyen" and rows[0].class_name == "6A1"


def test_each_bad_row_says_what_is_wrong():
    rows = parse_class_list(
        workbook(
            [
                ("An", "15/09/2013", "6A1"),
                ("Trần Thị Bình", "31/02/2013", "6A1"),
                ("Lê Văn Cường", "01/01/2025", ""),
                ("Trần Thị Dung", "01/01/2013", "6A1"),
                ("Trần Thị Dung", "01/01/2013", "6A1"),
            ]
        ),
        today=TODAY,
    )
    assert [len(row.errors) for row in rows] == [1, 1, 2, 0, 1]


@pytest.mark.parametrize(
    "data",
    [b"not a workbook", workbook([], header=("Tên", "Lớp")), workbook([])],
)
def test_unreadable_or_empty_lists_are_refused_as_a_whole(data):
    with pytest.raises(ClassListError):
        parse_class_list(data, today=TODAY)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Nguyễn Văn An", "an.nv"), ("Đặng Thị Ngọc Ánh", "anh.dtn"), ("Minh", "minh"), ("Lê  Đức", "duc.l")],
)
def test_usernames_are_readable(name, expected):
    assert services.username_base(name) == expected


@pytest.fixture
def school(db):
    return Organisation.objects.create(name="Trường THCS Nha Trang", slug="thcs-nha-trang")


@pytest.fixture
def teacher(make_user, school):
    from contests import services as contest_services

    user = make_user("co.lan@example.vn")
    contest_services.membership_add(user=user, organisation=school, role=Membership.Role.TEACHER)
    return user


def _rows(*pupils):
    return parse_class_list(workbook(pupils), today=timezone.localdate())


def test_accounts_are_created_for_the_unit_with_unique_usernames(school, teacher, make_user):
    make_user("an.nv@example.vn")  # someone already has the username "an.nv"
    cards = services.class_accounts_create(
        unit=school, by=teacher, rows=_rows(("Nguyễn Văn An", "15/09/2013", "6A1"), ("Ngô Văn An", "01/02/2013", "6A2"))
    )
    accounts = ClassAccount.objects.filter(organisation=school).select_related("user__profile").order_by("pk")
    assert [a.user.username for a in accounts] == ["an.nv2", "an.nv3"]
    first = accounts[0]
    assert first.user.email == "" and first.must_change_password and first.created_by == teacher
    assert first.user.profile.category == "pupil" and first.user.profile.organisation == school
    assert first.user.profile.date_of_birth == dt.date(2013, 9, 15)
    assert first.user.check_password(cards[0].password) and cards[0].account_id == first.pk
    assert len(cards[0].password) == 10 and cards[0].password != cards[1].password


def test_a_list_with_errors_or_already_created_pupils_creates_nothing(school, teacher):
    with pytest.raises(ValidationError):
        services.class_accounts_create(unit=school, by=teacher, rows=_rows(("An", "15/09/2013", "6A1")))
    services.class_accounts_create(unit=school, by=teacher, rows=_rows(("Nguyễn Văn An", "15/09/2013", "6A1")))
    with pytest.raises(ValidationError, match="Nguyễn Văn An"):
        services.class_accounts_create(
            unit=school,
            by=teacher,
            rows=_rows(("Trần Thị Bình", "02/03/2013", "6A1"), ("Nguyễn Văn An", "15/09/2013", "6A1")),
        )
    assert ClassAccount.objects.count() == 1


def test_a_reset_gives_a_new_temporary_password_to_change_again(school, teacher):
    [card] = services.class_accounts_create(unit=school, by=teacher, rows=_rows(("Nguyễn Văn An", "15/09/2013", "6A1")))
    account = ClassAccount.objects.get()
    services.first_password_set(account=account)
    [new] = services.class_passwords_reset(accounts=[account], by=teacher)
    account.refresh_from_db()
    account.user.refresh_from_db()
    assert account.must_change_password
    assert account.user.check_password(new.password) and not account.user.check_password(card.password)


def test_guardian_consent_is_recorded_as_the_teachers_record_of_a_form(school, teacher, now):
    services.class_accounts_create(unit=school, by=teacher, rows=_rows(("Nguyễn Văn An", "15/09/2013", "6A1")))
    account = ClassAccount.objects.select_related("user__profile").get()
    assert account.user.profile.is_minor and account.user.profile.guardian_consent_at is None
    record = services.guardian_consent_record(
        account=account,
        by=teacher,
        guardian_name=" Nguyễn  Văn Bố ",
        reference="GĐ-6A1-07",
        form_date=dt.date(2026, 9, 5),
        now=now,
    )
    assert (record.kind, record.recorded_by, record.recorded_at, record.reference) == (
        "guardian",
        teacher,
        now,
        "GĐ-6A1-07",
    )
    assert record.guardian_name == "Nguyễn Văn Bố" and record.form_date == dt.date(2026, 9, 5)
    account.user.profile.refresh_from_db()
    assert account.user.profile.guardian_consent_at == now and account.user.profile.guardian_name == "Nguyễn Văn Bố"
    assert account.user.profile.data_consent_at is None  # nothing is ticked in the pupil's name


@pytest.mark.parametrize(("name", "reference", "days_ahead"), [("", "GĐ-1", 0), ("Bố", "  ", 0), ("Bố", "GĐ-1", 3)])
def test_a_consent_without_name_reference_or_with_a_future_date_is_refused(
    school, teacher, name, reference, days_ahead
):
    services.class_accounts_create(unit=school, by=teacher, rows=_rows(("Nguyễn Văn An", "15/09/2013", "6A1")))
    with pytest.raises(ValidationError):
        services.guardian_consent_record(
            account=ClassAccount.objects.get(),
            by=teacher,
            guardian_name=name,
            reference=reference,
            form_date=timezone.localdate() + dt.timedelta(days=days_ahead),
        )
    assert not ConsentRecord.objects.exists()


def test_card_passwords_use_the_card_hasher_then_the_default_after_sign_in(school, teacher, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "contests.classes.hashers.TemporaryPasswordHasher",
    ]
    from django.contrib.auth.hashers import get_hashers_by_algorithm

    get_hashers_by_algorithm.cache_clear()
    try:
        [card] = services.class_accounts_create(
            unit=school, by=teacher, rows=_rows(("Nguyễn Văn An", "15/09/2013", "6A1"))
        )
        user = ClassAccount.objects.get().user
        assert user.password.startswith("pbkdf2_sha256_card$20000$")
        assert user.check_password(card.password)  # and upgraded to the default hasher on the way
        user.refresh_from_db()
        assert user.password.startswith("md5$")
    finally:
        get_hashers_by_algorithm.cache_clear()
