import re

import pytest
from django.core import mail

from openmarac.accounts.models import Membership
from openmarac.synthetic.accounts import DEMO_PASSWORD, demo_deployment

from .conftest import code_from_typed_secret


@pytest.fixture
def demo(transactional_db):
    return demo_deployment()


def _demo_accounts():
    from openmarac.synthetic.accounts import DEMO_ACCOUNTS, DEMO_EMAIL_DOMAIN

    emails = [f"{local}@{DEMO_EMAIL_DOMAIN}" for _, _, local in DEMO_ACCOUNTS]
    return emails + [f"sysadmin@{DEMO_EMAIL_DOMAIN}"]


@pytest.mark.parametrize("email", _demo_accounts())
def test_each_demo_role_signs_in_with_mfa_and_lands_on_its_home_page(page, demo, email):
    marac, accounts = demo
    account = next(a for a in accounts if a.email == email)
    local = email.split("@")[0]
    page.sign_in(email, DEMO_PASSWORD, screenshot_prefix="sign-in" if local == "coordinator" else None)
    page.axe(screenshot=f"home-{local}")
    heading = page.locator("h2.govuk-heading-l").first.inner_text()
    if local == "sysadmin":
        assert heading == "System administration"
    else:
        assert heading == f"{account.role}, {marac.name}"


def test_coordinator_invites_a_user_who_enrols_mfa_and_signs_in(new_page, demo, mailoutbox):
    coordinator = new_page()
    coordinator.sign_in("coordinator@demo.openmarac.invalid", DEMO_PASSWORD)
    coordinator.click_and_check("text=Manage Northshire Marac", screenshot="users")
    coordinator.click_and_check("text=Invite a user")
    # A first try with a mistake keeps what was typed.
    coordinator.fill("#id_full_name", "Priya Shah")
    coordinator.fill("#id_email", "priya.shah@probation.example")
    coordinator.click_and_check("button:has-text('Send invitation')")
    assert coordinator.locator(".govuk-error-summary").is_visible()
    assert coordinator.input_value("#id_email") == "priya.shah@probation.example"
    coordinator.select_option("#id_agency", label="Probation Service (Northshire)")
    coordinator.check("text=Agency representative")
    coordinator.axe(screenshot="invite")
    coordinator.click_and_check("button:has-text('Send invitation')")
    assert "Priya Shah now has the role Agency representative" in coordinator.inner_text("main")

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/invitation/\S+", mail.outbox[0].body).group(0)
    invitee = new_page()
    invitee.visit("/" + link.split("/", 3)[3], screenshot="choose-password")
    new_password = "river lantern copper meadow"
    invitee.fill("#id_new_password1", new_password)
    invitee.fill("#id_new_password2", new_password)
    invitee.click_and_check("button:has-text('Save password')")
    invitee.fill("#id_username", "priya.shah@probation.example")
    invitee.fill("#id_password", new_password)
    invitee.click_and_check("button:has-text('Continue')", screenshot="set-up-authenticator")
    assert invitee.locator("img.om-qr").is_visible()
    invitee.click("text=I cannot scan the QR code")
    secret = invitee.inner_text("[data-testid=mfa-secret]")
    invitee.fill("#id_code", code_from_typed_secret(secret))
    invitee.click_and_check("button:has-text('Confirm and sign in')", screenshot="recovery-codes")
    assert "Your authenticator app is set up" in invitee.inner_text("main")
    assert invitee.locator("[data-testid=recovery-codes] li").count() == 10
    invitee.click_and_check("text=I have saved them, continue")
    assert invitee.locator("h2.govuk-heading-l").first.inner_text() == "Agency representative, Northshire Marac"


def test_a_deactivated_users_open_session_stops_working(new_page, demo):
    housing = new_page()
    housing.sign_in("housing@demo.openmarac.invalid", DEMO_PASSWORD)
    assert "Agency representative" in housing.inner_text("main")

    coordinator = new_page()
    coordinator.sign_in("coordinator@demo.openmarac.invalid", DEMO_PASSWORD)
    coordinator.visit("/maracs/northshire/users/")
    membership = Membership.objects.get(user__email="housing@demo.openmarac.invalid")
    coordinator.click_and_check(f"a[href='/maracs/northshire/users/{membership.pk}/']", screenshot="user")
    coordinator.click_and_check("a:has-text('Deactivate account')", screenshot="deactivate-confirm")
    coordinator.fill("#id_reason", "Left the housing service")
    coordinator.click_and_check("button:has-text('Deactivate account')")
    assert "Their sessions have ended" in coordinator.inner_text("main")

    housing.reload()
    housing.axe()
    assert housing.url.endswith("/sign-in/?next=/")


def test_coordinator_manages_agencies_and_settings(new_page, demo):
    coordinator = new_page()
    coordinator.sign_in("coordinator@demo.openmarac.invalid", DEMO_PASSWORD)
    coordinator.visit("/maracs/northshire/agencies/", screenshot="agencies")
    coordinator.click_and_check("text=Add an agency")
    coordinator.click_and_check("button:has-text('Add agency')")
    assert "Choose an existing agency or enter the name of a new one" in coordinator.inner_text(".govuk-error-summary")
    coordinator.fill("#id_name", "Northshire Fire and Rescue")
    coordinator.select_option("#id_kind", "fire")
    coordinator.click_and_check("button:has-text('Add agency')")
    assert "Northshire Fire and Rescue takes part in Northshire Marac" in coordinator.inner_text("main")

    coordinator.visit("/maracs/northshire/settings/", screenshot="settings")
    coordinator.fill("#id_visible_high_risk_threshold", "-1")
    coordinator.click_and_check("button:has-text('Save settings')")
    assert coordinator.locator(".govuk-error-summary").is_visible()
    coordinator.fill("#id_visible_high_risk_threshold", "13")
    coordinator.click_and_check("button:has-text('Save settings')")
    assert coordinator.input_value("#id_visible_high_risk_threshold") == "13"


def test_system_administrator_adds_a_marac(new_page, demo):
    admin = new_page()
    admin.sign_in("sysadmin@demo.openmarac.invalid", DEMO_PASSWORD)
    admin.click_and_check("text=All Maracs")
    admin.click_and_check("text=Add a Marac")
    admin.fill("#id_name", "Southvale Marac")
    admin.fill("#id_slug", "southvale")
    admin.click_and_check("button:has-text('Add Marac')")
    assert "Southvale Marac created" in admin.inner_text("main")


def test_not_found_page_is_accessible(page, demo):
    page.sign_in("chair@demo.openmarac.invalid", DEMO_PASSWORD)
    response = page.goto("/maracs/northshire/users/")
    assert response.status == 404
    page.axe(screenshot="not-found")
