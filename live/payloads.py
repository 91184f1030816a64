"""What the screens of a live game see: the question (choices as opaque tokens), the reveal, the
leaderboard, the podium, the host's snapshot and live view, a joining phone's welcome, the host's export.

Reads only: ``services`` does the writes and returns these payloads as the events it publishes.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.db.models import Count, Q
from django.utils import timezone, translation

from leaderboard import ranking
from quizzes.choice_tokens import ChoiceTokens, live_scope
from quizzes.grading import AnswerKey
from quizzes.image_links import signed_image_url
from quizzes.models import Choice, Question
from quizzes.question_types import ORDERING, SHORT_TEXT
from quizzes.services import answer_key

from .models import LiveAnswer, LivePlayer, LiveSession
from .rounds import player_note

SHAPES = [
    ("triangle", "red"),
    ("diamond", "blue"),
    ("circle", "yellow"),
    ("square", "green"),
    ("star", "purple"),
    ("hexagon", "teal"),
]


TOP = 10


TOKEN_SALT = "live-player"  # noqa: S105 - a signing namespace, not a secret


def player_token(player: LivePlayer) -> str:
    return signing.dumps({"s": player.session_id, "p": player.pk}, salt=TOKEN_SALT)


def players_snapshot(session: LiveSession) -> list[dict]:
    return [
        {"id": p.pk, "nickname": p.nickname, "score": p.score}
        for p in session.players.filter(kicked=False).order_by("joined_at")
    ]


def question_at(session: LiveSession, index: int) -> Question:
    return Question.objects.get(pk=session.question_ids[index])


def limit_ms(session: LiveSession, question: Question) -> int:
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
    limit = limit_ms(session, question)
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


def reveal_summary(
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
    return reveal_summary(session, question, answer_key(question), answers, index, players)


def podium(session: LiveSession) -> list[dict]:
    players = list(session.players.filter(kicked=False).order_by("-score", "joined_at")[:3])
    ranks = ranking.competition_ranks([p.score for p in players])
    return [
        {"player": p.pk, "nickname": p.nickname, "score": p.score, "rank": r}
        for p, r in zip(players, ranks, strict=True)
    ]


def leaderboard_event(session: LiveSession) -> dict:
    players = list(session.players.filter(kicked=False).order_by("-score", "joined_at")[:TOP])
    all_scores = list(session.players.filter(kicked=False).order_by("-score").values_list("score", flat=True)[:TOP])
    ranks = ranking.competition_ranks(all_scores)
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
    ranks = ranking.competition_ranks([p.score for p in players])
    return [
        {"rank": r, "nickname": p.nickname, "email": p.user.email if p.user else "", "score": p.score, "right": p.right}
        for p, r in zip(players, ranks, strict=True)
    ]


MAX_LISTED_PLAYERS = 300


def host_snapshot(session_id: int) -> dict:
    """Everything the projector needs after (re)connecting: the host resumes where the game stands."""
    session = LiveSession.objects.select_related("quiz").get(pk=session_id)
    snapshot = {
        "type": "state",
        "session": session.pk,
        "pin": session.pin,
        "state": session.state,
        "locked": session.locked,
        "index": session.current_index,
        "count": len(session.question_ids),
        "players": players_snapshot(session)[:MAX_LISTED_PLAYERS],
        "total": session.players.filter(kicked=False).count(),
    }
    if session.state == LiveSession.State.QUESTION:
        snapshot["question"] = question_payload(session, question_at(session, session.current_index), timezone.now())
        snapshot["answered"] = answer_count(session_id=session.pk, index=session.current_index)
    elif session.state == LiveSession.State.REVEAL:
        snapshot["reveal"] = reveal_snapshot(session)
    elif session.state == LiveSession.State.LEADERBOARD:
        snapshot["leaderboard"] = leaderboard_event(session)
    elif session.state == LiveSession.State.ENDED:
        snapshot["podium"] = podium(session)
    return snapshot


def joined_message(player: LivePlayer, *, language: str | None = None) -> dict:
    """What a (re)joining phone needs: who it is, its token, where the game stands now, and a note when its
    score will not count for the live round (in the phone's language)."""
    return joined_messages([(player, language)])[0]


def joined_messages(phones: list[tuple[LivePlayer, str | None]]) -> list[dict]:
    """``joined_message`` for each (player, language) of one game, for a tick's joining phones: the session,
    the open question and the standings are read once for all (a rank is one count of the players ahead,
    per distinct score: in the lobby, one for everyone)."""
    session = LiveSession.objects.select_related("quiz", "round__event").get(pk=phones[0][0].session_id)
    now = timezone.now()
    shared: dict = {"state": session.state, "count": len(session.question_ids), "index": session.current_index}
    if session.state == LiveSession.State.REVEAL:
        shared["reveal"] = reveal_snapshot(session)
    elif session.state == LiveSession.State.LEADERBOARD:
        shared["leaderboard"] = leaderboard_event(session)
    answered: set[int] = set()
    if session.state == LiveSession.State.QUESTION:
        shared["question"] = question_payload(session, question_at(session, session.current_index), now)
        answered = set(
            LiveAnswer.objects.filter(
                player__in=[p.pk for p, _l in phones], question_index=session.current_index
            ).values_list("player_id", flat=True)
        )
    ahead = {
        score: session.players.filter(kicked=False, score__gt=score).count() for score in {p.score for p, _l in phones}
    }
    messages = []
    for player, language in phones:
        with translation.override(language or settings.LANGUAGE_CODE):
            note = player_note(session, player, now)
        message = {
            "type": "joined",
            "player": player.pk,
            "nickname": player.nickname,
            "score": player.score,
            "rank": ahead[player.score] + 1,
            "streak": player.streak,
            "token": player_token(player),
            "note": note,
            **shared,
        }
        if session.state == LiveSession.State.QUESTION:
            message["answered"] = player.pk in answered
        messages.append(message)
    return messages
