"""`openmarac reset-authenticator EMAIL`: for the last administrator, who has nobody
to ask. Anyone else's authenticator is reset by their coordinator in the browser."""

from django.core.management.base import BaseCommand
from django.db import transaction

from openmarac.accounts import services

from ._account import account


class Command(BaseCommand):
    help = "Remove an account's authenticator and recovery codes; they set up new ones at their next sign-in."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--reason", default="Reset from the command line")

    def handle(self, *args, email, reason, **options):
        user = account(email)
        with transaction.atomic():
            services.authenticator_reset(user=user, by=None, reason=reason)
        self.stdout.write(f"Reset the authenticator of {user.email}. They set up a new one at their next sign-in; they have been emailed.")
