"""`openmarac create-admin EMAIL [--name NAME]`: the first system administrator."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from openmarac.accounts import services


class Command(BaseCommand):
    help = "Create a system administrator and print a one-time link to choose a password and set up the authenticator."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="", help="The administrator's full name.")

    def handle(self, *args, email, name, **options):
        try:
            user, link = services.system_admin_create(email=email, full_name=name)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        hours = settings.PASSWORD_RESET_TIMEOUT // 3600
        self.stdout.write(
            f"Created the system administrator {user.email} ({user.full_name}).\n"
            f"Open this link within {hours} hours to choose a password; you then set up an authenticator app at your first sign-in.\n"
            "The link works once. Nothing was emailed.\n\n"
            f"{link}\n"
        )
