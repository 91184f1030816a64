"""The server restarts while participants are mid-attempt in a timed quiz round — killed (SIGKILL), started
again, later stopped (SIGTERM) and started again, on the same port, while every participant's page keeps
autosaving and retrying as attempt.js does. Nothing acknowledged is lost: every answer the autosave endpoint
acknowledged is stored (the last one for a question answered twice); the deadline still holds (answers after
deadline + grace are refused); participants who come back submit and are graded, and the sweep grades the
attempts of those whose browser never returned, with their autosaved answers."""

from __future__ import annotations

import datetime as dt
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from tests.faults.browser import NETWORK_ERRORS, post
from tests.servers import Daphne, manage, project_call, running

pytestmark = [pytest.mark.faults, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

PARTICIPANTS = 6
RETURNING = 4  # the first four come back after the restarts and submit; the others' browsers never return
QUESTIONS = 8
TIME_LIMIT_S = 40  # the smallest a round allows is 30: room for two restarts on a loaded machine
GRACE_S = 2
ABANDONED_AFTER = 5  # answers sent before a browser that never returns goes away


@dataclass
class Participant:
    index: int
    session: str
    attempt: int = 0
    plan: list[tuple[int, int]] = field(default_factory=list)  # (position, choice id) in the order sent
    sent: list[tuple[int, int, bool]] = field(default_factory=list)  # (position, choice id, acknowledged)
    tokens: dict[str, str] = field(default_factory=dict)  # choice id -> the token its page shows

    @property
    def returning(self) -> bool:
        return self.index < RETURNING


def _plan(index: int, questions: list[dict]) -> list[tuple[int, int]]:
    """A wrong first answer to question 1, then every question in order (question 1 again: a change of mind);
    each participant gets a different mix of right and wrong answers."""
    answers = [(1, questions[0]["wrong"])]
    answers += [(p, q["right"] if (p + index) % 3 else q["wrong"]) for p, q in enumerate(questions, 1)]
    return answers if index < RETURNING else answers[:ABANDONED_AFTER]


def _autosave(server: Daphne, participant: Participant, give_up_at: float) -> None:
    """Send the plan one answer at a time; an answer the server did not acknowledge is sent again (the page
    retries), until acknowledged."""
    for position, choice in participant.plan:
        while True:
            try:
                reply = post(
                    server.url,
                    f"/attempts/{participant.attempt}/answer/",
                    session=participant.session,
                    json_body={"position": position, "response": participant.tokens[str(choice)]},
                    timeout=5,
                )
            except NETWORK_ERRORS:
                participant.sent.append((position, choice, False))
                assert time.monotonic() < give_up_at, "the server did not come back in time"
                time.sleep(0.2)
                continue
            assert reply.status == 200 and reply.json()["saved"], (reply.status, reply.body)
            participant.sent.append((position, choice, True))
            break
        time.sleep(0.1)


def _acknowledged(participants) -> int:
    return sum(acked for p in participants for _pos, _choice, acked in p.sent)


def _wait_for(condition, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _may_be_stored(sent: list[tuple[int, int, bool]], position: int) -> set:
    """What may be stored for ``position``: its last acknowledged answer, or an answer sent after it that died
    with the server (written, then killed before the reply); nothing acknowledged: nothing, or such an answer."""
    mine = [(choice, acked) for pos, choice, acked in sent if pos == position]
    last_ack = max((i for i, (_choice, acked) in enumerate(mine) if acked), default=None)
    later = mine if last_ack is None else mine[last_ack:]
    return {choice for choice, _acked in later} | ({None} if last_ack is None else set())


def test_acknowledged_answers_and_deadlines_survive_restarts(fresh_env, tmp_path):
    env = fresh_env("quiz-server-restarted")
    data = project_call(
        env,
        "tests.faults.scenarios:quiz_round",
        participants=PARTICIPANTS,
        questions=QUESTIONS,
        time_limit_s=TIME_LIMIT_S,
        grace_s=GRACE_S,
    )
    questions, server = data["questions"], Daphne(env, tmp_path)
    people = [Participant(i, user["cookie"]) for i, user in enumerate(data["users"])]
    with running(server):
        for person in people:
            started = post(server.url, f"/rounds/{data['round']}/quiz/start/", session=person.session)
            assert started.status == 302 and started.location.startswith("/attempts/"), started
            person.attempt = int(started.location.strip("/").split("/")[-1])
            person.plan = _plan(person.index, questions)
            person.tokens = project_call(env, "tests.faults.scenarios:attempt_tokens", attempt_id=person.attempt)
        with ThreadPoolExecutor(PARTICIPANTS) as pool:
            give_up_at = time.monotonic() + TIME_LIMIT_S
            pages = [pool.submit(_autosave, server, person, give_up_at) for person in people]
            _wait_for(lambda: _acknowledged(people) >= 8)
            server.restart(signal.SIGKILL)
            _wait_for(lambda: _acknowledged(people) >= 24)
            server.restart(signal.SIGTERM)
            for page in pages:
                page.result()
        assert any(not acked for p in people for *_sent, acked in p.sent), "no answer was in flight at a restart"

        for person in people[:RETURNING]:
            submitted = post(server.url, f"/attempts/{person.attempt}/submit/", session=person.session)
            assert submitted.status == 302 and submitted.location.endswith("/result/"), submitted

        before = project_call(env, "tests.faults.scenarios:attempts_stored", round_id=data["round"])["attempts"]
        deadline = max(dt.datetime.fromisoformat(a["deadline"]) for a in before.values())
        time.sleep(max(0.0, (deadline - dt.datetime.now(dt.UTC)).total_seconds() + GRACE_S + 1))
        for person in people:  # past deadline + grace: refused, whoever asks (an answer no plan sends)
            late = post(
                server.url,
                f"/attempts/{person.attempt}/answer/",
                session=person.session,
                json_body={"position": 2, "response": person.tokens[str(questions[1]["other"])]},
            )
            assert late.status == 409 and late.json()["closed"], (late.status, late.body)
    swept = manage(env, "sweep_attempts")  # what `make run` and the systemd unit run every minute
    assert swept.strip() == f"closed {PARTICIPANTS - RETURNING} expired attempts"

    stored = project_call(env, "tests.faults.scenarios:attempts_stored", round_id=data["round"])
    for person in people:
        attempt = stored["attempts"][str(person.attempt)]
        for position in range(1, QUESTIONS + 1):
            answer = attempt["answers"][str(position)]
            assert answer in _may_be_stored(person.sent, position), (person.index, position, answer, person.sent)
        right = sum(attempt["answers"][str(p)] == q["right"] for p, q in enumerate(questions, 1))
        closed_by = "participant" if person.returning else "deadline"
        assert (attempt["status"], attempt["closed_by"]) == ("submitted", closed_by), attempt
        assert Decimal(attempt["score"]) == right, "graded with every stored answer"
        assert Decimal(stored["scores"][str(attempt["user"])]) == right, "and on the leaderboard"
