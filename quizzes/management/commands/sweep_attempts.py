import time

from django.core.management.base import BaseCommand

from quizzes.services import attempts_sweep


class Command(BaseCommand):
    help = "Close and grade every quiz attempt past its deadline. With --every N, repeat every N seconds."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="repeat every N seconds (0 = once)")

    def handle(self, *args, every, **options):
        while True:
            closed = attempts_sweep()
            self.stdout.write(f"closed {closed} expired attempts")
            if not every:
                return
            time.sleep(every)
