"""Benchmark: public pages at contest scale. Prints one JSON line (last line) with medians and p95.

    python bench/pages.py [--events 300] [--requests 200]

Runs on a throw-away SQLite database (or DATABASE_URL's server, in a fresh database made by Django's
test runner machinery), through the full Django request stack with the test client.
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


def timed(client: Client, url: str, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
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
        client = Client()
        timed(client, "/", 5)
        home = timed(client, "/", args.requests)
        detail = timed(client, f"/events/{event.slug}/", args.requests)
        print(
            json.dumps(
                {
                    "bench": "pages",
                    "database": connection.vendor,
                    "events": args.events,
                    "requests": args.requests,
                    "home_p50_ms": round(statistics.median(home), 2),
                    "home_p95_ms": round(percentile(home, 0.95), 2),
                    "event_p50_ms": round(statistics.median(detail), 2),
                    "event_p95_ms": round(percentile(detail, 0.95), 2),
                }
            )
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
