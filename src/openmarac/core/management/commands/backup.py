from django.core.management.base import BaseCommand, CommandError

from openmarac.core.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the PostgreSQL database with pg_dump into a folder: the archive and a manifest of "
        "every table's row count and the audit trail's last event, from the same snapshot. "
        "After restoring, run `openmarac verify-restore MANIFEST`."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="Folder for the archive and its manifest (created if missing).")

    def handle(self, *args, directory, **options):
        try:
            dump, manifest = backup(directory=directory)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Backup written: {dump}\nManifest: {manifest}"))
