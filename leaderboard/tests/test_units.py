"""Unit boards are grouped in the database and cached: they must agree with a from-scratch computation in
Python (the way they were computed before) after any sequence of score writes, hidden rounds included."""

import datetime as dt
import itertools
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contests.models import Organisation, Region, Round
from leaderboard import services, units
from leaderboard.models import Score

pytestmark = pytest.mark.django_db

REGIONS = ["TN-DT-01", "TN-DT-02", "TN-PL-01", "TN-PL-02"]
DAYS = itertools.count()  # each example's clock starts a day after the last one's: time moves forward


@pytest.fixture
def world(make_event, make_user, complete_profile):
    """An event of three rounds (weights 1, 2 and 0.5), eight people over three organisations (one of
    them without a unit) and four communes of two districts."""
    event = make_event(state="open", rounds=3)
    rounds = list(event.rounds.order_by("position"))
    for rnd, weight in zip(rounds, ["1", "2", "0.5"], strict=True):
        Round.objects.filter(pk=rnd.pk).update(weight=Decimal(weight))
    organisations = [
        Organisation.objects.create(name=f"Trường {i}", slug=f"truong-{i}", group=f"Khối {i % 2}", headcount=5)
        for i in range(3)
    ]
    people = []
    for index in range(8):
        user = make_user(
            f"p{index}@example.vn", profile=complete_profile(f"+849120004{index:02d}", region=REGIONS[index % 4])
        )
        user.profile.organisation = organisations[index % 4] if index % 4 < 3 else None
        user.profile.save(update_fields=["organisation"])
        people.append(user)
    return event, [Round.objects.get(pk=r.pk) for r in rounds], people


def reference(event, by, exclude_rounds):
    """Every participant's weighted total summed in Python from the Score rows, then grouped per unit; only
    the average is rounded (to cents), as the board shows it."""
    totals, unit_of = defaultdict(Decimal), {}
    for score in (
        Score.objects.filter(round__event=event)
        .exclude(round__in=exclude_rounds)
        .select_related("round", "user__profile__region__parent")
    ):
        profile = score.user.profile
        if by == "organisation":
            unit = profile.organisation_id
        else:
            region = profile.region
            unit = None if region is None else (region.parent_id if region.level == Region.Level.COMMUNE else region.pk)
        if unit is None:
            continue
        totals[score.user_id] += score.points * score.round.weight
        unit_of[score.user_id] = unit
    grouped = defaultdict(list)
    for user_id, total in totals.items():
        grouped[unit_of[user_id]].append(total)
    return {
        unit: (len(t), exact(sum(t)), exact(max(t)), (sum(t) / len(t)).quantize(Decimal("0.01")))
        for unit, t in grouped.items()
    }


def exact(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.0001"))  # points × weights have at most 4 places


def board(event, by, exclude_rounds, now):
    return {
        row.key: (row.participants, exact(row.total_sum), exact(row.best), row.average)
        for row in units.unit_rows(event=event, by=by, exclude_rounds=exclude_rounds, now=now)
    }


write = st.tuples(
    st.sampled_from(["record", "remove"]),
    st.integers(0, 7),  # person
    st.integers(0, 2),  # round
    st.integers(0, 40),  # quarter points: scores go up and down, a best score lowered or removed
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=st.lists(write, min_size=1, max_size=10), hidden=st.sets(st.integers(0, 2), max_size=2))
def test_cached_unit_boards_agree_with_a_recomputation_after_any_score_writes(
    world, django_capture_on_commit_callbacks, writes, hidden
):
    event, rounds, people = world
    exclude = [rounds[i].pk for i in sorted(hidden)]
    clock = dt.datetime(2030, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=next(DAYS))
    with transaction.atomic():  # each example starts from no scores: roll its writes back
        units.units_changed(event_id=event.pk)
        for action, person, position, quarters in writes:
            with django_capture_on_commit_callbacks(execute=True):
                if action == "record":
                    services.score_record(
                        rnd=rounds[position],
                        user=people[person],
                        points=Decimal(quarters) / 4,
                        max_points=Decimal(10),
                        submitted_at=clock,
                    )
                else:
                    services.score_remove(rnd=rounds[position], users=[people[person]])
            clock += dt.timedelta(seconds=units.REFRESH_S)
            for by in ("organisation", "region"):
                assert board(event, by, exclude, clock) == reference(event, by, exclude), (by, writes)
                assert board(event, by, [], clock) == reference(event, by, []), (by, writes)
        transaction.set_rollback(True)


def test_a_stale_board_is_recomputed_at_most_every_refresh_period(world, django_capture_on_commit_callbacks):
    event, rounds, people = world
    clock = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    units.units_changed(event_id=event.pk)
    assert board(event, "organisation", [], clock) == {}
    with django_capture_on_commit_callbacks(execute=True):
        services.score_record(
            rnd=rounds[0], user=people[0], points=Decimal(4), max_points=Decimal(10), submitted_at=clock
        )
    soon = clock + dt.timedelta(seconds=units.REFRESH_S / 2)
    assert board(event, "organisation", [], soon) == {}, "within the refresh period the rush gets the cached board"
    later = clock + dt.timedelta(seconds=units.REFRESH_S)
    assert board(event, "organisation", [], later) == reference(event, "organisation", [])
    Organisation.objects.filter(pk=people[0].profile.organisation_id).update(name="Renamed")  # read fresh
    (row,) = units.unit_rows(event=event, by="organisation", now=later)
    assert row.name == "Renamed"


def test_unit_board_page_query_count_does_not_grow_with_participants(
    client, world, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    event, rounds, people = world
    with django_capture_on_commit_callbacks(execute=True):
        for user in people:
            services.score_record(
                rnd=rounds[0], user=user, points=Decimal(3), max_points=Decimal(10), submitted_at=event.opens_at
            )
    url = reverse("unit_board", args=[event.slug])
    client.get(url)
    # The hidden rounds (1) and their titles (1), the unit rules (1), the units' names (1), the event (1):
    # the scores themselves are read only when the cached board is stale.
    with django_assert_max_num_queries(5):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get(url, {"by": "region"}).status_code == 200  # cold: + the grouped query, - names


# --- "My rank" from the round's cached points histogram -------------------------------------------


def test_my_rank_counts_only_ties_in_the_database_and_agrees_with_the_exact_count(
    world, make_user, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.db.models import Q
    from django.test.utils import CaptureQueriesContext

    from leaderboard import selectors

    _event, rounds, people = world
    people += [make_user(f"extra{i}@example.vn") for i in range(12)]
    clock = dt.datetime(2031, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=next(DAYS))
    config = selectors.board_config(rnd=rounds[0])

    def check(now):
        for score in Score.objects.filter(round=rounds[0]):
            exact = selectors.rank_of(config=config, score=score, now=now, where=Q())  # counts every row ahead
            assert selectors.rank_of(config=config, score=score, now=now) == exact

    for index, user in enumerate(people):
        with django_capture_on_commit_callbacks(execute=True):
            services.score_record(
                rnd=rounds[0],
                user=user,
                points=Decimal(index % 4),  # many ties on points, broken by the time used
                max_points=Decimal(10),
                submitted_at=clock,
                time_used_ms=1000 * (index % 3),
            )
    clock += dt.timedelta(seconds=units.REFRESH_S)
    check(clock)
    with django_capture_on_commit_callbacks(execute=True):  # the best score lowered, another removed
        services.score_record(
            rnd=rounds[0], user=people[3], points=Decimal(0), max_points=Decimal(10), submitted_at=clock
        )
        services.score_remove(rnd=rounds[0], users=[people[7]])
    clock += dt.timedelta(seconds=units.REFRESH_S)
    check(clock)
    score = Score.objects.get(round=rounds[0], user=people[0])
    selectors.rank_of(config=config, score=score, now=clock)
    with CaptureQueriesContext(connection) as queries:
        selectors.rank_of(config=config, score=score, now=clock)
    (count,) = [q["sql"] for q in queries.captured_queries if "COUNT" in q["sql"]]
    assert '"points" = ' in count, "only the participant's own points value is counted in the database"
