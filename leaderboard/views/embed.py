"""The embeddable board: a round's public board for an iframe on an organisation's portal (the JSON API
beside it is leaderboard/api.py)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_exempt

from contests.models import Event, Round

from .. import selectors


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
