"""The "My data" pages: thin, every action for the signed-in person only (there is no id in the URLs, so
nobody can name someone else's data)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contest_site import downloads
from contest_site.ratelimit import too_many

from . import export, selectors, services
from .forms import AccountDeleteForm


def _page(request, *, delete_form=None, status=200):
    context = {
        "consents": selectors.consents_current(user=request.user),
        "history": selectors.consent_history(user=request.user),
        "delete_form": delete_form or AccountDeleteForm(),
    }
    return render(request, "privacy/mydata.html", context, status=status)


@login_required
def mydata(request):
    return _page(request)


def _export(request, *, render_file, content_type: str, extension: str):
    try:
        services.mydata_export_check(user=request.user)
    except services.MyDataLimited as refused:
        return too_many(request, refused.messages[0], back_url=reverse("mydata"))
    data = selectors.mydata_collect(user=request.user)
    day = timezone.localdate().isoformat()
    return downloads.attachment(
        render_file(data), filename=f"du-lieu-cua-toi-{day}.{extension}", content_type=content_type, private=True
    )


@login_required
def mydata_export_json(request):
    return _export(request, render_file=export.as_json, content_type=downloads.JSON, extension="json")


@login_required
def mydata_export_xlsx(request):
    return _export(
        request,
        render_file=export.as_xlsx,
        content_type=downloads.XLSX,
        extension="xlsx",
    )


@login_required
@require_POST
def consent_withdraw(request, kind: str):
    try:
        services.consent_withdraw(user=request.user, kind=kind)
    except services.MyDataError as refused:
        messages.error(request, refused.messages[0])
        return redirect("mydata")
    messages.success(request, _("Your consent is withdrawn. The time is recorded in the history below."))
    return redirect("mydata")


@login_required
@require_POST
def account_delete(request):
    form = AccountDeleteForm(request.POST)
    if not form.is_valid():
        return _page(request, delete_form=form, status=400)
    try:
        services.account_erase(user=request.user, password=form.cleaned_data["password"])
    except services.MyDataLimited as refused:
        return too_many(request, refused.messages[0], back_url=reverse("mydata"))
    except services.MyDataError as refused:
        form.add_error("password", refused.messages[0])
        return _page(request, delete_form=form, status=400)
    logout(request)
    messages.success(request, _("Your account is deleted and your personal data erased."))
    return redirect("home")
