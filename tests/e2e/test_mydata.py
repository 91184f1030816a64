"""My data (Decree 13/2023) in the browser: a participant downloads their data, withdraws a consent and
deletes their account behind their password; afterwards they are signed out and cannot sign in again."""

import datetime as dt
import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.fixture
def citizen(make_user, regions):
    from contests import services

    user = make_user("rieng.tu@example.vn")
    services.profile_update(
        profile=services.profile_get_or_create(user=user),
        data={
            "full_name": "Trịnh Thị Riêng",
            "date_of_birth": dt.date(1992, 3, 4),
            "phone": "+84912345888",
            "region": regions["TN-DT-01"],
            "category": "citizen",
        },
        data_consent=True,
        guardian_consent=False,
    )
    return user


def test_a_participant_downloads_withdraws_and_deletes(new_context, login, citizen, submit):
    from contests.models import ConsentEvent, Profile
    from privacy.models import Erasure

    page = new_context().new_page()
    login(page, citizen.email)
    page.goto("/profile/")
    with page.expect_navigation():
        page.click("a[href='/my-data/']")

    with page.expect_download() as download:
        page.click("a[href='/my-data/export.json']")
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["profile"][0]["full_name"] == "Trịnh Thị Riêng" and data["consents"]
    with page.expect_download() as download:
        page.click("a[href='/my-data/export.xlsx']")
    assert download.value.suggested_filename.endswith(".xlsx")

    submit(page, "#consent-data form")
    expect(page.locator("table.consent-history tbody tr")).to_have_count(2)  # given, then withdrawn
    assert ConsentEvent.objects.filter(user=citizen, action="withdrawn").count() == 1
    assert Profile.objects.get(user=citizen).data_consent_at is None

    page.fill("input[name=password]", "not-my-password")
    page.check("input[name=confirm]")
    submit(page, "form[action='/my-data/delete/']")
    expect(page.locator("#field-password .errorlist")).to_be_visible()
    assert not Erasure.objects.exists()

    page.fill("input[name=password]", "a-Strong-pass-123")
    page.check("input[name=confirm]")
    submit(page, "form[action='/my-data/delete/']")
    assert page.locator("form[action='/accounts/logout/']").count() == 0, "signed out"
    assert Erasure.objects.filter(user=citizen).exists()
    citizen.refresh_from_db()
    assert not citizen.is_active and citizen.email == ""

    page.goto("/accounts/login/")
    page.fill("input[name=login]", "rieng.tu@example.vn")
    page.fill("input[name=password]", "a-Strong-pass-123")
    submit(page, "form[action='/accounts/login/']")
    assert page.locator("form[action='/accounts/logout/']").count() == 0, "the old password opens nothing"
