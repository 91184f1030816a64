"""A live game played over WebSockets as phones and a projector play it (docs/live-protocol.md), keeping what
each phone was told, so that a fault test can check that nothing a player earned was lost."""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass, field

from websockets.exceptions import ConnectionClosed

from tests.servers import next_message, ws_connect

WAIT_S = 20  # a reveal waits for the host's 0.3 s tick on a loaded machine


def _closed(ws, deadline: float) -> bool:
    """Has the server closed ``ws`` (by ``deadline``)? Messages that arrive meanwhile are dropped."""
    while time.monotonic() < deadline:
        try:
            ws.recv(timeout=0.1)
        except TimeoutError:
            continue
        except ConnectionClosed:
            return True
    return False


@dataclass
class Phone:
    nickname: str
    ws: object
    token: str
    player: int
    points: dict[int, int] = field(default_factory=dict)  # question index → points of its result
    told: int = 0  # the score of the last message that carried one


class Game:
    def __init__(self, data: dict):
        self.data = data
        self.phones: dict[str, Phone] = {}
        self.host = None

    # --- connections ---

    def connect_host(self, base_url: str) -> dict:
        """Open the projector's socket (again); return the ``state`` snapshot it starts with."""
        self._close(self.host)
        self.host = ws_connect(base_url, f"/ws/live/host/{self.data['session']}/", self.data["cookie"])
        return next_message(self.host, "state", WAIT_S)

    def join(self, nickname: str, base_url: str) -> dict:
        ws = ws_connect(base_url, f"/ws/live/{self.data['pin']}/")
        ws.send(json.dumps({"type": "join", "nickname": nickname}))
        joined = next_message(ws, "joined", WAIT_S)
        self.phones[nickname] = Phone(nickname, ws, joined["token"], joined["player"])
        return joined

    def rejoin(self, nickname: str, base_url: str) -> dict:
        """The phone comes back on a new socket with its signed token; return the ``joined`` it gets."""
        phone = self.phones[nickname]
        self._close(phone.ws)
        phone.ws = ws_connect(base_url, f"/ws/live/{self.data['pin']}/")
        phone.ws.send(json.dumps({"type": "rejoin", "token": phone.token}))
        joined = next_message(phone.ws, "joined", WAIT_S)
        assert joined["player"] == phone.player
        return joined

    def reconnect_dropped(self, where: dict[str, str], *, wait_s: float = 5) -> set[str]:
        """Reconnect, as the pages do, every client whose socket the server closed (waiting up to ``wait_s``
        for it to happen): ``where`` maps "host" and each nickname to the server to come back to. A phone
        keeps its score. Returns who came back."""
        deadline = time.monotonic() + wait_s
        back = set()
        for name, base_url in where.items():
            ws = self.host if name == "host" else self.phones[name].ws
            if not _closed(ws, deadline):
                continue
            back.add(name)
            if name == "host":
                self.connect_host(base_url)
            else:
                assert self.rejoin(name, base_url)["score"] == self.phones[name].told, f"{name} lost points"
        return back

    def settle(self, where: dict[str, str], *, quiet_s: float = 2, timeout_s: float = 30) -> int:
        """Reconnect dropped clients until ``quiet_s`` pass without a drop; how many reconnections it took."""
        deadline, reconnections = time.monotonic() + timeout_s, 0
        while time.monotonic() < deadline:
            back = self.reconnect_dropped(where, wait_s=quiet_s)
            if not back:
                return reconnections
            reconnections += len(back)
        raise AssertionError(f"clients still dropped after {timeout_s} s")

    def close(self) -> None:
        for ws in [self.host, *(phone.ws for phone in self.phones.values())]:
            self._close(ws)

    @staticmethod
    def _close(ws) -> None:
        if ws is not None:
            with contextlib.suppress(Exception):  # the server may be gone: closing is best effort
                ws.close()

    # --- play ---

    def command(self, kind: str) -> None:
        self.host.send(json.dumps({"type": kind}))

    def question(self, index: int) -> None:
        """Every phone and the projector are shown question ``index``, without its answer."""
        for phone in self.phones.values():
            shown = next_message(phone.ws, "question", WAIT_S)
            assert shown["index"] == index and "correct" not in shown, shown
        assert next_message(self.host, "question", WAIT_S)["index"] == index

    def answer(self, nickname: str, index: int, *, right: bool) -> None:
        """Answer and check the acknowledgement (an acknowledged answer must count, whatever happens next)."""
        choices = self.data["questions"][index]
        phone = self.phones[nickname]
        response = choices["right"] if right else choices["wrong"]
        phone.ws.send(json.dumps({"type": "answer", "question": index, "response": response}))
        ack = next_message(phone.ws, "answer_received", WAIT_S)
        assert ack == {"type": "answer_received", "index": index, "duplicate": False}, ack

    def play(self, index: int, right: set[str]) -> dict:
        """Everyone answers question ``index`` (``right`` ones rightly); the host's connection reveals by itself."""
        self.question(index)
        for nickname in self.phones:
            self.answer(nickname, index, right=nickname in right)
        return self.results(index)

    def results(self, index: int) -> dict:
        """The projector's reveal and each phone's own result of question ``index``; the phone's points are kept."""
        reveal = next_message(self.host, "reveal", WAIT_S)
        assert reveal["index"] == index and reveal["answered"] == len(self.phones), reveal
        results = {}
        for nickname, phone in self.phones.items():
            result = next_message(phone.ws, "result", WAIT_S)
            assert result["index"] == index, result
            phone.points[index], phone.told = result["points"], result["score"]
            results[nickname] = result
        return results

    def end(self) -> dict:
        """After the last question: ``next`` ends the game; each phone's final message."""
        self.command("next")
        ended = {nickname: next_message(phone.ws, "ended", WAIT_S) for nickname, phone in self.phones.items()}
        next_message(self.host, "ended", WAIT_S)
        return ended

    def check_totals(self, ended: dict, stored: dict, *, answers: int) -> None:
        """Nothing lost: each final score is the sum of the points of every result that phone was told, as
        stored, and every answer sent is stored once."""
        for nickname, phone in self.phones.items():
            total = sum(phone.points.values())
            assert ended[nickname]["score"] == total, (nickname, ended[nickname], phone.points)
            assert stored[nickname] == {"score": total, "answers": answers}, (nickname, stored[nickname])
