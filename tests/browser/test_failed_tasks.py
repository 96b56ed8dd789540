"""The system administrator sees the background tasks that kept failing."""

import pytest
from django.utils import timezone

from openmarac.background.models import TaskFailure
from openmarac.synthetic.accounts import DEMO_PASSWORD, demo_deployment


@pytest.fixture
def failed_email(transactional_db):
    demo_deployment()
    now = timezone.now()
    return TaskFailure.objects.create(
        task_path="openmarac.notifications.tasks.send_email", error="smtplib.SMTPServerDisconnected",
        attempts=5, last_failed_at=now, given_up_at=now,
    )


def test_system_administrator_finds_a_task_that_kept_failing(page, failed_email):
    page.sign_in("sysadmin@demo.openmarac.invalid", DEMO_PASSWORD)
    assert "1 failed" in page.inner_text("main")
    page.click_and_check("text=Background tasks that failed", screenshot="failed-background-tasks")
    table = page.inner_text("table")
    assert "openmarac.notifications.tasks.send_email" in table and "SMTPServerDisconnected" in table
