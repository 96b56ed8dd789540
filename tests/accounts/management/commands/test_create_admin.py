"""`openmarac create-admin`: the first system administrator and a one-time set-up link."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from openmarac.accounts.models import User
from openmarac.audit.models import AuditEvent


def test_create_admin_prints_a_one_time_set_up_link(db, client):
    out = StringIO()
    call_command("create_admin", "IT.Lead@Council.example", "--name", "Robin Hale", stdout=out)
    admin = User.objects.get(email="it.lead@council.example")
    assert admin.is_system_admin and admin.full_name == "Robin Hale" and not admin.has_usable_password()
    text = out.getvalue()
    assert "Created the system administrator it.lead@council.example" in text and "24 hours" in text
    link = re.search(r"https?://\S+/invitation/\S+", text).group(0)
    path = "/" + link.split("/", 3)[3]
    response = client.post(path, {"new_password1": "granite orchard velvet", "new_password2": "granite orchard velvet"})
    assert response.status_code == 302
    admin.refresh_from_db()
    assert admin.check_password("granite orchard velvet")
    assert client.get(path).status_code == 400  # the link worked once
    assert AuditEvent.objects.filter(record_id=str(admin.pk), summary__startswith="System administrator created").exists()


def test_create_admin_refuses_an_existing_account(db):
    User.objects.create_user(email="a@b.example", full_name="A")
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_admin", "A@b.example", stdout=StringIO())
