"""A new risk checklist after a new incident, by the Idva, a referrer of the case or
the coordinator."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from openmarac.audit import services as audit
from openmarac.core.forms import apply_validation_error
from openmarac.core.views import not_found
from openmarac.referrals import selectors as referral_selectors

from . import selectors, services
from .forms import IncidentForm, checklist_form


@login_required
def reassess(request, public_id):
    case = selectors.case_for_reassessment(user=request.user, public_id=public_id)
    if case is None:
        not_found(request, "referrals.case", f"{public_id} risk")
    definition = services.definition_for(marac=case.marac, user=request.user)
    incident_form = IncidentForm(request.POST or None)
    checklist = checklist_form(request.POST or None, definition=definition, abuser_name=selectors.perpetrator_names(user=request.user, case=case))
    if request.method == "POST" and incident_form.is_valid() and checklist.is_valid():
        try:
            services.risk_reassess(by=request.user, case=case, answers=checklist.answers(), request=request, **incident_form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(incident_form, error)
        else:
            messages.success(request, "New risk checklist recorded. The earlier ones are kept, and the coordinator has been told.")
            if referral_selectors.case_for(user=request.user, public_id=case.public_id) is not None:
                return redirect(reverse("referrals:case", args=[case.public_id]) + "#risk-over-time")
            return redirect("referrals:mine")
    audit.record(action=audit.Action.VIEWED, request=request, obj=case, marac=case.marac, summary="New risk checklist form")
    # The score of the answers ticked (those typed when the form comes back with a
    # problem); the page's script keeps it up to date as answers are ticked.
    ticked = sum(checklist[names["answer"]].value() == definition.scored_answer for _, names in checklist.groups) if checklist.is_bound else 0
    score = {"score": ticked, "elsewhere": 0, "scored_answer": definition.scored_answer, "threshold": case.marac.visible_high_risk_threshold}
    context = {"case": case, "definition": definition, "incident_form": incident_form, "form": checklist, "score_so_far": score}
    return render(request, "risk/reassess.html", context)
