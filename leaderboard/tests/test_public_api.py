"""The public API on django-ninja: the OpenAPI document is generated from typed schemas (every response has
one), the answers keep the keys and value formats of the hand-written API, and schemathesis checks the
running API against its own document through the WSGI application (no network)."""

from __future__ import annotations

from decimal import Decimal

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.urls import reverse
from hypothesis import HealthCheck, settings

from contests import services as contest_services
from leaderboard import results, services
from leaderboard.models import BoardConfig, Certificate
from leaderboard.selectors import DEFAULT_CHAIN

pytestmark = pytest.mark.django_db

OPERATIONS = {
    "/api/v1/events/": "events",
    "/api/v1/events/{slug}/": "slug",
    "/api/v1/rounds/{round_id}/board/": "round_id",
    "/api/v1/events/{slug}/results/": "slug",
    "/api/v1/certificates/{code}/": "code",
}
EVENT_KEYS = {"slug", "title", "kind", "state", "organisation", "summary", "opens_at", "closes_at", "url"}


@pytest.fixture
def published(make_event, make_user, complete_profile, organiser, now):
    """A public event with a scored round, its results published and certificates issued, one corrected
    (so that a revoked certificate and a correction exist)."""
    event = make_event(state="open", rounds=1)
    rnd = event.rounds.get()
    for index, points in enumerate((9, 7, 6)):
        user = make_user(f"api{index}@example.vn", profile=complete_profile(f"+8491200060{index}"))
        services.score_record(rnd=rnd, user=user, points=Decimal(points), max_points=Decimal(10), submitted_at=now)
    contest_services.event_transition(event=event, to_state="closed", by=organiser)
    result_set = results.results_publish(event=event, by=organiser, prizes={"first": 1})
    results.certificates_issue(result_set=result_set)
    results.result_correct(row=result_set.rows.get(rank=1), total=Decimal(5), reason="Chấm lại", by=organiser)
    results.certificates_issue(result_set=result_set)
    return event


def test_the_document_is_generated_with_a_schema_for_every_response(client):
    document = client.get(reverse("api_openapi")).json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Công dân số – public API"
    assert set(document["paths"]) == set(OPERATIONS)
    for path, item in document["paths"].items():
        assert set(item) == {"get"}, f"{path} is read-only"
        for status, response in item["get"]["responses"].items():
            assert "$ref" in response["content"]["application/json"]["schema"], (path, status)
    schemas = document["components"]["schemas"]
    assert set(schemas["EventOut"]["properties"]) == EVENT_KEYS
    assert schemas["EventOut"]["properties"]["opens_at"]["format"] == "date-time"
    assert schemas["Board"]["required"] == ["round", "public", "rows"]


def test_answers_keep_the_keys_and_formats_of_the_hand_written_api(client, published):
    listed = client.get(reverse("api_events"))
    assert listed["Access-Control-Allow-Origin"] == "*" and listed["Cache-Control"] == "public, max-age=30"
    detail = client.get(reverse("api_event", args=[published.slug])).json()
    assert set(detail) == EVENT_KEYS | {"rounds"}
    assert detail["opens_at"] == published.opens_at.isoformat(), "datetime.isoformat(), as before"
    [round_] = detail["rounds"]
    assert set(round_) == {"id", "position", "title", "kind", "weight", "opens_at", "closes_at", "board"}
    assert round_["board"] == f"/api/v1/rounds/{round_['id']}/board/" and isinstance(round_["weight"], str)
    board = client.get(round_["board"]).json()
    assert set(board) == {"round", "title", "public", "frozen_at", "rows"}
    assert set(board["rows"][0]) == {"rank", "name", "points"} and board["rows"][0]["points"] == "9.00"

    answer = client.get(reverse("api_event_results", args=[published.slug])).json()
    assert set(answer) == {"event", "published_at", "rows", "corrections"}
    assert set(answer["corrections"][0]) == {"at", "field", "old", "new", "reason"}
    certificates = {c.revoked: c for c in Certificate.objects.filter(row__result_set__event=published)}
    revoked = client.get(reverse("api_certificate", args=[certificates[True].code])).json()
    assert revoked["valid"] is False and {"revoked_at", "revoked_reason", "replaced_by"} <= set(revoked)
    valid = client.get(reverse("api_certificate", args=[certificates[False].code.lower()])).json()
    assert valid["valid"] is True and "revoked_at" not in valid and "replaced_by" not in valid, "absent, not null"
    assert client.get(reverse("api_certificate", args=["NOPE"])).json() == {"valid": False}


def test_a_board_hidden_until_close_answers_without_title_or_rows(client, make_event):
    rnd = make_event(state="open", rounds=1).rounds.get()
    BoardConfig.objects.create(round=rnd, chain=DEFAULT_CHAIN, hidden_until_close=True)
    response = client.get(reverse("api_round_board", args=[rnd.pk]))
    assert response.json() == {"round": rnd.pk, "public": False, "rows": []}, "absent keys stay absent"


def test_writes_are_refused(client, published):
    assert client.post(reverse("api_events")).status_code == 405
    assert client.delete(reverse("api_event", args=[published.slug])).status_code == 405
    assert client.post(reverse("api_openapi")).status_code == 405


# Loaded once, through the WSGI application (the document reads no database). schemathesis' lazy
# `from_fixture` loader reads a pytest attribute that pytest 9 removed, hence the module-level schema.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def api_schema():
    return schema


@pytest.fixture(autouse=True)
def connection_kept_through_wsgi_requests():
    """schemathesis calls the WSGI handler itself, whose request signals close "old" connections: on PostgreSQL
    that closes the test's connection inside its transaction. Django's test client unhooks the same handler."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_the_api_answers_as_its_document_says(case, published):
    """Generated path parameters (unknown slugs, codes, huge or negative ids) against the running API, with
    a published event in the database: no server error, every answer's status, content type and body as
    documented."""
    case.call_and_validate()


def test_real_objects_answer_as_the_document_says(published, api_schema):
    """The generated cases mostly hit nothing; the real event, round and certificates are checked too."""
    rnd = published.rounds.get()
    codes = [c.code for c in Certificate.objects.filter(row__result_set__event=published)]
    assert len(codes) >= 2
    parameters = {
        "/api/v1/events/": [{}],
        "/api/v1/events/{slug}/": [{"slug": published.slug}],
        "/api/v1/events/{slug}/results/": [{"slug": published.slug}],
        "/api/v1/rounds/{round_id}/board/": [{"round_id": rnd.pk}],
        "/api/v1/certificates/{code}/": [{"code": code} for code in codes],
    }
    for path, cases in parameters.items():
        operation = api_schema[path]["GET"]
        for path_parameters in cases:
            response = operation.Case(path_parameters=path_parameters).call_and_validate()
            assert response.status_code == 200, (path, path_parameters)
