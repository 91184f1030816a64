"""``manage.py verify_results ROUND_ID``: recompute a round from raw data and compare with what was recorded
and published (the round's own results and its event's), then re-check the published snapshots themselves:
totals from their per-round points, ranks and prizes by their chain. Exit status 1 on any difference, so
that an audit can be scripted."""

from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from contests.models import Round
from leaderboard.audit import corrected_totals, snapshot_problems
from leaderboard.models import ResultRow, ResultSet, Score
from leaderboard.recompute import recompute


class Command(BaseCommand):
    help = "Recompute a round's scores from the stored answers (or judge scores and votes) and compare."

    def add_arguments(self, parser):
        parser.add_argument("round_id", type=int)

    def handle(self, *args, round_id, **options):
        rnd = Round.objects.select_related("event").filter(pk=round_id).first()
        if rnd is None:
            raise CommandError(f"no round {round_id}")
        recomputed = recompute(rnd)
        if recomputed is None:
            raise CommandError(f"rounds of kind {rnd.kind!r} cannot be recomputed yet")
        result_sets = list(ResultSet.objects.filter(Q(event=rnd.event) | Q(round=rnd)))
        # A round's published total changed by an audited correction is also its recorded score: reported as
        # the correction it is (who, why in the log), not as a difference from the answers.
        audited = {
            correction.row.user_id: correction
            for result_set in result_sets
            if result_set.round_id == rnd.pk
            for correction in corrected_totals(result_set).values()
        }
        notes: list[str] = []
        recorded = dict(Score.objects.filter(round=rnd).values_list("user_id", "points"))
        problems = _differences("recorded score", recorded, recomputed, audited=audited, notes=notes)
        published = False
        for result_set in result_sets:
            points = {
                row.user_id: Decimal(row.round_points[str(rnd.pk)])
                for row in ResultRow.objects.filter(result_set=result_set)
                if str(rnd.pk) in row.round_points
            }
            published = published or bool(points)
            label = f"published result ({result_set})"
            problems += _differences(label, points, recomputed, audited=audited, notes=notes)
            problems += snapshot_problems(result_set, notes=notes)
        for line in notes:
            self.stdout.write(f"note: {line}")
        for line in problems:
            self.stdout.write(line)
        summary = f"round {rnd.pk}: {len(recomputed)} participants recomputed, {len(problems)} differences"
        if notes:
            summary += f", {len(notes)} audited corrections"
        if problems:
            raise CommandError(summary)
        self.stdout.write(summary + (" (published results checked)" if published else ""))


def _differences(label: str, stored: dict, recomputed: dict, *, audited: dict, notes: list[str]) -> list[str]:
    lines = []
    for user_id in sorted(set(stored) | set(recomputed)):
        have, want = stored.get(user_id), recomputed.get(user_id)
        if have is None or want is None or Decimal(have) != Decimal(want):
            correction = audited.get(user_id)
            if have is not None and correction is not None and Decimal(correction.new_value) == Decimal(have):
                notes.append(
                    f"user {user_id}: {label} {have} (recomputed {want}) set by an audited correction "
                    f"({correction.reason})"
                )
                continue
            lines.append(f"user {user_id}: {label} {have} ≠ recomputed {want}")
    return lines
