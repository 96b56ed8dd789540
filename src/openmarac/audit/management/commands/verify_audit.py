from django.core.management.base import BaseCommand, CommandError

from openmarac.audit.services import verify_chain


class Command(BaseCommand):
    help = "Check that the audit trail's hash chain is whole; report where it breaks."

    def handle(self, *args, **options):
        report = verify_chain()
        if report.whole:
            self.stdout.write(self.style.SUCCESS(f"Audit chain is whole: {report.checked} events checked."))
            return
        raise CommandError(
            f"Audit chain is broken at event {report.first_break_id}: {report.problem}. "
            f"{report.checked} events before it are intact."
        )
