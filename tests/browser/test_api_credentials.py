"""Issue 10: the coordinator creates an API credential for an agency's system, sees
its key once (a reload shows it no more and creates nothing), and revokes it after a
confirmation page; the key then no longer opens the API."""

import pytest
from django.test import Client

from openmarac.api.models import ApiCredential
from openmarac.synthetic.accounts import DEMO_PASSWORD, demo_deployment


@pytest.fixture
def demo(transactional_db):
    marac, _ = demo_deployment()
    return marac


def test_the_coordinator_creates_and_revokes_a_credential(page, demo):
    page.sign_in("coordinator@demo.openmarac.invalid", DEMO_PASSWORD)
    page.visit(f"/maracs/{demo.slug}/agencies/")
    page.click_and_check("a:has-text('API credentials')")
    page.click_and_check("a:has-text('Create a credential')")
    page.click_and_check("button:has-text('Create credential')")  # nothing filled in: the errors say what to do
    assert page.locator(".govuk-error-summary").is_visible()
    page.fill("#id_name", "Police records system")
    page.select_option("#id_agency", label="Northshire Police")
    page.click_and_check("button:has-text('Create credential')", screenshot="api-credential-created")
    token = page.locator("[data-testid=api-token]").input_value()
    assert token.startswith("om_")
    assert Client().get("/api/v1/flags/", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    # A reload (the answer came after a redirect) neither resubmits the form nor shows the key.
    page.reload()
    page.axe()
    assert page.locator("[data-testid=api-token-gone]").is_visible()
    assert token not in page.content()
    assert ApiCredential.objects.filter(name="Police records system").count() == 1

    page.click_and_check("a:has-text('Back to API credentials')", screenshot="api-credentials")
    assert page.get_by_role("cell", name="Police records system", exact=True).is_visible()
    assert token not in page.content()  # shown once, never again
    page.click_and_check("a:has-text('Revoke Police records system')", screenshot="api-credential-revoke")
    assert page.locator("text=cannot be undone").is_visible()
    assert ApiCredential.objects.get(name="Police records system").revoked_at is None  # nothing yet
    page.click_and_check("button:has-text('Revoke credential')")
    assert page.locator("text=is revoked").first.is_visible()
    assert ApiCredential.objects.get(name="Police records system").revoked_at is not None
    assert Client().get("/api/v1/flags/", headers={"Authorization": f"Bearer {token}"}).status_code == 401
