"""E-mail to a topic's author when someone replies, with a signed link to stop such e-mails.

Sent by a background job (``tasks.reply_email_send``) after the reply commits, through Django's mail API
(console backend by default, SMTP when ``EMAIL_HOST`` is set). At most one e-mail per topic per
``QUIET`` period, so a lively thread does not flood anyone's inbox.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .models import EmailOptOut, Post, Topic

QUIET = dt.timedelta(minutes=10)
UNSUBSCRIBE_SALT = "forums.unsubscribe"


def unsubscribe_token(*, user_id: int, topic_id: int) -> str:
    """A token naming a person and a topic. It does not expire: an unsubscribe link must keep working."""
    return signing.dumps({"u": user_id, "t": topic_id}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, int] | None:
    """(user id, topic id) of a token we signed, or None for anything else."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        return int(data["u"]), int(data["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def reply_notify(*, post_id: int, now: dt.datetime | None = None) -> bool:
    """E-mail the topic's author about the reply ``post_id``; return whether an e-mail was sent.

    Nothing is sent for one's own reply, a hidden post or topic, an author without an address or who
    opted out, or while the topic's quiet period since the last e-mail lasts.
    """
    now = now or timezone.now()
    post = Post.objects.select_related("topic__author", "topic__event", "author__profile").filter(pk=post_id).first()
    if post is None:
        return False
    topic, recipient = post.topic, post.topic.author
    if post.hidden or topic.hidden or post.author_id == recipient.pk or not recipient.email:
        return False
    if EmailOptOut.objects.filter(Q(topic=topic) | Q(topic__isnull=True), user=recipient).exists():
        return False
    # Claim the quiet period atomically: of two replies at once, only one e-mail goes out.
    claimed = (
        Topic.objects.filter(pk=topic.pk)
        .filter(Q(notified_at__isnull=True) | Q(notified_at__lte=now - QUIET))
        .update(notified_at=now)
    )
    if not claimed:
        return False
    token = unsubscribe_token(user_id=recipient.pk, topic_id=topic.pk)
    unsubscribe_url = _absolute(reverse("forum_unsubscribe", kwargs={"token": token}))
    context = {
        "topic": topic,
        "post": post,
        "event": topic.event,
        "post_url": _absolute(post.get_absolute_url()),
        "unsubscribe_url": unsubscribe_url,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string("forums/email/reply_subject.txt", context).split())
        body = render_to_string("forums/email/reply_body.txt", context)
    message = EmailMessage(
        subject=subject,
        body=body,
        to=[recipient.email],
        headers={
            # RFC 8058 one-click unsubscribe: mail clients show their own button and POST to the link.
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.send()
    return True
