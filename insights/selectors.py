"""Reads behind the organisers' insight pages. Every figure is grouped in SQL (GROUP BY), so a dashboard
costs the same dozen queries for ten participants or ten thousand; tests pin the count.

``access_*`` helpers fetch and authorise: the organisers of the event's organisation (or a site admin) only,
with the same 404 for "missing" and "not yours", as everywhere in the organiser area.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Floor, TruncHour
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contests.models import Category, Event, Region, Round
from contests.selectors import organisations_organised_by
from judging.models import Assignment
from leaderboard.models import Score
from live.models import LivePlayer
from quizzes.models import Attempt, AttemptItem, Question, QuizItem
from submissions.models import Entry

from .item_analysis import (
    AttemptRecord,
    ItemRecord,
    QuestionStats,
    RoundSummary,
    analyse,
    answer_seconds,
    response_key,
    round_summary,
)
from .suspicion import DEFAULT_WINDOW_S, SuspectAttempt, suspicious_groups

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.utils.functional import _StrOrPromise as StrOrPromise

HISTOGRAM_BINS = 10
TOP_UNITS = 15


# --- Access -----------------------------------------------------------------------------------------------


def access_event_rounds(*, user: Any, event_id: int) -> tuple[Event, list[Round]]:
    """The event (organisers of its organisation only) and its rounds in order: two queries."""
    event = Event.objects.filter(pk=event_id, organisation__in=organisations_organised_by(user)).first()
    if event is None:
        raise Http404
    return event, list(event.rounds.order_by("position"))


def access_round(*, user: Any, round_id: int, kind: str | None = None) -> Round:
    """A round of an event the user organises; ``kind`` narrows it (an item analysis needs a quiz round)."""
    rounds = Round.objects.select_related("event").filter(
        pk=round_id, event__organisation__in=organisations_organised_by(user)
    )
    if kind is not None:
        rounds = rounds.filter(kind=kind)
    rnd = rounds.first()
    if rnd is None:
        raise Http404
    return rnd


# --- Dashboard --------------------------------------------------------------------------------------------


@dataclass
class Dashboard:
    """The figures of one event's or one round's dashboard, ready to draw."""

    participants: int = 0
    activity_by_hour: dict[dt.datetime, int] = field(default_factory=dict)  # local hour → starts/entries/joins
    deadlines: list[tuple[dt.datetime, str]] = field(default_factory=list)
    regions: list[tuple[str, int]] = field(default_factory=list)
    region_level: str = "district"
    districts: list[tuple[int, str]] = field(default_factory=list)  # (id, name) of the districts drawn, to drill down
    units: list[tuple[str, int]] = field(default_factory=list)
    categories: list[tuple[str, int]] = field(default_factory=list)
    histograms: list[tuple[Round, list[int]]] = field(default_factory=list)  # counts per tenth of the maximum
    moderation: list[tuple[Round, list[tuple[StrOrPromise, int]]]] = field(default_factory=list)
    judges: list[tuple[str, int, int]] = field(default_factory=list)  # (judge, scored, assigned)


def participants_of(rounds: list[Round]) -> QuerySet[Any]:
    """People who took part in any of ``rounds``: an attempt, a reading entry or a score on the board (live
    players with an account have one). One queryset: the three sources are subqueries, never loaded."""
    attempts = Attempt.objects.filter(quiz_round__round__in=rounds).values("user_id")
    entries = Entry.objects.filter(reading_round__round__in=rounds).values("user_id")
    scores = Score.objects.filter(round__in=rounds).values("user_id")
    return get_user_model().objects.filter(Q(pk__in=attempts) | Q(pk__in=entries) | Q(pk__in=scores))


def dashboard_for(*, rounds: list[Round], district_id: int | None = None) -> Dashboard:
    """Every figure of the dashboard of ``rounds`` (one round, or all of an event): eleven queries.

    ``district_id`` drills the region chart down from districts to that district's communes."""
    board = Dashboard()
    people = participants_of(rounds)
    board.activity_by_hour = _activity_by_hour(rounds)
    board.deadlines = [(rnd.closes_at, rnd.title) for rnd in rounds]
    board.categories = _by_category(people)
    board.participants = sum(count for _label, count in board.categories)
    board.regions, board.districts = _by_region(people, district_id)
    board.region_level = "district" if district_id is None else "commune"
    board.units = _by_unit(people)
    board.histograms = _score_histograms(rounds)
    board.moderation = _moderation(rounds)
    board.judges = _judging_progress(rounds)
    return board


def _activity_by_hour(rounds: list[Round]) -> dict[dt.datetime, int]:
    """How many attempts started, reading entries were created and live players joined in each hour (the
    site's time zone): three GROUP BY queries, merged."""
    hour = TruncHour  # in the current time zone: Asia/Ho_Chi_Minh, as organisers read the clock
    sources = [
        Attempt.objects.filter(quiz_round__round__in=rounds).annotate(hour=hour("started_at")),
        Entry.objects.filter(reading_round__round__in=rounds).annotate(hour=hour("created_at")),
        LivePlayer.objects.filter(session__round__in=rounds).annotate(hour=hour("joined_at")),
    ]
    counts: Counter[Any] = Counter()
    for rows in sources:
        for row in rows.order_by().values("hour").annotate(n=Count("pk")):
            counts[row["hour"]] += row["n"]
    return dict(sorted(counts.items()))


def _by_category(people: QuerySet[Any]) -> list[tuple[str, int]]:
    labels = dict(Category.choices)
    rows = people.order_by().values("profile__category").annotate(n=Count("pk"))
    counted = [(labels.get(row["profile__category"] or ""), row["n"]) for row in rows]
    named = sorted(((str(label), n) for label, n in counted if label), key=lambda pair: -pair[1])
    unknown = sum(n for label, n in counted if not label)
    return named + ([(str(NOT_STATED), unknown)] if unknown else [])


def _by_region(people: QuerySet[Any], district_id: int | None) -> tuple[list[tuple[str, int]], list[tuple[int, str]]]:
    """Participants per district (a commune counts for its district), or per commune of one district: the
    region tree is province → district → commune and a profile names the finest level the person chose."""
    if district_id is None:
        key = Case(
            When(profile__region__level=Region.Level.COMMUNE, then=F("profile__region__parent_id")),
            When(profile__region__level=Region.Level.DISTRICT, then=F("profile__region_id")),
            default=Value(None),
            output_field=IntegerField(),
        )
        grouped = people
    else:
        key = Case(
            When(profile__region__level=Region.Level.COMMUNE, then=F("profile__region_id")),
            default=Value(None),
            output_field=IntegerField(),
        )
        grouped = people.filter(Q(profile__region_id=district_id) | Q(profile__region__parent_id=district_id))
    rows = list(grouped.order_by().annotate(region_key=key).values("region_key").annotate(n=Count("pk")))
    names = Region.objects.in_bulk([row["region_key"] for row in rows if row["region_key"] is not None])
    known = sorted(
        ((names[row["region_key"]], row["n"]) for row in rows if row["region_key"] in names),
        key=lambda pair: (-pair[1], pair[0].name),
    )
    unknown = sum(row["n"] for row in rows if row["region_key"] not in names)
    bars = [(region.name, n) for region, n in known] + ([(str(NOT_STATED), unknown)] if unknown else [])
    districts = [(region.pk, region.name) for region, _n in known] if district_id is None else []
    return bars, districts


def _by_unit(people: QuerySet[Any]) -> list[tuple[str, int]]:
    """Participants per school/unit: the listed organisation, else the name typed in the profile; the
    largest ``TOP_UNITS``, the rest summed as one bar."""
    rows = people.order_by().values("profile__organisation__name", "profile__organisation_name").annotate(n=Count("pk"))
    counts: Counter[Any] = Counter()
    for row in rows:
        name = (row["profile__organisation__name"] or row["profile__organisation_name"] or "").strip()
        counts[name or str(NOT_STATED)] += row["n"]
    ranked = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    top, rest = ranked[:TOP_UNITS], ranked[TOP_UNITS:]
    if rest:
        top.append((str(OTHER_UNITS) % {"count": len(rest)}, sum(n for _name, n in rest)))
    return top


def _score_histograms(rounds: list[Round]) -> list[tuple[Round, list[int]]]:
    """Scores on each round's board in tenths of the maximum (full marks in the top tenth): one query."""
    tenth = Cast(Floor(F("points") * HISTOGRAM_BINS / F("max_points")), IntegerField())
    rows = (
        Score.objects.filter(round__in=rounds, max_points__gt=0)
        .order_by()
        .annotate(tenth=tenth)
        .values("round_id", "tenth")
        .annotate(n=Count("pk"))
    )
    bins: dict[int, list[int]] = defaultdict(lambda: [0] * HISTOGRAM_BINS)
    for row in rows:
        place = min(max(int(row["tenth"] or 0), 0), HISTOGRAM_BINS - 1)
        bins[row["round_id"]][place] += row["n"]
    return [(rnd, bins[rnd.pk]) for rnd in rounds if rnd.pk in bins]


def _moderation(rounds: list[Round]) -> list[tuple[Round, list[tuple[StrOrPromise, int]]]]:
    """Reading entries per moderation state, per round: one query."""
    rows = (
        Entry.objects.filter(reading_round__round__in=rounds)
        .order_by()
        .values("reading_round__round_id", "moderation")
        .annotate(n=Count("pk"))
    )
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for row in rows:
        counts[row["reading_round__round_id"]][row["moderation"]] = row["n"]
    return [
        (rnd, [(label, counts[rnd.pk].get(state, 0)) for state, label in Entry.Moderation.choices])
        for rnd in rounds
        if rnd.pk in counts
    ]


def _judging_progress(rounds: list[Round]) -> list[tuple[str, int, int]]:
    """Per judge: active assignments with a submitted score, and all active assignments: one query."""
    rows = (
        Assignment.objects.filter(entry__reading_round__round__in=rounds, state=Assignment.State.ACTIVE)
        .order_by()
        .values("judge__user_id", "judge__user__email", "judge__user__profile__full_name")
        .annotate(assigned=Count("pk"), scored=Count("pk", filter=Q(score__submitted_at__isnull=False)))
    )
    progress = [
        (row["judge__user__profile__full_name"] or row["judge__user__email"], row["scored"], row["assigned"])
        for row in rows
    ]
    return sorted(progress, key=lambda judge: (judge[1] / judge[2] if judge[2] else 1, judge[0]))


def hourly_series(
    activity: dict[dt.datetime, int], *, last: dt.datetime | None = None, hours: int = 48
) -> list[tuple[dt.datetime, int]]:
    """The ``hours`` hours up to ``last`` (default: the last active hour), zeros included: a rush before a
    deadline is seen against the quiet hours before it."""
    if not activity:
        return []
    end = (last or max(activity)).astimezone(timezone.get_current_timezone())
    end = end.replace(minute=0, second=0, microsecond=0)
    start = end - dt.timedelta(hours=hours - 1)
    moments = [start + dt.timedelta(hours=step) for step in range(hours)]
    return [(moment, activity.get(moment, 0)) for moment in moments]


def daily_series(activity: dict[dt.datetime, int]) -> list[tuple[dt.date, int]]:
    """The same activity per local day, from the first active day to the last, zeros included."""
    if not activity:
        return []
    zone = timezone.get_current_timezone()
    days: Counter[dt.date] = Counter()
    for moment, count in activity.items():
        days[moment.astimezone(zone).date()] += count
    first, final = min(days), max(days)
    dates = [first + dt.timedelta(days=n) for n in range((final - first).days + 1)]
    return [(date, days.get(date, 0)) for date in dates]


# Labels shared by several charts (lazy: read in the request's language).
NOT_STATED = _("Not stated")
OTHER_UNITS = _("Other units (%(count)s)")


# --- Item analysis ---------------------------------------------------------------------------------------


@dataclass
class ItemRow:
    """One question of the item analysis, with what a table and an export show."""

    number: int
    question: Question
    stats: QuestionStats
    wrong_answer: str = ""


@dataclass
class ItemAnalysis:
    summary: RoundSummary
    rows: list[ItemRow]
    which: str  # "first" or "all"


def attempt_records(*, rnd: Round, which: str = "first") -> list[AttemptRecord]:
    """The submitted attempts of a quiz round as plain records: each participant's first (Moodle's default for
    item analysis: later attempts are coached by the first) or all of them. Two queries."""
    attempts = (
        Attempt.objects.filter(quiz_round__round=rnd, status=Attempt.Status.SUBMITTED)
        .order_by("user_id", "number")
        .values_list("pk", "user_id", "started_at")
    )
    chosen, seen = {}, set()
    for pk, user_id, started_at in attempts:
        if which == "first" and user_id in seen:
            continue
        seen.add(user_id)
        chosen[pk] = started_at
    items: dict[int, list[ItemRecord]] = defaultdict(list)
    rows = (
        AttemptItem.objects.filter(attempt__quiz_round__round=rnd, attempt__status=Attempt.Status.SUBMITTED)
        .order_by("attempt_id", "position")
        .values_list("attempt_id", "question_id", "question__points", "response", "points", "answered_at")
    )
    for attempt_id, question_id, max_mark, response, points, answered_at in rows.iterator(chunk_size=2000):
        if attempt_id in chosen:
            mark = float(points or 0)
            items[attempt_id].append(ItemRecord(question_id, mark, float(max_mark), response, answered_at))
    return [AttemptRecord(pk, started_at, tuple(items[pk])) for pk, started_at in chosen.items() if items[pk]]


def item_analysis_for(*, rnd: Round, which: str = "first") -> ItemAnalysis:
    """Moodle-style statistics of every question given in a quiz round: five queries, however many attempts."""
    records = attempt_records(rnd=rnd, which=which)
    stats = analyse(records)
    questions = Question.objects.prefetch_related("choices").in_bulk([row.question_id for row in stats])
    positions = dict(QuizItem.objects.filter(quiz__rounds__round=rnd).values_list("question_id", "position"))
    stats.sort(key=lambda row: (positions.get(row.question_id, 10**6), row.question_id))
    rows = [
        ItemRow(number, questions[row.question_id], row, answer_label(questions[row.question_id], row.wrong_response))
        for number, row in enumerate(stats, 1)
    ]
    return ItemAnalysis(round_summary(records), rows, which)


def answer_label(question: Question, response: Any) -> str:
    """A stored response as words (choice texts), without touching the database (choices prefetched)."""
    if response is None or response == "" or response == []:
        return ""
    texts = {choice.pk: choice.text for choice in question.choices.all()}
    if isinstance(response, str):
        return response
    if isinstance(response, int):
        return texts.get(response, "?")
    separator = " → " if question.type == Question.Type.ORDERING else " + "
    return separator.join(texts.get(pk, "?") for pk in response)


# --- Attempts ---------------------------------------------------------------------------------------------


def attempts_listed(*, rnd: Round, filters: dict[str, Any]) -> QuerySet[Attempt]:
    """The attempts of a quiz round, newest first, with the participant's profile and the times the page was
    left (the highest count any of the attempt's saved answers carried), narrowed by ``filters`` (the
    cleaned data of ``AttemptFilterForm``): unit (or its sub-units), region (or anything inside it), category,
    score range, start range."""
    attempts = (
        Attempt.objects.filter(quiz_round__round=rnd)
        .select_related("user__profile__region", "user__profile__organisation")
        .annotate(left_page=Max("items__left_page"))
        .order_by("-started_at", "-pk")
    )
    if unit := filters.get("unit"):
        attempts = attempts.filter(Q(user__profile__organisation=unit) | Q(user__profile__organisation__parent=unit))
    if region := filters.get("region"):
        attempts = attempts.filter(
            Q(user__profile__region=region)
            | Q(user__profile__region__parent=region)
            | Q(user__profile__region__parent__parent=region)
        )
    if category := filters.get("category"):
        attempts = attempts.filter(user__profile__category=category)
    if filters.get("score_min") is not None:
        attempts = attempts.filter(score__gte=filters["score_min"])
    if filters.get("score_max") is not None:
        attempts = attempts.filter(score__lte=filters["score_max"])
    if filters.get("started_from"):
        attempts = attempts.filter(started_at__gte=filters["started_from"])
    if filters.get("started_to"):
        attempts = attempts.filter(started_at__lte=filters["started_to"])
    return attempts


def access_attempt(*, user: Any, attempt_id: int) -> Attempt:
    """An attempt in an event the user organises (404 otherwise), with its round, participant and profile."""
    attempt = (
        Attempt.objects.select_related(
            "quiz_round__round__event", "user__profile__region", "user__profile__organisation"
        )
        .filter(pk=attempt_id, quiz_round__round__event__organisation__in=organisations_organised_by(user))
        .first()
    )
    if attempt is None:
        raise Http404
    return attempt


@dataclass
class AnswerRow:
    item: AttemptItem
    answer: str
    seconds: float | None
    right: bool


def attempt_answers(attempt: Attempt) -> list[AnswerRow]:
    """Each question of the attempt with the answer in words, its points and the time spent on it (the gap
    since the previous saved answer, as in the item analysis): two queries."""
    items = list(attempt.items.select_related("question").prefetch_related("question__choices").order_by("position"))
    record = AttemptRecord(
        attempt.pk,
        attempt.started_at,
        tuple(ItemRecord(item.question_id, 0, 0, None, item.answered_at) for item in items),
    )
    seconds = answer_seconds(record)
    return [
        AnswerRow(
            item,
            answer_label(item.question, item.response),
            seconds.get(item.question_id),
            item.points is not None and item.points == item.question.points,
        )
        for item in items
    ]


# --- Suspicion report -------------------------------------------------------------------------------------


@dataclass
class SuspectRow:
    attempt: SuspectAttempt
    name: str


def suspicion_report(*, rnd: Round, window_s: int = DEFAULT_WINDOW_S) -> list[list[SuspectRow]]:
    """Groups of submitted attempts with identical answers from one address within ``window_s`` seconds
    (``insights.suspicion``): three queries. Attempts started before addresses were recorded are left out."""
    submitted = Attempt.objects.filter(quiz_round__round=rnd, status=Attempt.Status.SUBMITTED, ip_address__isnull=False)
    answers: dict[int, list[tuple[int, str]]] = defaultdict(list)
    rows = (
        AttemptItem.objects.filter(attempt__in=submitted, response__isnull=False)
        .order_by("attempt_id", "question_id")
        .values_list("attempt_id", "question_id", "response")
    )
    for attempt_id, question_id, response in rows.iterator(chunk_size=2000):
        if response not in ("", []):
            answers[attempt_id].append((question_id, response_key(response)))
    attempts = [
        SuspectAttempt(pk, user_id, ip, submitted_at, tuple(answers.get(pk, ())))
        for pk, user_id, ip, submitted_at in cast(
            "Iterable[tuple[int, int, str, dt.datetime]]",  # submitted attempts with an address
            submitted.values_list("pk", "user_id", "ip_address", "submitted_at"),
        )
    ]
    groups = suspicious_groups(attempts, window_s=window_s)
    people = {attempt.user_id for group in groups for attempt in group}
    names = {
        user.pk: (getattr(getattr(user, "profile", None), "full_name", "") or user.email)
        for user in get_user_model().objects.filter(pk__in=people).select_related("profile")
    }
    return [[SuspectRow(attempt, names.get(attempt.user_id, "")) for attempt in group] for group in groups]
