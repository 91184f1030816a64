"""What the reading round asks of its judging panel: judges do not vote, a blind round keeps its gallery
from them, and a judge plays the entries assigned to them (that judges do not enter their own event is the
shared people rule, ``contests.participation``).

The one place where ``submissions`` reads the ``judging`` app (an allowed exception, named in
docs/architecture.md): judging is built on submissions (its models point at entries and reading rounds),
so these reads go by model name, lazily, and submissions imports nothing of judging.
"""

from __future__ import annotations

from django.apps import apps


def _round_judges():
    return apps.get_model("judging", "RoundJudge").objects


def is_panel_judge(*, user, reading_round) -> bool:
    """Whether ``user`` sits on the panel of ``reading_round``."""
    return user.is_authenticated and _round_judges().filter(reading_round=reading_round, user_id=user.pk).exists()


def judges_entry(*, user, entry) -> bool:
    """A judge who is assigned the entry now (an ended assignment — conflict, withdrawn — plays nothing)."""
    Assignment = apps.get_model("judging", "Assignment")
    return Assignment.objects.filter(entry=entry, judge__user_id=user.pk, state=Assignment.State.ACTIVE).exists()
