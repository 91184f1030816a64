from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubmissionsConfig(AppConfig):
    name = "submissions"
    verbose_name = _("Read-aloud entries")

    def ready(self):
        from leaderboard.recompute import register

        from .judging.services import recompute_round

        register("reading", recompute_round)
