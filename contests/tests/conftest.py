"""The apps' own fixtures, for the invite-door tests that walk every kind of round (a conftest is scoped to its
folder, so they are imported here, each keeping one definition in the app it belongs to)."""

from forums.tests.conftest import make_forum  # noqa: F401
from quizzes.tests.conftest import bank, make_quiz_round, quiz  # noqa: F401
from submissions.tests.conftest import make_entry, make_judge, make_reading_round, media, upload_of  # noqa: F401
