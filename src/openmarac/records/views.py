"""Subject access requests and corrections to a person's details: the coordinator's
pages. Reads through records.selectors, writes through records.services; every refusal
is the audited not-found."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from openmarac.access import policy
from openmarac.accounts import selectors as account_selectors
from openmarac.audit import services as audit
from openmarac.core.forms import apply_validation_error
from openmarac.core.pagination import paginate
from openmarac.core.views import not_found
from openmarac.referrals import selectors as referral_selectors

from . import bundle as bundles
from . import selectors, services
from .forms import CompleteForm, CorrectionForm, SubjectAccessForm


@login_required
def sar_list(request, slug):
    marac = account_selectors.marac_for(user=request.user, slug=slug, allowed=policy.can_handle_subject_access)
    if marac is None:
        not_found(request, "records.subjectaccessrequest", f"list {slug}")
    page = paginate(request, selectors.sars_for(user=request.user, marac=marac))
    audit.record(action=audit.Action.VIEWED, request=request, record_type="records.subjectaccessrequest", marac=marac, summary="Subject access requests")
    return render(request, "records/sar_list.html", {"marac": marac, "page": page, "today": timezone.localdate()})


@login_required
def sar_add(request, slug):
    marac = account_selectors.marac_for(user=request.user, slug=slug, allowed=policy.can_handle_subject_access)
    if marac is None:
        not_found(request, "records.subjectaccessrequest", f"new {slug}")
    person_pk = request.POST.get("person") or request.GET.get("person")
    person = selectors.person_for_request(user=request.user, marac=marac, pk=person_pk)
    if person_pk and person is None:
        not_found(request, "people.person", person_pk)
    form = SubjectAccessForm(request.POST or None, person=person)
    if request.method == "POST" and form.is_valid():
        try:
            sar = services.sar_record(
                by=request.user,
                marac=marac,
                person=person,
                requester_name=form.cleaned_data.get("requester_name", ""),
                received_on=form.cleaned_data["received_on"],
                note=form.cleaned_data["note"],
                request=request,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"Subject access request recorded. The response is due by {sar.due_on:%-d %B %Y}.")
            return redirect("records:sar", sar.pk)
    return render(request, "records/sar_add.html", {"marac": marac, "form": form, "person": person})


def _sar(request, pk):
    sar = selectors.sar_for(user=request.user, pk=pk)
    if sar is None:
        not_found(request, "records.subjectaccessrequest", pk)
    return sar


def _detail(request, sar, *, complete_form=None, status=200):
    query = request.GET.get("q", "")
    context = {
        "sar": sar,
        "query": query,
        "found": selectors.marac_people_choices(user=request.user, marac=sar.marac, query=query) if query else None,
        "complete_form": complete_form or CompleteForm(initial={"completed_on": timezone.localdate()}),
        "today": timezone.localdate(),
        "moved_away": bundles.records_moved_away(by=request.user, sar=sar),
    }
    return render(request, "records/sar.html", context, status=status)


@login_required
def sar_detail(request, pk):
    sar = _sar(request, pk)
    audit.record(action=audit.Action.VIEWED, request=request, obj=sar, marac=sar.marac)
    return _detail(request, sar)


@login_required
@require_POST
def sar_link(request, pk):
    sar = _sar(request, pk)
    person = selectors.person_for_request(user=request.user, marac=sar.marac, pk=request.POST.get("person"))
    if person is None:
        not_found(request, "people.person", request.POST.get("person", ""))
    services.sar_link_person(by=request.user, sar=sar, person=person, request=request)
    messages.success(request, "The request is linked to the person's record. You can now produce the bundle.")
    return redirect("records:sar", sar.pk)


@login_required
@require_POST
def sar_complete(request, pk):
    sar = _sar(request, pk)
    form = CompleteForm(request.POST)
    if form.is_valid():
        try:
            services.sar_complete(by=request.user, sar=sar, completed_on=form.cleaned_data["completed_on"], request=request)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "The request is marked as done.")
            return redirect("records:sar", sar.pk)
    return _detail(request, sar, complete_form=form, status=400)


def _bundle(request, pk):
    sar = _sar(request, pk)
    if sar.person_id is None:
        not_found(request, "records.subjectaccessrequest", f"{pk} bundle")
    return sar, bundles.subject_access_bundle(by=request.user, sar=sar, request=request)


@login_required
def sar_bundle_json(request, pk):
    sar, bundle = _bundle(request, pk)
    response = HttpResponse(json.dumps(bundle, indent=2, ensure_ascii=False), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="subject-access-{sar.pk}.json"'
    return response


@login_required
def sar_bundle_pdf(request, pk):
    sar, bundle = _bundle(request, pk)
    response = HttpResponse(bundles.bundle_pdf(bundle=bundle, viewer=request.user), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="subject-access-{sar.pk}.pdf"'
    return response


@login_required
def person_correct(request, public_id, pk):
    case = referral_selectors.case_for(user=request.user, public_id=public_id)
    person = selectors.person_in_case_for(user=request.user, case=case, pk=pk) if case is not None else None
    if person is None:
        not_found(request, "people.person", pk)
    initial = {name: getattr(person, name) for name in services.CORRECTABLE_FIELDS}
    form = CorrectionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in services.CORRECTABLE_FIELDS}
        try:
            corrections = services.person_correct(by=request.user, person=person, changes=changes, reason=form.cleaned_data["reason"], request=request)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"Details corrected ({len(corrections)} change{'s' if len(corrections) > 1 else ''}). The correction is in the case history.")
            return redirect("referrals:case", case.public_id)
    audit.record(action=audit.Action.VIEWED, request=request, obj=person, marac=case.marac, summary="Correction form")
    return render(request, "records/person_correct.html", {"case": case, "person": person, "form": form})
