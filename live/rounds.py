"""A live game's part in its live round: which session counts (``live_round_choose``), its players'
scores sent to the round's leaderboard (``round_scores_record``, only for people who may take part), the
note a phone gets when its score will not count, and the recomputation ``verify_results`` runs."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contests.participation import RoundParticipation, round_participation_problems
from leaderboard.selectors import scored_user_ids
from leaderboard.services import ResultsFinal, board_await_release, board_release, score_record, score_remove

from . import scoring
from .models import LiveAnswer, LivePlayer, LiveRoundChoice, LiveSession


def round_scores_record(session: LiveSession, players: list[LivePlayer], now: dt.datetime) -> set[int]:
    """Send the counting session's scores to the round's leaderboard: only players who may take part in
    the round (signed in, eligible, consenting, neither organiser nor judge of the event) score; the others
    played for fun. Returns the ids of the users whose score was recorded."""
    maximum = session_max_points(session)
    recorded = set()
    people = RoundParticipation(rnd=session.round, now=now, user_ids=[p.user_id for p in players])
    try:
        for player in players:
            if player.user_id and not people.problems(player.user):
                score_record(
                    rnd=session.round, user=player.user, points=player.score, max_points=maximum, submitted_at=now
                )
                recorded.add(player.user_id)
    except ResultsFinal:  # a game ended after the round's results were published does not change them
        logging.getLogger(__name__).warning("results final: live session %s not scored", session.pk)
    return recorded


def session_max_points(session: LiveSession) -> int:
    questions = len(session.question_ids)
    return 1000 * questions + (scoring.STREAK_CAP * questions if session.streak_bonus else 0)


def player_note(session: LiveSession, player: LivePlayer, now: dt.datetime) -> str | None:
    """What a phone in a live round's game is told when its score will not count (None when it counts, or
    when the game is no round's): a practice session, a guest, or someone who may not take part."""
    if not session.round_id:
        return None
    if not session.counts:
        return _("This game is practice: scores do not count for the round.")
    problems = round_participation_problems(rnd=session.round, user=player.user, now=now)
    if not problems:
        return None
    return _("You can play, but your score does not count for the round: %(reasons)s") % {
        "reasons": " ".join(str(p) for p in problems)
    }


@transaction.atomic
def live_round_choose(*, rnd, session: LiveSession, by, now: dt.datetime | None = None) -> LiveRoundChoice:
    """Make ``session`` the one that counts for its live round, logged with the previous choice. The round's
    scores are re-recorded from it (if it has ended; else when it ends) and the scores of players who are
    not in it are removed, so the board reflects one session, never a mix."""
    now = now or timezone.now()
    sessions = list(LiveSession.objects.select_for_update().filter(round=rnd).order_by("pk"))
    chosen = next((s for s in sessions if s.pk == session.pk), None)
    if chosen is None:
        raise ValueError("the session is not one of this round's")
    previous = next((s for s in sessions if s.counts), None)
    if previous is not None and previous.pk == chosen.pk:
        return LiveRoundChoice.objects.filter(round=rnd, session=chosen).latest("at", "pk")
    if previous is not None:
        previous.counts = False
        previous.save(update_fields=["counts"])
    chosen.counts = True
    chosen.save(update_fields=["counts"])
    choice = LiveRoundChoice.objects.create(round=rnd, session=chosen, previous=previous, by=by, at=now)
    recorded = set()
    if chosen.state == LiveSession.State.ENDED:
        players = list(
            chosen.players.filter(kicked=False).select_related("user__profile").order_by("-score", "joined_at")
        )
        recorded = round_scores_record(chosen, players, chosen.ended_at or now)
        board_release(rnd=rnd, now=max(now, rnd.closes_at))
    else:
        board_await_release(rnd=rnd)
    score_remove(rnd=rnd, users=sorted(scored_user_ids(rnd=rnd) - recorded))
    return choice


def recompute_live_round(rnd) -> dict[int, Decimal]:
    """``{user_id: points}`` of a live round recomputed from the stored answers of its counting session, for
    ``manage.py verify_results``: every question played (not skipped) in order, each answer's stored points
    plus the streak bonus, for each player who may take part in the round (as when the scores were
    recorded). Empty while no counting session has ended."""
    session = rnd.live_sessions.filter(counts=True, state=LiveSession.State.ENDED).first()
    if session is None:
        return {}
    played = [i for i in range(session.current_index + 1) if i not in session.skipped]
    answers: dict[int, dict[int, LiveAnswer]] = {}
    for answer in LiveAnswer.objects.filter(session=session):
        answers.setdefault(answer.player_id, {})[answer.question_index] = answer
    totals = {}
    players = list(session.players.filter(kicked=False, user__isnull=False).select_related("user__profile"))
    people = RoundParticipation(rnd=rnd, now=session.ended_at, user_ids=[p.user_id for p in players])
    for player in players:
        if people.problems(player.user):
            continue
        streak = total = 0
        for index in played:
            answer = answers.get(player.pk, {}).get(index)
            streak, gained = scoring.after_answer(
                streak=streak,
                correct=answer is not None and answer.correct,
                points=answer.points if answer is not None else 0,
                with_bonus=session.streak_bonus,
            )
            total += gained
        totals[player.user_id] = Decimal(total)
    return totals
