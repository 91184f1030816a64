"""Reads of "My data": everything the platform holds about one person, as plain JSON-able sections, and the
history of their consents.

The export is the participant's own view of their data, so it follows the same rules as their pages: an
attempt's per-question points (which tell right from wrong) appear only when the round's feedback policy
lets them review it (``quizzes.services.review_allowed``); other people's data (judges, voters, who hid a
post) never appear. Files are listed, not embedded: recordings are downloaded from the entry's page.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from allauth.account.models import EmailAddress
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from contests.models import ConsentEvent, ConsentKind, Profile
from forums.models import Post
from leaderboard.models import Certificate, ResultRow, Score
from live.models import LivePlayer
from quizzes.models import Attempt, AttemptItem, Choice
from quizzes.services import review_allowed
from submissions.models import Entry, Vote

SECTIONS = (
    "account",
    "profile",
    "consents",
    "attempts",
    "answers",
    "live_games",
    "entries",
    "votes",
    "scores",
    "results",
    "certificates",
    "forum_posts",
)


def _when(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


def _recorder(event: ConsentEvent, user: Any) -> str:
    """Who recorded a consent change, as the person sees it: themself, or the teacher by name."""
    by = event.recorded_by
    if by is None:
        return _("unknown")
    if by.pk == user.pk:
        return _("You")
    profile = getattr(by, "profile", None)
    return (profile.full_name if profile else "") or by.get_username()


def _paper_form(event: ConsentEvent) -> str:
    form = event.paper_form
    if form is None:
        return ""
    return _("form %(reference)s of %(date)s, signed by %(guardian)s") % {
        "reference": form.reference,
        "date": date_format(form.form_date, "SHORT_DATE_FORMAT"),
        "guardian": form.guardian_name,
    }


def consent_history(*, user: Any) -> list[dict[str, Any]]:
    """Every change of the person's consents, oldest first: ``contests.ConsentEvent`` is the one history
    (profile ticks, withdrawals, erasure, guardian forms recorded by a teacher), with who recorded each."""
    events = ConsentEvent.objects.filter(user=user).select_related("recorded_by__profile", "paper_form")
    return [
        {
            "kind": e.kind,
            "action": e.action,
            "at": e.at,
            "kind_label": e.get_kind_display(),
            "action_label": e.get_action_display(),
            "recorded_by": _recorder(e, user),
            "paper_form": _paper_form(e),
        }
        for e in events.order_by("at", "pk")
    ]


def consents_current(*, user: Any) -> list[dict[str, Any]]:
    """The consents as they stand now (the profile's stamps), for the page's withdraw buttons."""
    profile = Profile.objects.filter(user=user).first()
    stamps = {
        ConsentKind.DATA_PROCESSING: profile.data_consent_at if profile else None,
        ConsentKind.GUARDIAN: profile.guardian_consent_at if profile else None,
    }
    return [{"kind": kind.value, "label": str(kind.label), "given_at": at} for kind, at in stamps.items()]


def _account(user: Any) -> list[dict[str, Any]]:
    emails = ", ".join(EmailAddress.objects.filter(user=user).values_list("email", flat=True))
    return [
        {
            "username": user.get_username(),
            "email": user.email,
            "email_addresses": emails,
            "date_joined": _when(user.date_joined),
            "last_login": _when(user.last_login),
        }
    ]


def _profile(user: Any) -> list[dict[str, Any]]:
    profile = Profile.objects.select_related("region", "organisation").filter(user=user).first()
    if profile is None:
        return []
    return [
        {
            "full_name": profile.full_name,
            "date_of_birth": _when(profile.date_of_birth),
            "phone": profile.phone or "",
            "region": profile.region.name if profile.region else "",
            "organisation": profile.organisation.name if profile.organisation else "",
            "organisation_name": profile.organisation_name,
            "category": profile.get_category_display() if profile.category else "",
            "public_name": profile.get_public_name_display(),
            "guardian_name": profile.guardian_name,
            "data_consent_at": _when(profile.data_consent_at),
            "guardian_consent_at": _when(profile.guardian_consent_at),
        }
    ]


def _attempts(user: Any, now: dt.datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    attempts = list(
        Attempt.objects.filter(user=user).select_related("quiz_round__round__event").order_by("started_at", "pk")
    )
    reviewable = {a.pk for a in attempts if review_allowed(attempt=a, now=now)}
    items = list(
        AttemptItem.objects.filter(attempt__in=attempts).select_related("question").order_by("attempt_id", "position")
    )
    choice_ids: set[int] = set()
    for item in items:
        response = item.response
        choice_ids.update(r for r in (response if isinstance(response, list) else [response]) if isinstance(r, int))
    choices = dict(Choice.objects.filter(pk__in=choice_ids).values_list("pk", "text"))
    rows = [
        {
            "attempt": a.pk,
            "event": a.quiz_round.round.event.title,
            "round": a.quiz_round.round.title,
            "number": a.number,
            "status": a.get_status_display(),
            "started_at": _when(a.started_at),
            "submitted_at": _when(a.submitted_at),
            "score": str(a.score) if a.score is not None else "",
            "max_score": str(a.max_score),
            "prediction": a.prediction if a.prediction is not None else "",
        }
        for a in attempts
    ]
    answers = []
    for item in items:
        response = item.response
        if isinstance(response, list):
            shown = " | ".join(choices.get(r, "?") for r in response)
        elif isinstance(response, int):
            shown = choices.get(response, "?")
        else:
            shown = response or ""
        answers.append(
            {
                "attempt": item.attempt_id,
                "position": item.position + 1,
                "question": item.question.text,
                "answer": shown,
                "answered_at": _when(item.answered_at),
                "points": str(item.points) if item.attempt_id in reviewable and item.points is not None else "",
            }
        )
    return rows, answers


def _live_games(user: Any) -> list[dict[str, Any]]:
    return [
        {"quiz": p.session.quiz.title, "nickname": p.nickname, "score": p.score, "joined_at": _when(p.joined_at)}
        for p in LivePlayer.objects.filter(user=user).select_related("session__quiz").order_by("joined_at")
    ]


def _entries(user: Any) -> list[dict[str, Any]]:
    entries = Entry.objects.filter(user=user).select_related("reading_round__round__event").prefetch_related("versions")
    rows = []
    for entry in entries.order_by("created_at", "pk"):
        versions = sorted(entry.versions.all(), key=lambda v: v.number)
        rows.append(
            {
                "entry": entry.pk,
                "event": entry.reading_round.round.event.title,
                "round": entry.reading_round.round.title,
                "title": entry.title,
                "note": entry.note,
                "group_name": entry.group_name,
                "group_members": entry.group_members,
                "consent_publish": entry.consent_publish,
                "moderation": entry.get_moderation_display(),
                "moderation_reason": entry.moderation_reason,
                "created_at": _when(entry.created_at),
                "recordings": "; ".join(
                    f"#{v.number} {v.get_kind_display()} {v.get_state_display()} "
                    f"{v.original_name} {v.duration_ms / 1000:.0f}s{'' if v.original else ' (erased)'}"
                    for v in versions
                ),
            }
        )
    return rows


def _votes(user: Any) -> list[dict[str, Any]]:
    return [
        {"round": v.entry.reading_round.round.title, "entry": v.entry.title, "at": _when(v.created_at)}
        for v in Vote.objects.filter(user=user).select_related("entry__reading_round__round").order_by("created_at")
    ]


def _scores(user: Any) -> list[dict[str, Any]]:
    return [
        {
            "event": s.round.event.title,
            "round": s.round.title,
            "points": str(s.points),
            "max_points": str(s.max_points),
            "time_used_s": round(s.time_used_ms / 1000, 1) if s.time_used_ms is not None else "",
            "submitted_at": _when(s.submitted_at),
        }
        for s in Score.objects.filter(user=user).select_related("round__event").order_by("submitted_at", "pk")
    ]


def _results(user: Any) -> list[dict[str, Any]]:
    rows = ResultRow.objects.filter(user=user).select_related("result_set__event", "result_set__round__event")
    return [
        {
            "results_of": str(r.result_set),
            "published_at": _when(r.result_set.published_at),
            "name_as_published": r.name,
            "rank": r.rank,
            "total": str(r.total),
            "prize": r.get_prize_display() if r.prize else "",
        }
        for r in rows.order_by("result_set__published_at", "pk")
    ]


def _certificates(user: Any) -> list[dict[str, Any]]:
    certificates = Certificate.objects.filter(row__user=user).select_related("row__result_set")
    return [
        {
            "code": c.code,
            "kind": c.get_kind_display(),
            "results_of": str(c.row.result_set),
            "issued_at": _when(c.issued_at),
            "revoked": c.revoked,
            "revoked_reason": c.revoked_reason,
        }
        for c in certificates.order_by("issued_at", "pk")
    ]


def _forum_posts(user: Any) -> list[dict[str, Any]]:
    return [
        {
            "forum": p.topic.event.title,
            "topic": p.topic.title,
            "body": p.body,
            "image": bool(p.image),
            "created_at": _when(p.created_at),
            "edited_at": _when(p.edited_at),
            "hidden_by_moderator": p.hidden,
        }
        for p in Post.objects.filter(author=user).select_related("topic__event").order_by("created_at", "pk")
    ]


def mydata_collect(*, user: Any, now: dt.datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """Everything the platform holds about ``user``, section by section (``SECTIONS``), JSON-able."""
    now = now or timezone.now()
    attempts, answers = _attempts(user, now)
    consents = [
        {
            "consent": e["kind_label"],
            "action": e["action_label"],
            "at": _when(e["at"]),
            "recorded_by": e["recorded_by"],
            "paper_form": e["paper_form"],
        }
        for e in consent_history(user=user)
    ]
    data: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    data.update(
        account=_account(user),
        profile=_profile(user),
        consents=consents,
        attempts=attempts,
        answers=answers,
        live_games=_live_games(user),
        entries=_entries(user),
        votes=_votes(user),
        scores=_scores(user),
        results=_results(user),
        certificates=_certificates(user),
        forum_posts=_forum_posts(user),
    )
    return {section: data[section] for section in SECTIONS}
