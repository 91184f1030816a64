"""A read-only public JSON API for organisations' own portals, described by ``/api/v1/openapi.json``.

Only what is already public on the site: listed events, their rounds, public (unfrozen or frozen) boards,
published results with public names, and certificate verification. Cross-origin reads are allowed (no
cookies are used), so a school's portal can show its own event's board.
"""

from __future__ import annotations

from functools import wraps

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from contests.models import Event, Round
from contests.selectors import events_listed

from .. import selectors
from ..models import Certificate, ResultSet


def public_api(view):
    @wraps(view)
    @require_GET
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        response["Cache-Control"] = "public, max-age=30"
        return response

    return wrapped


def _event(event: Event) -> dict:
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


@public_api
def events(request):
    return JsonResponse({"events": [_event(e) for e in events_listed(now=timezone.now())]})


@public_api
def event_detail(request, slug: str):
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
    return JsonResponse({**_event(event), "rounds": rounds})


@public_api
def round_board(request, round_id: int):
    rnd = (
        Round.objects.select_related("event")
        .filter(pk=round_id, event__visibility=Event.Visibility.PUBLIC)
        .exclude(event__state=Event.State.DRAFT)
        .first()
    )
    if rnd is None:
        raise Http404
    now = timezone.now()
    config = selectors.board_config(rnd=rnd)
    if not selectors.board_is_public(config=config, now=now):
        return JsonResponse({"round": rnd.pk, "public": False, "rows": []})
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
    return JsonResponse(
        {
            "round": rnd.pk,
            "title": rnd.title,
            "public": True,
            "frozen_at": config.frozen_at.isoformat() if config.frozen_at else None,
            "rows": rows,
        }
    )


@public_api
def event_results(request, slug: str):
    event = _public_event(slug)
    result_set = ResultSet.objects.filter(event=event).first()
    if result_set is None:
        raise Http404
    return JsonResponse(
        {
            "event": event.slug,
            "published_at": result_set.published_at.isoformat(),
            "rows": [
                {
                    "rank": r.rank,
                    "name": r.name,
                    "total": str(r.total),
                    "prize": r.prize,
                    "prize_list": r.section or None,
                }
                for r in result_set.rows.all()
            ],
            "corrections": [
                {"at": c.at.isoformat(), "field": c.field, "old": c.old_value, "new": c.new_value, "reason": c.reason}
                for c in result_set.corrections.all()
            ],
        }
    )


@public_api
def certificate(request, code: str):
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
        return JsonResponse({"valid": False}, status=404)
    row, result_set = found.row, found.row.result_set
    event = result_set.owner_event
    body = {
        "valid": not found.revoked,
        "code": found.code,
        "name": row.full_name,
        "kind": found.kind,
        "prize": row.prize,
        "rank": row.rank,
        "prize_list": row.section or None,
        "event": event.title,
        "round": result_set.round.title if result_set.round_id else None,
        "organisation": event.organisation.name,
        "issued_at": found.issued_at.isoformat(),
    }
    if found.revoked:
        body["revoked_at"] = found.revoked_at.isoformat() if found.revoked_at else None
        body["revoked_reason"] = found.revoked_reason
        body["replaced_by"] = found.replaced_by.code if found.replaced_by_id else None
    return JsonResponse(body)


@public_api
def openapi(request):
    return JsonResponse(OPENAPI)


@xframe_options_exempt
def embed_board(request, round_id: int):
    """The round's board without the site's header, for an iframe on an organisation's portal; it updates
    live like the board page."""
    rnd = (
        Round.objects.select_related("event")
        .filter(pk=round_id, event__visibility=Event.Visibility.PUBLIC)
        .exclude(event__state=Event.State.DRAFT)
        .first()
    )
    if rnd is None:
        raise Http404
    now = timezone.now()
    config = selectors.board_config(rnd=rnd)
    public = selectors.board_is_public(config=config, now=now)
    context = {
        "rnd": rnd,
        "public": public,
        "config": config,
        "frozen": config.frozen_at is not None,
        "top": [],
        "frozen_rows": [],
    }
    if public and config.frozen_at:
        context["frozen_rows"] = selectors.frozen_top(config=config, limit=20)
    elif public:
        context["top"] = selectors.top(config=config, now=now, limit=20)
    return render(request, "leaderboard/embed_board.html", context)


def _path(summary: str, parameters: list | None = None) -> dict:
    return {
        "get": {
            "summary": summary,
            "parameters": parameters or [],
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {}}},
                "404": {"description": "Not found or not public"},
            },
        }
    }


SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
OPENAPI = {
    "openapi": "3.1.0",
    "info": {
        "title": "Công dân số – public API",
        "version": "1.0",
        "description": "Read-only public data of the Lifelong Learning Week contests.",
    },
    "paths": {
        "/api/v1/events/": _path("Open and upcoming public events"),
        "/api/v1/events/{slug}/": _path("An event with its rounds", [SLUG]),
        "/api/v1/rounds/{round_id}/board/": _path(
            "A round's public board (top 100; frozen if frozen)",
            [{"name": "round_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        ),
        "/api/v1/events/{slug}/results/": _path("Published results and their corrections", [SLUG]),
        "/api/v1/certificates/{code}/": _path(
            "Verify a certificate", [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}]
        ),
    },
}
