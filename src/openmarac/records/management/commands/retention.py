from django.core.management.base import BaseCommand, CommandError

from openmarac.accounts.models import Marac
from openmarac.records import retention


class Command(BaseCommand):
    help = (
        "Anonymise the personal data of a Marac's cases whose last hearing is older than the Marac's "
        "retention period (6 years by default), one transaction per case, audited. Every figure of the "
        "data return stays the same. With --dry-run, list the cases (reference and last hearing) and change nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--marac", required=True, help="The Marac's short name (slug).")
        parser.add_argument("--dry-run", action="store_true", help="List what would be anonymised; change nothing.")

    def handle(self, *args, marac, dry_run, **options):
        found = Marac.objects.filter(slug=marac, is_active=True).first()
        if found is None:
            raise CommandError(f"No active Marac has the short name “{marac}”.")
        cutoff = retention.cutoff_for(found)
        if dry_run:
            due = retention.cases_due(marac=found)
            self.stdout.write(
                f"{found.name}: {len(due)} case{'' if len(due) == 1 else 's'} last heard on or before {cutoff:%-d %B %Y} "
                f"would be anonymised (retention {found.retention_years} years)."
            )
            # References and dates only: never a name, even on a terminal.
            for item in due:
                self.stdout.write(f"{item.reference}\tlast heard {item.last_heard_on.isoformat()}")
            return
        done = retention.retention_run(marac=found)
        for item in done:
            self.stdout.write(f"{item.reference}\tanonymised (last heard {item.last_heard_on.isoformat()})")
        self.stdout.write(f"{found.name}: {len(done)} case{'' if len(done) == 1 else 's'} anonymised.")
