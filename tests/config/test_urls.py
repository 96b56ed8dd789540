"""The project's URLs: every app's pages are mounted, and refusals go through the
project's own audited handlers."""

from django.urls import get_resolver, reverse

from openmarac.config import urls


def test_every_app_with_pages_is_mounted():
    namespaces = set(get_resolver().namespace_dict)
    assert {"core", "accounts", "referrals", "meetings", "actions", "governance", "records", "audit"} <= namespaces


def test_refusals_use_the_project_handlers():
    assert urls.handler403 == "openmarac.core.views.permission_denied"
    assert urls.handler404 == "openmarac.core.views.page_not_found"


def test_figures_and_records_pages_live_under_their_marac():
    assert reverse("governance:dashboard", args=["northshire"]) == "/maracs/northshire/figures/"
    assert reverse("records:sar-list", args=["northshire"]) == "/maracs/northshire/subject-access/"
    assert reverse("audit:exceptions", args=["northshire"]) == "/maracs/northshire/confidentiality/exceptions/"
