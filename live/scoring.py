"""Live scoring (DESIGN.md §4), pure.

A right answer earns ``round(P × (1 − (t / T) / 2))``: the full P for an instant answer, half of it at
the buzzer, so speed matters but knowing matters more. ``t`` is measured by the server from the moment
it sent the question, never by the phone. Flat mode gives P. The streak bonus (Kahoot!'s answer streak)
adds 100 per right answer in a row after the first, capped at 500, and is lost on a wrong answer.
"""

POINTS = 1000
STREAK_STEP = 100
STREAK_CAP = 500


def answer_points(*, correct: bool, elapsed_ms: int, limit_ms: int, mode: str, points: int = POINTS) -> int:
    if not correct:
        return 0
    if mode == "flat":
        return points
    share = min(max(elapsed_ms, 0), limit_ms) / limit_ms
    return round(points * (1 - share / 2))


def streak_bonus(streak: int) -> int:
    """Bonus for a right answer that makes a run of ``streak`` right answers (1 = no run yet)."""
    return min(STREAK_CAP, STREAK_STEP * max(0, streak - 1))


def after_answer(*, streak: int, correct: bool, points: int, with_bonus: bool) -> tuple[int, int]:
    """A player's streak after a question, and the points it gained them (answer points + streak bonus).
    The one rule for the reveal and for ``verify_results``'s recomputation."""
    if not correct:
        return 0, 0
    streak += 1
    return streak, points + (streak_bonus(streak) if with_bonus else 0)
