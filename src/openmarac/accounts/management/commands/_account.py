"""Shared by the recovery commands for the last administrator."""

from django.core.management.base import CommandError

from openmarac.accounts.models import User


def account(email):
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise CommandError(f"There is no account for {email}.")
    return user
