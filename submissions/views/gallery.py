"""The public gallery of a reading round and its vote."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contest_site import ratelimit
from contests.invites import require_round

from .. import selectors, services
from ..models import Entry
from ..panel import is_panel_judge


def _judging_hides_votes(request, reading_round, now) -> bool:
    """A judge of the round sees no vote totals until judging closes: public opinion must not sway them."""
    return not reading_round.judging_closed(now) and is_panel_judge(user=request.user, reading_round=reading_round)


def gallery(request, round_id: int):
    require_round(request, round_id)
    now = timezone.now()
    reading_round = selectors.access_reading_round(round_id=round_id)
    if not reading_round.gallery_enabled:
        raise Http404
    if selectors.kept_blind(user=request.user, reading_round=reading_round, now=now):
        context = {"reading_round": reading_round, "rnd": reading_round.round, "event": reading_round.round.event}
        return render(request, "submissions/judge/blindfold.html", context, status=403)
    entries = list(selectors.gallery_entries(reading_round=reading_round))
    for entry in entries:
        entry.author_label = selectors.public_label(entry.user)
    return render(
        request,
        "submissions/gallery.html",
        {
            "reading_round": reading_round,
            "rnd": reading_round.round,
            "event": reading_round.round.event,
            "entries": entries,
            "voted": selectors.voted_entry_ids(reading_round=reading_round, user=request.user),
            "voting_open": reading_round.voting_open(now),
            "may_vote": not is_panel_judge(user=request.user, reading_round=reading_round),  # vote_problems agrees
            "totals_visible": reading_round.vote_totals_visible(now)
            and not _judging_hides_votes(request, reading_round, now),
            "now": now,
        },
    )


@require_POST
@login_required
def vote(request, entry_id: int):
    entry = Entry.objects.select_related("reading_round__round__event").filter(pk=entry_id).first()
    if entry is None or not selectors.in_public_gallery(entry):
        raise Http404
    require_round(request, entry.reading_round.round_id)
    url = reverse("reading_gallery", kwargs={"round_id": entry.reading_round.round_id})
    back = f"{url}#entry-{entry.pk}"
    try:
        services.vote_cast(entry=entry, user=request.user)
    except services.VoteLimited as exc:
        return ratelimit.too_many(request, str(exc), back_url=back)
    except services.VoteError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Thank you: your vote is counted."))
    return redirect(back)
