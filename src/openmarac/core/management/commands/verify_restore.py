import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from openmarac.core.backup import verify_restore


class Command(BaseCommand):
    help = (
        "After restoring a backup: check that every table has the row count the backup's manifest "
        "records and that the audit hash chain is whole up to the same last event."
    )

    def add_arguments(self, parser):
        parser.add_argument("manifest", help="The .manifest.json written beside the backup by `openmarac backup`.")

    def handle(self, *args, manifest, **options):
        recorded = json.loads(Path(manifest).read_text())
        problems = verify_restore(recorded)
        if problems:
            raise CommandError("The restored database does not match the backup:\n  " + "\n  ".join(problems))
        tables = len(recorded["counts"])
        rows = sum(recorded["counts"].values())
        self.stdout.write(self.style.SUCCESS(f"Restore verified: {tables} tables, {rows} rows, audit chain whole."))
