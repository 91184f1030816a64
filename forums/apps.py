from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForumsConfig(AppConfig):
    name = "forums"
    verbose_name = _("Forums")

    def ready(self):
        from leaderboard.recompute import register

        from .selectors import POINTS_ROUND_KIND, points_recompute

        register(POINTS_ROUND_KIND, points_recompute)
