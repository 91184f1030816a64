"""How judges' marks become an entry's final score (DESIGN.md §4, "Reading score"). Pure: no database.

Every rule below is shown to the organisers step by step on an entry's judging page, and recomputed by
``manage.py verify_results`` from the stored marks and votes; the two use these functions and nothing else.

1. **Judge total** (``judge_total``): the weighted sum of the judge's marks, Σ weightᵢ × markᵢ. The
   rubric's range is 0…M with M = Σ weightᵢ × maximumᵢ (``rubric_max``). Only *submitted* scores count; a
   draft, or a score whose assignment ended (conflict declared, withdrawn), does not.
2. **Per-judge normalisation** (optional, ``normalise``): some judges are lenient, some harsh. Each
   judge's totals become z-scores z = (t − μⱼ) / σⱼ over *that judge's* submitted totals in the stage,
   then are put back on the rubric's scale with the mean μ and spread σ of *all* submitted totals of the
   stage: t' = μ + σ × z, kept inside 0…M. Population standard deviations (÷ n).
   Fallbacks: a judge with fewer than 2 scores (nothing to compare with), or who gave every entry the
   same total (σⱼ = 0: no spread to divide by), is not normalised — their raw totals are used, which are
   already on the rubric's scale.
3. **Entry judge score** (``averaging``): the mean of the (normalised or raw) totals of its judges; or the
   trimmed mean — drop one highest and one lowest value, average the rest — when it has 4 judges or
   more (with 2 or 3 judges, trimming would leave too little: the plain mean is used). Ties: one value
   is dropped at each end even if others equal it. Missing scores: the entry is averaged over the
   judges who submitted; with none it has no judge score and no final score (it is listed as not
   judged, and recorded nowhere).
4. **Disagreement**: the spread of an entry's *raw* totals (highest − lowest, with 2 scores or more) above
   the round's threshold (a share of M) flags the entry, so that an organiser can add a judge.
5. **Public vote**: V = the entry's votes ÷ the most votes any entry of the stage received (0…1; all 0 when
   nobody voted) — every entry in the stage's judging, scored yet or not (``score_round``'s ``entry_ids``:
   a playable recording, not rejected; in the final stage the finalists). A rejected entry keeps its votes
   but no longer sets the scale; an entry not scored yet does, so that V never depends on how far the
   judges got. w = the round's vote weight, 0 when the round has no public vote.
6. **Final** = judge score × (1 − w) + V × M × w, on the rubric's scale 0…M, rounded half up to 2
   decimals (after removing floating-point noise at the 6th decimal, so that the same inputs always give
   the same cents).
7. **Two stages** (``combine_stages``): the best N entries of the shortlist stage (ties at the N-th place
   all go through, ``shortlist``) are judged again by other judges. A finalist's final score is the
   final stage's (rules 1–6 over the final stage's scores alone); a finalist nobody scored in the final
   stage keeps their shortlist result. A non-finalist keeps their shortlist result, scaled down if
   needed so that the best non-finalist stays 0.01 below the lowest finalist: no entry the judges did not
   shortlist can rank above one they did, and non-finalists keep their order among themselves.
8. **Participant's score** (``author_points``): an author with several entries is scored by their best
   entry (ties: the earlier entry).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

MEAN = "mean"
TRIMMED = "trimmed"
TRIM_FROM = 4  # judges an entry needs before the trimmed mean drops its extremes
CENT = Decimal("0.01")

# Why a judge was not normalised (rule 2's fallbacks)
FEW_SCORES = "few_scores"
NO_VARIANCE = "no_variance"


class IncompleteMarks(ValueError):
    """A submitted score needs a mark for every criterion."""


@dataclass(frozen=True)
class CriterionRule:
    key: int
    max_points: Decimal
    weight: Decimal


def rubric_max(criteria: Iterable[CriterionRule]) -> Decimal:
    """M, the highest total a judge can give: Σ weight × maximum."""
    return sum((c.weight * c.max_points for c in criteria), Decimal(0))


def judge_total(criteria: Iterable[CriterionRule], marks: Mapping[int, Decimal | None]) -> Decimal:
    """Rule 1: Σ weight × mark, exact (marks and weights have 2 decimals). Every criterion needs a mark."""
    total = Decimal(0)
    for criterion in criteria:
        mark = marks.get(criterion.key)
        if mark is None:
            raise IncompleteMarks(criterion.key)
        if not 0 <= mark <= criterion.max_points:
            raise ValueError(f"mark {mark} outside 0…{criterion.max_points}")
        total += criterion.weight * mark
    return total


def to_cents(value: float) -> Decimal:
    """Rule 6's rounding: 6 decimals first (float noise: 72.4999999997 is 72.50), then half up to cents."""
    return Decimal(f"{value:.6f}").quantize(CENT, rounding=ROUND_HALF_UP)


def vote_shares(counts: Mapping[int, int]) -> dict[int, float]:
    """Rule 5: each entry's votes as a share of the most-voted entry's (0…1); all zero when nobody voted.

    Normalising by the maximum keeps the judges' scale whatever the turnout.
    """
    top = max(counts.values(), default=0)
    return {entry_id: (count / top if top else 0.0) for entry_id, count in counts.items()}


@dataclass(frozen=True)
class Settings:
    max_total: float  # M
    averaging: str = MEAN
    normalise: bool = False
    disagreement_fraction: float = 0.25  # of M
    vote_weight: float = 0.0  # w


@dataclass(frozen=True)
class JudgeTotal:
    entry_id: int
    judge_id: int
    total: float


@dataclass(frozen=True)
class JudgeScale:
    """One judge's totals in the stage: how many, their mean and spread, and whether they were normalised."""

    judge_id: int
    count: int
    mean: float
    std: float
    normalised: bool
    reason: str = ""  # FEW_SCORES or NO_VARIANCE when not normalised under rule 2


@dataclass(frozen=True)
class EntryScore:
    entry_id: int
    raw: dict[int, float]  # judge → raw total
    used: dict[int, float]  # judge → the value averaged (normalised or raw)
    dropped: tuple[int, ...]  # judges whose value the trimmed mean dropped
    trimmed: bool
    judge_score: float | None
    spread: float | None
    disputed: bool
    votes: int
    vote_share: float
    vote_points: float  # V × M
    final: Decimal | None

    @property
    def judged(self) -> bool:
        return self.judge_score is not None


@dataclass(frozen=True)
class RoundScores:
    settings: Settings
    entries: dict[int, EntryScore]
    judges: dict[int, JudgeScale]
    pool_mean: float
    pool_std: float
    top_votes: int


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _pstdev(values: list[float], mean: float) -> float:
    return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


def judge_scales(totals: list[JudgeTotal]) -> dict[int, JudgeScale]:
    """Rule 2's statistics and fallbacks, per judge."""
    by_judge: dict[int, list[float]] = {}
    for t in totals:
        by_judge.setdefault(t.judge_id, []).append(t.total)
    scales = {}
    for judge_id, values in by_judge.items():
        mean = _mean(values)
        std = _pstdev(values, mean)
        if len(values) < 2:
            reason = FEW_SCORES
        elif std <= 1e-9:
            reason = NO_VARIANCE
        else:
            reason = ""
        scales[judge_id] = JudgeScale(judge_id, len(values), mean, std, normalised=not reason, reason=reason)
    return scales


def normalised_total(total: float, scale: JudgeScale, *, pool_mean: float, pool_std: float, max_total: float) -> float:
    """Rule 2: t' = μ + σ × (t − μⱼ) / σⱼ, inside 0…M; the raw total for a judge who is not normalised."""
    if not scale.normalised:
        return total
    value = pool_mean + pool_std * (total - scale.mean) / scale.std
    return min(max(value, 0.0), max_total)


def average(values: Mapping[int, float], averaging: str) -> tuple[float | None, tuple[int, ...]]:
    """Rule 3: (entry judge score, judges dropped by the trimmed mean). None without any value."""
    if not values:
        return None, ()
    ordered = sorted(values.items(), key=lambda item: (item[1], item[0]))
    dropped: tuple[int, ...] = ()
    if averaging == TRIMMED and len(ordered) >= TRIM_FROM:
        dropped = (ordered[0][0], ordered[-1][0])
        ordered = ordered[1:-1]
    return _mean([value for _judge, value in ordered]), dropped


def final_score(judge_score: float | None, vote_share: float, settings: Settings) -> Decimal | None:
    """Rule 6: judge score × (1 − w) + V × M × w, in cents; None for an entry no judge scored."""
    if judge_score is None:
        return None
    w = settings.vote_weight
    return to_cents(judge_score * (1 - w) + vote_share * settings.max_total * w)


def score_round(
    *, totals: Iterable[JudgeTotal], entry_ids: Iterable[int], votes: Mapping[int, int], settings: Settings
) -> RoundScores:
    """Rules 1–6 over one stage: ``totals`` are the submitted totals, ``entry_ids`` every entry judged in the
    stage (scored or not), ``votes`` their public votes."""
    entry_ids = list(entry_ids)
    wanted = set(entry_ids)
    totals = [t for t in totals if t.entry_id in wanted]
    scales = judge_scales(totals)
    pool = [t.total for t in totals]
    pool_mean = _mean(pool) if pool else 0.0
    pool_std = _pstdev(pool, pool_mean) if pool else 0.0
    counts = {entry_id: votes.get(entry_id, 0) for entry_id in entry_ids}
    shares = vote_shares(counts)
    raw: dict[int, dict[int, float]] = {entry_id: {} for entry_id in entry_ids}
    for t in totals:
        raw[t.entry_id][t.judge_id] = t.total
    entries = {}
    for entry_id in entry_ids:
        entries[entry_id] = _entry_score(
            entry_id, raw[entry_id], scales, settings, pool_mean, pool_std, counts[entry_id], shares[entry_id]
        )
    return RoundScores(settings, entries, scales, pool_mean, pool_std, max(counts.values(), default=0))


def _entry_score(entry_id, raw, scales, settings, pool_mean, pool_std, votes, share) -> EntryScore:
    if settings.normalise:
        used = {
            judge_id: normalised_total(
                total, scales[judge_id], pool_mean=pool_mean, pool_std=pool_std, max_total=settings.max_total
            )
            for judge_id, total in raw.items()
        }
    else:
        used = dict(raw)
    judge_score, dropped = average(used, settings.averaging)
    spread = max(raw.values()) - min(raw.values()) if len(raw) >= 2 else None
    disputed = spread is not None and spread > settings.disagreement_fraction * settings.max_total + 1e-9
    return EntryScore(
        entry_id=entry_id,
        raw=raw,
        used=used,
        dropped=dropped,
        trimmed=bool(dropped),
        judge_score=judge_score,
        spread=spread,
        disputed=disputed,
        votes=votes,
        vote_share=share,
        vote_points=share * settings.max_total,
        final=final_score(judge_score, share, settings),
    )


# --- Two stages and participants ---------------------------------------------------------------


def shortlist(scores: RoundScores, size: int) -> set[int]:
    """Rule 7: the entries whose final score is among the best ``size``; ties at the boundary all go through."""
    judged = sorted((e.final for e in scores.entries.values() if e.final is not None), reverse=True)
    if not judged or size <= 0:
        return set()
    bar = judged[min(size, len(judged)) - 1]
    return {e.entry_id for e in scores.entries.values() if e.final is not None and e.final >= bar}


@dataclass(frozen=True)
class Outcome:
    """An entry's result as recorded: which stage it comes from, and the ordering guard of rule 7."""

    entry_id: int
    stage: int
    finalist: bool
    before_guard: Decimal | None
    factor: Decimal  # 1 unless rule 7 scaled a non-finalist down
    final: Decimal | None


def combine_stages(*, first: RoundScores, final: RoundScores | None, finalists: set[int]) -> dict[int, Outcome]:
    """Rule 7 (a one-stage round: ``final`` None, no finalists, every result as it is)."""
    outcomes = {}
    for entry_id, score in first.entries.items():
        in_final = entry_id in finalists
        finalist_score = final.entries.get(entry_id) if final is not None and in_final else None
        if finalist_score is not None and finalist_score.final is not None:
            outcomes[entry_id] = Outcome(entry_id, 2, True, finalist_score.final, Decimal(1), finalist_score.final)
        else:
            outcomes[entry_id] = Outcome(entry_id, 1, in_final, score.final, Decimal(1), score.final)
    if not finalists:
        return outcomes
    floor_values = [o.final for o in outcomes.values() if o.finalist and o.final is not None]
    rest = [o.final for o in outcomes.values() if not o.finalist and o.final is not None]
    if not floor_values or not rest:
        return outcomes
    floor, best_rest = min(floor_values) - CENT, max(rest)
    if best_rest <= floor:
        return outcomes
    factor = max(Decimal(0), floor) / best_rest
    for entry_id, outcome in outcomes.items():
        if not outcome.finalist and outcome.final is not None:
            scaled = min((outcome.final * factor).quantize(CENT, rounding=ROUND_HALF_UP), max(Decimal(0), floor))
            outcomes[entry_id] = Outcome(entry_id, 1, False, outcome.final, factor, scaled)
    return outcomes


def author_points(outcomes: Mapping[int, Outcome], authors: Mapping[int, int]) -> dict[int, tuple[int, Decimal]]:
    """Rule 8: user id → (the counted entry, its final score), over entries with a final score."""
    best: dict[int, tuple[int, Decimal]] = {}
    for entry_id in sorted(outcomes):
        outcome = outcomes[entry_id]
        if outcome.final is None:
            continue
        user_id = authors[entry_id]
        if user_id not in best or outcome.final > best[user_id][1]:
            best[user_id] = (entry_id, outcome.final)
    return best
