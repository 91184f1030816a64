"""Pages of a participant in a reading round: rules and passage, record or upload, the states of their entries.

Uploading views install the capped upload handler before anything reads the body, so they are
``csrf_exempt`` outside and ``csrf_protect`` inside (Django's documented pattern). They answer JSON to the
page's script (upload progress) and plain pages to browsers without JavaScript.
"""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from contest_site import ratelimit
from contests.invites import require_round

from .. import resumable, selectors, services
from ..forms import ConsentForm, EntryForm
from ..media_probe import MediaRejected
from ..models import Entry, ReadingRound
from ..uploads import install_capped_handler

UPLOADS_PER_HOUR = 30


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _round_context(request, reading_round: ReadingRound, form: EntryForm | None = None) -> dict:
    now = timezone.now()
    user = request.user
    problems = []
    if user.is_authenticated:
        problems = services.entry_create_problems(reading_round=reading_round, user=user, now=now)
    if form is None and user.is_authenticated and not problems:
        form = EntryForm(reading_round=reading_round, require_media=True)
    return {
        "reading_round": reading_round,
        "rnd": reading_round.round,
        "event": reading_round.round.event,
        "now": now,
        "entries": selectors.my_entries(reading_round=reading_round, user=user),
        "problems": problems,
        "form": form,
    }


def reading_round_page(request, round_id: int):
    require_round(request, round_id)
    reading_round = selectors.access_reading_round(round_id=round_id)
    return render(request, "submissions/round.html", _round_context(request, reading_round))


def _refused(request, message: str, *, status: int, fallback: str):
    if _wants_json(request):
        return JsonResponse({"ok": False, "errors": {"__all__": [message]}}, status=status)
    messages.error(request, message)
    return redirect(fallback)


def _form_errors(form) -> dict:
    return {field: [str(e) for e in errors] for field, errors in form.errors.items()}


def _over_upload_limit(request, back: str):
    """The 429 answer once the person has sent too many files this hour, else None.

    Checked before the body is read: a script sending files in a loop costs us nothing past this line."""
    if ratelimit.hit(f"upload:{request.user.pk}", limit=UPLOADS_PER_HOUR, period_s=3600):
        return None
    message = _("Too many files sent in the last hour.")
    if _wants_json(request):
        return _refused(request, message, status=429, fallback=back)
    return ratelimit.too_many(request, message, back_url=back)


FORM_FIELDS_MAX_BYTES = 8 * 1024  # title, note, consent, CSRF token and an upload reference: far less


def _carries_a_file(request) -> bool:
    """A multipart post with a recording in it, told from its size before the body is parsed: the browser
    posts the form as multipart even when it only names a finished resumable upload (``upload``), which
    was counted against the hourly limit when it was created and must not be counted twice."""
    size = int(request.META.get("CONTENT_LENGTH") or 0)
    return request.content_type == "multipart/form-data" and size > FORM_FIELDS_MAX_BYTES


@csrf_exempt
@require_POST
@login_required
def entry_create(request, round_id: int):
    require_round(request, round_id)
    reading_round = selectors.access_reading_round(round_id=round_id)
    back = reading_round.round.get_absolute_url()
    problems = services.entry_create_problems(reading_round=reading_round, user=request.user, now=timezone.now())
    if problems:  # refused before a byte of the body is read
        return _refused(request, " ".join(problems), status=403, fallback=back)
    if _carries_a_file(request):  # a resumable upload was counted when it was created
        refused = _over_upload_limit(request, back)
        if refused:
            return refused
    handler = install_capped_handler(request, max_bytes=reading_round.max_bytes)
    return _entry_create(request, reading_round, handler)


def _recording(request, form, reading_round: ReadingRound):
    """The file the form sends: a part of this request, or a finished resumable upload (``upload``) lent by
    ``resumable_attach`` for the time of the block (consumed if the block succeeds)."""
    reference = form.cleaned_data.get("upload")
    if reference:
        return resumable.resumable_attach(user=request.user, reading_round=reading_round, reference=reference)
    return contextlib.nullcontext(form.cleaned_data.get("recording"))


@csrf_protect
def _entry_create(request, reading_round: ReadingRound, handler):
    back = reading_round.round.get_absolute_url()
    files = request.FILES  # parse the body now: the handler's verdict is known only afterwards
    if handler.too_big:
        message = MediaRejected("too_big", limit=reading_round.max_size_mb).message
        return _refused(request, message, status=413, fallback=back)
    form = EntryForm(request.POST, files, reading_round=reading_round, require_media=True)
    if form.is_valid():
        try:
            with _recording(request, form, reading_round) as upload:
                entry = services.entry_create(
                    reading_round=reading_round,
                    user=request.user,
                    fields=form.entry_fields(),
                    upload=upload,
                    source=form.cleaned_data["source"],
                )
        except MediaRejected as exc:
            form.add_error("recording", exc.message)
        except resumable.UploadRefused as exc:
            form.add_error("recording", exc.message)
        except services.EntryError as exc:
            form.add_error(None, str(exc))
        else:
            return _sent(request, entry)
    if _wants_json(request):
        return JsonResponse({"ok": False, "errors": _form_errors(form)}, status=400)
    return render(request, "submissions/round.html", _round_context(request, reading_round, form), status=400)


def _sent(request, entry: Entry):
    url = reverse("reading_entry", kwargs={"entry_id": entry.pk})
    message = _("Your recording has been received. It is being processed; this page shows when it is ready.")
    messages.success(request, message)
    if _wants_json(request):
        return JsonResponse({"ok": True, "redirect": url})
    return redirect(url)


def _entry_form(entry: Entry, now, data=None, files=None):
    if now >= entry.reading_round.deadline:
        return ConsentForm(data, initial={"consent_publish": entry.consent_publish})
    initial = {name: getattr(entry, name) for name in EntryForm.ENTRY_FIELDS}
    return EntryForm(data, files, initial=initial, reading_round=entry.reading_round, require_media=False)


def _entry_context(request, entry: Entry, form=None) -> dict:
    now = timezone.now()
    return {
        "entry": entry,
        "reading_round": entry.reading_round,
        "rnd": entry.reading_round.round,
        "event": entry.reading_round.round.event,
        "versions": list(entry.versions.order_by("-number")),
        "form": form or _entry_form(entry, now),
        "open": now < entry.reading_round.deadline,
        "now": now,
    }


@login_required
def entry_detail(request, entry_id: int):
    entry = selectors.access_entry_for_owner(user=request.user, entry_id=entry_id)
    return render(request, "submissions/entry.html", _entry_context(request, entry))


@login_required
def entry_status(request, entry_id: int):
    """Polled by the entry page while a recording is processed: small, and no player markup."""
    entry = selectors.access_entry_for_owner(user=request.user, entry_id=entry_id)
    latest = entry.versions.order_by("-number").first()
    return JsonResponse(
        {
            "state": latest.state if latest else "",
            "label": latest.get_state_display() if latest else "",
            "pending": bool(latest and latest.is_pending),
            "reason": latest.reason if latest else "",
        }
    )


@csrf_exempt
@require_POST
@login_required
def entry_update(request, entry_id: int):
    entry = selectors.access_entry_for_owner(user=request.user, entry_id=entry_id)
    if _carries_a_file(request):
        refused = _over_upload_limit(request, reverse("reading_entry", kwargs={"entry_id": entry.pk}))
        if refused:
            return refused
    handler = install_capped_handler(request, max_bytes=entry.reading_round.max_bytes)
    return _entry_update(request, entry, handler)


@csrf_protect
def _entry_update(request, entry: Entry, handler):
    back = reverse("reading_entry", kwargs={"entry_id": entry.pk})
    files = request.FILES  # parse the body now: the handler's verdict is known only afterwards
    if handler.too_big:
        message = MediaRejected("too_big", limit=entry.reading_round.max_size_mb).message
        return _refused(request, message, status=413, fallback=back)
    form = _entry_form(entry, timezone.now(), request.POST, files)
    if form.is_valid():
        sends = getattr(form, "has_media", False)
        try:
            if sends:  # the file first: a refused recording leaves the entry exactly as it was
                with _recording(request, form, entry.reading_round) as upload:
                    services.entry_replace(entry=entry, upload=upload, source=form.cleaned_data["source"])
            services.entry_update(entry=entry, fields=form.entry_fields())
        except MediaRejected as exc:
            form.add_error("recording", exc.message)
        except resumable.UploadRefused as exc:
            form.add_error("recording", exc.message)
        except services.EntryError as exc:
            form.add_error(None, str(exc))
        else:
            if sends:
                return _sent(request, entry)
            messages.success(request, _("Your entry is saved."))
            return JsonResponse({"ok": True, "redirect": back}) if _wants_json(request) else redirect(back)
    if _wants_json(request):
        return JsonResponse({"ok": False, "errors": _form_errors(form)}, status=400)
    entry.refresh_from_db()
    return render(request, "submissions/entry.html", _entry_context(request, entry, form), status=400)
