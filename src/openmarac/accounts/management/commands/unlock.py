"""`openmarac unlock EMAIL`: clear a sign-in lockout when nobody else can."""

from django.core.management.base import BaseCommand
from django.db import transaction

from openmarac.accounts import services

from ._account import account


class Command(BaseCommand):
    help = "Clear the lockout after too many wrong passwords, so the account can sign in again."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--reason", default="Unlocked from the command line")

    def handle(self, *args, email, reason, **options):
        user = account(email)
        with transaction.atomic():
            services.unlock(user=user, by=None, reason=reason)
        self.stdout.write(f"Unlocked {user.email}. They can sign in again; they have been emailed.")
