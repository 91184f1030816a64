from django import template

from ..models import RoundReminder

register = template.Library()


@register.inclusion_tag("notifications/_round_remind.html", takes_context=True)
def round_reminder_form(context, rnd):
    """The "Remind me" / "Stop reminders" button of a round that has not ended, for a signed-in person."""
    request = context.get("request")
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    asked = signed_in and RoundReminder.objects.filter(user=user, round=rnd).exists()
    return {"rnd": rnd, "signed_in": signed_in, "asked": asked, "csrf_token": context.get("csrf_token")}
