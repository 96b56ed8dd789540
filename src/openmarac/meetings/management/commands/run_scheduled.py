from django.core.management.base import BaseCommand

from openmarac.meetings import services


class Command(BaseCommand):
    help = (
        "Do the work that falls due with time: publish case lists that have reached their lead time "
        "and remind agencies of missing research. Run it every 15 minutes (cron or a systemd timer); "
        "running it again does nothing twice."
    )

    def handle(self, *args, **options):
        published = services.publish_due()
        reminders = services.research_reminders_send()
        self.stdout.write(f"Case lists published: {len(published)}. Research reminders sent: {reminders}.")
