"""Reading rounds created before ``BoardConfig.awaits_release`` existed: their results wait for judging to be
finalised (released then), as new rounds' do."""

from django.db import migrations

DEFAULT_CHAIN = ["points", "time_used", "submitted_at", "registered_at"]


def await_release(apps, schema_editor):
    BoardConfig = apps.get_model("leaderboard", "BoardConfig")
    ReadingRound = apps.get_model("submissions", "ReadingRound")
    for reading_round in ReadingRound.objects.select_related("round"):
        finalised = reading_round.judging_finalised_at
        released = max(finalised, reading_round.round.closes_at) if finalised else None
        BoardConfig.objects.update_or_create(
            round_id=reading_round.round_id,
            defaults={"awaits_release": True, "released_at": released},
            create_defaults={"chain": DEFAULT_CHAIN, "awaits_release": True, "released_at": released},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("submissions", "0003_resumable_uploads"),
        ("leaderboard", "0007_result_row_prize_fixed"),
    ]

    operations = [migrations.RunPython(await_release, migrations.RunPython.noop)]
