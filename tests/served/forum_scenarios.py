"""Data of the served forum socket test, made inside the project through its services
(``tests.servers.project_call`` runs these in ``manage.py shell``); JSON in, JSON out."""

from __future__ import annotations

import datetime as dt


def forum_with_hidden_topic() -> dict:
    """An open forum with one visible and one hidden topic; the organiser's session cookie."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from contests import services as contest_services
    from contests.models import Event, Organisation
    from forums import services
    from tests.sessions import signed_in_session

    now = timezone.now()
    organisation = Organisation.objects.create(name="Sở GD&ĐT", slug="so-gd")
    organiser = get_user_model().objects.create_user("mod", "mod@example.vn", "x")
    contest_services.membership_add(user=organiser, organisation=organisation)
    fields = {
        "title": "Diễn đàn",
        "kind": Event.Kind.FORUM,
        "opens_at": now - dt.timedelta(days=1),
        "closes_at": now + dt.timedelta(days=7),
    }
    event = contest_services.event_create(organisation=organisation, by=organiser, fields=fields)
    services.points_round(event=event)
    contest_services.event_transition(event=event, to_state=Event.State.OPEN, by=organiser)
    visible = services.topic_create(event=event, author=organiser, title="Xin chào", body="…")
    hidden = services.topic_create(event=event, author=organiser, title="Chủ đề ẩn", body="…")
    services.topic_hide(topic=hidden, by=organiser, hidden=True)
    return {
        "visible": visible.pk,
        "hidden": hidden.pk,
        "organiser_cookie": signed_in_session(organiser),
    }
