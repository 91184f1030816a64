"""One call per event of another app, so that each of their services needs one line to notify.

These functions read the objects they are given by attribute only and import none of the apps that call
them (quizzes, submissions, leaderboard, appeals): the dependency runs from those apps to this one.
Each is called inside the caller's transaction and never raises (``services.notify_many``).
"""

from __future__ import annotations

from django.urls import reverse

from .kinds import Kind
from .services import notify_many


def attempt_closed(*, attempt) -> int:
    """An attempt was closed and graded: tell its owner only when the deadline closed it, not them."""
    if attempt.closed_by != "deadline":
        return 0
    rnd = attempt.quiz_round.round
    return notify_many(
        user_ids=[attempt.user_id],
        kind=Kind.ATTEMPT_CLOSED,
        key=f"attempt:{attempt.pk}",
        params={"round": str(rnd)},
        url=rnd.get_absolute_url() or "",
    )


def entry_ready(*, version) -> int:
    """A recording became the entry's playable version."""
    if version.state != "ready":
        return 0
    entry = version.entry
    return notify_many(
        user_ids=[entry.user_id],
        kind=Kind.ENTRY_READY,
        key=f"entry-version:{version.pk}",
        params={"entry": entry.title},
        url=entry.reading_round.round.get_absolute_url() or "",
    )


def entry_file_rejected(*, version) -> int:
    """A recording was refused by processing (not audio, too long…): the reason is the one the entry page shows."""
    entry = version.entry
    return notify_many(
        user_ids=[entry.user_id],
        kind=Kind.ENTRY_REJECTED,
        key=f"entry-version:{version.pk}",
        params={"entry": entry.title, "reason": str(version.reason)},
        url=entry.reading_round.round.get_absolute_url() or "",
    )


def entries_moderated(*, entries, action: str, reason: str, at) -> int:
    """Organisers moderated entries; a rejection (always with a reason) is told to each author. The key
    carries the time of the decision, so a second rejection after a new recording notifies again."""
    if action != "reject":
        return 0
    written = 0
    for entry in entries.select_related("reading_round__round"):
        written += notify_many(
            user_ids=[entry.user_id],
            kind=Kind.ENTRY_REJECTED,
            key=f"entry:{entry.pk}:{int(at.timestamp())}",
            params={"entry": entry.title, "reason": reason},
            url=entry.reading_round.round.get_absolute_url() or "",
        )
    return written


def _results_title_and_url(result_set) -> tuple[str, str]:
    event = result_set.owner_event
    title = str(result_set.round) if result_set.round_id else event.title
    return title, reverse("event_detail", kwargs={"slug": event.slug})


def results_published(*, result_set) -> int:
    """Results of an event or a round were published: everyone in the snapshot hears of it."""
    title, url = _results_title_and_url(result_set)
    return notify_many(
        user_ids=result_set.rows.values_list("user_id", flat=True),
        kind=Kind.RESULTS_PUBLISHED,
        key=f"results:{result_set.pk}",
        params={"title": title},
        url=url,
    )


def certificates_issued(*, result_set) -> int:
    """Certificates of a result set were issued: each holder of a valid one hears of theirs, once per code."""
    title, _url = _results_title_and_url(result_set)
    written = 0
    valid = result_set.rows.filter(certificates__revoked=False).values_list("user_id", "certificates__code")
    for user_id, code in valid:
        written += notify_many(
            user_ids=[user_id],
            kind=Kind.CERTIFICATE_ISSUED,
            key=f"certificate:{code}",
            params={"title": title, "code": code},
            url=reverse("certificate_pdf", kwargs={"code": code}),
        )
    return written


def appeal_answered(*, appeal) -> int:
    """An organiser answered an appeal (accepted or rejected, with the reason): tell the appellant. The key
    carries the appeal, so re-reading or re-saving it never notifies twice."""
    return notify_many(
        user_ids=[appeal.user_id],
        kind=Kind.APPEAL_ANSWERED,
        key=f"appeal:{appeal.pk}:answer",
        params={"title": str(appeal.round)},
        url=reverse("appeal_detail", args=[appeal.pk]),
    )
