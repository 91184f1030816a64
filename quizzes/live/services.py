"""Every write of a live session, and the events it produces.

Functions here are synchronous (the ORM); consumers call them through ``database_sync_to_async`` and
publish the returned event through the hub after the transaction has committed. Time is the server's:
``now`` is taken once per command and stored with the question, and an answer's speed is measured from
the stored start, never from anything the phone says.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from contest_site import ratelimit
from contests.participation import RoundParticipation, round_participation_problems
from leaderboard.models import Score
from leaderboard.services import ResultsFinal, board_await_release, board_release, score_record, score_remove

from ..choice_tokens import ChoiceTokens, live_scope
from ..grading import AnswerKey, InvalidResponse, clean_response, grade
from ..importing.base import ORDERING, SHORT_TEXT
from ..models import Choice, LiveAnswer, LivePlayer, LiveRoundChoice, LiveSession, Question, Quiz
from ..services import _draw_questions, answer_key
from . import scoring
from .nicknames import clean_nickname, nickname_problem
from .protocol import ProtocolError

TOKEN_SALT = "live-player"  # noqa: S105 - a signing namespace, not a secret
ANSWER_GRACE_MS = 300  # network delay we forgive after the buzzer; documented in docs/live-protocol.md
SHAPES = [
    ("triangle", "red"),
    ("diamond", "blue"),
    ("circle", "yellow"),
    ("square", "green"),
    ("star", "purple"),
    ("hexagon", "teal"),
]
TOP = 10


@dataclass
class QuestionState:
    """What a process needs to accept answers to the open question without reading the database."""

    session_id: int
    index: int
    started_at: dt.datetime
    deadline: dt.datetime | None  # None while paused
    limit_ms: int
    key: AnswerKey
    scoring: str
    tokens: ChoiceTokens  # the question's choice tokens, computed once: answers arrive as tokens
    answered: set[int] = field(default_factory=set)  # player ids that answered through this process


# --- Sessions and players ----------------------------------------------------------------------


def _new_pin() -> str:
    while True:
        pin = f"{secrets.randbelow(900000) + 100000}"
        if not LiveSession.objects.filter(pin=pin).exclude(state=LiveSession.State.ENDED).exists():
            return pin


class ContestMaterial(Exception):
    """The quiz holds questions of a contest round that is not over, and the host does not organise it."""


def session_create(
    *,
    quiz: Quiz,
    host,
    rnd=None,
    allow_guests: bool = True,
    scoring_mode: str = "speed",
    streak_bonus: bool = True,
    question_time_s: int = 20,
    now: dt.datetime | None = None,
) -> LiveSession:
    """Open a lobby with a fresh PIN. The question order is fixed now (drawn if the quiz samples).

    Refuses (ContestMaterial) a quiz with questions an open or upcoming contest round reserves, unless the
    host organises that contest: a game reveals every answer to whoever has the PIN."""
    from .selectors import hosting_refusal

    refusal = hosting_refusal(quiz=quiz, user=host, now=now or timezone.now())
    if refusal:
        raise ContestMaterial(refusal)
    questions = _draw_questions(quiz, random.Random(secrets.randbits(48)))  # noqa: S311 - order of play
    if not questions:
        raise ValueError("the quiz has no questions")
    for _attempt in range(5):
        # The first session of a live round counts for it; a second one is played for practice unless the
        # organiser chooses it (live_round_choose). Two first sessions at once: the constraint picks one.
        counts = rnd is not None and not LiveSession.objects.filter(round=rnd, counts=True).exists()
        try:
            with transaction.atomic():
                session = LiveSession.objects.create(
                    quiz=quiz,
                    host=host,
                    round=rnd,
                    pin=_new_pin(),
                    allow_guests=allow_guests,
                    scoring=scoring_mode,
                    streak_bonus=streak_bonus,
                    question_time_s=question_time_s,
                    question_ids=[q.pk for q in questions],
                    counts=counts,
                )
                if counts:
                    LiveRoundChoice.objects.create(round=rnd, session=session, by=host, at=now or timezone.now())
                    board_await_release(rnd=rnd)  # its results wait for this game to end
                return session
        except IntegrityError:  # the same PIN drawn twice at once, or another first session of the round
            continue
    raise RuntimeError("could not allocate a PIN")


def player_token(player: LivePlayer) -> str:
    return signing.dumps({"s": player.session_id, "p": player.pk}, salt=TOKEN_SALT)


def player_join(*, session: LiveSession, nickname: str, user=None) -> LivePlayer:
    """Add a player, or return the signed-in user's existing one (a second phone of the same account)."""
    session.refresh_from_db(fields=["state", "locked"])
    if session.state == LiveSession.State.ENDED:
        raise ProtocolError("ended")
    if user is not None and user.is_authenticated:
        existing = LivePlayer.objects.filter(session=session, user=user).first()
        if existing is not None:
            if existing.kicked:
                raise ProtocolError("kicked")
            return existing
    elif not session.allow_guests:
        raise ProtocolError("login_required")
    if session.locked:
        raise ProtocolError("locked")
    nickname = clean_nickname(nickname)
    problem = nickname_problem(nickname)
    if problem:
        raise ProtocolError(problem)
    taken = LivePlayer.objects.filter(session=session, nickname__iexact=nickname).first()
    if taken is not None:
        raise ProtocolError("nickname_blocked" if taken.kicked else "nickname_taken")
    try:
        with transaction.atomic():
            return LivePlayer.objects.create(
                session=session, nickname=nickname, user=user if user is not None and user.is_authenticated else None
            )
    except IntegrityError as exc:
        raise ProtocolError("nickname_taken") from exc


def player_rejoin(*, session: LiveSession, token: str) -> LivePlayer:
    """The player a signed rejoin token names, with their score (after a reload, a lost network, a restart)."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=24 * 3600)
    except signing.BadSignature as exc:
        raise ProtocolError("bad_token") from exc
    player = LivePlayer.objects.filter(pk=data.get("p"), session_id=data.get("s"), session=session).first()
    if player is None:
        raise ProtocolError("bad_token")
    if player.kicked:
        raise ProtocolError("kicked")
    return player


def players_snapshot(session: LiveSession) -> list[dict]:
    return [
        {"id": p.pk, "nickname": p.nickname, "score": p.score}
        for p in session.players.filter(kicked=False).order_by("joined_at")
    ]


# --- Questions ---------------------------------------------------------------------------------


def _question(session: LiveSession, index: int) -> Question:
    return Question.objects.get(pk=session.question_ids[index])


def _limit_ms(session: LiveSession, question: Question) -> int:
    return 1000 * (question.time_limit_s or session.question_time_s)


def question_tokens(session: LiveSession, index: int, choice_ids) -> ChoiceTokens:
    """The opaque identifiers of a question's choices in this game (docs/live-protocol.md): what phones and
    the projector see and send instead of choice ids, whose order is the author's (and, for an ordering
    question, the answer)."""
    return ChoiceTokens(scope=live_scope(session, index), choice_ids=choice_ids)


def question_payload(session: LiveSession, question: Question, now: dt.datetime) -> dict:
    """The question as players and the projector see it: text, choices (opaque tokens) with shape and
    colour, timer. No answer key: right choices are only in the ``reveal`` event."""
    choices = list(Choice.objects.filter(question=question).order_by("position", "pk"))
    if question.type == SHORT_TEXT:
        shown = []
    else:
        tokens = question_tokens(session, session.current_index, [c.pk for c in choices])
        if question.type == ORDERING or session.quiz.shuffle_choices:
            # Ordered by token, an HMAC under the site's secret: a stable order nobody can undo to the
            # author's (a seeded shuffle could be replayed by whoever guesses the seed).
            choices.sort(key=lambda c: tokens.token(c.pk))
        shown = [
            {
                "id": tokens.token(c.pk),
                "text": c.text,
                "shape": SHAPES[i % len(SHAPES)][0],
                "color": SHAPES[i % len(SHAPES)][1],
            }
            for i, c in enumerate(choices)
        ]
    limit = _limit_ms(session, question)
    remaining = (
        limit
        if session.question_deadline is None
        else max(0, int((session.question_deadline - now).total_seconds() * 1000))
    )
    return {
        "type": "question",
        "index": session.current_index,
        "count": len(session.question_ids),
        "kind": question.type,
        "text": question.text,
        "choices": shown,
        "image": signed_image_url(question) if question.image else None,
        "time_limit_ms": limit,
        "remaining_ms": remaining if session.paused_remaining_ms is None else session.paused_remaining_ms,
        "paused": session.is_paused,
    }


IMAGE_SALT = "question-image"


def signed_image_url(question: Question) -> str:
    """The image URL with a token, so that guests in a live game (no account, no attempt) may load it."""
    token = signing.dumps(question.pk, salt=IMAGE_SALT)
    return f"/questions/{question.pk}/image/?t={token}"


def question_state(session: LiveSession) -> QuestionState | None:
    """The open question's state for answer checks, or None when no question is open."""
    if session.state != LiveSession.State.QUESTION or session.current_index < 0:
        return None
    question = Question.objects.prefetch_related("choices").get(pk=session.question_ids[session.current_index])
    key = answer_key(question)
    return QuestionState(
        session_id=session.pk,
        index=session.current_index,
        started_at=session.question_started_at,
        deadline=session.question_deadline,
        limit_ms=_limit_ms(session, question),
        key=key,
        scoring=session.scoring,
        tokens=question_tokens(session, session.current_index, key.choice_ids),
    )


@transaction.atomic
def _open_question(session: LiveSession, index: int, now: dt.datetime) -> dict:
    question = _question(session, index)
    session.state = LiveSession.State.QUESTION
    session.current_index = index
    session.question_started_at = now
    session.question_deadline = now + dt.timedelta(milliseconds=_limit_ms(session, question))
    session.paused_remaining_ms = None
    session.save(
        update_fields=["state", "current_index", "question_started_at", "question_deadline", "paused_remaining_ms"]
    )
    return question_payload(session, question, now)


def _locked_session(session_id: int) -> LiveSession:
    return LiveSession.objects.select_for_update().select_related("quiz").get(pk=session_id)


def host_command(*, session_id: int, command: str, now: dt.datetime | None = None, **args) -> dict | None:
    """Apply a host command and return the event to publish (or None). Illegal in the current state →
    ProtocolError("bad_state"), nothing changed."""
    now = now or timezone.now()
    with transaction.atomic():
        session = _locked_session(session_id)
        handler = HOST_COMMANDS.get(command)
        if handler is None:
            raise ProtocolError("unknown_type")
        return handler(session, now, **args)


def _start(session: LiveSession, now):
    if session.state != LiveSession.State.LOBBY:
        raise ProtocolError("bad_state")
    return _open_question(session, 0, now)


def _next(session: LiveSession, now):
    if session.state not in (LiveSession.State.REVEAL, LiveSession.State.LEADERBOARD):
        raise ProtocolError("bad_state")
    if session.current_index + 1 >= len(session.question_ids):
        return _end(session, now)
    return _open_question(session, session.current_index + 1, now)


def _skip(session: LiveSession, now):
    """Drop the open question: its answers are deleted and nobody scores; play goes on with the next one."""
    if session.state != LiveSession.State.QUESTION:
        raise ProtocolError("bad_state")
    LiveAnswer.objects.filter(session=session, question_index=session.current_index).delete()
    session.skipped = [*session.skipped, session.current_index]
    session.save(update_fields=["skipped"])
    if session.current_index + 1 >= len(session.question_ids):
        return _end(session, now)
    return _open_question(session, session.current_index + 1, now)


def _pause(session: LiveSession, now):
    if session.state != LiveSession.State.QUESTION or session.is_paused:
        raise ProtocolError("bad_state")
    session.paused_remaining_ms = max(0, int((session.question_deadline - now).total_seconds() * 1000))
    session.question_deadline = None
    session.save(update_fields=["paused_remaining_ms", "question_deadline"])
    return {"type": "paused", "index": session.current_index, "remaining_ms": session.paused_remaining_ms}


def _resume(session: LiveSession, now):
    """Restart the timer where it stopped; the start moves too, so speed points stay fair."""
    if not session.is_paused:
        raise ProtocolError("bad_state")
    remaining = dt.timedelta(milliseconds=session.paused_remaining_ms)
    limit = dt.timedelta(milliseconds=_limit_ms(session, _question(session, session.current_index)))
    session.question_deadline = now + remaining
    session.question_started_at = now - (limit - remaining)
    session.paused_remaining_ms = None
    session.save(update_fields=["paused_remaining_ms", "question_deadline", "question_started_at"])
    return {"type": "resumed", "index": session.current_index, "remaining_ms": int(remaining.total_seconds() * 1000)}


def answers_close_at(deadline: dt.datetime) -> dt.datetime:
    """The last moment an answer to a question with this buzzer is accepted: the network delay we forgive."""
    return deadline + dt.timedelta(milliseconds=ANSWER_GRACE_MS)


def reveal_due(*, deadline: dt.datetime | None, answered: int, players: int, now: dt.datetime) -> bool:
    """Whether the open question may be revealed now: once nobody can still answer, i.e. after the buzzer
    *and* the grace (an answer accepted in the grace is scored, never revealed past), or when every player
    has answered. Paused (no deadline): never."""
    if deadline is None:
        return False
    return now > answers_close_at(deadline) or (players > 0 and answered >= players)


def _reveal(session: LiveSession, now):
    """Close the question, score it once for everyone (streaks, ranks) and describe it for all screens.

    A reveal asked for while answers are still accepted (the host's button before the buzzer, or in the
    grace after it) does not reveal: it stops the clock now and announces ``time_up``; the host screen's
    automatic reveal follows once the grace is over. Revealing at once would show the answer to phones
    whose answers are still in flight, and would score the question without them."""
    if session.state != LiveSession.State.QUESTION:
        raise ProtocolError("bad_state")
    index = session.current_index
    answers = {a.player_id: a for a in LiveAnswer.objects.filter(session=session, question_index=index)}
    players = list(session.players.filter(kicked=False).order_by("-score", "joined_at"))
    deadline = session.question_deadline
    if deadline is None or not reveal_due(deadline=deadline, answered=len(answers), players=len(players), now=now):
        return _time_up(session, now)
    question = Question.objects.prefetch_related("choices").get(pk=session.question_ids[index])
    key = answer_key(question)
    gained = _score_question(session, index, answers, players)
    players.sort(key=lambda p: (-p.score, p.joined_at))
    ranks = scoring.competition_ranks([p.score for p in players])
    session.state = LiveSession.State.REVEAL
    session.question_deadline = None
    session.paused_remaining_ms = None
    session.save(update_fields=["state", "question_deadline", "paused_remaining_ms"])
    return {
        **_reveal_summary(session, question, key, list(answers.values()), index, len(players)),
        # per player: [right?, points gained, score, rank, streak]; the hub hands each player their own
        "results": {
            str(p.pk): [int(gained[p.pk] > 0), gained[p.pk], p.score, rank, p.streak]
            for p, rank in zip(players, ranks, strict=True)
        },
    }


def _score_question(session: LiveSession, index: int, answers: dict, players: list[LivePlayer]) -> dict[int, int]:
    """Add each player's points for question ``index`` (streaks too) and store the standings; returns the
    points each player gained. ``players`` sorted best first (their ranks before this question)."""
    old_rank = dict(zip((p.pk for p in players), scoring.competition_ranks([p.score for p in players]), strict=True))
    gained = {}
    for player in players:
        answer = answers.get(player.pk)
        # Before the first reveal everyone is tied at 0: no "moved down" arrows for question 1.
        player.previous_rank = old_rank[player.pk] if index > 0 else None
        player.streak, gained[player.pk] = scoring.after_answer(
            streak=player.streak,
            correct=answer is not None and answer.correct,
            points=answer.points if answer is not None else 0,
            with_bonus=session.streak_bonus,
        )
        player.score += gained[player.pk]
    _save_standings(players)
    return gained


def _time_up(session: LiveSession, now) -> dict:
    """Stop the open question's clock now (or keep an earlier buzzer); the reveal waits for the grace."""
    if session.question_deadline is None or session.question_deadline > now:
        session.question_deadline = now
        session.paused_remaining_ms = None
        session.save(update_fields=["question_deadline", "paused_remaining_ms"])
    return {"type": "time_up", "index": session.current_index, "remaining_ms": 0}


def _save_standings(players: list[LivePlayer]) -> None:
    """Store every player's new score, streak and previous rank: one prepared UPDATE run for all rows.
    ``bulk_update`` builds a CASE expression per field with a branch per player, and compiling it was
    most of a reveal's time at 2,000 players (about 0.6 s); executemany sends the same rows in one go."""
    meta = LivePlayer._meta
    columns = [meta.get_field(name).column for name in ("score", "streak", "previous_rank")]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608 - names from the model, values as parameters
        quote(meta.db_table), ", ".join(f"{quote(column)} = %s" for column in columns), quote(meta.pk.column)
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(p.score, p.streak, p.previous_rank, p.pk) for p in players])


def _reveal_summary(
    session: LiveSession, question: Question, key: AnswerKey, answers: list, index: int, players: int
) -> dict:
    """What every screen shows after a question: the right answer, how the room answered, the explanation.
    Choices are named by the tokens the question was sent with."""
    tokens = question_tokens(session, index, key.choice_ids)
    distribution: dict[str, int] = {}
    if question.type not in (SHORT_TEXT, ORDERING):
        for answer in answers:
            for choice_id in answer.response if isinstance(answer.response, list) else [answer.response]:
                token = tokens.token(choice_id)
                distribution[token] = distribution.get(token, 0) + 1
    if question.type == ORDERING:
        correct = [tokens.token(cid) for cid in key.choice_ids]
    elif question.type == SHORT_TEXT:
        correct = []
    else:
        correct = sorted(tokens.token(cid) for cid in key.correct_ids)
    return {
        "type": "reveal",
        "index": index,
        "kind": question.type,
        "correct": correct,
        "accepted": list(key.accepted_texts) if question.type == SHORT_TEXT else [],
        "explanation": question.explanation,
        "distribution": distribution,
        "answered": len(answers),
        "players": players,
    }


def reveal_snapshot(session: LiveSession) -> dict:
    """The last reveal again, from the database, for a screen that reconnects after it was sent."""
    index = session.current_index
    question = Question.objects.prefetch_related("choices").get(pk=session.question_ids[index])
    answers = list(LiveAnswer.objects.filter(session=session, question_index=index))
    players = session.players.filter(kicked=False).count()
    return _reveal_summary(session, question, answer_key(question), answers, index, players)


def player_standing(session: LiveSession, player: LivePlayer) -> dict:
    """A player's score and rank now (equal scores share a rank), for a phone that rejoins mid-game."""
    better = session.players.filter(kicked=False, score__gt=player.score).count()
    return {"score": player.score, "rank": better + 1, "streak": player.streak}


def podium(session: LiveSession) -> list[dict]:
    players = list(session.players.filter(kicked=False).order_by("-score", "joined_at")[:3])
    ranks = scoring.competition_ranks([p.score for p in players])
    return [
        {"player": p.pk, "nickname": p.nickname, "score": p.score, "rank": r}
        for p, r in zip(players, ranks, strict=True)
    ]


def _leaderboard(session: LiveSession, now):
    if session.state != LiveSession.State.REVEAL:
        raise ProtocolError("bad_state")
    session.state = LiveSession.State.LEADERBOARD
    session.save(update_fields=["state"])
    return leaderboard_event(session)


def leaderboard_event(session: LiveSession) -> dict:
    players = list(session.players.filter(kicked=False).order_by("-score", "joined_at")[:TOP])
    all_scores = list(session.players.filter(kicked=False).order_by("-score").values_list("score", flat=True)[:TOP])
    ranks = scoring.competition_ranks(all_scores)
    return {
        "type": "leaderboard",
        "index": session.current_index,
        "top": [
            {
                "player": p.pk,
                "nickname": p.nickname,
                "score": p.score,
                "rank": rank,
                "change": (p.previous_rank - rank) if p.previous_rank else 0,
            }
            for p, rank in zip(players, ranks, strict=True)
        ],
    }


def _end(session: LiveSession, now):
    if session.state == LiveSession.State.ENDED:
        raise ProtocolError("bad_state")
    index = session.current_index
    if session.state == LiveSession.State.QUESTION and index not in session.skipped:
        # Ended with a question open: its answers were acknowledged, so they are scored (no reveal shown).
        answers = {a.player_id: a for a in LiveAnswer.objects.filter(session=session, question_index=index)}
        _score_question(
            session, index, answers, list(session.players.filter(kicked=False).order_by("-score", "joined_at"))
        )
    session.state = LiveSession.State.ENDED
    session.ended_at = now
    session.question_deadline = None
    session.save(update_fields=["state", "ended_at", "question_deadline"])
    players = list(session.players.filter(kicked=False).select_related("user__profile").order_by("-score", "joined_at"))
    ranks = scoring.competition_ranks([p.score for p in players])
    if session.round_id and session.counts:
        _record_round_scores(session, players, now)
        board_release(rnd=session.round, now=max(now, session.round.closes_at))
    return {
        "type": "ended",
        "podium": [
            {"player": p.pk, "nickname": p.nickname, "score": p.score, "rank": r}
            for p, r in zip(players[:3], ranks[:3], strict=True)
        ],
        "results": {str(p.pk): [p.score, r] for p, r in zip(players, ranks, strict=True)},
    }


def _record_round_scores(session: LiveSession, players: list[LivePlayer], now: dt.datetime) -> set[int]:
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
        recorded = _record_round_scores(chosen, players, chosen.ended_at or now)
        board_release(rnd=rnd, now=max(now, rnd.closes_at))
    else:
        board_await_release(rnd=rnd)
    others = Score.objects.filter(round=rnd).exclude(user_id__in=recorded).values_list("user_id", flat=True)
    score_remove(rnd=rnd, users=list(others))
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


def _kick(session: LiveSession, now, *, player: int):
    """Remove a player; their nickname stays taken so that it cannot come back in this game."""
    updated = LivePlayer.objects.filter(session=session, pk=player, kicked=False).update(kicked=True)
    if not updated:
        raise ProtocolError("unknown_player")
    return {"type": "kicked", "player": player}


def _lock(session: LiveSession, now, *, locked: bool):
    session.locked = locked
    session.save(update_fields=["locked"])
    return {"type": "locked", "locked": locked}


HOST_COMMANDS = {
    "start": _start,
    "next": _next,
    "skip": _skip,
    "pause": _pause,
    "resume": _resume,
    "reveal": _reveal,
    "leaderboard": _leaderboard,
    "end": _end,
    "kick": _kick,
    "lock": _lock,
}


# --- Answers -----------------------------------------------------------------------------------


def answer_submit(*, state: QuestionState, player_id: int, index: int, response, now: dt.datetime) -> bool:
    """Record a player's answer to the open question. Returns False if they had already answered (the
    first answer stands; answering twice is harmless). Refuses late answers and answers that do not fit."""
    if index != state.index:
        raise ProtocolError("wrong_question")
    if state.deadline is None:
        raise ProtocolError("no_question")  # paused
    if now > answers_close_at(state.deadline):
        raise ProtocolError("too_late")
    if player_id in state.answered:
        return False
    try:
        # Tokens only: a raw choice id (or anything else) is refused like any answer that does not fit.
        cleaned = clean_response(state.key, state.tokens.response_from_client(state.key.type, response))
    except InvalidResponse as exc:
        raise ProtocolError("bad_answer") from exc
    if cleaned is None or cleaned == [] or cleaned == "":
        raise ProtocolError("bad_answer")
    elapsed = max(0, int((now - state.started_at).total_seconds() * 1000))
    full = grade(state.key, cleaned) == state.key.points
    points = scoring.answer_points(correct=full, elapsed_ms=elapsed, limit_ms=state.limit_ms, mode=state.scoring)
    try:
        with transaction.atomic():
            _check_still_open(state.session_id, index, now)
            LiveAnswer.objects.create(
                session_id=state.session_id,
                player_id=player_id,
                question_index=index,
                response=cleaned,
                elapsed_ms=min(elapsed, state.limit_ms),
                correct=full,
                points=points,
                answered_at=now,
            )
    except IntegrityError:
        state.answered.add(player_id)
        return False
    state.answered.add(player_id)
    return True


def _check_still_open(session_id: int, index: int, now: dt.datetime) -> None:
    """Refuse the answer unless the question is still open in the database, holding the session row so that
    a reveal cannot commit until this answer has: an answer acknowledged is an answer scored.

    The process's QuestionState may lag behind an event (a host's early ``time_up``, a reveal on another
    process); this one read settles it. On PostgreSQL ``FOR KEY SHARE`` waits for a reveal's ``FOR UPDATE``
    and makes it wait, while answers never wait for each other; SQLite's IMMEDIATE transactions already
    serialise every writer."""
    table = connection.ops.quote_name(LiveSession._meta.db_table)
    lock = " FOR KEY SHARE" if connection.vendor == "postgresql" else ""
    sql = f"SELECT id, state, current_index, question_deadline FROM {table} WHERE id = %s{lock}"  # noqa: S608
    session = next(iter(LiveSession.objects.raw(sql, [session_id])), None)
    if session is None or session.state != LiveSession.State.QUESTION or session.current_index != index:
        raise ProtocolError("wrong_question")
    deadline = session.question_deadline
    if deadline is None:
        raise ProtocolError("no_question")
    if now > answers_close_at(deadline):
        raise ProtocolError("too_late")


def answer_count(*, session_id: int, index: int) -> int:
    return LiveAnswer.objects.filter(session_id=session_id, question_index=index).count()


def active_player_count(*, session_id: int) -> int:
    return LivePlayer.objects.filter(session_id=session_id, kicked=False).count()


def results_rows(session: LiveSession) -> list[dict]:
    """Final table for the host's export: rank, nickname, account, score, right answers, average time."""
    players = list(
        session.players.filter(kicked=False)
        .select_related("user")
        .annotate(right=Count("answers", filter=Q(answers__correct=True)))
        .order_by("-score", "joined_at")
    )
    ranks = scoring.competition_ranks([p.score for p in players])
    return [
        {"rank": r, "nickname": p.nickname, "email": p.user.email if p.user else "", "score": p.score, "right": p.right}
        for p, r in zip(players, ranks, strict=True)
    ]


async def question_state_from_event(session_id: int, into: QuestionState | None = None) -> QuestionState | None:
    """Reload the open question's state from the database (one row + the question) for this process."""
    from channels.db import database_sync_to_async

    session = await LiveSession.objects.select_related("quiz").aget(pk=session_id)
    if into is not None:
        into.deadline = session.question_deadline
        into.started_at = session.question_started_at
        return into
    return await database_sync_to_async(question_state)(session)


# Wrong PINs per address (a school's network shares one): six digits are few, so whoever tries PINs in a
# loop is stopped long before finding a running game, while a class mistyping a few is not. Counted by
# ``wrong_pin``, checked by ``pin_guessing`` before any lookup, so a blocked address learns nothing.
WRONG_PINS = 30
WRONG_PINS_PERIOD_S = 600


def pin_guessing(ip: str) -> bool:
    """Whether ``ip`` has typed too many wrong PINs lately (also for the WebSocket join, by its address)."""
    return ratelimit.over(f"live-pin:{ip}", limit=WRONG_PINS, period_s=WRONG_PINS_PERIOD_S)


def wrong_pin(ip: str) -> None:
    ratelimit.hit(f"live-pin:{ip}", limit=WRONG_PINS, period_s=WRONG_PINS_PERIOD_S)
