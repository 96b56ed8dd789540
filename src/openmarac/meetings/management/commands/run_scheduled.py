from django.core.management.base import BaseCommand

from openmarac.actions.tasks import send_action_reminders, send_flag_reminders
from openmarac.meetings.tasks import publish_due_case_lists, release_agency_checks, send_research_reminders
from openmarac.records.tasks import apply_retention


class Command(BaseCommand):
    help = (
        "Enqueue the work that falls due with time: send on referrals whose agency check ran out of time, "
        "publish case lists that have reached their lead time, "
        "remind agencies of missing research, of actions due or overdue and of flags to take off their files, anonymise cases past the "
        "Marac's retention period. `openmarac worker` does all this on time by itself; this "
        "enqueues it now, by hand. Running it again does nothing twice."
    )

    def handle(self, *args, **options):
        released = release_agency_checks.enqueue()
        published = publish_due_case_lists.enqueue()
        research = send_research_reminders.enqueue()
        actions = send_action_reminders.enqueue()
        anonymised = apply_retention.enqueue()
        flagged = send_flag_reminders.enqueue()
        if published.is_finished:
            self.stdout.write(
                f"Case lists published: {published.return_value}. Research reminders sent: {research.return_value}. "
                f"Action reminders sent: {actions.return_value}. Cases anonymised: {anonymised.return_value}. "
                f"Flag reminders sent: {flagged.return_value}. Referrals sent on after the agency check time: {released.return_value}."
            )
        else:
            self.stdout.write("Scheduled work enqueued.")
