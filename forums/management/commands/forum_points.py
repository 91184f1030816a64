"""Recount the contribution points of every forum event (or one, by slug): after live sessions, or to repair."""

from django.core.management.base import BaseCommand

from contests.models import Event
from forums import services


class Command(BaseCommand):
    help = "Recount forum contribution points from posts, reactions, best answers and live-quiz scores."

    def add_arguments(self, parser):
        parser.add_argument("slug", nargs="?", help="only this forum event")

    def handle(self, *args, slug=None, **options):
        events = Event.objects.filter(kind=Event.Kind.FORUM)
        if slug:
            events = events.filter(slug=slug)
        for event in events:
            count = services.points_refresh_all(event=event)
            self.stdout.write(f"{event.slug}: {count} people")
