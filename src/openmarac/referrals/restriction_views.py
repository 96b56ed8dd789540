"""Pages for restricted cases and break-glass access: the coordinator's restriction page,
the break-glass request, and the coordinator's review of a break-glass use."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone

from openmarac.access import policy
from openmarac.audit import services as audit
from openmarac.core.forms import apply_validation_error
from openmarac.core.views import not_found

from . import forms as f
from . import restriction, selectors


@login_required
def case_restriction(request, public_id):
    case = selectors.case_for(user=request.user, public_id=public_id)
    if case is None or str(case.public_id) != str(public_id) or not policy.can_manage_restriction(request.user, case):
        not_found(request, "referrals.case", public_id)
    current = restriction.restriction_for(user=request.user, case=case)
    # The coordinator restricting is always named (restriction._named): not offered.
    users = restriction.nameable_users(marac=case.marac).exclude(pk=request.user.pk)
    initial = {"reason": current.reason, "named_users": list(current.named_users.all())} if current else {}
    action = request.POST.get("action", "restrict")
    form = f.RestrictionForm(request.POST if request.method == "POST" and action == "restrict" else None, users=users, initial=initial)
    if request.method == "POST":
        try:
            if action == "lift":
                restriction.case_restriction_lift(by=request.user, case=case, request=request)
                messages.success(request, "Restriction lifted. The case shows to everyone whose role allows it.")
                return redirect("referrals:case", case.public_id)
            if form.is_valid():
                restriction.case_restrict(by=request.user, case=case, request=request, **form.cleaned_data)
                messages.success(request, "Case restricted to the named people." if not current else "Named people changed.")
                return redirect("referrals:case", case.public_id)
        except ValidationError as error:
            apply_validation_error(form, error)
    audit.record(action=audit.Action.VIEWED, request=request, obj=case, marac=case.marac, summary="Restriction")
    return render(request, "referrals/restriction.html", {"case": case, "form": form, "current": current})


@login_required
def break_glass(request, public_id):
    case = restriction.restricted_case_for_break_glass(user=request.user, public_id=public_id)
    if case is None:
        # Someone who may open the case already has no need of break-glass.
        if selectors.case_for(user=request.user, public_id=public_id) is not None:
            return redirect("referrals:case", public_id)
        not_found(request, "referrals.case", public_id)
    form = f.BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            grant = restriction.break_glass(by=request.user, case=case, request=request, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"Break-glass access given until {timezone.localtime(grant.expires_at):%H:%M}. The coordinators have been told.")
            return redirect("referrals:case", case.public_id)
    # The password is never sent back to the browser, right or wrong.
    if form.is_bound:
        form.data = form.data.copy()
        form.data["password"] = ""
        form.data["code"] = ""
    return render(request, "referrals/break_glass.html", {"case": case, "form": form, "minutes": settings.OPENMARAC_BREAK_GLASS_MINUTES})


@login_required
def break_glass_review(request, pk):
    grant = restriction.grant_for_review(user=request.user, pk=pk)
    if grant is None:
        not_found(request, "referrals.breakglassgrant", pk)
    can_review = grant.reviewed_at is None and grant.user_id != request.user.pk
    if request.method == "POST" and not can_review:
        not_found(request, "referrals.breakglassgrant", pk)
    form = f.BreakGlassReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            restriction.break_glass_review(by=request.user, grant=grant, note=form.cleaned_data["note"], request=request)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "Break-glass use marked as reviewed.")
            return redirect("core:home")
    audit.record(action=audit.Action.VIEWED, request=request, obj=grant, marac=grant.case.marac, summary="Break-glass use")
    return render(request, "referrals/break_glass_review.html", {"grant": grant, "form": form, "can_review": can_review})
