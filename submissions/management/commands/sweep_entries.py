import time

from django.core.management.base import BaseCommand

from judging.services import judging_sweep
from submissions.resumable import resumables_sweep
from submissions.services import versions_sweep


class Command(BaseCommand):
    help = (
        "Recover recordings whose processing job was lost (worker stopped mid-job, job never queued), and "
        "finalise the judging of rounds whose judging window has ended, and delete expired resumable uploads. "
        "With --every N, repeat every N seconds."
    )

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="repeat every N seconds (0 = once)")

    def handle(self, *args, every, **options):
        while True:
            recovered = versions_sweep()
            finalised = judging_sweep()
            expired = resumables_sweep()
            self.stdout.write(
                f"requeued {recovered} recordings, finalised judging of {finalised} rounds, "
                f"deleted {expired} expired uploads"
            )
            if not every:
                return
            time.sleep(every)
