"""The read-only public JSON API for organisations' own portals, on django-ninja: typed response schemas,
from which ``/api/v1/openapi.json`` is generated (issue 17; it was a hand-written dict whose responses had
no schema).

Only what is already public on the site: listed events, their rounds, public (unfrozen or frozen) boards,
published results with public names, and certificate verification. Cross-origin reads are allowed (no
cookies are used), so a school's portal can show its own event's board.

Paths, URL names and JSON keys are those of the hand-written API (other programs read them): dates stay
``datetime.isoformat()`` strings and decimals stay strings; keys that were absent stay absent (the
``exclude_unset`` responses: a non-public board, a certificate that is not revoked).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, include, path, reverse
from django.utils import timezone
from ninja import NinjaAPI, Path, Schema, Status
from ninja.decorators import decorate_view
from pydantic import Field

from contests.models import Event, Round
from contests.selectors import events_listed

from . import selectors
from .models import Certificate, ResultSet

PREFIX = "/api/v1/"
DateTime = Annotated[str, Field(json_schema_extra={"format": "date-time"}, description="ISO 8601, with offset")]
# The path parameters as Django's converters match them (slug, int, str): a value outside these is no URL of
# this API (404 from the resolver), so the document says so instead of promising any string.
Slug = Annotated[str, Path(pattern=r"^[-a-zA-Z0-9_]+$", description="the event's slug")]
RoundId = Annotated[int, Path(ge=0)]
LARGEST_ID = 2**63 - 1  # a BigAutoField; a larger number names no round (and would overflow the query)
Code = Annotated[str, Path(pattern=r"^[^/]+$", description="the code printed on the certificate (any case)")]
DecimalText = Annotated[str, Field(pattern=r"^-?\d+(\.\d+)?$", description="a decimal number, as text")]


class EventOut(Schema):
    slug: str
    title: str
    kind: str
    state: str
    organisation: str
    summary: str
    opens_at: DateTime
    closes_at: DateTime
    url: str = Field(description="the event's page on this site")


class EventList(Schema):
    events: list[EventOut]


class RoundOut(Schema):
    id: int
    position: int
    title: str
    kind: str
    weight: DecimalText
    opens_at: DateTime
    closes_at: DateTime
    board: str = Field(description="this round's board in this API")


class EventDetail(EventOut):
    rounds: list[RoundOut]


class BoardRow(Schema):
    rank: int
    name: str = Field(description="the participant's public display name")
    points: DecimalText


class Board(Schema):
    """A round's board; when it is not public, only ``round``, ``public: false`` and no rows."""

    round: int
    title: str | None = None
    public: bool
    frozen_at: DateTime | None = None
    rows: list[BoardRow]


class ResultRowOut(Schema):
    rank: int
    name: str
    total: DecimalText
    prize: str
    prize_list: str | None  # the prize list (category, group, region, unit) the row was ranked in; None: one list


class Correction(Schema):
    at: DateTime
    field: str
    old: str
    new: str
    reason: str


class Results(Schema):
    event: str
    published_at: DateTime
    rows: list[ResultRowOut]
    corrections: list[Correction]


class CertificateOut(Schema):
    """A certificate's validity; the ``revoked_*`` and ``replaced_by`` keys only on a revoked one."""

    valid: bool
    code: str
    name: str
    kind: str
    prize: str
    rank: int
    prize_list: str | None
    event: str
    round: str | None
    organisation: str
    issued_at: DateTime
    revoked_at: DateTime | None = None
    revoked_reason: str | None = None
    replaced_by: str | None = None


class CertificateUnknown(Schema):
    valid: bool = Field(description="always false")


class NotFound(Schema):
    detail: str


def public_read(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """What every answer of this API carries: any site may read it, and caches may keep it 30 seconds."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        response["Cache-Control"] = "public, max-age=30"
        return response

    return wrapped


api = NinjaAPI(
    title="Công dân số – public API",
    version="1.0",
    description="Read-only public data of the Lifelong Learning Week contests.",
    openapi_url=None,  # served by `openapi` below, under the URL name other code reverses
    docs_url=None,
    urls_namespace="public_api",
)


def _event(event: Event) -> dict[str, Any]:
    return {
        "slug": event.slug,
        "title": event.title,
        "kind": event.kind,
        "state": event.state,
        "organisation": event.organisation.name,
        "summary": event.summary,
        "opens_at": event.opens_at.isoformat(),
        "closes_at": event.closes_at.isoformat(),
        "url": event.get_absolute_url(),
    }


def _public_event(slug: str) -> Event:
    event = (
        Event.objects.select_related("organisation")
        .filter(slug=slug, visibility=Event.Visibility.PUBLIC)
        .exclude(state=Event.State.DRAFT)
        .first()
    )
    if event is None:
        raise Http404
    return event


@api.get("events/", response=EventList, url_name="api_events", summary="Open and upcoming public events")
@decorate_view(public_read)
def events(request: HttpRequest) -> dict[str, Any]:
    return {"events": [_event(e) for e in events_listed(now=timezone.now())]}


@api.get(
    "events/{slug:slug}/",
    response={200: EventDetail, 404: NotFound},
    url_name="api_event",
    summary="An event with its rounds",
)
@decorate_view(public_read)
def event_detail(request: HttpRequest, slug: Slug) -> dict[str, Any]:
    event = _public_event(slug)
    rounds = [
        {
            "id": r.pk,
            "position": r.position,
            "title": r.title,
            "kind": r.kind,
            "weight": str(r.weight),
            "opens_at": r.opens_at.isoformat(),
            "closes_at": r.closes_at.isoformat(),
            "board": reverse("api_round_board", args=[r.pk]),
        }
        for r in event.rounds.order_by("position")
    ]
    return {**_event(event), "rounds": rounds}


@api.get(
    "rounds/{int:round_id}/board/",
    response={200: Board, 404: NotFound},
    url_name="api_round_board",
    summary="A round's public board (top 100; frozen if frozen)",
    exclude_unset=True,
)
@decorate_view(public_read)
def round_board(request: HttpRequest, round_id: RoundId) -> dict[str, Any]:
    rnd = (
        Round.objects.select_related("event")
        .filter(pk=round_id, event__visibility=Event.Visibility.PUBLIC)
        .exclude(event__state=Event.State.DRAFT)
        .first()
        if round_id <= LARGEST_ID
        else None
    )
    if rnd is None:
        raise Http404
    now = timezone.now()
    config = selectors.board_config(rnd=rnd)
    if not selectors.board_is_public(config=config, now=now):
        return {"round": rnd.pk, "public": False, "rows": []}
    if config.frozen_at:
        rows = [
            {"rank": r.rank, "name": r.user.profile.display_name, "points": str(r.points)}
            for r in selectors.frozen_top(config=config)
        ]
    else:
        rows = [
            {"rank": s.rank, "name": s.score.user.profile.display_name, "points": str(s.score.points)}
            for s in selectors.top(config=config, now=now)
        ]
    return {
        "round": rnd.pk,
        "title": rnd.title,
        "public": True,
        "frozen_at": config.frozen_at.isoformat() if config.frozen_at else None,
        "rows": rows,
    }


@api.get(
    "events/{slug:slug}/results/",
    response={200: Results, 404: NotFound},
    url_name="api_event_results",
    summary="Published results and their corrections",
)
@decorate_view(public_read)
def event_results(request: HttpRequest, slug: Slug) -> dict[str, Any]:
    event = _public_event(slug)
    result_set = ResultSet.objects.filter(event=event).first()
    if result_set is None:
        raise Http404
    return {
        "event": event.slug,
        "published_at": result_set.published_at.isoformat(),
        "rows": [
            {"rank": r.rank, "name": r.name, "total": str(r.total), "prize": r.prize, "prize_list": r.section or None}
            for r in result_set.rows.all()
        ],
        "corrections": [
            {"at": c.at.isoformat(), "field": c.field, "old": c.old_value, "new": c.new_value, "reason": c.reason}
            for c in result_set.corrections.all()
        ],
    }


@api.get(
    "certificates/{str:code}/",
    response={200: CertificateOut, 404: CertificateUnknown},
    url_name="api_certificate",
    summary="Verify a certificate",
    exclude_unset=True,
)
@decorate_view(public_read)
def certificate(request: HttpRequest, code: Code) -> dict[str, Any] | Status[dict[str, bool]]:
    """A certificate's validity. A revoked one answers ``valid: false`` with the reason and its replacement's
    code, as the verification page does, so that a printed copy can be checked either way."""
    found = (
        Certificate.objects.select_related(
            "row__result_set__event__organisation", "row__result_set__round__event__organisation", "replaced_by"
        )
        .filter(code=code.upper())
        .first()
    )
    if found is None:
        return Status(404, {"valid": False})
    row, result_set = found.row, found.row.result_set
    event = result_set.owner_event
    body: dict[str, Any] = {
        "valid": not found.revoked,
        "code": found.code,
        "name": row.full_name,
        "kind": found.kind,
        "prize": row.prize,
        "rank": row.rank,
        "prize_list": row.section or None,
        "event": event.title,
        "round": result_set.round.title if result_set.round is not None else None,
        "organisation": event.organisation.name,
        "issued_at": found.issued_at.isoformat(),
    }
    if found.revoked:
        body["revoked_at"] = found.revoked_at.isoformat() if found.revoked_at else None
        body["revoked_reason"] = found.revoked_reason
        body["replaced_by"] = found.replaced_by.code if found.replaced_by is not None else None
    return body


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document generated from the schemas above, with this API's absolute paths."""
    return api.get_openapi_schema(path_prefix=PREFIX)


@public_read
def openapi(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return JsonResponse({"detail": "Method not allowed"}, status=405, headers={"Allow": "GET"})
    return JsonResponse(openapi_document())


def urlpatterns() -> list[URLPattern | URLResolver]:
    """The API's routes under ``api/v1/`` with their URL names and no namespace (the names other code
    reverses), and the document; ninja's own home page and docs are left out."""
    routes = [pattern for pattern in api.urls[0] if isinstance(pattern, URLPattern) and pattern.name != "api-root"]
    return [path("api/v1/openapi.json", openapi, name="api_openapi"), path("api/v1/", include(routes))]
