import json
from pathlib import Path

from django.core.management.base import BaseCommand

from contests import services

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "data" / "regions.json"


class Command(BaseCommand):
    help = "Create or update the region tree from a JSON file (default: the bundled Thái Nguyên data)."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(DEFAULT_FILE))

    def handle(self, *args, file, **options):
        data = json.loads(Path(file).read_text(encoding="utf-8"))
        count = services.regions_load(nodes=data["regions"])
        if options["verbosity"]:
            self.stdout.write(f"loaded {count} regions from {file}")
