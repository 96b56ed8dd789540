"""The confidentiality audit, for the Marac's coordinator: views by user and by
agency, one user's records, and the exceptions with their reviews."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from openmarac.core.forms import apply_validation_error
from openmarac.core.pagination import paginate
from openmarac.core.views import not_found

from . import reports, selectors
from . import services as audit
from .forms import PeriodForm, ReviewForm
from .models import ExceptionReview


def _setup(request, slug, what):
    marac = selectors.marac_for_audit(user=request.user, slug=slug)
    if marac is None:
        not_found(request, "audit.report", f"{what} {slug}")
    form = PeriodForm(request.GET or None)
    period = form.period()
    audit.record(action=audit.Action.VIEWED, request=request, record_type="audit.report", record_id=what, marac=marac, summary=f"Confidentiality audit: {what}")
    return marac, form, period


def _context(marac, form, period, page, tab):
    return {"marac": marac, "form": form, "period": period, "page": page, "tab": tab}


@login_required
def views_by_user(request, slug):
    marac, form, period = _setup(request, slug, "by user")
    page = paginate(request, reports.views_by_user(marac=marac, period=period))
    return render(request, "audit/views_by_user.html", _context(marac, form, period, page, "users"))


@login_required
def views_by_agency(request, slug):
    marac, form, period = _setup(request, slug, "by agency")
    page = paginate(request, reports.views_by_agency(marac=marac, period=period))
    return render(request, "audit/views_by_agency.html", _context(marac, form, period, page, "agencies"))


@login_required
def user_records(request, slug, user_id):
    marac, form, period = _setup(request, slug, f"user {user_id}")
    subject = selectors.audited_user(marac=marac, user_id=user_id)
    if subject is None:
        not_found(request, "accounts.user", user_id)
    page = paginate(request, reports.records_viewed_by(marac=marac, period=period, user_id=user_id))
    context = _context(marac, form, period, page, "users")
    context.update(subject=subject, references=reports.case_references(page.object_list))
    return render(request, "audit/user_records.html", context)


@login_required
def exceptions(request, slug):
    marac, form, period = _setup(request, slug, "exceptions")
    unreviewed = request.GET.get("show") == "unreviewed"
    rows = reports.exceptions(marac=marac, period=period, unreviewed_only=unreviewed)
    context = _context(marac, form, period, paginate(request, rows), "exceptions")
    context.update(
        unreviewed=unreviewed,
        threshold=reports.MANY_VIEWS_THRESHOLD,
        starts=reports.WORKING_DAY_STARTS,
        ends=reports.WORKING_DAY_ENDS,
    )
    return render(request, "audit/exceptions.html", context)


def _key(kind, user_id, day, record_id):
    """The exception named by the address: kind, user, day, record."""
    try:
        day = date.fromisoformat(day)
    except ValueError:
        return None
    if kind not in ExceptionReview.Kind.values:
        return None
    return kind, user_id, day, record_id


@login_required
def exception_review(request, slug, kind, user_id, day):
    marac = selectors.marac_for_audit(user=request.user, slug=slug)
    key = _key(kind, user_id, day, request.GET.get("record", ""))
    found = reports.exception_find(marac=marac, kind=key[0], user_id=key[1], day=key[2], record_id=key[3]) if marac and key else None
    if found is None:
        not_found(request, "audit.exceptionreview", slug)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            audit.exception_review(
                by=request.user, marac=marac, kind=found.kind, user_id=found.user_id, day=found.day,
                record_id=found.record_id, note=form.cleaned_data["note"], request=request,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "Exception marked as reviewed.")
            return redirect(reverse("audit:exceptions", args=[marac.slug]) + f"?start={found.day.isoformat()}&end={found.day.isoformat()}")
    audit.record(action=audit.Action.VIEWED, request=request, record_type="audit.report", record_id="exception", marac=marac, summary="Confidentiality audit: exception")
    return render(request, "audit/exception_review.html", {"marac": marac, "exception": found, "form": form})
