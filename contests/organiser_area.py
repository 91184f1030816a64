"""What every app's organiser pages share: the area's door (``organiser_required``) and how a service's
refusal reaches the page (``form_errors_to_messages``). In ``contests`` (the bottom of the house: who
organises what is its rule) but not in its views, so that no app imports another app's views."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404

from .selectors import is_organiser


def organiser_required(view):
    """Signed-in users who organise at least one organisation (or site admins); others get 404.

    Only the door of the area: each view still fetches its object through an ``access_*`` selector."""

    @login_required
    def wrapped(request, *args, **kwargs):
        if not is_organiser(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def form_errors_to_messages(request, exc: ValidationError, form=None) -> None:
    """Show a service's ValidationError next to the form's fields, or as messages when there is no form."""
    if form is not None and hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return
    for message in exc.messages:
        messages.error(request, message)
