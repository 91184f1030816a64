from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .. import services
from ..forms import ProfileForm


@login_required
def profile_edit(request):
    profile = services.profile_get_or_create(user=request.user)
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile is saved."))
        if form.withdrawn:
            messages.warning(
                request,
                _(
                    "Your consent is withdrawn: the time is recorded in My data. Until you give it again your "
                    "profile is incomplete and you cannot start new attempts, entries or votes."
                ),
            )
        return redirect("profile_edit")
    return render(request, "contests/profile_form.html", {"form": form, "profile": profile})
