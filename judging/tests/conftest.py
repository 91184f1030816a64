"""Judging scores the submissions app's entries: its tests reuse those fixtures (rounds, entries, judges)."""

from submissions.tests.conftest import (  # noqa: F401 - pytest fixtures
    copy_of,
    gallery_entry,
    judging_round,
    make_entry,
    make_judge,
    make_reader,
    make_reading_round,
    marks_for,
    media,
    reader,
    reader2,
    reading_round,
    upload_of,
)
