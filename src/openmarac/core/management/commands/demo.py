from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from openmarac.synthetic.accounts import DEMO_PASSWORD, demo_deployment
from openmarac.synthetic.meetings import demo_meetings
from openmarac.synthetic.referrals import demo_history, demo_referrals


class Command(BaseCommand):
    help = "Create the demo Marac, its agencies and one account per role; print the accounts."

    def handle(self, *args, **options):
        if not settings.OPENMARAC_DEMO_SHOW_MFA_CODE:
            raise CommandError("Demo data is only for a demo deployment (OPENMARAC_DEMO_SHOW_MFA_CODE must be on).")
        marac, accounts = demo_deployment()
        referrals = demo_referrals(marac=marac)
        # After the current referrals, which are only added to a Marac with none.
        history = demo_history(marac=marac)
        if history:
            self.stdout.write(f"Past cases heard over the last two quarters: {len(history)} (for the data return and the figures).")
        past = demo_meetings(marac=marac)
        if past:
            self.stdout.write(f"Meetings scheduled from the pattern, and the {past.title} held with its minutes and action plan.")
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {marac.name}" + (f", {len(referrals)} referrals." if referrals else ".")))
        self.stdout.write(f"\nSign in at {settings.OPENMARAC_BASE_URL}/sign-in/ with any of these (password: {DEMO_PASSWORD}):\n")
        width = max(len(a.email) for a in accounts)
        for account in accounts:
            self.stdout.write(f"  {account.email.ljust(width)}  {account.role}")
        self.stdout.write("\nThe demo shows the current authenticator code on the sign-in page, so no phone is needed.\n")
