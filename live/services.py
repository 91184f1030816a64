"""Every write of a live session, and the events it produces: sessions, players joining, the host's
commands (one named service each: ``session_start``, ``question_reveal``, ``session_end``…), answers.

Functions here are synchronous (the ORM); consumers call them through ``database_sync_to_async`` and
publish the returned event through the hub after the transaction has committed. Time is the server's:
``now`` is taken once per command and stored with the question, and an answer's speed is measured from
the stored start, never from anything the phone says.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import Value
from django.db.models.functions import Upper
from django.utils import timezone

from contest_site import ratelimit
from leaderboard import ranking
from leaderboard.services import board_await_release, board_release
from quizzes.choice_tokens import ChoiceTokens
from quizzes.grading import AnswerKey, InvalidResponse, clean_response, grade
from quizzes.models import Question, Quiz
from quizzes.services import _draw_questions, answer_key

from . import scoring
from .models import LiveAnswer, LivePlayer, LiveRoundChoice, LiveSession
from .nicknames import clean_nickname, nickname_problem
from .payloads import (
    MAX_LISTED_PLAYERS,
    TOKEN_SALT,
    answer_count,
    leaderboard_event,
    limit_ms,
    question_at,
    question_payload,
    question_tokens,
    reveal_summary,
)
from .protocol import ProtocolError
from .rounds import round_scores_record

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.db.models import Field

    from contests.models import Round

ANSWER_GRACE_MS = 300  # network delay we forgive after the buzzer; documented in docs/live-protocol.md


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
    host: Any,
    rnd: Round | None = None,
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
                    counted = cast("Round", rnd)  # only a round's game counts
                    LiveRoundChoice.objects.create(round=counted, session=session, by=host, at=now or timezone.now())
                    board_await_release(rnd=counted)  # its results wait for this game to end
                return session
        except IntegrityError:  # the same PIN drawn twice at once, or another first session of the round
            continue
    raise RuntimeError("could not allocate a PIN")


@dataclass(frozen=True)
class JoinRequest:
    """A phone asking to join: the nickname it typed and the socket's user (signed in or anonymous)."""

    nickname: Any
    user: Any = None

    @property
    def signed_in(self) -> bool:
        return self.user is not None and bool(self.user.is_authenticated)


def player_join(*, session: LiveSession, nickname: str, user: Any = None) -> LivePlayer:
    """Add a player, or return the signed-in user's existing one (a second phone of the same account):
    ``players_join`` of one."""
    (joined,) = players_join(session_id=session.pk, requests=[JoinRequest(nickname, user)])
    if isinstance(joined, ProtocolError):
        raise joined
    return joined


def players_join(*, session_id: int, requests: list[JoinRequest]) -> list[LivePlayer | ProtocolError]:
    """Add the players of a tick's join requests (a class typing the PIN at once), in order: each gets its
    player, or the ProtocolError it would have had alone (ended, kicked, login_required, locked, a nickname
    refused or taken — by a player already in the game or earlier in the same list).

    A signed-in user who already joined gets the existing player back (also when their two phones join in
    the same tick). One read of the session, one query for the nicknames taken and one for the users'
    players, one multi-row INSERT: a join wave costs a few statements per tick instead of four per phone,
    the nickname check (which reads every player of the game) included. Should another process take a
    nickname meanwhile, the rows go in one by one and the loser gets ``nickname_taken``, as alone."""
    session = LiveSession.objects.only("state", "locked", "allow_guests").get(pk=session_id)
    if session.state == LiveSession.State.ENDED:
        return [ProtocolError("ended") for _request in requests]
    users = {r.user.pk for r in requests if r.signed_in}
    existing = {cast(int, p.user_id): p for p in LivePlayer.objects.filter(session_id=session_id, user_id__in=users)}
    outcomes = [_join_problem_or_nickname(session, request, existing) for request in requests]
    taken = _nicknames_taken(session_id, [name for name in outcomes if isinstance(name, str)])
    new: dict[int, LivePlayer] = {}  # position in ``requests`` → the player to create
    first_of_user: dict[int, int] = {}  # user id → position of that user's first request creating a player
    twins: dict[int, int] = {}  # position → the position whose player it gets (the same account)
    for position, (request, outcome) in enumerate(zip(requests, outcomes, strict=True)):
        if not isinstance(outcome, str):
            continue
        if request.signed_in and request.user.pk in first_of_user:
            twins[position] = first_of_user[request.user.pk]
            continue
        if outcome.upper() in taken:
            outcomes[position] = ProtocolError("nickname_blocked" if taken[outcome.upper()] else "nickname_taken")
            continue
        taken[outcome.upper()] = False
        new[position] = LivePlayer(
            session_id=session_id, nickname=outcome, user=request.user if request.signed_in else None
        )
        if request.signed_in:
            first_of_user[request.user.pk] = position
    created = _insert_players(new)
    for position, player in created.items():
        outcomes[position] = player
    for position, first in twins.items():
        outcomes[position] = created[first]
    return cast("list[LivePlayer | ProtocolError]", outcomes)


def _nicknames_taken(session_id: int, nicknames: list[str]) -> dict[str, bool]:
    """Which of ``nicknames`` players of the game already have, case aside (upper-cased → that player kicked?)."""
    if not nicknames:
        return {}
    rows = (
        LivePlayer.objects.filter(session_id=session_id)
        .annotate(upper=Upper("nickname"))
        .filter(upper__in=[Upper(Value(name)) for name in set(nicknames)])
        .order_by()
        .values_list("nickname", "kicked")
    )
    return {nickname.upper(): kicked for nickname, kicked in rows}


def _join_problem_or_nickname(
    session: LiveSession, request: JoinRequest, existing: dict[int, LivePlayer]
) -> LivePlayer | ProtocolError | str:
    """One request against the game's rules: the existing player of a signed-in user, a refusal, or the
    cleaned nickname of a player to create."""
    if request.signed_in:
        player = existing.get(request.user.pk)
        if player is not None:
            return ProtocolError("kicked") if player.kicked else player
    elif not session.allow_guests:
        return ProtocolError("login_required")
    if session.locked:
        return ProtocolError("locked")
    nickname = clean_nickname(request.nickname)
    problem = nickname_problem(nickname)
    return ProtocolError(problem) if problem else nickname


def _insert_players(new: dict[int, LivePlayer]) -> dict[int, LivePlayer | ProtocolError]:
    """INSERT the new players in one statement; if a nickname (or an account) was taken by another process
    meanwhile, one by one, the loser refused with ``nickname_taken``."""
    if not new:
        return {}
    try:
        with transaction.atomic():
            LivePlayer.objects.bulk_create(list(new.values()))
        return dict(new)
    except IntegrityError:
        pass
    inserted: dict[int, LivePlayer | ProtocolError] = {}
    for position, player in new.items():
        player.pk = None
        try:
            with transaction.atomic():
                player.save(force_insert=True)
            inserted[position] = player
        except IntegrityError:
            inserted[position] = ProtocolError("nickname_taken")
    return inserted


def player_rejoin(*, session: LiveSession, token: str) -> LivePlayer:
    """The player a signed rejoin token names, with their score (after a reload, a lost network, a restart):
    ``players_rejoin`` of one."""
    (player,) = players_rejoin(session_id=session.pk, tokens=[token])
    if isinstance(player, ProtocolError):
        raise player
    return player


def players_rejoin(*, session_id: int, tokens: list[str]) -> list[LivePlayer | ProtocolError]:
    """The players a tick's rejoin tokens name, in order; each refused one gets the ProtocolError it would
    have had alone (``bad_token``: forged, expired or of another game; ``kicked``). One query for the tick:
    when a server goes down mid-game, its phones all rejoin on another process within a few seconds."""
    wanted: list[int | ProtocolError] = []
    for token in tokens:
        try:
            data = signing.loads(token, salt=TOKEN_SALT, max_age=24 * 3600)
        except signing.BadSignature:
            wanted.append(ProtocolError("bad_token"))
            continue
        player_id = data.get("p") if isinstance(data, dict) and data.get("s") == session_id else None
        wanted.append(player_id if isinstance(player_id, int) else ProtocolError("bad_token"))
    ids = {w for w in wanted if isinstance(w, int)}
    found = {p.pk: p for p in LivePlayer.objects.filter(pk__in=ids, session_id=session_id)} if ids else {}
    return [w if isinstance(w, ProtocolError) else _rejoined(found.get(w)) for w in wanted]


def _rejoined(player: LivePlayer | None) -> LivePlayer | ProtocolError:
    if player is None:
        return ProtocolError("bad_token")
    return ProtocolError("kicked") if player.kicked else player


def question_state(session: LiveSession) -> QuestionState | None:
    """The open question's state for answer checks, or None when no question is open."""
    if session.state != LiveSession.State.QUESTION or session.current_index < 0:
        return None
    question = Question.objects.prefetch_related("choices").get(pk=session.question_ids[session.current_index])
    key = answer_key(question)
    return QuestionState(
        session_id=session.pk,
        index=session.current_index,
        started_at=cast(dt.datetime, session.question_started_at),  # set when the question opened
        deadline=session.question_deadline,
        limit_ms=limit_ms(session, question),
        key=key,
        scoring=session.scoring,
        tokens=question_tokens(session, session.current_index, key.choice_ids),
    )


@transaction.atomic
def _open_question(session: LiveSession, index: int, now: dt.datetime) -> dict[str, Any]:
    question = question_at(session, index)
    session.state = LiveSession.State.QUESTION
    session.current_index = index
    session.question_started_at = now
    session.question_deadline = now + dt.timedelta(milliseconds=limit_ms(session, question))
    session.paused_remaining_ms = None
    session.save(
        update_fields=["state", "current_index", "question_started_at", "question_deadline", "paused_remaining_ms"]
    )
    return question_payload(session, question, now)


def _locked_session(session_id: int) -> LiveSession:
    return LiveSession.objects.select_for_update().select_related("quiz").get(pk=session_id)


def _start(session: LiveSession, now: dt.datetime) -> dict[str, Any]:
    if session.state != LiveSession.State.LOBBY:
        raise ProtocolError("bad_state")
    return _open_question(session, 0, now)


def _next(session: LiveSession, now: dt.datetime) -> dict[str, Any]:
    if session.state not in (LiveSession.State.REVEAL, LiveSession.State.LEADERBOARD):
        raise ProtocolError("bad_state")
    if session.current_index + 1 >= len(session.question_ids):
        return _end(session, now)
    return _open_question(session, session.current_index + 1, now)


def _skip(session: LiveSession, now: dt.datetime) -> dict[str, Any]:
    """Drop the open question: its answers are deleted and nobody scores; play goes on with the next one."""
    if session.state != LiveSession.State.QUESTION:
        raise ProtocolError("bad_state")
    LiveAnswer.objects.filter(session=session, question_index=session.current_index).delete()
    session.skipped = [*session.skipped, session.current_index]
    session.save(update_fields=["skipped"])
    if session.current_index + 1 >= len(session.question_ids):
        return _end(session, now)
    return _open_question(session, session.current_index + 1, now)


def _pause(session: LiveSession, now: dt.datetime) -> dict[str, Any]:
    if session.state != LiveSession.State.QUESTION or session.is_paused:
        raise ProtocolError("bad_state")
    session.paused_remaining_ms = max(
        0, int((cast(dt.datetime, session.question_deadline) - now).total_seconds() * 1000)
    )
    session.question_deadline = None
    session.save(update_fields=["paused_remaining_ms", "question_deadline"])
    return {"type": "paused", "index": session.current_index, "remaining_ms": session.paused_remaining_ms}


def _resume(session: LiveSession, now: dt.datetime) -> dict[str, Any]:
    """Restart the timer where it stopped; the start moves too, so speed points stay fair."""
    if not session.is_paused:
        raise ProtocolError("bad_state")
    remaining = dt.timedelta(milliseconds=cast(int, session.paused_remaining_ms))
    limit = dt.timedelta(milliseconds=limit_ms(session, question_at(session, session.current_index)))
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


def host_view(session_id: int, now: dt.datetime) -> dict[str, Any]:
    """What the projector's live view needs every tick: the lobby's player list, or the open question's
    answer count and whether it is due for the automatic reveal (``reveal_due``: the game's rule of when
    a question is over, here with the reveal that applies it)."""
    session = LiveSession.objects.get(pk=session_id)
    players = session.players.filter(kicked=False)
    total = players.count()
    view = {"state": session.state, "total": total, "index": session.current_index}
    if session.state == LiveSession.State.LOBBY:
        newest = list(players.order_by("-joined_at").values("id", "nickname")[:MAX_LISTED_PLAYERS])
        view["players"] = newest[::-1]
        view["players_key"] = (total, newest[0]["id"] if newest else None)
    elif session.state == LiveSession.State.QUESTION:
        answered = answer_count(session_id=session_id, index=session.current_index)
        view["answered"] = answered
        view["due"] = reveal_due(deadline=session.question_deadline, answered=answered, players=total, now=now)
    return view


def _reveal(session: LiveSession, now: dt.datetime) -> dict[str, Any]:
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
    ranks = ranking.competition_ranks([p.score for p in players])
    session.state = LiveSession.State.REVEAL
    session.question_deadline = None
    session.paused_remaining_ms = None
    session.save(update_fields=["state", "question_deadline", "paused_remaining_ms"])
    return {
        **reveal_summary(session, question, key, list(answers.values()), index, len(players)),
        # per player: [right?, points gained, score, rank, streak]; the hub hands each player their own
        "results": {
            str(p.pk): [int(gained[p.pk] > 0), gained[p.pk], p.score, rank, p.streak]
            for p, rank in zip(players, ranks, strict=True)
        },
    }


def _score_question(
    session: LiveSession, index: int, answers: dict[int, LiveAnswer], players: list[LivePlayer]
) -> dict[int, int]:
    """Add each player's points for question ``index`` (streaks too) and store the standings; returns the
    points each player gained. ``players`` sorted best first (their ranks before this question)."""
    old_rank = dict(zip((p.pk for p in players), ranking.competition_ranks([p.score for p in players]), strict=True))
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


def _time_up(session: LiveSession, now: dt.datetime) -> dict[str, Any]:
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
    columns = [
        cast(str, cast("Field[Any, Any]", meta.get_field(name)).column) for name in ("score", "streak", "previous_rank")
    ]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608 - names from the model, values as parameters
        quote(meta.db_table), ", ".join(f"{quote(column)} = %s" for column in columns), quote(cast(str, meta.pk.column))
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(p.score, p.streak, p.previous_rank, p.pk) for p in players])


def _leaderboard(session: LiveSession, now: dt.datetime) -> dict[str, Any]:
    if session.state != LiveSession.State.REVEAL:
        raise ProtocolError("bad_state")
    session.state = LiveSession.State.LEADERBOARD
    session.save(update_fields=["state"])
    return leaderboard_event(session)


def _end(session: LiveSession, now: dt.datetime) -> dict[str, Any]:
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
    ranks = ranking.competition_ranks([p.score for p in players])
    if session.round_id and session.counts:
        round_scores_record(session, players, now)
        rnd = cast("Round", session.round)  # round_id is set
        board_release(rnd=rnd, now=max(now, rnd.closes_at))
    return {
        "type": "ended",
        "podium": [
            {"player": p.pk, "nickname": p.nickname, "score": p.score, "rank": r}
            for p, r in zip(players[:3], ranks[:3], strict=True)
        ],
        "results": {str(p.pk): [p.score, r] for p, r in zip(players, ranks, strict=True)},
    }


def _kick(session: LiveSession, now: dt.datetime, *, player: int) -> dict[str, Any]:
    """Remove a player; their nickname stays taken so that it cannot come back in this game."""
    updated = LivePlayer.objects.filter(session=session, pk=player, kicked=False).update(kicked=True)
    if not updated:
        raise ProtocolError("unknown_player")
    return {"type": "kicked", "player": player}


def _lock(session: LiveSession, now: dt.datetime, *, locked: bool) -> dict[str, Any]:
    session.locked = locked
    session.save(update_fields=["locked"])
    return {"type": "locked", "locked": locked}


# --- Host commands -----------------------------------------------------------------------------------
# One named service per command of the projector, each in one transaction with the session row locked.
# Each returns the event to publish (or None); a command illegal in the game's state raises
# ProtocolError("bad_state") and changes nothing.


def _under_lock(
    session_id: int, now: dt.datetime | None, step: Callable[..., dict[str, Any]], **args: Any
) -> dict[str, Any]:
    with transaction.atomic():
        return step(_locked_session(session_id), now or timezone.now(), **args)


def session_start(*, session_id: int, now: dt.datetime | None = None) -> dict[str, Any]:
    """From the lobby to the first question."""
    return _under_lock(session_id, now, _start)


def question_next(*, session_id: int, now: dt.datetime | None = None) -> dict[str, Any]:
    """After a reveal or the leaderboard: the next question, or the end after the last one."""
    return _under_lock(session_id, now, _next)


def question_skip(*, session_id: int, now: dt.datetime | None = None) -> dict[str, Any]:
    return _under_lock(session_id, now, _skip)


def question_pause(*, session_id: int, now: dt.datetime | None = None) -> dict[str, Any]:
    return _under_lock(session_id, now, _pause)


def question_resume(*, session_id: int, now: dt.datetime | None = None) -> dict[str, Any]:
    return _under_lock(session_id, now, _resume)


def question_reveal(*, session_id: int, now: dt.datetime | None = None) -> dict[str, Any]:
    """Reveal the open question, or only stop its clock while answers are still accepted (``_reveal``)."""
    return _under_lock(session_id, now, _reveal)


def leaderboard_show(*, session_id: int, now: dt.datetime | None = None) -> dict[str, Any]:
    return _under_lock(session_id, now, _leaderboard)


def session_end(*, session_id: int, now: dt.datetime | None = None) -> dict[str, Any]:
    """End the game (at any point): scores recorded on the live round's board if this session counts."""
    return _under_lock(session_id, now, _end)


def player_kick(*, session_id: int, player: int, now: dt.datetime | None = None) -> dict[str, Any]:
    return _under_lock(session_id, now, _kick, player=player)


def session_lock(*, session_id: int, locked: bool, now: dt.datetime | None = None) -> dict[str, Any]:
    """Close (or reopen) the game to new players."""
    return _under_lock(session_id, now, _lock, locked=locked)


def answer_check(
    *, state: QuestionState, player_id: int, index: int, response: Any, now: dt.datetime
) -> LiveAnswer | None:
    """Check an answer against this process's state of the open question, without the database, and grade
    it: the unsaved row, or None if this process already stored an answer of the player (the first answer
    stands; answering twice is harmless). Refuses (ProtocolError) answers to another question, while paused,
    late, or that do not fit.

    Pure, so that a tick's answers are checked one by one on the event loop and only the good ones reach the
    one transaction that stores them (``answers_store``): a bad answer is refused alone, never the batch."""
    if index != state.index:
        raise ProtocolError("wrong_question")
    if state.deadline is None:
        raise ProtocolError("no_question")  # paused
    if now > answers_close_at(state.deadline):
        raise ProtocolError("too_late")
    if player_id in state.answered:
        return None
    try:
        # Tokens only: a raw choice id (or anything else) is refused like any answer that does not fit.
        cleaned = clean_response(state.key, state.tokens.response_from_client(state.key.type, response))
    except InvalidResponse as exc:
        raise ProtocolError("bad_answer") from exc
    if cleaned is None or cleaned == [] or cleaned == "":
        raise ProtocolError("bad_answer")
    elapsed = max(0, int((now - state.started_at).total_seconds() * 1000))
    full = grade(state.key, cleaned) == state.key.points
    return LiveAnswer(
        session_id=state.session_id,
        player_id=player_id,
        question_index=index,
        response=cleaned,
        elapsed_ms=min(elapsed, state.limit_ms),
        correct=full,
        points=scoring.answer_points(correct=full, elapsed_ms=elapsed, limit_ms=state.limit_ms, mode=state.scoring),
        answered_at=now,
    )


Outcome = bool | ProtocolError  # stored, duplicate (False), or refused


def answers_store(*, state: QuestionState, answers: list[LiveAnswer]) -> list[Outcome]:
    """Store checked answers of the open question (``answer_check``) in one transaction. For each, in order:
    True if stored, False if the player had already answered (in the database, or earlier in this list), or
    ProtocolError("too_late") if it arrived after a deadline the host moved earlier (``time_up``).

    One check of the session row (``_open_deadline``: it holds the row, so a reveal waits for these answers
    to commit) and one multi-row INSERT: a tick's answers cost one commit (one fsync on PostgreSQL) instead
    of one each, which is what bounded acknowledgements at a stadium's answer burst. If the question closed
    meanwhile, the whole list is refused with the error each answer would have had alone (raised).
    ``ON CONFLICT DO NOTHING`` lets an answer stored meanwhile by another process (the same player on two
    sockets) be a duplicate instead of failing everyone's INSERT; ``RETURNING`` says which rows went in."""
    outcomes: list[Outcome] = []
    first: dict[int, LiveAnswer] = {}
    with transaction.atomic():
        close_at = answers_close_at(_open_deadline(state.session_id, state.index))
        for answer in answers:
            if answer.answered_at > close_at:
                outcomes.append(ProtocolError("too_late"))
            else:
                outcomes.append(first.setdefault(answer.player_id, answer) is answer)
        inserted = _insert_new_answers(list(first.values()))
    state.answered.update(first)
    return [
        (answer.player_id in inserted) if outcome is True else outcome
        for answer, outcome in zip(answers, outcomes, strict=True)
    ]


_ANSWER_FIELDS = (
    "session",
    "player",
    "question_index",
    "response",
    "elapsed_ms",
    "correct",
    "points",
    "answered_at",
)
INSERT_CHUNK = 500  # rows per INSERT statement: 4,000 parameters, under SQLite's limit of 32,766


def _insert_new_answers(answers: list[LiveAnswer]) -> set[int]:
    """INSERT the rows, skipping any (player, question) already stored; the player ids that went in.

    Raw SQL because Django's ``bulk_create(ignore_conflicts=True)`` cannot say which rows it skipped; values
    are prepared by the model's own fields, so the rows are what ``create`` would have stored. SQLite (3.35+)
    and PostgreSQL share this syntax."""
    meta = LiveAnswer._meta
    fields = [cast("Field[Any, Any]", meta.get_field(name)) for name in _ANSWER_FIELDS]
    quote = connection.ops.quote_name
    columns = {field.name: quote(cast(str, field.column)) for field in fields}
    player, index = columns["player"], columns["question_index"]
    inserted: set[int] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(answers), INSERT_CHUNK):
            chunk = answers[start : start + INSERT_CHUNK]
            row = "({})".format(", ".join(["%s"] * len(fields)))
            sql = "INSERT INTO {} ({}) VALUES {} ON CONFLICT ({}, {}) DO NOTHING RETURNING {}".format(  # noqa: S608
                quote(meta.db_table),
                ", ".join(columns.values()),
                ", ".join([row] * len(chunk)),
                player,
                index,
                player,
            )
            params = [f.get_db_prep_save(getattr(a, f.attname), connection) for a in chunk for f in fields]
            cursor.execute(sql, params)
            inserted.update(player_id for (player_id,) in cursor.fetchall())
    return inserted


def answer_submit(*, state: QuestionState, player_id: int, index: int, response: Any, now: dt.datetime) -> bool:
    """Record a player's answer to the open question: a batch of one (``answer_check``, ``answers_store``).
    Returns False if they had already answered (the first answer stands; answering twice is harmless).
    Refuses late answers and answers that do not fit."""
    answer = answer_check(state=state, player_id=player_id, index=index, response=response, now=now)
    if answer is None:
        return False
    (outcome,) = answers_store(state=state, answers=[answer])
    if isinstance(outcome, ProtocolError):
        raise outcome
    return outcome


def _open_deadline(session_id: int, index: int) -> dt.datetime:
    """The open question's deadline as the database has it, refusing (ProtocolError) when question ``index``
    is no longer open, and holding the session row so that a reveal cannot commit until the answers stored
    in this transaction have: an answer acknowledged is an answer scored.

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
    if session.question_deadline is None:
        raise ProtocolError("no_question")
    return session.question_deadline


async def question_state_from_event(session_id: int, into: QuestionState | None = None) -> QuestionState | None:
    """Reload the open question's state from the database (one row + the question) for this process."""
    from channels.db import database_sync_to_async

    session = await LiveSession.objects.select_related("quiz").aget(pk=session_id)
    if into is not None:
        into.deadline = session.question_deadline
        into.started_at = cast(dt.datetime, session.question_started_at)
        return into
    state: QuestionState | None = await database_sync_to_async(question_state)(session)
    return state


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
