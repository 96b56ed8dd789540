"""Reads of cases and referrals, each scoped through the access policy. A record the
user may not see is simply not found (the view answers 404)."""

import uuid
from collections import defaultdict
from functools import lru_cache

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, F, OuterRef, Prefetch, Q, Subquery, prefetch_related_objects
from django.utils import timezone

from openmarac.access import policy
from openmarac.accounts.models import Marac, Role
from openmarac.core import compiled
from openmarac.people.models import Person
from openmarac.people.selectors import _DETAILS, with_details

from .models import (
    Case,
    CaseRestriction,
    CaseTransfer,
    ChildrenReferralPrompt,
    IdvaReferral,
    MatchCandidate,
    OtherMaracMatch,
    QualityConcern,
    Referral,
    ReferralPerson,
    SharingDecision,
    SharingReview,
)



def case_for(*, user, public_id):
    """The case, if the user may open it; a merged case leads to the case it joined.
    Read by a query compiled once for each shape of the access filter (core/compiled.py;
    policy.visible_case_shape): building and compiling the filter and the three tables'
    columns cost every page of a case more than running the query."""
    shape = policy.visible_case_shape(user)
    if shape is None:
        return None
    try:
        public_id = public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(str(public_id))
    except ValueError:
        # Not a case's id: the ORM's answer to it, as before.
        case = Case.objects.filter(policy.visible_cases_q(user), public_id=public_id).select_related("marac", "merged_into").first()
    else:
        kinds, values = shape
        rows = compiled.rows(_case_for_query(kinds), public_id=public_id, **values)
        case = _case_from_row(rows[0]) if rows else None
    if case is not None and case.merged_into_id:
        return case_for(user=user, public_id=case.merged_into.public_id)
    return case


@lru_cache(maxsize=None)
def _case_for_query(kinds):
    """`case_for`'s query for one shape of the access filter, with its Marac and the case
    it was merged into (`select_related`'s joins)."""

    def build(public_id, **values):
        return Case.objects.filter(policy.visible_cases_values_q(kinds, **values), public_id=public_id).values(
            *compiled.columns(Case),
            *(f"marac__{name}" for name in compiled.columns(Marac)),
            *(f"merged_into__{name}" for name in compiled.columns(Case)),
        )

    build.__qualname__ = build.__name__ = f"_case_for_query_{'_'.join(kinds)}"
    return build


def _case_from_row(row):
    case = compiled.instance(Case, row)
    case.marac = compiled.instance(Marac, row, "marac__")
    case.merged_into = compiled.instance(Case, row, "merged_into__")
    return case


def _case_parts_query(case_id):
    from openmarac.records.models import Correction

    on_case = {"referral__case_id": OuterRef("pk")}
    named = ReferralPerson.objects.filter(referral__case_id=OuterRef(OuterRef("pk"))).values("person_id")
    return Case.objects.filter(pk=case_id).values(
        concerns=Exists(QualityConcern.objects.filter(**on_case)),
        elsewhere=Exists(OtherMaracMatch.objects.filter(**on_case)),
        candidates=Exists(MatchCandidate.objects.filter(**on_case)),
        restricted=Exists(CaseRestriction.objects.filter(case_id=OuterRef("pk"), lifted_at__isnull=True)),
        transfer_pending=Exists(CaseTransfer.objects.filter(case_id=OuterRef("pk"), status=CaseTransfer.Status.PENDING)),
        # Anyone named on the case, as records.selectors.people_in_case.
        corrected=Exists(Correction.objects.filter(Q(person_id__in=named) | Q(person_id=OuterRef("victim_id")))),
    )


def pending_transfer(*, case):
    """The transfer of the case waiting for the receiving coordinator, if any (the case
    page says so to everyone who may open the case). Only a case the caller has already
    opened for the user is passed here."""
    return CaseTransfer.objects.filter(case=case, status=CaseTransfer.Status.PENDING).select_related("to_marac").first()


def case_parts_read(*, case):
    """`case_parts`' query as (build, values), for `compiled.rows_together`."""
    return _case_parts_query, {"case_id": case.pk}


def case_parts(*, case, rows=None) -> dict:
    """Which of the parts most cases lack the case has (quality concerns, matches in
    other Maracs, possible matches, a restriction in force, corrections to its people's
    details), so that the case page reads them only then: asked by one query compiled
    once (core/compiled.py), for less than building any one of the queries it saves.
    `rows`: those of `case_parts_read`, when the caller ran it with its other reads."""
    if rows is None:
        build, values = case_parts_read(case=case)
        rows = compiled.rows(build, **values)
    return rows[0]


def case_referrals(*, case, with_candidates=True, parts=None, with_assessments=True):
    """The case's episodes, oldest first, with everything the case page shows but their
    people (`with_people`); of the referral each repeats, its date
    (`repeat_of_referred_on`). Each agenda item comes with its meeting in one query, in
    the order they were listed. The possible matches are read only `with_candidates`
    (the case page shows them only to those who decide them). Given the case's
    `case_parts`, the quality concerns, the matches in other Maracs and the possible
    matches are read only if the case has some (their caller then looks at them only
    then). Without `with_assessments`, each referral's checklists are left to the
    caller (the case page reads every checklist of the case anyway)."""
    from openmarac.meetings.models import AgendaItem

    prefetches = [Prefetch("agenda_items", queryset=AgendaItem.objects.select_related("meeting").order_by("pk"))]
    if with_assessments:
        prefetches.append("risk_assessments")
    return _case_referrals(case_id=case.pk).prefetch_related(*prefetches, *_rare_prefetches(parts, with_candidates))


@compiled.joined_as_written
def _case_referrals(*, case_id):
    # `case_referrals` without its prefetches. The case's few referrals by the index on
    # the case, then each related object by its key: the order the SQL writes.
    return (
        Referral.objects.filter(case_id=case_id).exclude(status=Referral.Status.DRAFT)
        .select_related(
            "referring_agency", "idva_referral__idva_agency", "children_prompt", "sharing_decision", "agency_check__agency", "agency_check__checked_by",
        )
        # Of the referral this one repeats, only its date is shown: the whole referral
        # (its many columns) cost more than the rest of the query.
        .annotate(repeat_of_referred_on=F("repeat_of__referred_on"))
        .order_by("referred_on", "submitted_at")
    )


def _rare_prefetches(parts, with_candidates):
    """`case_referrals`' prefetches of what few cases have: quality concerns, matches in
    other Maracs and possible matches, each only if `parts` (`case_parts`) says the
    case has some (all of them without `parts`)."""
    has = parts or {"concerns": True, "elsewhere": True, "candidates": True}
    prefetches = []
    if has["concerns"]:
        prefetches.append("quality_concerns")
    if has["elsewhere"]:
        prefetches.append("other_marac_matches__other_marac")
    if with_candidates and has["candidates"]:
        prefetches.append(
            Prefetch(
                "match_candidates",
                queryset=MatchCandidate.objects.select_related("new_person", "candidate").prefetch_related("candidate__addresses", "candidate__aliases"),
            )
        )
    return prefetches


def _case_agenda_items(*, case_id):
    # Every agenda item of the case's referrals, with its meeting, in the order listed.
    from openmarac.meetings.models import AgendaItem

    return AgendaItem.objects.filter(referral__case_id=case_id).select_related("meeting").order_by("pk")


def case_episodes_reads(*, case):
    """The queries of `case_episodes`, compiled once (core/compiled.py), as (build,
    values) pairs for `compiled.read_together`: the case page sends them with its other
    reads."""
    return [(_case_referrals, {"case_id": case.pk}), (_case_agenda_items, {"case_id": case.pk})]


def case_episodes(*, read, parts, with_candidates):
    """`case_referrals` (without the checklists) for the case page, from what
    `case_episodes_reads` read: the referrals, and {referral id: its agenda items, with
    their meetings, in the order listed}. Building and compiling the ORM's query of the
    referrals and their agenda items cost a fifth of the page's CPU; the rare parts
    (`_rare_prefetches`) are still read by the ORM, when the case has some."""
    referrals, items = read
    prefetch_related_objects(referrals, *_rare_prefetches(parts, with_candidates))
    by_referral = defaultdict(list)
    for item in items:
        by_referral[item.referral_id].append(item)
    return referrals, by_referral


def pending_match_decisions(*, user, marac):
    if not policy.can_decide_matches(user, marac):
        return MatchCandidate.objects.none()
    return MatchCandidate.objects.filter(referral__marac=marac, decision=MatchCandidate.Decision.PENDING).exclude(
        policy.hidden_case_q(user, "referral__case_id")
    )


def _with_meeting_date(referrals):
    """Each referral with the start of the meeting it was listed for (`meeting_at`), so
    the referrer sees the date, and "heard on" only once it has been heard."""
    from openmarac.meetings.models import AgendaItem

    listed_for = AgendaItem.objects.filter(referral=OuterRef("pk"), section=AgendaItem.Section.NEW_AND_REPEAT).order_by("-listed_at")
    return referrals.annotate(meeting_at=Subquery(listed_for.values("meeting__starts_at")[:1]))


def referrals_made_by(*, user):
    return _with_meeting_date(Referral.objects.filter(referrer=user).select_related("marac", "case")).order_by("-updated_at", "-id")


def marac_by_slug(slug):
    from openmarac.accounts.models import Marac

    return Marac.objects.filter(slug=slug).first()


def match_queue(*, user, marac):
    """The cases with possible matches awaiting the coordinator's decision, one row per
    referral with how many candidates and how many of them are likely, newest first."""
    return (
        pending_match_decisions(user=user, marac=marac)
        .values("referral_id", "referral__case__public_id", "referral__case__reference", "referral__referred_on")
        .annotate(candidates=Count("id"), likely=Count("id", filter=Q(label="likely")))
        .order_by("-referral__referred_on", "-referral_id")
    )


def match_queue_known_cases(*, user, marac, page) -> dict:
    """For one page of `match_queue`, {referral id: the cases its possible matches'
    known people are in, as `known_cases` words them}: what the coordinator would join."""
    candidates = list(
        pending_match_decisions(user=user, marac=marac)
        .filter(referral_id__in=[row["referral_id"] for row in page])
        .order_by("-score")
        .values_list("referral_id", "candidate_id")
    )
    known = known_cases(user=user, marac=marac, person_ids={person_id for _, person_id in candidates})
    by_referral = {}
    for referral_id, person_id in candidates:
        texts = by_referral.setdefault(referral_id, [])
        if person_id in known and known[person_id] not in texts:
            texts.append(known[person_id])
    return by_referral


def known_cases(*, user, marac, person_ids) -> dict:
    """{person id: the case that person is in, in words}, for the people possible
    matches name: "in case NORT-2026-0012, heard 3 March 2026", "in case
    NORT-2026-0012, open, listed for 20 December 2026". A restricted case the user may
    not open is only "in a restricted case". The latest case wins when there are several."""
    from openmarac.meetings.services import pending_listings

    rows = (
        ReferralPerson.objects.filter(person_id__in=list(person_ids), referral__marac=marac, referral__case__isnull=False)
        .annotate(hidden=ExpressionWrapper(policy.hidden_case_q(user, "referral__case_id"), output_field=BooleanField()))
        .order_by("person_id", "-referral__submitted_at", "-referral_id")
        .values("person_id", "referral__case_id", "referral__case__reference", "referral__case__last_heard_on", "hidden")
    )
    latest = {}
    for row in rows:
        latest.setdefault(row["person_id"], row)
    listed = pending_listings({row["referral__case_id"] for row in latest.values() if not row["hidden"]})
    return {person_id: _case_in_words(row, listed.get(row["referral__case_id"])) for person_id, row in latest.items()}


def _case_in_words(row, listed_for):
    if row["hidden"]:
        return "in a restricted case"
    parts = [f"in case {row['referral__case__reference']}"]
    heard_on = row["referral__case__last_heard_on"]
    if heard_on:
        parts.append(f"heard {heard_on:%-d %B %Y}")
    if listed_for:
        when = f"{timezone.localtime(listed_for.starts_at):%-d %B %Y}"
        parts.append(f"listed again for {when}" if heard_on else f"open, listed for {when}")
    elif not heard_on:
        parts.append("open, not yet listed")
    return ", ".join(parts)


def referral_for_referrer(*, user, public_id):
    referral = _with_meeting_date(Referral.objects.filter(public_id=public_id, referrer=user).select_related("marac", "case")).first()
    if referral is None or not policy.can_view_own_referral(user, referral):
        return None
    return referral


def draft_for(*, user, public_id):
    referral = Referral.objects.filter(public_id=public_id, status=Referral.Status.DRAFT).select_related("marac").first()
    return referral if referral and policy.can_edit_draft(user, referral) else None


def idva_referrals_for(*, user, marac):
    if not policy.has_role(user, marac, Role.IDVA):
        return IdvaReferral.objects.none()
    return (
        IdvaReferral.objects.filter(policy.visible_idva_referrals_q(user), referral__marac=marac, idva_agency_id=user.agency_id)
        .select_related("referral", "referral__case")
        .order_by("first_contact_due")
    )


def open_idva_referrals(*, user, marac):
    """`idva_referrals_for` less the closed ones: the Idva service's list, the way back
    to an Idva referral once first contact is made and it leaves the home page. The
    primary key last, so that the pages of the list keep one order."""
    return idva_referrals_for(user=user, marac=marac).exclude(status=IdvaReferral.Status.CLOSED).order_by("first_contact_due", "pk")


def idva_referrals_awaiting_contact_read(*, user, marac):
    """`idva_referrals_for` less those with a first contact made, as a read for
    `compiled.read_together` (build, values); None when the user is no Idva of the
    Marac. Compiled once: every Idva's home page asks it. A user with no agency is
    read by the ORM as before (`idva_referrals_for`'s filter on a missing service)."""
    if not policy.has_role(user, marac, Role.IDVA) or user.agency_id is None:
        return None
    values = policy.marac_idva_referrals_read_values(user, marac)
    return (_idva_referrals_awaiting_contact, {**values, "agency_id": user.agency_id}) if values is not None else None


def _idva_referrals_awaiting_contact(*, agency_id, **values):
    return (
        IdvaReferral.objects.filter(policy.marac_idva_referrals_values_q(**values), idva_agency_id=agency_id, first_contact_at__isnull=True)
        .select_related("referral", "referral__case")
        .order_by("first_contact_due")
    )


def idva_referral_for(*, user, pk):
    return IdvaReferral.objects.filter(policy.visible_idva_referrals_q(user), pk=pk).select_related("referral", "referral__marac", "referral__case").first()


def openable_idva_referral_ids(*, user, case):
    """The ids of the case's Idva referrals this user may open (`visible_idva_referrals_q`),
    for the case page to link: the Idva's way back to one once first contact is made
    and it leaves the home page. One query for the whole case; none for a user whose
    roles open no Idva referral (the filter is then empty)."""
    return set(IdvaReferral.objects.filter(policy.visible_idva_referrals_q(user), referral__case=case).values_list("pk", flat=True))


def children_prompts_for(*, user, marac):
    if not policy.has_role(user, marac, Role.REPRESENTATIVE) or not user.agency_id:
        return ChildrenReferralPrompt.objects.none()
    return ChildrenReferralPrompt.objects.filter(
        policy.visible_childrens_prompts_q(user), referral__marac=marac, agency_id=user.agency_id, confirmed_at__isnull=True
    ).select_related(
        "referral__case"
    )


def children_prompts_read(*, user, marac):
    """`children_prompts_for` as a read for `compiled.read_together` (build, values);
    None when the user is no representative with an agency in the Marac."""
    if not policy.has_role(user, marac, Role.REPRESENTATIVE) or not user.agency_id:
        return None
    values = policy.marac_childrens_prompts_read_values(user, marac)
    return (_children_prompts, values) if values is not None else None


def _children_prompts(**values):
    # The policy's arm already holds the prompts to the Marac and the user's agency.
    return ChildrenReferralPrompt.objects.filter(policy.marac_childrens_prompts_values_q(**values), confirmed_at__isnull=True).select_related("referral__case")


def children_prompt_for(*, user, pk):
    return ChildrenReferralPrompt.objects.filter(policy.visible_childrens_prompts_q(user), pk=pk).select_related(
        "referral", "referral__marac", "referral__case"
    ).first()


def sharing_reviews_due(*, user):
    return SharingDecision.objects.filter(
        policy.visible_sharing_decisions_q(user), review_owner=user, reviewed_at__isnull=True, review_on__lte=timezone.localdate()
    ).select_related("referral", "referral__marac")


def sharing_decision_for(*, user, pk):
    return (
        SharingDecision.objects.filter(policy.visible_sharing_decisions_q(user), pk=pk)
        .select_related("referral", "referral__marac", "referral__case", "review_owner")
        .prefetch_related(Prefetch("reviews", queryset=SharingReview.objects.select_related("reviewed_by")), "log")
        .first()
    )


def with_people(referrals):
    """Give each referral its people (`people_list`, in role order), with what
    `present_person` reads of them: four queries, grouped here rather than by Django's
    prefetching, which on a 40-case agenda cost more than the queries themselves."""
    by_referral = defaultdict(list)
    people = list(ReferralPerson.objects.filter(referral_id__in=[referral.pk for referral in referrals]).select_related("person"))
    for rp in people:
        by_referral[rp.referral_id].append(rp)
    with_details([rp.person for rp in people])
    for referral in referrals:
        referral.people_list = by_referral.get(referral.pk, [])
    return referrals


def people_reads(referrals_query, relations=tuple(_DETAILS), **values):
    """`with_people`'s four queries for the referrals whose ids `referrals_query(**values)`
    gives (a subquery, so that the SQL does not vary with how many they are), compiled
    once (core/compiled.py), as (build, values) pairs for `compiled.rows_together`: each
    referral's people with the person, then each of `relations` of `with_details` (all
    three unless the page shows fewer) for those people. Their rows go to
    `with_people_rows`, with the same `relations`. `referrals_query` must be a
    module-level function: it names the compiled queries."""
    return [(_people_query(referrals_query), values)] + [(_details_query(referrals_query, relation), values) for relation in relations]


@lru_cache(maxsize=None)
def _people_query(referrals_query):
    # Each person named on the referrals, with the person, in `with_people`'s order
    # (the model's: role, then id).
    def build(**values):
        return ReferralPerson.objects.filter(referral_id__in=referrals_query(**values)).values(
            *compiled.columns(ReferralPerson), *(f"person__{name}" for name in _read_columns(Person))
        )

    build.__qualname__ = build.__name__ = f"_people_of_{referrals_query.__name__}"
    return build


@lru_cache(maxsize=None)
def _details_query(referrals_query, relation):
    model = Person._meta.get_field(relation).related_model
    # Ordered as `with_details` reads them (the model's order), and then by id: by a
    # list of ids PostgreSQL reads a person's rows from the index on the person, in the
    # order they were added, and this order must not depend on the plan.
    order = (*(model._meta.ordering or ()), "id")

    def build(**values):
        named = ReferralPerson.objects.filter(referral_id__in=referrals_query(**values)).values("person_id")
        return model.objects.filter(person_id__in=named).order_by(*order).values(*_read_columns(model))

    build.__qualname__ = build.__name__ = f"_{relation}_of_{referrals_query.__name__}"
    return build


# What `people_reads` leaves out: when a person or an address was recorded, which no
# page shows from these reads. The driver reads a time with its zone through Django's
# Python loader (some 3.5 µs a value): for a 40-case agenda's 131 people and their
# addresses, half a millisecond of the page's CPU. Left out, they are deferred: reading
# one is a query of its own, which a page's query count would show.
_NOT_READ = frozenset({"created_at", "recorded_at"})


@lru_cache(maxsize=None)
def _read_columns(model):
    return tuple(name for name in compiled.columns(model) if name not in _NOT_READ)


def _shown_case_referrals(case_id):
    # The case's referrals but drafts, which the case page does not show.
    return Referral.objects.filter(case_id=case_id).exclude(status=Referral.Status.DRAFT).values("pk")


def _one_referral(referral_id):
    return Referral.objects.filter(pk=referral_id).values("pk")


def case_people_reads(*, case):
    """`with_case_people`'s four queries, as `people_reads` gives them."""
    return people_reads(_shown_case_referrals, case_id=case.pk)


def referral_people_reads(*, referral, relations=tuple(_DETAILS)):
    """`with_people`'s four queries for one referral (or fewer: `relations`), as
    `people_reads` gives them."""
    return people_reads(_one_referral, relations, referral_id=referral.pk)


def with_case_people(referrals, *, case, rows=None):
    """`with_people` for the case page, read by the case rather than by the referrals'
    ids: its four queries compiled once (core/compiled.py), the instances made from
    their rows, for what building and compiling the ORM's queries cost (about 4 ms of
    the page's CPU). Gives what `with_people` gives (the people in the same order, the
    same details), from the case's referrals but drafts, which the page does not show.
    `rows`: those of `case_people_reads`, when the caller ran them with its other reads."""
    return with_people_rows(referrals, rows if rows is not None else compiled.rows_together(*case_people_reads(case=case)))


def with_people_rows(referrals, rows, relations=tuple(_DETAILS)):
    """`with_people` from the rows of `people_reads`' queries (the people, then their
    `relations`: aliases, addresses and phones unless fewer were read): the instances
    made from the rows, as the ORM would make them."""
    named, *details = rows
    # Each person once (a victim named on two referrals is one instance), made together.
    first_rows = {}
    for row in named:
        first_rows.setdefault(row["person__id"], row)
    people = dict(zip(first_rows, compiled.instances(Person, first_rows.values(), "person__", _read_columns(Person))))
    by_referral = defaultdict(list)
    # Each named person given its person as the ORM caches a related object it reads
    # with `select_related` (the ids already agree), without the checks of assigning one.
    cache_person = ReferralPerson._meta.get_field("person").set_cached_value
    for row, rp in zip(named, compiled.instances(ReferralPerson, named)):
        cache_person(rp, people[row["person__id"]])
        by_referral[rp.referral_id].append(rp)
    for relation, rows in zip(relations, details, strict=True):
        model = Person._meta.get_field(relation).related_model
        grouped = defaultdict(list)
        for made in compiled.instances(model, rows, names=_read_columns(model)):
            grouped[made.person_id].append(made)
        for person in people.values():
            setattr(person, _DETAILS[relation], grouped.get(person.pk, []))
    for referral in referrals:
        referral.people_list = by_referral.get(referral.pk, [])
    return referrals


def people_of(referral, role):
    """The people of a referral given them by `with_people`, in one role."""
    return [rp for rp in referral.people_list if rp.role == role]




def agency_check_for(*, user, pk):
    from .models import AgencyCheck

    return (
        AgencyCheck.objects.filter(policy.visible_agency_checks_q(user), pk=pk)
        .select_related("referral__marac", "referral__case", "referral__referring_agency", "agency", "checked_by")
        .first()
    )


def agency_checks_open_read(*, user, marac):
    """`agency_checks_open` as a read for `compiled.read_together` (build, values), None
    when no role of the user in the Marac opens a check. Compiled once for each of the
    policy's two arms: the coordinator's home page and the representatives' ask it."""
    values = policy.marac_agency_checks_read_values(user, marac)
    return (_agency_checks_open, values) if values is not None else None


def _agency_checks_open(**values):
    # The representative's arm of the policy holds the checks to its own agency's, as
    # `agency_checks_open` does.
    from .models import AgencyCheck

    return (
        AgencyCheck.objects.filter(policy.marac_agency_checks_values_q(**values), checked_at__isnull=True, timed_out_at__isnull=True)
        .select_related("referral__case", "agency")
        .order_by("due_at")
    )


def pending_matches_count_read(*, user, marac, now):
    """How many referrals of the Marac have possible matches awaiting a decision (the
    coordinator's home page), as a read for `compiled.read_together`: one row of n, or
    none; None when the user may not decide matches."""
    if not policy.can_decide_matches(user, marac):
        return None
    return _pending_matches_count, {"marac_id": marac.pk, "user_id": user.pk, "now": now}


def _pending_matches_count(marac_id, user_id, now):
    # As `pending_match_decisions`, counted by referral, grouped by the one Marac.
    pending = MatchCandidate.objects.filter(referral__marac_id=marac_id, decision=MatchCandidate.Decision.PENDING).exclude(
        policy.hidden_case_values_q("referral__case_id", user_id=user_id, now=now)
    )
    return pending.values("referral__marac_id").annotate(n=Count("referral_id", distinct=True)).values("n")


def agency_checks_open(*, user, marac):
    """The checks waiting on the user's agency (representatives), or every open one of
    the Marac (the coordinator), soonest due first."""
    from .models import AgencyCheck

    checks = AgencyCheck.objects.filter(policy.visible_agency_checks_q(user), referral__marac=marac, checked_at__isnull=True, timed_out_at__isnull=True)
    if not policy.has_role(user, marac, Role.COORDINATOR):
        checks = checks.filter(agency_id=user.agency_id)
    return checks.select_related("referral__case", "agency").order_by("due_at")


# --- Case search ------------------------------------------------------------------------


# A word of fewer letters than this matches the start of a name, not any part of it.
NAME_PART_MIN_LENGTH = 3


def name_word_q(word, *, person=""):
    """A filter on Person (or Alias) for one word of a searched name, capitals or not:
    any part of the given or the family name ("smi" finds Smith and Goldsmith), but a
    word of one or two letters only the start of either ("sm" finds Smith, not Osmond).
    Two letters are in a great many names, so "any part" found little that was meant,
    and no index answers it: PostgreSQL's trigram indexes (people 0006) need three
    letters, and read every person of the Marac for fewer. The start of a name is
    answered by the (Marac, name) prefix indexes (people 0007). `person` is the lookup
    from the filtered model to the person ("" for Person or Alias)."""
    lookup = "istartswith" if len(word) < NAME_PART_MIN_LENGTH else "icontains"
    return Q(**{f"{person}given_name__{lookup}": word}) | Q(**{f"{person}family_name__{lookup}": word})


def _people_matching_q(*, maracs, names, date_of_birth):
    """A filter on ReferralPerson for the people of these Maracs whose name, or one of
    whose aliases, holds every word (`name_word_q`: capitals or not, any part of the
    given or family name, the start of one for a word of one or two letters), born on
    the date when one is given. Addresses and phone numbers, sealed or not, are never
    searched."""
    from openmarac.people.models import Alias, Person

    # Through a join rather than a subquery of people: Django resolves a subquery again
    # at every level it is nested in, and the search's levels cost more CPU than the
    # database took to run the query.
    people = Q(person__marac__in=maracs)
    if names:
        words, alias_words = Q(), Q()
        for word in names:
            words &= name_word_q(word, person="person__")
            alias_words &= name_word_q(word)
        # The aliases that match are read first, as ids (few: an alias is recorded for
        # few people), so that the names' test is not ORed with a subquery: PostgreSQL
        # guessed that half of all people passed such a test, and hashed every referral
        # and case of the Marac to join them (47 ms against 11 ms at 20,000 cases).
        # Each alias's Marac is tested on its own (EXISTS), so the aliases are read
        # first: joined to their people, SQLite, with no statistics for an empty alias
        # table, read every person of the Marac to look for their aliases (1.4 ms at
        # 20,000 cases against 0.1).
        in_maracs = Exists(Person.objects.filter(pk=OuterRef("person_id"), marac__in=maracs))
        aliases = list(Alias.objects.filter(alias_words, in_maracs).values_list("person_id", flat=True))
        people &= words | Q(person_id__in=aliases)
    if date_of_birth:
        # The (marac, date_of_birth) index answers this part.
        people &= Q(person__date_of_birth=date_of_birth)
    return people


def case_search(*, user, names=(), reference="", date_of_birth=None):
    """The cases the user may open whose victim or perpetrator matches the names and
    date of birth, or whose reference is `reference` (capitals or not). Restricted cases the
    user may not open are not found at all, not even counted: `visible_cases_q` is the
    outer filter. Each case carries `latest_status` and `listed_for` for its status
    (`case_search_status`), so a page of results is one query whatever its length."""
    from openmarac.meetings.models import AgendaItem

    maracs = policy.case_search_maracs(user)
    if not maracs or not (names or reference or date_of_birth):
        return Case.objects.none()
    match = Q(pk__in=[])
    if names or date_of_birth:
        parties = ReferralPerson.objects.filter(
            _people_matching_q(maracs=maracs, names=names, date_of_birth=date_of_birth),
            role__in=[ReferralPerson.Role.VICTIM, ReferralPerson.Role.PERPETRATOR],
        ).values("referral__case_id")
        # Every referral names its victim as a ReferralPerson (the case's victim among
        # them), so the people are scanned once. A merged case lives on in the case it
        # joined, which is found instead.
        match |= Q(status=Case.Status.OPEN) & Q(pk__in=parties)
    if reference:
        # References are issued in capitals (`services.reference_prefix`), so the
        # capitalised form finds any case typed in, through the unique index, where
        # `iexact` would compare every case's reference. Read first, as the id of the
        # one case it can be: ORed with the names' test as a second test of every case,
        # PostgreSQL guessed that half the cases passed, and hashed every person of the
        # Marac (20 ms against 0.1 for a search of "sm" at 20,000 cases).
        match |= Q(pk__in=list(Case.objects.filter(reference__in={reference, reference.upper()}, marac__in=maracs).values_list("pk", flat=True)))
    latest = Referral.objects.filter(case=OuterRef("pk")).exclude(status=Referral.Status.DRAFT).order_by(
        F("submitted_at").desc(nulls_last=True), "-pk"
    )
    listed = AgendaItem.objects.filter(
        referral__case=OuterRef("pk"), referral__status=Referral.Status.LISTED, section=AgendaItem.Section.NEW_AND_REPEAT
    ).order_by("-listed_at")
    return (
        Case.objects.filter(policy.visible_cases_q(user), match, marac__in=maracs)
        .select_related("victim", "marac")
        .annotate(latest_status=Subquery(latest.values("status")[:1]), listed_for=Subquery(listed.values("meeting__starts_at")[:1]))
        .order_by("victim__family_name", "victim__given_name", "reference")
    )


def case_search_counts(results):
    """{marac id: how many cases found there}, in one query, for the audit."""
    return dict(results.order_by().values_list("marac_id").annotate(found=Count("pk")))


def case_search_status(case, today=None):
    """Where the case stands, in the words of the search results: "Awaiting listing",
    "Listed for the meeting of 3 Mar 2027", "Heard on 3 Feb 2027", or "Closed" once 12
    months have passed since its last hearing (agencies' access has lapsed)."""
    today = today or timezone.localdate()
    if case.status == Case.Status.MERGED:
        return "Merged into another case"
    if case.latest_status == Referral.Status.AWAITING_LISTING:
        return "Awaiting listing"
    if case.latest_status == Referral.Status.LISTED and case.listed_for:
        return f"Listed for the meeting of {timezone.localtime(case.listed_for):%-d %b %Y}"
    if case.last_heard_on:
        if not policy.case_is_active(case, today):
            return f"Closed (last heard on {case.last_heard_on:%-d %b %Y})"
        return f"Heard on {case.last_heard_on:%-d %b %Y}"
    return Referral.Status(case.latest_status).label if case.latest_status else "No referral"
