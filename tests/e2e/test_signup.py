"""Journey 1: a citizen signs up, confirms their email, and completes a minor's profile with consents."""

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from contests.models import Category, Profile

pytestmark = pytest.mark.e2e

PASSWORD = "Mat-khau-that-manh-2025"
PROFILE_FORM = "#main form:has(#id_date_of_birth)"

# True when the error list of an input sits next to it: in the same container (the site's _field.html)
# or as the element just before or after the one holding it (allauth's form.as_p).
ERROR_NEXT_TO_INPUT = """input => {
    const error = document.getElementById(input.id + "_error");
    if (!error) return false;
    return error.parentElement === input.parentElement
        || (error.nextElementSibling !== null && error.nextElementSibling.contains(input))
        || (error.previousElementSibling !== null && error.previousElementSibling.contains(input));
}"""


def years_ago(today: dt.date, years: int, *, days_earlier: int = 0) -> dt.date:
    """The date ``years`` years before ``today`` (28 Feb for 29 Feb), minus ``days_earlier`` days."""
    try:
        day = today.replace(year=today.year - years)
    except ValueError:
        day = today.replace(year=today.year - years, day=28)
    return day - dt.timedelta(days=days_earlier)


def fill_signup(page, *, email: str, full_name: str, phone: str) -> None:
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.fill("input[name=full_name]", full_name)
    page.fill("input[name=phone]", phone)


def test_citizen_signs_up_confirms_email_and_completes_a_minors_profile(new_context, submit, regions):
    users = get_user_model().objects
    email, full_name = "hoc.sinh@example.vn", "Trần Thị Minh Anh"
    commune = regions["TN-TPTN-01"]
    today = timezone.localdate()
    minor_born = years_ago(today, 12, days_earlier=30)
    adult_born = years_ago(today, 30)

    # Sign up: email, password twice, full name and a phone number written the local way.
    page = new_context().new_page()
    fill_signup(page, email=email, full_name=full_name, phone="0987 654 321")
    submit(page, "form[action='/accounts/signup/']")
    user = users.get(email=email)
    assert not user.emailaddress_set.get(email=email).verified
    assert user.profile.full_name == full_name
    assert user.profile.phone == "+84987654321"

    # The verification email carries the confirmation link; confirming (a POST) signs in and leads to the profile.
    assert [message.to for message in mail.outbox] == [[email]]
    link = re.search(r"/accounts/confirm-email/[^/\s]+/", mail.outbox[0].body)
    assert link, f"no confirmation link in:\n{mail.outbox[0].body}"
    page.goto(link.group(0))
    # Not the exact link: allauth re-signs the key (with a fresh time stamp) each time it renders the form.
    submit(page, "#main form[method=post][action^='/accounts/confirm-email/']")
    expect(page).to_have_url(re.compile(r"/profile/$"))
    assert user.emailaddress_set.get(email=email).verified
    expect(page.locator("input[name=full_name]")).to_have_value(full_name)

    # The guardian box follows the date of birth as it is typed, before any submission.
    guardian_box = page.locator("#guardian-box")
    expect(guardian_box).to_be_hidden()
    page.fill("#id_date_of_birth", adult_born.isoformat())
    expect(guardian_box).to_be_hidden()
    page.fill("#id_date_of_birth", minor_born.isoformat())
    expect(guardian_box).to_be_visible()
    page.fill("#id_date_of_birth", adult_born.isoformat())
    expect(guardian_box).to_be_hidden()
    page.fill("#id_date_of_birth", minor_born.isoformat())
    expect(guardian_box).to_be_visible()

    page.select_option("#id_region", value=str(commune.pk))
    page.select_option("select[name=category]", value=Category.PUPIL)
    page.check("input[name=data_consent]")
    page.fill("input[name=guardian_name]", "Trần Văn Bình")
    page.check("input[name=guardian_consent]")
    submit(page, PROFILE_FORM)
    expect(page).to_have_url(re.compile(r"/profile/$"))
    expect(page.locator("[aria-invalid=true]")).to_have_count(0)

    profile = Profile.objects.get(user=user)
    assert profile.is_complete
    assert profile.is_minor
    assert profile.date_of_birth == minor_born
    assert profile.region == commune
    assert profile.category == Category.PUPIL
    assert profile.phone == "+84987654321"
    assert profile.guardian_name == "Trần Văn Bình"
    assert profile.data_consent_at is not None
    assert profile.guardian_consent_at is not None

    # The same phone number written another way is the same number: a second account is refused.
    other = new_context().new_page()
    fill_signup(other, email="nguoi.khac@example.vn", full_name="Lê Văn Khác", phone="+84 987654321")
    response = submit(other, "form[action='/accounts/signup/']")
    assert response.status == 200
    expect(other).to_have_url(re.compile(r"/accounts/signup/$"))
    phone_input = other.locator("input[name=phone]")
    expect(phone_input).to_have_attribute("aria-invalid", "true")
    expect(phone_input).to_have_attribute("aria-describedby", re.compile(r"\bid_phone_error\b"))
    expect(other.locator("#id_phone_error")).to_be_visible()
    expect(other.locator("#id_phone_error")).not_to_have_text("")
    assert phone_input.evaluate(ERROR_NEXT_TO_INPUT), "the phone error is not next to the phone field"
    expect(other.locator("[aria-invalid=true]")).to_have_count(1)  # only the phone was wrong
    assert not users.filter(email="nguoi.khac@example.vn").exists()
    assert users.count() == 1
    assert len(mail.outbox) == 1
