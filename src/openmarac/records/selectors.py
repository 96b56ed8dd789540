"""Reads for subject access and rectification, each taking the acting user and
answering None (the caller's 404) when the access policy says no."""

from django.db.models import F

from openmarac.access import policy
from openmarac.people.models import Person
from openmarac.referrals.models import Case, ReferralPerson

from .models import Correction, SubjectAccessRequest


def sars_for(*, user, marac):
    if not policy.can_handle_subject_access(user, marac):
        return None
    # Open requests first on every database (SQLite and PostgreSQL sort NULLs apart).
    return (
        SubjectAccessRequest.objects.filter(marac=marac)
        .select_related("person")
        .order_by(F("completed_on").desc(nulls_first=True), "due_on", "pk")
    )


def open_sars_read(*, marac):
    """For the coordinator's home panel: requests not yet done, soonest due first, as a
    read for `compiled.read_together` (build, values)."""
    return _open_sars, {"marac_id": marac.pk}


def _open_sars(marac_id):
    return SubjectAccessRequest.objects.filter(marac_id=marac_id, completed_on__isnull=True).order_by("due_on", "pk")


def sar_for(*, user, pk):
    sar = SubjectAccessRequest.objects.filter(pk=pk).select_related("marac", "person", "completed_by", "created_by").first()
    if sar is None or not policy.can_handle_subject_access(user, sar.marac):
        return None
    return sar


def people_in_case(*, case):
    """Everyone named on the case's referrals, for the correction links and history. The
    people named are a subquery, so that the corrections of the case page read them in
    their own query rather than in one more. One list of ids (a union, not "named or
    the victim"): PostgreSQL read every person of the database to test the "or" (3 ms
    on a case page at 20,000 referrals); each part of the union is read by its index.
    Without their models' order, which a part of a union may not have."""
    named = ReferralPerson.objects.filter(referral__case=case).order_by().values("person_id")
    victim = Case.objects.filter(pk=case.pk).order_by().values("victim_id")
    return Person.objects.filter(pk__in=named.union(victim, all=True))


def correctable_people_read(*, case):
    """`people_in_case` in id order (the case page's correction links), by a query
    compiled once (core/compiled.py), as a (build, values) pair for
    `compiled.read_together`: the page sends it with its other reads."""
    return _people_in_case_by_id, {"case_id": case.pk}


def _people_in_case_by_id(*, case_id):
    # `people_in_case`, from the case's id alone.
    named = ReferralPerson.objects.filter(referral__case_id=case_id).order_by().values("person_id")
    victim = Case.objects.filter(pk=case_id).order_by().values("victim_id")
    return Person.objects.filter(pk__in=named.union(victim, all=True)).order_by("pk")


def person_in_case_for(*, user, case, pk):
    """A person on the case, if the user may correct people's details in its Marac.
    `case` comes from referrals.selectors.case_for, which has already checked access."""
    if not policy.can_correct_person(user, case.marac):
        return None
    return people_in_case(case=case).filter(pk=pk).first()


def corrections_for_case(*, user, case, people=None):
    """The corrections to the details of anyone on the case, newest first, for the
    case history. Any user who may open the case sees that details were corrected and
    why; the values are those the case page already shows them. `people`: the case's
    `people_in_case`, when the caller has already read them."""
    return (
        Correction.objects.filter(person__in=people if people is not None else people_in_case(case=case))
        .select_related("person", "corrected_by")
        .order_by("-corrected_at", "-pk")
    )


def marac_people_choices(*, user, marac, query):
    """People of the Marac whose names contain every word of `query`, for linking a
    request to a record. Anonymised people have nothing left to give."""
    from django.db.models import Q

    from openmarac.records.retention import ANONYMISED_NAME

    words = query.split()
    if not policy.can_handle_subject_access(user, marac) or not words or len(query.strip()) < 2:
        return Person.objects.none()
    from openmarac.referrals.restriction import people_of_hidden_cases

    # People of a restricted case the coordinator is not named on are not found here.
    people = Person.objects.filter(marac=marac).exclude(given_name=ANONYMISED_NAME, family_name="").exclude(
        pk__in=people_of_hidden_cases(user=user, marac=marac)
    )
    for word in words[:5]:
        people = people.filter(Q(given_name__icontains=word) | Q(family_name__icontains=word))
    return people.order_by("family_name", "given_name", "pk")[:20]


def person_for_request(*, user, marac, pk):
    """A person of the Marac, to record a request about them."""
    if not pk or not str(pk).isdigit() or not policy.can_handle_subject_access(user, marac):
        return None
    from openmarac.referrals.restriction import people_of_hidden_cases

    return Person.objects.filter(marac=marac, pk=pk).exclude(pk__in=people_of_hidden_cases(user=user, marac=marac)).first()
