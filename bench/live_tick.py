"""Benchmark: what one group commit of live answers costs (``live.services.answers_store``). Last line: JSON.

    python bench/live_tick.py [--database-url postgres://…] [--sizes 1,10,50,100,250,500] [--repeats 7]

A fresh database (a SQLite file, or ``live_tick_<pid>`` on the PostgreSQL server named, dropped at the end),
migrated; a live session of bench/live_round.py's quiz with enough players; the first question opened. Then,
in one process as the writer thread does it, batches of each size of checked answers (``answer_check``) are
stored, each in its own transaction, ``--repeats`` times: the wall time of a batch (check of the session row,
the multi-row INSERT, the commit) and the CPU time of this process in it (the rest is the database's work
and its fsync). ``answers_per_s`` is how many answers one writer stores a second at that batch size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from live_round import SETTINGS, SETUP, database_url_with_name, manage, postgres_admin

MEASURE = r"""
import json, os, statistics, time
from django.db import transaction
from django.utils import timezone
from live import services
from live.models import LivePlayer, LiveSession

sizes = [int(s) for s in os.environ["TICK_SIZES"].split(",")]
repeats = int(os.environ["TICK_REPEATS"])
session = LiveSession.objects.get(pk=int(os.environ["TICK_SESSION"]))
players = LivePlayer.objects.bulk_create(
    [LivePlayer(session=session, nickname=f"p{n}") for n in range(sum(sizes) * repeats + repeats)]
)
services.session_start(session_id=session.pk)
state = services.question_state(LiveSession.objects.get(pk=session.pk))
token = state.tokens.token(next(iter(state.key.correct_ids)))
queue = iter(players)
rows = []
for size in sizes:
    walls, cpus = [], []
    for _ in range(repeats):
        now = timezone.now()
        answers = [services.answer_check(state=state, player_id=next(queue).pk, index=0, response=token, now=now)
                   for _ in range(size)]
        wall, cpu = time.perf_counter(), time.process_time()
        outcomes = services.answers_store(state=state, answers=answers)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        assert all(o is True for o in outcomes), outcomes
    wall_ms, cpu_ms = statistics.median(walls), statistics.median(cpus)
    rows.append({"size": size, "batch_ms": round(wall_ms, 2), "cpu_ms": round(cpu_ms, 2),
                 "per_answer_ms": round(wall_ms / size, 3), "answers_per_s": round(size / wall_ms * 1000)})
print(json.dumps(rows))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--sizes", default="1,10,25,50,100,250,500")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="live-tick-"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS, "DEBUG": "0", "MEDIA_ROOT": str(folder / "media")}
    env.pop("REDIS_URL", None)
    database = ""
    try:
        if args.database_url:
            database = f"live_tick_{os.getpid()}"
            postgres_admin(args.database_url, f'CREATE DATABASE "{database}"')
            env["DATABASE_URL"] = database_url_with_name(args.database_url, database)
        else:
            env.pop("DATABASE_URL", None)
            env["SQLITE_PATH"] = str(folder / "db.sqlite3")
        manage(env, "migrate", "-v0")
        setup = {**env, "BENCH_TAG": str(os.getpid()), "BENCH_QUESTIONS": "1", "BENCH_LIMIT": "600"}
        session = json.loads(manage(setup, "shell", "-c", SETUP).splitlines()[-1])["session"]
        measure = {**env, "TICK_SIZES": args.sizes, "TICK_REPEATS": str(args.repeats), "TICK_SESSION": str(session)}
        started = time.monotonic()
        rows = json.loads(manage(measure, "shell", "-c", MEASURE).splitlines()[-1])
    finally:
        if database:
            postgres_admin(args.database_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(folder, ignore_errors=True)
    result = {
        "bench": "live_tick",
        "database": "postgresql" if database else "sqlite",
        "repeats": args.repeats,
        "batches": rows,
        "wall_s": round(time.monotonic() - started, 1),
        "load_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
