"""The example exchanges of the tus 1.0.0 specification (https://tus.io/protocols/resumable-upload), walked
against our door in the spec's order: what any standard client (tus-js-client, Uppy, tuspy) relies on.
Only the host, the URL prefix and the authentication (cookie + CSRF header) differ from the spec's text."""

from __future__ import annotations

import re

import pytest

from .test_tus import metadata, patch, tus

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
HTTP_DATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$"
)


@pytest.fixture
def session(reader):
    from tests.sessions import signed_in_session

    return signed_in_session(reader)


async def test_the_specs_exchanges_in_order(session, reading_round):
    # Core, OPTIONS: 204 with Tus-Version, Tus-Max-Size and Tus-Extension.
    options = await tus("OPTIONS", "/uploads/", tus=None)
    assert options.status == 204
    assert "1.0.0" in options["Tus-Version"].split(",")
    assert {"creation", "expiration", "termination"} <= set(options["Tus-Extension"].split(","))
    assert options["Tus-Max-Size"].isdigit()

    # Creation: "POST /files … Content-Length: 0, Upload-Length: 100, Upload-Metadata: filename …,is_confidential"
    meta = metadata(filename="world_domination_plan.pdf", round=reading_round.round_id) + ",is_confidential"
    created = await tus(
        "POST", "/uploads/", session, extra={"content-length": "0", "upload-length": "100", "upload-metadata": meta}
    )
    assert created.status == 201 and created["Tus-Resumable"] == "1.0.0"
    location = created["Location"]
    assert HTTP_DATE.match(created["Upload-Expires"])  # expiration: RFC 9110 date on creation

    data = bytes(range(100))
    first = await patch(session, location, 0, data[:70])
    assert first.status == 204 and first["Upload-Offset"] == "70"

    # Core, HEAD: "200 OK, Upload-Offset: 70", never cached.
    head = await tus("HEAD", location, session)
    assert head.status == 200 and head["Upload-Offset"] == "70" and head["Upload-Length"] == "100"
    assert head["Tus-Resumable"] == "1.0.0" and head["Cache-Control"] == "no-store"

    # Core, PATCH: "Content-Length: 30, Upload-Offset: 70" → "204 No Content, Upload-Offset: 100".
    rest = await patch(session, location, 70, data[70:])
    assert rest.status == 204 and rest["Upload-Offset"] == "100" and rest["Tus-Resumable"] == "1.0.0"
    assert HTTP_DATE.match(rest["Upload-Expires"])  # expiration: on PATCH responses too

    # Termination: "DELETE" → "204 No Content"; afterwards the upload is gone (404 or 410).
    deleted = await tus("DELETE", location, session)
    assert deleted.status == 204 and deleted["Tus-Resumable"] == "1.0.0"
    assert (await tus("HEAD", location, session)).status in (404, 410)


async def test_every_answer_but_options_carries_tus_resumable(session, reading_round):
    for reply in (
        await tus("POST", "/uploads/", session, extra={"upload-length": "5"}),  # 400: no metadata
        await tus("HEAD", "/uploads/missing", session),  # 404
        await tus("HEAD", "/uploads/missing", session, tus="0.1"),  # 412
    ):
        assert reply["Tus-Resumable"] == "1.0.0"
