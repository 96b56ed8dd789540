from django.urls import reverse

from openmarac.accounts.models import AgencyKind, Role
from openmarac.audit.models import AuditEvent

from ..conftest import sign_in


def _member_url(marac, user):
    return reverse("accounts:member", args=[marac.slug, user.memberships.get(marac=marac).pk])


def test_viewing_a_users_record_is_audited_and_coordinators_see_who_viewed_it(client, marac, make_member, system_admin):
    coordinator = make_member(Role.COORDINATOR, agency_kind=AgencyKind.IDVA)
    target = make_member(Role.REFERRER)
    sign_in(client, system_admin)
    client.get(_member_url(marac, target))
    assert AuditEvent.objects.filter(actor=system_admin, action="viewed", record_id=str(target.pk)).exists()
    # The system administrator manages the user but is not shown the access log.
    assert "Who has viewed this record" not in client.get(_member_url(marac, target)).content.decode()

    sign_in(client, coordinator)
    body = client.get(_member_url(marac, target)).content.decode()
    assert "Who has viewed this record" in body
    assert system_admin.email in body


def test_invite_form_keeps_what_was_typed_and_says_what_is_missing(client, marac, make_member):
    sign_in(client, make_member(Role.COORDINATOR, agency_kind=AgencyKind.IDVA))
    response = client.post(reverse("accounts:invite", args=[marac.slug]), {"full_name": "Sam Lee", "email": "not-an-email"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="Sam Lee"' in body and 'value="not-an-email"' in body
    assert "Choose the agency" in body and "Choose the role in this Marac" in body
    assert "Enter a valid email address" in body


def test_reset_authenticator_from_the_member_page(client, marac, make_member):
    sign_in(client, make_member(Role.COORDINATOR, agency_kind=AgencyKind.IDVA))
    target = make_member(Role.REFERRER)
    membership = target.memberships.get(marac=marac)
    url = reverse("accounts:member-action", args=[marac.slug, membership.pk, "reset-authenticator"])
    # Confirmation asks for a reason and changes nothing without one.
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200 and "Enter the reason" in response.content.decode()
    assert target.totpdevice_set.exists()
    response = client.post(url, {"reason": "Lost phone"})
    assert response.status_code == 302
    assert not target.totpdevice_set.exists()
