from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JudgingConfig(AppConfig):
    name = "judging"
    verbose_name = _("Judging")

    def ready(self):
        from leaderboard.recompute import register

        from .services import recompute_round

        register("reading", recompute_round)
