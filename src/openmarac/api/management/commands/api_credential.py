"""`openmarac api-credential`: create an API credential from the command line, acting
as a coordinator of the Marac (the same service and audit as the coordinator's page).
Prints the key once. For scripted set-ups and the demo (docs/api.md)."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from openmarac.accounts.models import Agency, Marac, User
from openmarac.api import services


class Command(BaseCommand):
    help = "Create an API credential for one agency of a Marac, as one of its coordinators, and print its key."

    def add_arguments(self, parser):
        parser.add_argument("--by", required=True, help="Email of a coordinator of the Marac")
        parser.add_argument("--marac", required=True, help="The Marac's short name (slug), for example northshire")
        parser.add_argument("--agency", required=True, help="The agency's name, as on the Marac's agencies page")
        parser.add_argument("--name", required=True, help="What the credential is for, for example 'Police records system'")
        parser.add_argument("--days", type=int, default=90, help="Days until it expires (at most 366)")

    def handle(self, *args, by, marac, agency, name, days, **options):
        coordinator = User.objects.filter(email__iexact=by, is_active=True).first()
        marac_obj = Marac.objects.filter(slug=marac, is_active=True).first()
        agency_obj = Agency.objects.filter(name=agency).first()
        if coordinator is None or marac_obj is None or agency_obj is None:
            raise CommandError("No such active coordinator, Marac or agency")
        try:
            issued = services.credential_create(
                by=coordinator, marac=marac_obj, agency=agency_obj, name=name, expires_on=timezone.localdate() + timedelta(days=days)
            )
        except PermissionDenied:
            raise CommandError(f"{by} is not a coordinator of {marac_obj}") from None
        except ValidationError as error:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())) from None
        self.stderr.write(f"Created “{issued.credential.name}” for {agency_obj} in {marac_obj}, expiring {issued.credential.expires_at:%d %B %Y}.")
        self.stderr.write("The key below is shown once; only its fingerprint is kept.")
        self.stdout.write(issued.token)
