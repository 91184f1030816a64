from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    name = "live"
    verbose_name = _("Live games")

    def ready(self):
        from leaderboard.recompute import register

        from .rounds import recompute_live_round

        register("live", recompute_live_round)
