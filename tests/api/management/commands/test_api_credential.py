"""`openmarac api-credential`: a credential made on the command line, as a coordinator
of the Marac. The key on standard output once (and nothing else there, so a script can
capture it); the messages on standard error; a clear error and exit status 1 for every
refusal, with nothing created."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from openmarac.accounts.models import AgencyKind, Role
from openmarac.api.models import ApiCredential
from openmarac.audit.models import AuditEvent

from ....factories import marac_with_core_agencies, member


@pytest.fixture
def police(marac):
    marac_with_core_agencies(marac)
    return marac.agency_links.get(agency__kind=AgencyKind.POLICE).agency


@pytest.fixture
def coordinator(marac, police):
    return member(marac, Role.COORDINATOR, agency_kind=AgencyKind.IDVA)


def _run(*arguments, **options):
    out, err = StringIO(), StringIO()
    call_command("api_credential", *arguments, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def _arguments(by, agency, **changes):
    values = {"--by": by.email, "--marac": "northshire", "--agency": agency.name, "--name": "Police records system", **changes}
    return [part for option, value in values.items() for part in (option, str(value))]


def test_the_key_alone_goes_to_standard_output_and_works_on_the_api(client, coordinator, police):
    out, err = _run(*_arguments(coordinator, police, **{"--days": 30}))
    key = out.strip()
    assert out == key + "\n" and key.startswith("om_")
    credential = ApiCredential.objects.get()
    assert (credential.name, credential.agency, credential.created_by) == ("Police records system", police, coordinator)
    assert credential.expires_at.date() == timezone.localdate() + timedelta(days=30)
    assert f"Created “Police records system” for {police} in Northshire Marac" in err and "shown once" in err
    assert key not in err
    # The same key the coordinator's page would show once: it opens the API.
    assert client.get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    assert AuditEvent.objects.filter(actor=coordinator, action="created", record_type="api.apicredential").count() == 1


def test_the_expiry_is_ninety_days_unless_told(coordinator, police):
    _run(*_arguments(coordinator, police))
    assert ApiCredential.objects.get().expires_at.date() == timezone.localdate() + timedelta(days=90)


def test_the_email_of_the_coordinator_is_matched_whatever_its_case(coordinator, police):
    out, _ = _run(*_arguments(coordinator, police, **{"--by": coordinator.email.upper()}))
    assert out.startswith("om_")


@pytest.mark.parametrize(
    "changes",
    [{"--by": "nobody@example.org"}, {"--marac": "nowhere"}, {"--agency": "No Such Agency"}],
    ids=["unknown coordinator", "unknown marac", "unknown agency"],
)
def test_an_unknown_coordinator_marac_or_agency_is_one_error(coordinator, police, changes):
    with pytest.raises(CommandError, match="^No such active coordinator, Marac or agency$") as refused:
        _run(*_arguments(coordinator, police, **changes))
    assert refused.value.returncode == 1
    assert not ApiCredential.objects.exists()


def test_a_closed_marac_is_refused(marac, coordinator, police):
    marac.is_active = False
    marac.save()
    with pytest.raises(CommandError, match="No such active coordinator, Marac or agency"):
        _run(*_arguments(coordinator, police))


@pytest.mark.parametrize("role", [Role.CHAIR, Role.REPRESENTATIVE, Role.IDVA, Role.REFERRER, Role.GOVERNANCE])
def test_only_a_coordinator_of_the_marac_may_make_one(marac, police, role):
    someone = member(marac, role, agency_kind=AgencyKind.POLICE)
    with pytest.raises(CommandError, match=f"^{someone.email} is not a coordinator of Northshire Marac$"):
        _run(*_arguments(someone, police))
    assert not ApiCredential.objects.exists()


def test_a_coordinator_of_another_marac_may_not(other_marac, coordinator, police):
    elsewhere = member(other_marac, Role.COORDINATOR, agency_kind=AgencyKind.IDVA)
    with pytest.raises(CommandError, match="is not a coordinator of Northshire Marac"):
        _run(*_arguments(elsewhere, police))


@pytest.mark.parametrize(
    "days, message",
    [
        (0, "^expires_on: The expiry date must be in the future$"),
        (-5, "^expires_on: The expiry date must be in the future$"),
        (367, "^expires_on: A credential can last at most 366 days: choose an earlier date$"),
    ],
)
def test_an_expiry_out_of_range_is_refused_with_the_rule(coordinator, police, days, message):
    with pytest.raises(CommandError, match=message):
        _run(*_arguments(coordinator, police, **{"--days": days}))
    assert not ApiCredential.objects.exists()


def test_an_agency_outside_the_marac_is_refused(other_marac, coordinator):
    marac_with_core_agencies(other_marac)
    theirs = other_marac.agency_links.get(agency__kind=AgencyKind.POLICE).agency
    with pytest.raises(CommandError, match="^agency: Choose an agency taking part in this Marac$"):
        _run(*_arguments(coordinator, theirs))


def test_a_blank_name_is_refused(coordinator, police):
    with pytest.raises(CommandError, match="^name: Enter a name for the credential$"):
        _run(*_arguments(coordinator, police, **{"--name": "  "}))


@pytest.mark.parametrize("missing", ["--by", "--marac", "--agency", "--name"])
def test_every_option_but_days_is_required(coordinator, police, missing):
    arguments = _arguments(coordinator, police)
    at = arguments.index(missing)
    del arguments[at : at + 2]
    with pytest.raises(CommandError, match=f"the following arguments are required: {missing}"):
        _run(*arguments)


def test_days_must_be_a_whole_number(coordinator, police):
    with pytest.raises(CommandError, match="argument --days: invalid int value: 'ninety'"):
        _run(*_arguments(coordinator, police, **{"--days": "ninety"}))
