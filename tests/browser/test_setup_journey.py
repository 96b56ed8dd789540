"""A new area sets itself up from an empty database, following docs/administration.md:
the first administrator from `openmarac create-admin`, a Marac, its agencies and meeting
pattern, a coordinator invited (the invitation resent after it expired), a housing
representative, then an unlock and an authenticator reset by the coordinator."""

import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from openmarac.accounts.models import Marac, Membership, User

from .conftest import code_from_typed_secret

PASSWORDS = {
    "admin": "granite orchard velvet harbour",
    "coordinator": "thistle compass amber ledger",
    "housing": "willow beacon saffron quarry",
}
AGENCIES = [
    ("Eastmere Police", "police"),
    ("Eastmere Idva Service", "idva"),
    ("Eastmere Homes", "housing"),
    ("Eastmere Children's Services", "childrens_social_care"),
    ("Probation Service (Eastmere)", "probation"),
    ("Eastmere Health Trust", "health"),
]


def _path(link):
    return "/" + link.split("/", 3)[3]


def _last_link(kind="invitation"):
    return _path(re.search(rf"https?://\S+/{kind}/\S+", mail.outbox[-1].body).group(0))


def _choose_password_and_set_up_authenticator(page, email, password, screenshot=None):
    page.fill("#id_new_password1", password)
    page.fill("#id_new_password2", password)
    page.click_and_check("button:has-text('Save password')")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click_and_check("button:has-text('Continue')")
    page.click("text=I cannot scan the QR code")
    page.fill("#id_code", code_from_typed_secret(page.inner_text("[data-testid=mfa-secret]")))
    page.click_and_check("button:has-text('Confirm and sign in')", screenshot=screenshot)
    assert page.locator("[data-testid=recovery-codes] li").count() == 10
    page.click_and_check("text=I have saved them, continue")


@pytest.fixture
def empty_database(transactional_db, mailoutbox):
    assert not User.objects.exists() and not Marac.objects.exists()


def test_a_new_area_sets_itself_up_from_an_empty_database(new_page, empty_database, settings):
    # 1. The first administrator, from the documented command.
    out = StringIO()
    call_command("create_admin", "it.lead@eastmere.example", "--name", "Robin Hale", stdout=out)
    assert "Created the system administrator" in out.getvalue()
    admin = new_page()
    admin.visit(_path(re.search(r"https?://\S+/invitation/\S+", out.getvalue()).group(0)), screenshot="setup-admin-password")
    _choose_password_and_set_up_authenticator(admin, "it.lead@eastmere.example", PASSWORDS["admin"], screenshot="setup-recovery-codes")
    assert admin.locator("h2.govuk-heading-l").first.inner_text() == "System administration"

    # 2. A Marac.
    admin.click_and_check("text=Maracs on this deployment")
    admin.click_and_check("text=Add a Marac")
    admin.fill("#id_name", "Eastmere Marac")
    admin.fill("#id_slug", "Eastmere Marac")
    admin.click_and_check("button:has-text('Add Marac')")
    assert "short name can only contain" in admin.inner_text(".govuk-error-summary")
    assert admin.input_value("#id_name") == "Eastmere Marac"
    admin.fill("#id_slug", "eastmere")
    admin.click_and_check("button:has-text('Add Marac')", screenshot="setup-agencies-empty")
    assert "Eastmere Marac created" in admin.inner_text("main")
    assert "Police" in admin.inner_text(".govuk-inset-text")  # core agencies suggested by kind

    # 3. Six agencies, all core.
    for name, kind in AGENCIES:
        admin.click_and_check("text=Add an agency")
        admin.fill("#id_name", name)
        admin.select_option("#id_kind", kind)
        admin.check("#id_is_core")
        admin.click_and_check("button:has-text('Add agency')")
        assert f"{name} takes part in Eastmere Marac" in admin.inner_text("main")
    assert "(6)" in admin.inner_text("caption")

    # 4. The meeting pattern, in one place.
    admin.click_and_check("nav >> text=Meeting pattern")
    admin.check("text=Fortnightly")
    admin.check("text=Wednesday")
    admin.fill("#id_start_time_hour", "10")
    admin.fill("#id_start_time_minute", "00")
    admin.fill("#id_location", "Eastmere Civic Centre, Room 2")
    admin.axe(screenshot="setup-meeting-pattern")
    admin.click_and_check("button:has-text('Save pattern')")
    assert "Meeting pattern saved" in admin.inner_text("main")
    assert Marac.objects.get(slug="eastmere").schedule.location == "Eastmere Civic Centre, Room 2"

    # 5. Invite the coordinator; the link expires before they use it.
    admin.visit("/maracs/eastmere/users/")
    admin.click_and_check("text=Invite a user")
    admin.fill("#id_full_name", "Sam Okafor")
    admin.fill("#id_email", "sam.okafor@eastmere-idva.example")
    admin.select_option("#id_agency", label="Eastmere Idva Service")
    admin.check("#id_role_0")  # Coordinator
    admin.click_and_check("button:has-text('Send invitation')")
    assert "Invited" in admin.inner_text("table")
    expired_link = _last_link()

    coordinator = new_page()
    settings.PASSWORD_RESET_TIMEOUT = -1  # every link is past its 24 hours
    coordinator.visit(expired_link, screenshot="setup-link-expired")
    assert "ask for a new set-up link" in coordinator.inner_text("main")
    settings.PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

    admin.click_and_check("a:has-text('Sam Okafor')")
    admin.click_and_check("button:has-text('Send the invitation again')")
    assert "Any earlier link no longer works" in admin.inner_text("main")
    fresh_link = _last_link()
    assert fresh_link != expired_link
    coordinator.visit(fresh_link)
    _choose_password_and_set_up_authenticator(coordinator, "sam.okafor@eastmere-idva.example", PASSWORDS["coordinator"])
    assert coordinator.locator("h2.govuk-heading-l").first.inner_text() == "Coordinator, Eastmere Marac"

    # 6. The coordinator invites a housing representative, who sets up their account.
    coordinator.visit("/maracs/eastmere/users/invite/")
    coordinator.fill("#id_full_name", "Priya Shah")
    coordinator.fill("#id_email", "priya.shah@eastmere-homes.example")
    coordinator.select_option("#id_agency", label="Eastmere Homes")
    coordinator.check("text=Agency representative")
    coordinator.click_and_check("button:has-text('Send invitation')")
    housing = new_page()
    housing.visit(_last_link())
    housing.fill("#id_new_password1", "priyashah123")
    housing.fill("#id_new_password2", "priyashah123")
    housing.click_and_check("button:has-text('Save password')")
    assert "must not contain your name" in housing.inner_text(".govuk-error-summary")
    _choose_password_and_set_up_authenticator(housing, "priya.shah@eastmere-homes.example", PASSWORDS["housing"])
    housing.click_and_check("button:has-text('Sign out')")

    # 7. Locked out after too many wrong passwords; the coordinator unlocks.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        housing.visit("/sign-in/")
        housing.fill("#id_username", "priya.shah@eastmere-homes.example")
        housing.fill("#id_password", "not my password at all")
        housing.click("button:has-text('Continue')")
    housing.axe(screenshot="setup-locked-out")
    membership = Membership.objects.get(user__email="priya.shah@eastmere-homes.example")
    coordinator.visit(f"/maracs/eastmere/users/{membership.pk}/")
    assert "Locked out" in coordinator.inner_text("main")
    coordinator.click_and_check("a:has-text('Unlock account')", screenshot="setup-unlock")
    coordinator.click_and_check("button:has-text('Unlock account')")
    assert "Enter the reason" in coordinator.inner_text(".govuk-error-summary")
    coordinator.fill("#id_reason", "Priya phoned from her desk; I know her voice")
    coordinator.click_and_check("button:has-text('Unlock account')")
    assert "can sign in again" in coordinator.inner_text("main")
    assert "unlocked" in mail.outbox[-1].body

    # 8. She has lost her phone: the coordinator resets her authenticator.
    coordinator.click_and_check("a:has-text('Reset authenticator')")
    coordinator.fill("#id_reason", "Phone lost on the bus")
    coordinator.click_and_check("button:has-text('Reset authenticator')")
    assert "will set up a new authenticator app" in coordinator.inner_text("main")
    assert mail.outbox[-1].to == ["priya.shah@eastmere-homes.example"]

    housing.visit("/sign-in/")
    housing.fill("#id_username", "priya.shah@eastmere-homes.example")
    housing.fill("#id_password", PASSWORDS["housing"])
    housing.click_and_check("button:has-text('Continue')")
    assert "Set up your authenticator app" in housing.inner_text("h1")
    housing.click("text=I cannot scan the QR code")
    housing.fill("#id_code", code_from_typed_secret(housing.inner_text("[data-testid=mfa-secret]")))
    housing.click_and_check("button:has-text('Confirm and sign in')")
    housing.click_and_check("text=I have saved them, continue")
    assert housing.locator("h2.govuk-heading-l").first.inner_text() == "Agency representative, Eastmere Marac"

    # The administrator's list shows the Marac has a coordinator but no chair yet.
    admin.visit("/maracs/")
    assert "No active chair" in admin.inner_text("table")
