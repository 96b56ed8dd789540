from django.core import mail

from openmarac.accounts.models import Role
from openmarac.notifications.services import notify


def test_a_notification_is_a_link_sent_after_commit_to_active_users_only(django_capture_on_commit_callbacks, make_member):
    active = make_member(Role.CHAIR)
    inactive = make_member(Role.CHAIR)
    inactive.is_active = False
    inactive.save()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(users=[active, inactive, active], subject="New referral", message="A new referral has been made.", path="/cases/x/")
    assert mail.outbox == []  # nothing leaves before the change is committed
    for callback in callbacks:
        callback()
    (message,) = mail.outbox
    assert message.to == [active.email]
    assert message.subject == "OpenMarac: New referral"
    assert "http://127.0.0.1:8000/cases/x/" in message.body and "no case details" in message.body


def test_nobody_to_tell_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[], subject="x", message="y", path="/")
    assert mail.outbox == []
