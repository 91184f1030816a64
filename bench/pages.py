"""Benchmark: public pages at contest scale. Prints one JSON line (last line) with medians and p95.

    python bench/pages.py [--events 300] [--requests 200]

Runs on a throw-away SQLite database (or DATABASE_URL's server, in a fresh database made by Django's
test runner machinery), through the full Django request stack with the test client. The home page is
measured as served (its event cards cached) and rebuilt (an event edited before each request); beside
each figure the CPU milliseconds this process spent per request (``cpu_ms_per_*``).
"""

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("SQLITE_PATH", str(Path(tempfile.mkdtemp(prefix="bench-")) / "bench.sqlite3"))
os.environ["DJANGO_SETTINGS_MODULE"] = "contest_site.settings.test"

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


CPU = {}  # name -> CPU milliseconds of this process per request (robust to other load on a shared machine)


def timed(client: Client, url: str, count: int, name: str | None = None, before=None) -> list[float]:
    """GET ``url`` ``count`` times; ``before`` runs ahead of each request, outside the timing."""
    samples, cpu = [], 0.0
    for _ in range(count):
        if before is not None:
            before()
        cpu_started, started = time.process_time(), time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        cpu += time.process_time() - cpu_started
        assert response.status_code == 200, (url, response.status_code)
    if name:
        CPU[name] = round(cpu * 1000 / count, 2)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    setup_test_environment()
    if connection.vendor == "sqlite":  # a file, as in production, not the test runner's in-memory database
        connection.settings_dict["TEST"]["NAME"] = os.environ["SQLITE_PATH"] + ".bench"
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        from contests import services
        from contests.models import Organisation

        now = timezone.now()
        organisation = Organisation.objects.create(name="Bench", slug="bench")
        organiser = get_user_model().objects.create_user("bench", "bench@example.vn", "x")
        services.membership_add(user=organiser, organisation=organisation)
        for index in range(args.events):
            event = services.event_create(
                organisation=organisation,
                by=organiser,
                fields={
                    "title": f"Event {index}",
                    "kind": ["contest", "playground", "forum"][index % 3],
                    "opens_at": now - dt.timedelta(days=1),
                    "closes_at": now + dt.timedelta(days=7),
                },
            )
            for position in range(3):
                services.round_create(
                    event=event,
                    fields={
                        "title": f"R{position}",
                        "kind": "quiz",
                        "opens_at": event.opens_at,
                        "closes_at": event.closes_at,
                    },
                )
            services.event_transition(event=event, to_state="open", by=organiser)
        from contests.models import Event

        client = Client()
        timed(client, "/", 5)
        home = timed(client, "/", args.requests, "home")
        # An organiser edits an event before each request: the cached cards are rebuilt every time.
        touch = lambda: Event.objects.filter(pk=event.pk).update(updated_at=timezone.now())  # noqa: E731
        cold = timed(client, "/", max(20, args.requests // 5), "home_rebuilt", before=touch)
        kind = timed(client, "/?kind=contest&page=2", args.requests, "kind_page")
        detail = timed(client, f"/events/{event.slug}/", args.requests, "event")
        print(
            json.dumps(
                {
                    "bench": "pages",
                    "database": connection.vendor,
                    "events": args.events,
                    "requests": args.requests,
                    "home_p50_ms": round(statistics.median(home), 2),
                    "home_p95_ms": round(percentile(home, 0.95), 2),
                    "home_rebuilt_p50_ms": round(statistics.median(cold), 2),
                    "home_rebuilt_p95_ms": round(percentile(cold, 0.95), 2),
                    "kind_page_p95_ms": round(percentile(kind, 0.95), 2),
                    "event_p50_ms": round(statistics.median(detail), 2),
                    "event_p95_ms": round(percentile(detail, 0.95), 2),
                    **{f"cpu_ms_per_{name}": value for name, value in CPU.items()},
                }
            )
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
