import time

from django.core.management.base import BaseCommand

from notifications.services import notifications_retry, rounds_remind


class Command(BaseCommand):
    help = (
        "Notify registered participants of rounds opening or closing within 24 hours (once each), and retry "
        "notifications whose delivery failed. With --every N, repeat every N seconds."
    )

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="repeat every N seconds (0 = once)")

    def handle(self, *args, every, **options):
        while True:
            reminded = rounds_remind()
            retried = notifications_retry()
            self.stdout.write(f"{reminded} round reminders written, {retried} deliveries retried and sent")
            if not every:
                return
            time.sleep(every)
