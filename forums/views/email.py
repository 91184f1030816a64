"""The unsubscribe link of reply e-mails: signed, so it works without signing in, from any mail client."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from .. import services
from ..models import Topic
from ..notifications import read_unsubscribe_token


@csrf_exempt  # the signed token is the credential; RFC 8058 one-click POSTs come from mail servers
def unsubscribe(request, token: str):
    """GET: ask (mail scanners open links, so a GET changes nothing). POST: stop e-mails about this topic,
    or about every topic with ``scope=all``; RFC 8058's one-click POST stops this topic's."""
    found = read_unsubscribe_token(token)
    if found is None:
        raise Http404
    user = get_user_model().objects.filter(pk=found[0]).first()
    topic = Topic.objects.select_related("event").filter(pk=found[1]).first()
    if user is None or topic is None:
        raise Http404
    done = None
    if request.method == "POST":
        done = "all" if request.POST.get("scope") == "all" else "topic"
        services.email_opt_out(user=user, topic=None if done == "all" else topic)
    return render(request, "forums/unsubscribe.html", {"topic": topic, "done": done, "token": token})
