"""Quiz and live rounds created before ``BoardConfig.awaits_release`` existed wait for their release too:
a quiz round's results are published only once it is over with every attempt closed (the attempts sweep
releases it), a live round's once its counting game has ended."""

from django.db import migrations

DEFAULT_CHAIN = ["points", "time_used", "submitted_at", "registered_at"]


def await_release(apps, schema_editor):
    BoardConfig = apps.get_model("leaderboard", "BoardConfig")
    QuizRound = apps.get_model("quizzes", "QuizRound")
    LiveSession = apps.get_model("quizzes", "LiveSession")
    BoardConfig.objects.filter(round_id__in=QuizRound.objects.values("round_id")).update(awaits_release=True)
    for session in LiveSession.objects.filter(counts=True, round__isnull=False).select_related("round"):
        released = max(session.ended_at, session.round.closes_at) if session.state == "ended" else None
        BoardConfig.objects.update_or_create(
            round_id=session.round_id,
            defaults={"awaits_release": True, "released_at": released},
            create_defaults={"chain": DEFAULT_CHAIN, "awaits_release": True, "released_at": released},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("quizzes", "0004_live_round_counting_session"),
        ("leaderboard", "0007_result_row_prize_fixed"),
    ]

    operations = [migrations.RunPython(await_release, migrations.RunPython.noop)]
