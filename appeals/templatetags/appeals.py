"""``{% appeal_links event %}``: the "Phúc khảo" links of a participant's results page, one per round whose
appeal window is open and where they have a published result (the leaderboard's template loads this tag, so
the leaderboard app never imports appeals)."""

from django import template
from django.utils import timezone

from ..selectors import appealable_rounds

register = template.Library()


@register.inclusion_tag("appeals/_links.html", takes_context=True)
def appeal_links(context, event):
    user = context["request"].user
    rounds = appealable_rounds(event=event, user=user, now=timezone.now()) if user.is_authenticated else []
    return {"rounds": rounds}
