"""Item analysis of a quiz round, after Moodle's quiz statistics report (mod/quiz/report/statistics and
question/classes/statistics/questions/calculator.php). Pure: no database; the selector hands in plain
records and tests check hand-computed examples.

Definitions (for each question, over the ``s`` analysed attempts that contain it; x = the attempt's mark on
the question, X = the attempt's total, X − x = the rest of the test):

- **facility index** = mean(x) / maximum mark of the question (0–1; shown as %): the share of the marks the
  participants earned — for a one-point question, the share who answered right;
- **standard deviation** of x, with ``s − 1`` in the denominator, as Moodle;
- **discrimination index** = 100 · cov(x, X − x) / √(var(x) · var(X − x)), the correlation of the question
  with the rest of the test (−100 … 100); none when s < 2 or either variance is zero. A negative value means
  the participants who did well on the rest of the test did worse on this question: often a wrong key or an
  ambiguous wording;
- **discriminative efficiency** = 100 · cov(x, X − x) / cov_max, where cov_max pairs the sorted x with the
  sorted X − x (the highest covariance these marks allow);
- **most chosen wrong answer**: the response given most often among the responses that did not earn full marks;
- **median time**: the autosave keeps only the moment of a question's last saved answer, not how long it was
  on screen, so a question's time in one attempt is taken as the gap between its last saved answer and the
  previous saved answer of that attempt (or the start). An answer changed later counts from the previous
  save before the change; questions left blank have no time.

Flags: too easy (facility > 0.9), too hard (facility < 0.2), negative discrimination (index < 0).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, cast

TOO_EASY = 0.9
TOO_HARD = 0.2


@dataclass(frozen=True)
class ItemRecord:
    """One question in one attempt: its mark, its maximum, the stored response and when it was last saved."""

    question_id: int
    mark: float
    max_mark: float
    response: object = None
    answered_at: dt.datetime | None = None


@dataclass(frozen=True)
class AttemptRecord:
    attempt_id: int
    started_at: dt.datetime
    items: tuple[ItemRecord, ...]

    @property
    def total(self) -> float:
        return sum(item.mark for item in self.items)


@dataclass
class QuestionStats:
    question_id: int
    attempts: int
    facility: float | None
    sd: float | None
    discrimination: float | None  # −100 … 100, Moodle's scale
    efficiency: float | None
    wrong_response: object = None  # the most chosen wrong response, as stored
    wrong_count: int = 0
    median_seconds: float | None = None
    flags: list[str] = field(default_factory=list)


def response_key(response: Any) -> str:
    """A hashable, canonical form of a stored response: two identical answers give the same key. Multiple
    choice is stored sorted already; an ordering keeps its order (it is the answer); a text is compared
    without case and surrounding spaces."""
    if isinstance(response, str):
        response = " ".join(response.split()).casefold()
    return json.dumps(response, sort_keys=True, ensure_ascii=False)


def _sample_covariance(xs: list[float], ys: list[float]) -> float:
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / (len(xs) - 1)


def question_stats(question_id: int, pairs: list[tuple[ItemRecord, float]], seconds: list[float]) -> QuestionStats:
    """Statistics of one question from (item, attempt total) pairs and its answer times."""
    s = len(pairs)
    marks = [item.mark for item, _total in pairs]
    others = [total - item.mark for item, total in pairs]
    max_mark = max(item.max_mark for item, _total in pairs)
    facility = (sum(marks) / s / max_mark) if max_mark else None
    sd = discrimination = efficiency = None
    if s > 1:
        var_x, var_rest = _sample_covariance(marks, marks), _sample_covariance(others, others)
        covariance = _sample_covariance(marks, others)
        sd = math.sqrt(var_x)
        if var_x * var_rest > 0:
            discrimination = 100 * covariance / math.sqrt(var_x * var_rest)
        covariance_max = _sample_covariance(sorted(marks), sorted(others))
        if covariance_max:
            efficiency = 100 * covariance / covariance_max
    wrong = Counter(
        response_key(item.response)
        for item, _total in pairs
        if item.response not in (None, "", []) and item.mark < item.max_mark
    )
    stats = QuestionStats(question_id, s, facility, sd, discrimination, efficiency)
    if wrong:
        key, stats.wrong_count = wrong.most_common(1)[0]
        stats.wrong_response = json.loads(key)
    stats.median_seconds = statistics.median(seconds) if seconds else None
    stats.flags = flags_of(stats)
    return stats


def flags_of(stats: QuestionStats) -> list[str]:
    flags = []
    if stats.facility is not None and stats.facility > TOO_EASY:
        flags.append("too_easy")
    if stats.facility is not None and stats.facility < TOO_HARD:
        flags.append("too_hard")
    if stats.discrimination is not None and stats.discrimination < 0:
        flags.append("negative_discrimination")
    return flags


def answer_seconds(attempt: AttemptRecord) -> dict[int, float]:
    """Seconds spent on each answered question of one attempt (see the module's note on what that means)."""
    answered = sorted(
        (item for item in attempt.items if item.answered_at is not None),
        key=lambda item: cast(dt.datetime, item.answered_at),
    )
    seconds: dict[int, float] = {}
    previous = attempt.started_at
    for item in answered:
        answered_at = cast(dt.datetime, item.answered_at)  # only answered items
        seconds[item.question_id] = max((answered_at - previous).total_seconds(), 0.0)
        previous = answered_at
    return seconds


def analyse(attempts: list[AttemptRecord]) -> list[QuestionStats]:
    """Per-question statistics over ``attempts``, questions in the order they first appear."""
    pairs: dict[int, list[tuple[ItemRecord, float]]] = {}
    times: dict[int, list[float]] = {}
    for attempt in attempts:
        total = attempt.total
        spent = answer_seconds(attempt)
        for item in attempt.items:
            pairs.setdefault(item.question_id, []).append((item, total))
            if item.question_id in spent:
                times.setdefault(item.question_id, []).append(spent[item.question_id])
    return [question_stats(question_id, rows, times.get(question_id, [])) for question_id, rows in pairs.items()]


@dataclass(frozen=True)
class RoundSummary:
    attempts: int
    mean: float | None
    median: float | None
    sd: float | None


def round_summary(attempts: list[AttemptRecord]) -> RoundSummary:
    totals = [attempt.total for attempt in attempts]
    if not totals:
        return RoundSummary(0, None, None, None)
    sd = statistics.stdev(totals) if len(totals) > 1 else None
    return RoundSummary(len(totals), statistics.fmean(totals), statistics.median(totals), sd)
