"""Benchmark: a round's board at contest scale. Last line: one JSON object.

    python bench/leaderboard.py [--scores 100000] [--queries 200]

Builds a throw-away database (SQLite by default, or DATABASE_URL's server) with N participants spread over
the bundled regions and a few organisations, one score each with realistic ties (points in steps of 0.25,
time used in whole seconds), then measures the top-100 page query, "my rank" for random participants, the
unit board (from scratch, and as the page serves it from its cache while a score arrives every few reads),
and the throughput of the score_record service; beside each figure the CPU milliseconds this process spent
per call (``cpu_ms_per_*``), which other load on a shared machine does not inflate as much as wall time.
"""

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("SQLITE_PATH", str(Path(tempfile.mkdtemp(prefix="bench-board-")) / "bench.sqlite3"))
os.environ["DJANGO_SETTINGS_MODULE"] = "contest_site.settings.test"

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

BATCH = 5000


def percentile(samples, share):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


CPU = {}  # name -> CPU milliseconds of this process per call (robust to other load on a shared machine)


def timed(function, repeat, name=None):
    samples = []
    cpu_started = time.process_time()
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    if name:
        CPU[name] = round((time.process_time() - cpu_started) * 1000 / repeat, 2)
    return samples


def served_unit_board(units, event, rnd, writers, rng, reads, write_every):
    """The unit board as the page gets it (cached) while scores keep arriving: a score_record after every
    ``write_every`` reads, so the board is stale most of the time and recomputed at most every REFRESH_S."""
    from leaderboard.services import score_record

    samples, cpu = [], 0.0
    for index in range(reads):
        if index % write_every == 0:
            user = writers[index % len(writers)]
            with_commit(
                lambda u=user: score_record(
                    rnd=rnd,
                    user=u,
                    points=Decimal(rng.randint(0, 80)) / 4,
                    max_points=Decimal(20),
                    submitted_at=timezone.now(),
                    time_used_ms=1000 * rng.randint(60, 900),
                )
            )
        cpu_started, started = time.process_time(), time.perf_counter()
        units.unit_rows(event=event, by="organisation")
        samples.append((time.perf_counter() - started) * 1000)
        cpu += time.process_time() - cpu_started
    CPU["unit_board_served"] = round(cpu * 1000 / reads, 2)
    return samples


def with_commit(function):
    """Run a write in its own transaction, so its on_commit hooks (the unit boards' staleness mark) run."""
    with transaction.atomic():
        function()


def build(n, rng):
    from contests import services as contest_services
    from contests.models import Event, Organisation, Profile, Region
    from leaderboard import ranking
    from leaderboard.models import Score
    from leaderboard.services import board_configure

    call_command("load_regions", verbosity=0)
    communes = list(Region.objects.filter(level="commune").values_list("pk", flat=True))
    owner = Organisation.objects.create(name="Sở GD&ĐT", slug="so")
    units = [
        Organisation.objects.create(
            name=f"Trường {i}",
            slug=f"truong-{i}",
            parent=owner,
            group=f"Khối {i % 3}",
            headcount=rng.randint(200, 3000),
        )
        for i in range(40)
    ]
    User = get_user_model()
    host = User.objects.create_user("host", "host@example.vn", "x")
    now = timezone.now()
    event = contest_services.event_create(
        organisation=owner,
        by=host,
        fields={"title": "Bench", "opens_at": now - dt.timedelta(days=7), "closes_at": now + dt.timedelta(days=7)},
    )
    rnd = contest_services.round_create(
        event=event, fields={"title": "R", "kind": "quiz", "opens_at": event.opens_at, "closes_at": event.closes_at}
    )
    Event.objects.filter(pk=event.pk).update(state="open")
    board_configure(rnd=rnd, chain=ranking.default_chain(with_prediction=False))
    start = User.objects.count()
    for offset in range(0, n, BATCH):
        size = min(BATCH, n - offset)
        with transaction.atomic():
            users = User.objects.bulk_create(
                User(
                    username=f"u{offset + i}",
                    email=f"u{offset + i}@example.vn",
                    password="!",
                    date_joined=now - dt.timedelta(seconds=offset + i),
                )
                for i in range(size)
            )
            if users[0].pk is None:  # backends that do not return ids
                users = list(User.objects.order_by("pk")[start + offset : start + offset + size])
            Profile.objects.bulk_create(
                Profile(
                    user=u,
                    full_name=f"Người {u.pk}",
                    region_id=rng.choice(communes),
                    organisation=rng.choice(units),
                    category=rng.choice(["pupil", "student", "citizen"]),
                )
                for u in users
            )
            Score.objects.bulk_create(
                Score(
                    round=rnd,
                    user=u,
                    points=Decimal(rng.randint(0, 80)) / 4,
                    max_points=Decimal(20),
                    time_used_ms=1000 * rng.randint(60, 900),
                    submitted_at=now - dt.timedelta(seconds=rng.randint(0, 10**6)),
                    attempts_used=rng.randint(1, 2),
                    registered_at=u.date_joined,
                )
                for u in users
            )
    return event, rnd, host


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scores", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--write-every", type=int, default=5, help="unit board reads between two recorded scores (the rush)"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)

    setup_test_environment()
    if connection.vendor == "sqlite":  # a file, as in production, not the test runner's in-memory database
        connection.settings_dict["TEST"]["NAME"] = os.environ["SQLITE_PATH"] + ".bench"
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        from leaderboard import selectors, units
        from leaderboard.models import Score
        from leaderboard.services import score_record

        built = time.perf_counter()
        event, rnd, _host = build(args.scores, rng)
        build_s = time.perf_counter() - built
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        now = timezone.now()
        config = selectors.board_config(rnd=rnd)
        top = timed(lambda: selectors.top(config=config, now=now, limit=100), args.queries, "top100")
        sample = (
            list(Score.objects.filter(round=rnd).order_by("?")[: args.queries])
            if connection.vendor != "sqlite"
            else [
                Score.objects.filter(round=rnd).order_by("pk")[rng.randrange(args.scores)] for _ in range(args.queries)
            ]
        )
        picks = iter(sample)
        rank = timed(lambda: selectors.rank_of(config=config, score=next(picks), now=now), len(sample), "my_rank")
        # From scratch (what a cache miss costs, and what the page cost before the cache), then as served.
        unit = timed(lambda: units.unit_rows(event=event, by="organisation", cached=False), 5, "unit_board_fresh")
        region = timed(lambda: units.unit_rows(event=event, by="region", cached=False), 5, "unit_board_region_fresh")
        User = get_user_model()
        writers = list(User.objects.order_by("pk")[:1000])
        served = served_unit_board(units, event, rnd, writers, rng, args.queries, args.write_every)
        cpu_started = time.process_time()
        started = time.perf_counter()
        for user in writers:
            score_record(
                rnd=rnd,
                user=user,
                points=Decimal(rng.randint(0, 80)) / 4,
                max_points=Decimal(20),
                submitted_at=now,
                time_used_ms=1000 * rng.randint(60, 900),
            )
        record_rate = len(writers) / (time.perf_counter() - started)
        CPU["score_record"] = round((time.process_time() - cpu_started) * 1000 / len(writers), 2)
        print(
            json.dumps(
                {
                    "bench": "leaderboard",
                    "scores": args.scores,
                    "database": connection.vendor,
                    "build_s": round(build_s, 1),
                    "top100_p50_ms": round(statistics.median(top), 2),
                    "top100_p95_ms": round(percentile(top, 0.95), 2),
                    "my_rank_p50_ms": round(statistics.median(rank), 2),
                    "my_rank_p95_ms": round(percentile(rank, 0.95), 2),
                    "unit_board_p50_ms": round(statistics.median(served), 2),
                    "unit_board_p95_ms": round(percentile(served, 0.95), 2),
                    "unit_board_fresh_p95_ms": round(percentile(unit, 0.95), 1),
                    "unit_board_region_fresh_p95_ms": round(percentile(region, 0.95), 1),
                    "record_score_per_s": round(record_rate, 1),
                    **{f"cpu_ms_per_{name}": value for name, value in CPU.items()},
                }
            )
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
