"""`openmarac unlock` and `openmarac reset-authenticator`: recovery for the last
administrator, who has nobody to ask in the browser."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command


def test_the_last_administrator_recovers_with_commands(db, system_admin, django_capture_on_commit_callbacks):
    from axes.models import AccessAttempt

    AccessAttempt.objects.create(
        username=system_admin.email, ip_address="10.0.0.1", user_agent="", failures_since_start=9, get_data="", post_data="",
        http_accept="", path_info="/", attempt_time=system_admin.date_joined,
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("unlock", system_admin.email.upper(), stdout=StringIO())
        call_command("reset_authenticator", system_admin.email, stdout=StringIO())
    assert not AccessAttempt.objects.filter(username=system_admin.email).exists()
    assert not system_admin.totpdevice_set.exists()
    assert {m.to[0] for m in mail.outbox} == {system_admin.email}
    with pytest.raises(CommandError, match="no account"):
        call_command("unlock", "nobody@x.example", stdout=StringIO())
