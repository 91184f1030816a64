from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    """Organisers' insight into their own events: dashboards, item analysis, attempts, suspicion report.

    Read-only: it owns no table and writes nothing; it reads what the round apps and the leaderboard store."""

    name = "insights"
    verbose_name = _("Insight for organisers")
