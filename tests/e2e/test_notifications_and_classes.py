"""Issue 16 journeys: the notification bell (unread count, mark read, mark all read), and a teacher's class
login cards (upload an .xlsx made here, confirm, download the PDF and read it), then a pupil's first sign-in
with a card and the forced password change."""

from __future__ import annotations

import re

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect
from pypdf import PdfReader

from contests import services as contest_services
from contests.models import ClassAccount, Membership, Organisation
from notifications import services as notification_services
from notifications.kinds import Kind
from notifications.models import Notification

pytestmark = pytest.mark.e2e


def test_the_bell_counts_unread_notifications_and_marks_them_read(new_context, login, make_user):
    person = make_user("hoc.vien@example.vn")
    for number in range(3):
        notification_services.notify(
            person, Kind.APPEAL_ANSWERED, key=f"appeal:{number}", params={"title": f"Vòng {number}"}, url="/"
        )
    page = new_context().new_page()
    login(page, person.email)
    expect(page.locator("#bell-count")).to_contain_text("3")

    with page.expect_navigation():
        page.click("#bell")
    expect(page).to_have_url(re.compile(r"/notifications/$"))
    expect(page.locator("li[id^=notification-]")).to_have_count(3)
    first = Notification.objects.get(key="appeal:1")
    with page.expect_navigation():
        page.locator(f"#notification-{first.pk} button[name=read]").click()
    expect(page.locator("#bell-count")).to_contain_text("2")
    first.refresh_from_db()
    assert first.read_at is not None

    with page.expect_navigation():
        page.locator("#notifications-read-all button[type=submit]").click()
    expect(page.locator("#bell-count")).to_have_count(0)
    assert not Notification.objects.filter(user=person, read_at__isnull=True).exists()


def _class_list(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Họ và tên", "Ngày sinh", "Lớp"])
    sheet.append(["Nguyễn Văn An", "15/09/2013", "6A1"])
    sheet.append(["Đặng Thị Ngọc Ánh", "02/03/2013", "6A1"])
    path = tmp_path / "danh-sach-6A1.xlsx"
    book.save(path)
    return path


def test_a_teacher_prints_login_cards_and_a_pupil_signs_in_with_one(new_context, login, make_user, tmp_path):
    school = Organisation.objects.create(name="Trường THCS Nha Trang", slug="thcs-nha-trang")
    teacher = make_user("co.lan@example.vn")
    contest_services.membership_add(user=teacher, organisation=school, role=Membership.Role.TEACHER)

    context = new_context(accept_downloads=True)
    page = context.new_page()
    login(page, teacher.email)
    page.goto("/organiser/classes/")
    expect(page).to_have_url(re.compile(r"/organiser/classes/thcs-nha-trang/$"))
    page.set_input_files("#class-upload input[name=file]", str(_class_list(tmp_path)))
    with page.expect_navigation():
        page.locator("#class-upload button[type=submit]").click()
    expect(page.locator("#class-confirm")).to_be_visible()
    with page.expect_navigation():
        page.locator("#class-confirm button[type=submit]").click()
    assert ClassAccount.objects.filter(organisation=school).count() == 2

    with page.expect_download() as download:
        page.click("#download-cards")
    pdf = PdfReader(str(download.value.path()))
    text = "".join(p.extract_text() for p in pdf.pages)
    assert "Nguyễn Văn An" in text and "Đặng Thị Ngọc Ánh" in text
    password = re.search(r"^an\.nv\n([a-z0-9]{10})$", text, re.MULTILINE)  # the username, then its password
    assert password, text

    pupil_page = new_context().new_page()
    pupil_page.goto("/class-login/?u=an.nv")
    expect(pupil_page.locator("input[name=username]")).to_have_value("an.nv")
    pupil_page.fill("input[name=password]", password.group(1))
    with pupil_page.expect_navigation():
        pupil_page.locator("#class-sign-in button[type=submit]").click()
    expect(pupil_page).to_have_url(re.compile(r"/class-login/password/$"))
    pupil_page.goto("/")
    expect(pupil_page).to_have_url(re.compile(r"/class-login/password/$"))  # held until the password is chosen
    pupil_page.fill("input[name=new_password1]", "Hoc-sinh-gioi-2026")
    pupil_page.fill("input[name=new_password2]", "Hoc-sinh-gioi-2026")
    with pupil_page.expect_navigation():
        pupil_page.locator("#class-password button[type=submit]").click()
    expect(pupil_page).to_have_url(re.compile(r"/profile/$"))
    assert not ClassAccount.objects.get(user__username="an.nv").must_change_password
