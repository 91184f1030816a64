"""Class accounts: the teacher's pages (upload a class list, print login cards, reset passwords, record
guardian consents) and the pupil's sign-in with a username and their first password.

Teachers' views fetch the unit through ``access_unit_for_teacher`` (404 for another unit) and pupils
through ``access_pupils_for_teacher`` (limited to that unit). Temporary passwords live only in the
teacher's session between their creation and the download of the cards.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import authenticate, login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contest_site import downloads, ratelimit

from ..classes import selectors, services
from ..classes.cards import render_cards
from ..classes.firstpassword import SESSION_FLAG
from ..classes.forms import ClassListUploadForm, ClassSignInForm, FirstPasswordForm, GuardianConsentForm
from ..classes.parsing import ClassListError, PupilRow, class_list_template, parse_class_list
from ..models import ClassAccount
from .organiser import form_errors_to_messages

PREVIEW_KEY = "class_list_preview"
CARDS_KEY = "class_cards"
SIGN_IN_LIMIT = {"limit": 20, "period_s": 300}  # per address and per username: a class shares one address


def _session_key(prefix: str, unit) -> str:
    return f"{prefix}:{unit.pk}"


@login_required
def class_units(request):
    units = list(selectors.units_taught_by(request.user).order_by("name"))
    if len(units) == 1:
        return redirect("class_unit", slug=units[0].slug)
    if not units:
        raise Http404
    return render(request, "contests/classes/units.html", {"units": units})


@login_required
def class_unit(request, slug: str):
    """The unit's pupils by class, and the upload → preview → confirm of a class list."""
    unit = selectors.access_unit_for_teacher(user=request.user, slug=slug)
    preview_key = _session_key(PREVIEW_KEY, unit)
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm(request, unit, preview_key)
    form = ClassListUploadForm(request.POST or None, request.FILES or None)
    rows = None
    if request.method == "POST" and form.is_valid():
        try:
            rows = parse_class_list(form.cleaned_data["file"].read(), today=timezone.localdate())
        except ClassListError as exc:
            form.add_error("file", str(exc))
        else:
            request.session[preview_key] = [row.as_dict() for row in rows]
    class_name = request.GET.get("class", "")
    context = {
        "unit": unit,
        "form": form,
        "rows": rows,
        "has_errors": rows is not None and any(row.errors for row in rows),
        "pupils": selectors.pupils_of(unit=unit, class_name=class_name),
        "class_names": selectors.class_names_of(unit=unit),
        "class_name": class_name,
        "cards_waiting": len(request.session.get(_session_key(CARDS_KEY, unit), [])),
    }
    return render(request, "contests/classes/unit.html", context)


def _confirm(request, unit, preview_key: str):
    rows = [PupilRow(**row) for row in request.session.get(preview_key, [])]
    if not rows:
        messages.error(request, _("Upload the class list again: the preview has expired."))
        return redirect("class_unit", slug=unit.slug)
    try:
        cards = services.class_accounts_create(unit=unit, by=request.user, rows=rows)
    except ValidationError as exc:
        form_errors_to_messages(request, exc)
        return redirect("class_unit", slug=unit.slug)
    request.session.pop(preview_key, None)
    _keep_cards(request, unit, cards)
    messages.success(
        request,
        _("%(count)d accounts created. Download and print their login cards now: the passwords are shown only once.")
        % {"count": len(cards)},
    )
    return redirect("class_unit", slug=unit.slug)


def _keep_cards(request, unit, cards) -> None:
    request.session[_session_key(CARDS_KEY, unit)] = [[card.account_id, card.password] for card in cards]


@login_required
def class_cards(request, slug: str):
    """The login cards of the accounts just created or reset, as one PDF; then the passwords are forgotten."""
    unit = selectors.access_unit_for_teacher(user=request.user, slug=slug)
    waiting = request.session.get(_session_key(CARDS_KEY, unit), [])
    if not waiting:
        messages.error(request, _("There are no cards to print: reset the passwords of the pupils who need one."))
        return redirect("class_unit", slug=unit.slug)
    passwords = dict(waiting)
    accounts = selectors.access_pupils_for_teacher(unit=unit, account_ids=list(passwords))
    login_url = request.build_absolute_uri(reverse("class_sign_in"))
    cards = [
        {
            "full_name": account.user.profile.full_name,
            "class_name": account.class_name,
            "username": account.user.get_username(),
            "password": passwords[account.pk],
            "login_url": f"{login_url}?u={account.user.get_username()}",
        }
        for account in sorted(accounts, key=lambda a: (a.class_name, a.user.profile.full_name))
    ]
    pdf = render_cards(cards, unit_name=unit.name)
    if "keep" not in request.GET:
        request.session.pop(_session_key(CARDS_KEY, unit), None)
    return downloads.attachment(pdf, filename=f"login-cards-{unit.slug}.pdf", content_type=downloads.PDF, private=True)


@login_required
def class_list_template_download(request, slug: str):
    selectors.access_unit_for_teacher(user=request.user, slug=slug)
    return downloads.attachment(class_list_template(), filename="danh-sach-lop.xlsx", content_type=downloads.XLSX)


@login_required
@require_POST
def class_reset(request, slug: str):
    """New temporary passwords for the pupils ticked (a lost card); their cards wait for download."""
    unit = selectors.access_unit_for_teacher(user=request.user, slug=slug)
    accounts = selectors.access_pupils_for_teacher(unit=unit, account_ids=request.POST.getlist("account"))
    if not accounts:
        messages.error(request, _("Tick the pupils whose passwords should be reset."))
        return redirect("class_unit", slug=unit.slug)
    cards = services.class_passwords_reset(accounts=accounts, by=request.user)
    _keep_cards(request, unit, cards)
    messages.success(request, _("%(count)d passwords reset. Download their new login cards.") % {"count": len(cards)})
    return redirect("class_unit", slug=unit.slug)


@login_required
def class_consent(request, slug: str, account_id: int):
    """Record a guardian's consent for one pupil from the signed paper form."""
    unit = selectors.access_unit_for_teacher(user=request.user, slug=slug)
    found = selectors.access_pupils_for_teacher(unit=unit, account_ids=[account_id])
    if not found:
        raise Http404
    account = found[0]
    form = GuardianConsentForm(request.POST or None, initial={"form_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.guardian_consent_record(account=account, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_to_messages(request, exc, form)
        else:
            messages.success(
                request, _("Guardian consent recorded for %(name)s.") % {"name": account.user.profile.full_name}
            )
            return redirect("class_unit", slug=unit.slug)
    records = account.user.consent_records.select_related("recorded_by")
    return render(
        request, "contests/classes/consent.html", {"unit": unit, "account": account, "form": form, "records": records}
    )


# --- The pupil's side ---------------------------------------------------------------------------------


def class_sign_in(request):
    """Sign in with the username and password of a login card. Only class accounts sign in here: everyone
    else signs in with their e-mail address through the usual page (which checks e-mail verification)."""
    form = ClassSignInForm(request.POST or None, initial={"username": request.GET.get("u", "")})
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"].strip().lower()
        ip = ratelimit.client_ip(request)
        if not (
            ratelimit.hit(f"class-sign-in:ip:{ip}", **SIGN_IN_LIMIT)
            and ratelimit.hit(f"class-sign-in:user:{username}", **SIGN_IN_LIMIT)
        ):
            return ratelimit.too_many(request, _("Too many attempts: wait a few minutes, then try again."))
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        account = ClassAccount.objects.filter(user=user).first() if user is not None else None
        if account is None:
            form.add_error(None, _("The username or the password is not right. Check your login card."))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            if account.must_change_password:
                request.session[SESSION_FLAG] = True
                return redirect("class_password")
            return redirect("home")
    return render(request, "contests/classes/sign_in.html", {"form": form})


@login_required
def class_password(request):
    """The pupil's own password, chosen at first sign-in; nothing else opens until it is set."""
    account = ClassAccount.objects.filter(user=request.user).first()
    if account is None:
        request.session.pop(SESSION_FLAG, None)
        return redirect("home")
    form = FirstPasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        update_session_auth_hash(request, form.user)
        services.first_password_set(account=account)
        request.session.pop(SESSION_FLAG, None)
        messages.success(request, _("Your password is set. Use it from now on with your username."))
        return redirect("profile_edit")
    return render(request, "contests/classes/password.html", {"form": form})
