"""A participant's own data (Decree 13/2023/NĐ-CP): the record that their account was erased at their request.

The history of their consents is ``contests.ConsentEvent``: consents change on the profile and on a
teacher's class pages too, which sit below this app, so the one history lives where all of them can write it.
"""

from django.conf import settings
from django.db import models


class Erasure(models.Model):
    """The account was erased at its owner's request: when, and what was done (numbers only, no data).

    The user row itself stays (inactive, renamed ``erased-<id>``): published results and scores point at it,
    and ranks must stay recomputable."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="erasure")
    at = models.DateTimeField()
    result_rows = models.PositiveIntegerField(default=0)
    files_deleted = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"erasure of {self.user_id} at {self.at:%Y-%m-%d %H:%M}"
