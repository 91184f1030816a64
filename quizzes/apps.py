from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuizzesConfig(AppConfig):
    name = "quizzes"
    verbose_name = _("Quizzes")

    def ready(self):
        from leaderboard.recompute import register

        from .services import recompute_round

        register("quiz", recompute_round)
