"""Administration pages: a Marac's users, agencies and settings (its coordinators and
the system administrator), and the list of Maracs (system administrator only)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render

from openmarac.access import policy
from openmarac.audit import selectors as audit_selectors
from openmarac.audit import services as audit
from openmarac.core.forms import apply_validation_error
from openmarac.core.views import not_found

from . import selectors, services
from .forms import AddAgencyForm, AgencyLinkForm, ChangeRoleForm, InviteForm, MaracSettingsForm
from .models import Marac, MaracAgency


def _managed_marac(request, slug):
    marac = selectors.marac_for_management(user=request.user, slug=slug)
    if marac is None:
        not_found(request, "accounts.marac", slug)
    return marac




@login_required
def members(request, slug):
    marac = _managed_marac(request, slug)
    return render(request, "accounts/manage/members.html", {"marac": marac, "members": selectors.members_of(user=request.user, marac=marac)})


@login_required
def invite(request, slug):
    marac = _managed_marac(request, slug)
    form = InviteForm(request.POST or None, marac=marac)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.user_invite(by=request.user, marac=marac, request=request, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"{membership.user} now has the role {membership.get_role_display()}. An invitation was sent if they are new.")
            return redirect("accounts:members", slug=marac.slug)
    return render(request, "accounts/manage/invite.html", {"marac": marac, "form": form})


@login_required
def member(request, slug, pk):
    marac = _managed_marac(request, slug)
    membership = selectors.membership_for_management(user=request.user, marac=marac, pk=pk)
    if membership is None:
        raise Http404
    form = ChangeRoleForm(request.POST if request.POST.get("action") == "change-role" else None, initial={"role": membership.role})
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "reset-mfa" and membership.is_active:
            services.mfa_reset(by=request.user, membership=membership, request=request)
            messages.success(request, f"{membership.user} will set up a new authenticator app at their next sign-in.")
            return redirect("accounts:member", slug=marac.slug, pk=membership.pk)
        if action == "deactivate" and membership.is_active:
            services.membership_deactivate(by=request.user, membership=membership, request=request)
            messages.success(request, f"{membership.user} no longer has the role {membership.get_role_display()}. Their sessions have ended.")
            return redirect("accounts:members", slug=marac.slug)
        if action == "change-role" and form.is_valid():
            try:
                services.membership_change_role(by=request.user, membership=membership, role=form.cleaned_data["role"], request=request)
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, f"{membership.user} is now {membership.get_role_display()}.")
                return redirect("accounts:members", slug=marac.slug)
    audit.record(action=audit.Action.VIEWED, request=request, obj=membership.user, marac=marac)
    context = {
        "marac": marac,
        "membership": membership,
        "form": form,
        "viewers": audit_selectors.viewers_of(user=request.user, marac=marac, obj=membership.user),
    }
    return render(request, "accounts/manage/member.html", context)


@login_required
def agencies(request, slug):
    marac = _managed_marac(request, slug)
    links = selectors.agency_links_of(user=request.user, marac=marac)
    return render(request, "accounts/manage/agencies.html", {"marac": marac, "links": links})


@login_required
def agency_add(request, slug):
    marac = _managed_marac(request, slug)
    form = AddAgencyForm(request.POST or None, marac=marac)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            link = services.agency_add_to_marac(
                by=request.user, marac=marac, agency=data["existing"], name=data["name"], kind=data["kind"], is_core=data["is_core"], request=request
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"{link.agency} takes part in {marac}.")
            return redirect("accounts:agencies", slug=marac.slug)
    return render(request, "accounts/manage/agency_add.html", {"marac": marac, "form": form})


@login_required
def agency_edit(request, slug, pk):
    marac = _managed_marac(request, slug)
    link = MaracAgency.objects.filter(marac=marac, pk=pk).select_related("agency").first()
    if link is None:
        raise Http404
    form = AgencyLinkForm(request.POST or None, initial={"is_core": link.is_core, "is_active": link.is_active})
    if request.method == "POST" and form.is_valid():
        services.agency_link_update(by=request.user, link=link, request=request, **form.cleaned_data)
        messages.success(request, f"{link.agency} updated.")
        return redirect("accounts:agencies", slug=marac.slug)
    return render(request, "accounts/manage/agency_edit.html", {"marac": marac, "link": link, "form": form})


@login_required
def marac_settings(request, slug):
    marac = _managed_marac(request, slug)
    form = MaracSettingsForm(request.POST or None, instance=marac)
    if request.method == "POST" and form.is_valid():
        marac = services.marac_save(by=request.user, marac=form.instance, request=request)
        messages.success(request, "Settings saved.")
        return redirect("accounts:marac-settings", slug=marac.slug)
    return render(request, "accounts/manage/marac_settings.html", {"marac": marac, "form": form})


@login_required
def maracs(request):
    if not policy.can_administer_system(request.user):
        not_found(request, "accounts.marac", "list")
    return render(request, "accounts/manage/maracs.html", {"maracs": Marac.objects.all()})


@login_required
def marac_create(request):
    if not policy.can_administer_system(request.user):
        not_found(request, "accounts.marac", "new")
    form = MaracSettingsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        marac = services.marac_save(by=request.user, marac=form.instance, request=request)
        messages.success(request, f"{marac} created. Add its agencies and invite its coordinator.")
        return redirect("accounts:agencies", slug=marac.slug)
    return render(request, "accounts/manage/marac_create.html", {"form": form})
