"""The scoring rules of ``judging.scoring`` on hand-computed examples: every rule, every fallback, ties and
missing scores. No database."""

import math
from decimal import Decimal

import pytest

from judging import scoring
from judging.scoring import CriterionRule, JudgeScale, JudgeTotal, Settings

D = Decimal
RULES = [CriterionRule(1, D(10), D(3)), CriterionRule(2, D(10), D(2))]  # M = 50


def _totals(rows):
    return [JudgeTotal(entry_id, judge_id, float(total)) for entry_id, judge_id, total in rows]


def _score(rows, entries, *, votes=None, **settings):
    return scoring.score_round(
        totals=_totals(rows), entry_ids=entries, votes=votes or {}, settings=Settings(max_total=50, **settings)
    )


# --- Rule 1: judge total ----------------------------------------------------------------------------


def test_judge_total_is_the_weighted_sum_and_rubric_max_its_ceiling():
    assert scoring.rubric_max(RULES) == D(50)
    assert scoring.judge_total(RULES, {1: D("8.5"), 2: D(6)}) == D("37.5")  # 3 × 8.5 + 2 × 6
    assert scoring.judge_total(RULES, {1: D(0), 2: D(0)}) == 0
    assert scoring.judge_total(RULES, {1: D(10), 2: D(10)}) == D(50)


def test_a_total_needs_every_mark_within_its_range():
    with pytest.raises(scoring.IncompleteMarks):
        scoring.judge_total(RULES, {1: D(8)})
    with pytest.raises(scoring.IncompleteMarks):
        scoring.judge_total(RULES, {1: D(8), 2: None})
    with pytest.raises(ValueError):
        scoring.judge_total(RULES, {1: D(11), 2: D(5)})
    with pytest.raises(ValueError):
        scoring.judge_total(RULES, {1: D(-1), 2: D(5)})


# --- Rule 3: mean, trimmed mean, missing scores -------------------------------------------------------


def test_mean_of_the_judges_totals():
    scores = _score([(1, 10, 30), (1, 11, 40), (1, 12, 35)], [1])
    assert scores.entries[1].judge_score == pytest.approx(35)
    assert scores.entries[1].final == D("35.00")
    assert not scores.entries[1].trimmed


def test_trimmed_mean_drops_the_highest_and_the_lowest_with_four_judges():
    scores = _score([(1, 10, 20), (1, 11, 30), (1, 12, 40), (1, 13, 45)], [1], averaging=scoring.TRIMMED)
    entry = scores.entries[1]
    assert entry.judge_score == pytest.approx(35)  # (30 + 40) / 2, 20 and 45 dropped
    assert set(entry.dropped) == {10, 13}


def test_trimmed_mean_with_ties_drops_one_value_at_each_end():
    scores = _score([(1, 10, 30), (1, 11, 30), (1, 12, 40), (1, 13, 40), (1, 14, 35)], [1], averaging="trimmed")
    entry = scores.entries[1]
    assert entry.dropped == (10, 13)  # one of the tied 30s (smaller judge id) and one of the tied 40s
    assert entry.judge_score == pytest.approx((30 + 35 + 40) / 3)


def test_trimmed_mean_falls_back_to_the_mean_under_four_judges():
    scores = _score([(1, 10, 10), (1, 11, 20), (1, 12, 30)], [1], averaging=scoring.TRIMMED)
    assert scores.entries[1].judge_score == pytest.approx(20)
    assert scores.entries[1].dropped == ()


def test_missing_scores_average_over_the_judges_who_submitted_and_none_means_not_judged():
    scores = _score([(1, 10, 30), (2, 10, 40), (2, 11, 20)], [1, 2, 3])
    assert scores.entries[1].judge_score == pytest.approx(30)  # 1 score of the 3 expected
    assert scores.entries[2].judge_score == pytest.approx(30)
    assert scores.entries[3].judge_score is None and scores.entries[3].final is None
    assert not scores.entries[3].judged


def test_totals_of_entries_outside_the_stage_are_ignored():
    scores = _score([(1, 10, 30), (9, 10, 50)], [1])
    assert set(scores.entries) == {1}
    assert scores.judges[10].count == 1


# --- Rule 2: per-judge normalisation ------------------------------------------------------------------

# A lenient judge (A), a harsh one (B), a neutral one (C), two entries each:
#   A: e1 48, e2 44    B: e2 20, e3 24    C: e1 30, e3 34
# Raw means: e1 39, e2 32, e3 29. Each judge's totals are μⱼ ± 2 (σⱼ = 2), so z = ±1.
# Pool: μ = 200 / 6 = 33.33…, σ² = Σ(t − μ)² / 6 = 605.33… / 6, σ = 10.044…
# Normalised: z = +1 → μ + σ = 43.38, z = −1 → μ − σ = 23.29.
# e1 = (43.38 + 23.29) / 2 = 33.33, e2 = 23.29, e3 = 43.38: e3, judged by the harsh and the neutral judge
# who both preferred it, now ranks first.
BIAS = [(1, "A", 48), (2, "A", 44), (2, "B", 20), (3, "B", 24), (1, "C", 30), (3, "C", 34)]
JUDGE_IDS = {"A": 10, "B": 11, "C": 12}


def _bias_rows():
    return [(e, JUDGE_IDS[j], t) for e, j, t in BIAS]


def test_normalisation_removes_lenient_and_harsh_bias():
    raw = _score(_bias_rows(), [1, 2, 3])
    assert [raw.entries[e].judge_score for e in (1, 2, 3)] == pytest.approx([39, 32, 29])
    normalised = _score(_bias_rows(), [1, 2, 3], normalise=True)
    mu = 200 / 6
    sigma = math.sqrt(sum((t - mu) ** 2 for _e, _j, t in BIAS) / 6)
    assert normalised.pool_mean == pytest.approx(mu) and normalised.pool_std == pytest.approx(sigma)
    assert sigma == pytest.approx(10.0444, abs=1e-4)
    assert normalised.entries[1].judge_score == pytest.approx(mu)
    assert normalised.entries[2].judge_score == pytest.approx(mu - sigma)
    assert normalised.entries[3].judge_score == pytest.approx(mu + sigma)
    assert normalised.entries[3].final == D("43.38") and normalised.entries[2].final == D("23.29")
    for judge in normalised.judges.values():
        assert judge.normalised and judge.std == pytest.approx(2)


def test_a_judge_with_fewer_than_two_scores_is_not_normalised():
    rows = [*_bias_rows(), (4, 13, 45)]  # judge 13 scored one entry only
    scores = _score(rows, [1, 2, 3, 4], normalise=True)
    assert scores.judges[13].reason == scoring.FEW_SCORES and not scores.judges[13].normalised
    assert scores.entries[4].used[13] == pytest.approx(45)  # raw, already on the rubric's scale
    assert scores.entries[4].judge_score == pytest.approx(45)


def test_a_judge_who_gave_every_entry_the_same_total_is_not_normalised():
    rows = [(1, 10, 40), (2, 10, 40), (3, 10, 40), (1, 11, 10), (2, 11, 30), (3, 11, 50)]
    scores = _score(rows, [1, 2, 3], normalise=True)
    assert scores.judges[10].reason == scoring.NO_VARIANCE
    assert scores.judges[11].normalised
    assert [scores.entries[e].used[10] for e in (1, 2, 3)] == [40, 40, 40]


def test_normalised_totals_stay_inside_the_rubric_range():
    scale = JudgeScale(judge_id=1, count=3, mean=40, std=2, normalised=True)
    assert scoring.normalised_total(48, scale, pool_mean=30, pool_std=10, max_total=50) == 50  # 70 → 50
    assert scoring.normalised_total(30, scale, pool_mean=30, pool_std=10, max_total=50) == 0  # −20 → 0
    raw_scale = JudgeScale(judge_id=1, count=1, mean=40, std=0, normalised=False, reason=scoring.FEW_SCORES)
    assert scoring.normalised_total(40, raw_scale, pool_mean=30, pool_std=10, max_total=50) == 40


def test_normalisation_then_trimmed_mean():
    rows = [(1, j, t) for j, t in [(10, 10), (11, 20), (12, 30), (13, 40)]]
    rows += [(2, j, t) for j, t in [(10, 20), (11, 30), (12, 40), (13, 50)]]
    scores = _score(rows, [1, 2], normalise=True, averaging=scoring.TRIMMED)
    # Every judge is 10 apart on the two entries: z = −1 on entry 1, +1 on entry 2 for all of them.
    mu = sum(t for *_x, t in rows) / 8
    sigma = math.sqrt(sum((t - mu) ** 2 for *_x, t in rows) / 8)
    assert scores.entries[1].judge_score == pytest.approx(mu - sigma)
    assert scores.entries[2].judge_score == pytest.approx(mu + sigma)
    assert len(scores.entries[1].dropped) == 2


# --- Rule 4: disagreement ---------------------------------------------------------------------------


def test_disagreement_is_flagged_above_the_threshold_on_raw_totals():
    scores = _score([(1, 10, 20), (1, 11, 40), (2, 10, 30), (2, 11, 42.5), (3, 10, 30)], [1, 2, 3])
    assert scores.entries[1].spread == pytest.approx(20) and scores.entries[1].disputed  # 20 > 12.5 (25 % of 50)
    assert scores.entries[2].spread == pytest.approx(12.5) and not scores.entries[2].disputed  # not above
    assert scores.entries[3].spread is None and not scores.entries[3].disputed


# --- Rules 5 and 6: votes and the final score -------------------------------------------------------------


def test_final_combines_judges_and_normalised_votes():
    rows = [(1, 10, 40), (2, 10, 40), (3, 10, 40)]
    scores = _score(rows, [1, 2, 3], votes={1: 10, 2: 5}, vote_weight=0.2)
    # final = 40 × 0.8 + V × 50 × 0.2
    assert scores.entries[1].vote_share == 1 and scores.entries[1].final == D("42.00")
    assert scores.entries[2].vote_share == 0.5 and scores.entries[2].final == D("37.00")
    assert scores.entries[3].vote_share == 0 and scores.entries[3].final == D("32.00")
    assert scores.top_votes == 10


def test_no_votes_at_all_gives_every_entry_zero_vote_points():
    scores = _score([(1, 10, 40)], [1], votes={}, vote_weight=0.5)
    assert scores.entries[1].vote_share == 0 and scores.entries[1].final == D("20.00")


def test_vote_shares_are_relative_to_the_most_voted_entry():
    assert scoring.vote_shares({1: 4, 2: 1, 3: 0}) == {1: 1.0, 2: 0.25, 3: 0.0}
    assert scoring.vote_shares({1: 0, 2: 0}) == {1: 0.0, 2: 0.0}
    assert scoring.vote_shares({}) == {}


def test_cents_round_half_up_without_float_noise():
    assert scoring.to_cents(2.675) == D("2.68")  # the float is 2.67499999…
    assert scoring.to_cents(72.4999999997) == D("72.50")
    assert scoring.to_cents(10 / 3) == D("3.33")
    assert scoring.final_score(None, 1.0, Settings(max_total=50, vote_weight=0.5)) is None


# --- Rule 7: two stages ----------------------------------------------------------------------------------


def test_shortlist_takes_the_best_n_and_every_tie_at_the_boundary():
    scores = _score([(1, 10, 45), (2, 10, 40), (3, 10, 40), (4, 10, 30)], [1, 2, 3, 4, 5])
    assert scoring.shortlist(scores, 1) == {1}
    assert scoring.shortlist(scores, 2) == {1, 2, 3}  # 2 and 3 tie for second place
    assert scoring.shortlist(scores, 10) == {1, 2, 3, 4}  # entry 5 has no score
    assert scoring.shortlist(scores, 0) == set()


def test_finalists_are_scored_by_the_final_stage_and_nobody_else_ranks_above_them():
    first = _score([(1, 10, 45), (2, 10, 44), (3, 10, 43), (4, 10, 30)], [1, 2, 3, 4])
    final = _score([(1, 20, 35), (2, 20, 25)], [1, 2])  # the final judges are stricter
    outcomes = scoring.combine_stages(first=first, final=final, finalists={1, 2})
    assert outcomes[1].final == D("35.00") and outcomes[1].stage == 2
    assert outcomes[2].final == D("25.00")
    # Non-finalists 43 and 30 would outrank finalist 25: scaled by 24.99 / 43, order kept.
    factor = D("24.99") / D("43.00")
    assert outcomes[3].factor == factor and outcomes[3].before_guard == D("43.00")
    assert outcomes[3].final == D("24.99")
    assert outcomes[4].final == (D("30.00") * factor).quantize(D("0.01"))
    assert outcomes[4].final < outcomes[3].final < outcomes[2].final


def test_non_finalists_already_below_the_finalists_are_not_scaled():
    first = _score([(1, 10, 45), (2, 10, 20)], [1, 2])
    final = _score([(1, 20, 40)], [1])
    outcomes = scoring.combine_stages(first=first, final=final, finalists={1})
    assert outcomes[2].factor == 1 and outcomes[2].final == D("20.00")


def test_a_finalist_nobody_scored_in_the_final_stage_keeps_the_shortlist_result():
    first = _score([(1, 10, 45), (2, 10, 44)], [1, 2])
    final = _score([(1, 20, 40)], [1, 2])
    outcomes = scoring.combine_stages(first=first, final=final, finalists={1, 2})
    assert outcomes[2].stage == 1 and outcomes[2].finalist and outcomes[2].final == D("44.00")


def test_one_stage_rounds_keep_every_result():
    first = _score([(1, 10, 45), (2, 10, 44)], [1, 2, 3])
    outcomes = scoring.combine_stages(first=first, final=None, finalists=set())
    assert {e: o.final for e, o in outcomes.items()} == {1: D("45.00"), 2: D("44.00"), 3: None}


# --- Rule 8: participants ---------------------------------------------------------------------------------


def test_an_author_is_scored_by_their_best_entry_and_unscored_entries_count_for_nothing():
    first = _score([(1, 10, 30), (2, 10, 40), (3, 10, 40), (4, 10, 40)], [1, 2, 3, 4, 5])
    outcomes = scoring.combine_stages(first=first, final=None, finalists=set())
    points = scoring.author_points(outcomes, {1: 100, 2: 100, 3: 200, 4: 200, 5: 300})
    assert points == {100: (2, D("40.00")), 200: (3, D("40.00"))}  # ties: the earlier entry; 300 unscored


def test_normalised_votes_for_judging():
    """Was ``submissions.selectors.normalised_votes``, a second copy of ``vote_shares``: one rule now."""
    assert scoring.vote_shares({1: 10, 2: 5, 3: 0}) == {1: 1.0, 2: 0.5, 3: 0.0}
    assert scoring.vote_shares({1: 0}) == {1: 0.0}
    assert scoring.vote_shares({}) == {}
