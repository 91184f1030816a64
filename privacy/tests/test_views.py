"""The "My data" pages: the signed-in person only, exports as files (rate-limited), consent withdrawal,
account deletion behind the password."""

import datetime as dt
import json
from io import BytesIO

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from conftest import PASSWORD
from contests.models import Profile
from privacy import services
from privacy.models import Erasure

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, person):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(person)
    return client


@pytest.mark.parametrize("name", ["mydata", "mydata_export_json", "mydata_export_xlsx", "mydata_delete"])
def test_every_page_needs_a_signed_in_person(client, name):
    response = client.get(reverse(name)) if name != "mydata_delete" else client.post(reverse(name))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_page_shows_the_consents_with_their_history(signed_in, person):
    body = signed_in.get(reverse("mydata")).content.decode()
    assert "Processing of my personal data" in body and "Withdraw" in body
    assert "Given" in body and "Delete my account" in body


def test_the_json_export_is_a_download_of_my_own_data(signed_in, history):
    response = signed_in.get(reverse("mydata_export_json"))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "no-store"
    data = json.loads(response.content)
    assert data["profile"][0]["full_name"] == "Trần Thị Riêng Tư" and data["forum_posts"] and data["certificates"]


def test_the_excel_export_has_a_sheet_per_section_and_no_formulas(signed_in, person, history):
    Profile.objects.filter(user=person).update(organisation_name='=HYPERLINK("http://x")')
    response = signed_in.get(reverse("mydata_export_xlsx"))
    book = load_workbook(BytesIO(response.content))
    assert {"profile", "consents", "attempts", "answers", "entries", "certificates", "forum_posts"} <= set(
        book.sheetnames
    )
    header, values = list(book["profile"].iter_rows(values_only=True))
    assert dict(zip(header, values, strict=True))["organisation_name"].startswith("'="), "typed text stays text"


def test_exports_are_rate_limited(signed_in):
    for _ in range(services.EXPORTS_PER_HOUR):
        assert signed_in.get(reverse("mydata_export_json")).status_code == 200
    refused = signed_in.get(reverse("mydata_export_xlsx"))
    assert refused.status_code == 429 and "several times this hour" in refused.content.decode()


def test_a_consent_is_withdrawn_by_post_only(signed_in, person):
    url = reverse("mydata_consent_withdraw", args=["data"])
    assert signed_in.get(url).status_code == 405
    response = signed_in.post(url, follow=True)
    assert Profile.objects.get(user=person).data_consent_at is None
    body = response.content.decode()
    assert "Your consent is withdrawn" in body and "Withdrawn" in body and "not given" in body
    again = signed_in.post(url, follow=True)
    assert "nothing to withdraw" in again.content.decode()


def test_a_wrong_password_deletes_nothing(signed_in, person):
    response = signed_in.post(reverse("mydata_delete"), {"password": "wrong", "confirm": "on"})
    assert response.status_code == 400 and "password is not right" in response.content.decode()
    assert not Erasure.objects.exists() and Profile.objects.get(user=person).full_name


def test_the_confirmation_is_required(signed_in, person):
    response = signed_in.post(reverse("mydata_delete"), {"password": PASSWORD})
    assert response.status_code == 400 and not Erasure.objects.exists()


def test_deleting_signs_out_and_the_old_password_no_longer_works(signed_in, client, person):
    response = signed_in.post(reverse("mydata_delete"), {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert Erasure.objects.filter(user=person).exists()
    assert client.get(reverse("mydata")).status_code == 302, "signed out"
    login = client.post(reverse("account_login"), {"login": "rieng@example.vn", "password": PASSWORD})
    assert login.status_code == 200 and "_auth_user_id" not in client.session


def _history_rows(client) -> list[str]:
    body = client.get(reverse("mydata")).content.decode()
    table = body.split('class="consent-history"', 1)[1].split("</table>", 1)[0]
    return [" ".join(row.split()) for row in table.split("<tr>")[2:]]


def test_unticking_a_given_consent_on_the_profile_is_a_withdrawal_in_the_history_and_the_export(
    signed_in, person, regions
):
    profile = Profile.objects.get(user=person)
    post = {
        "full_name": profile.full_name,
        "date_of_birth": profile.date_of_birth.isoformat(),
        "phone": profile.phone,
        "region": profile.region_id,
        "category": profile.category,
        "public_name": profile.public_name,
    }
    response = signed_in.post(reverse("profile_edit"), post, follow=True)
    assert "withdrawn" in response.content.decode()
    assert Profile.objects.get(user=person).data_consent_at is None
    rows = _history_rows(signed_in)
    assert len(rows) == 2 and "Given" in rows[0] and "Withdrawn" in rows[1] and "You" in rows[1]
    exported = json.loads(signed_in.get(reverse("mydata_export_json")).content)["consents"]
    assert [(c["action"], c["recorded_by"]) for c in exported] == [("Given", "You"), ("Withdrawn", "You")]
    signed_in.post(reverse("profile_edit"), {**post, "data_consent": "on"})
    assert [c["action"] for c in json.loads(signed_in.get(reverse("mydata_export_json")).content)["consents"]] == [
        "Given",
        "Withdrawn",
        "Given",
    ]


def test_a_guardian_consent_recorded_by_a_teacher_shows_in_the_pupils_history(client, make_user, organisation):
    from contests import services as contest_services
    from contests.classes import services as class_services
    from contests.classes.parsing import PupilRow
    from contests.models import ClassAccount, Membership

    teacher = make_user("co.lan@example.vn")
    Profile.objects.create(user=teacher, full_name="Cô Lan")
    contest_services.membership_add(user=teacher, organisation=organisation, role=Membership.Role.TEACHER)
    row = PupilRow(line=2, full_name="Nguyễn Văn An", date_of_birth="2014-09-15", class_name="6A1", errors=[])
    class_services.class_accounts_create(unit=organisation, by=teacher, rows=[row])
    account = ClassAccount.objects.get()
    class_services.guardian_consent_record(
        account=account, by=teacher, guardian_name="Nguyễn Văn Bố", reference="PH-07", form_date=dt.date(2026, 9, 5)
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(account.user)
    [row_html] = _history_rows(client)
    assert "guardian" in row_html and "Given" in row_html and "Cô Lan" in row_html and "PH-07" in row_html
    [exported] = json.loads(client.get(reverse("mydata_export_json")).content)["consents"]
    assert exported["recorded_by"] == "Cô Lan" and exported["action"] == "Given"
