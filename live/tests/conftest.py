"""The live game is played with the quizzes app's question banks and quizzes: its tests reuse those fixtures."""

from quizzes.tests.conftest import (  # noqa: F401 - pytest fixtures
    _fresh_close_slots,
    bank,
    later,
    make_quiz_round,
    player,
    player2,
    quiz,
    quiz_round,
)
