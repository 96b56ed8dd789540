"""Administration pages: a Marac's users, agencies and settings (its coordinators and
the system administrator), and the list of Maracs (system administrator only)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from openmarac.access import policy
from openmarac.audit import display as audit_display
from openmarac.audit import selectors as audit_selectors
from openmarac.audit import services as audit
from openmarac.core.forms import apply_validation_error
from openmarac.core.pagination import paginate
from openmarac.core.views import not_found

from . import selectors, services
from .forms import AddAgencyForm, AgencyLinkForm, ChangeRoleForm, InviteForm, MaracSettingsForm, ReasonForm
from .models import CORE_AGENCY_KINDS, AgencyKind, Marac

MEMBERS_PER_PAGE = 50


def _managed_marac(request, slug):
    marac = selectors.marac_for_management(user=request.user, slug=slug)
    if marac is None:
        not_found(request, "accounts.marac", slug)
    return marac




@login_required
def members(request, slug):
    marac = _managed_marac(request, slug)
    page = paginate(request, selectors.members_of(user=request.user, marac=marac), per_page=MEMBERS_PER_PAGE)
    return render(request, "accounts/manage/members.html", {"marac": marac, "page": page, "members": page.object_list})


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


def _membership(request, marac, pk):
    membership = selectors.membership_for_management(user=request.user, marac=marac, pk=pk)
    if membership is None:
        not_found(request, "accounts.membership", pk)
    return membership


@login_required
def member(request, slug, pk):
    marac = _managed_marac(request, slug)
    membership = _membership(request, marac, pk)
    form = ChangeRoleForm(request.POST if request.POST.get("action") == "change-role" else None, initial={"role": membership.role})
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "resend-invitation":
            try:
                services.invitation_resend(by=request.user, membership=membership, request=request)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, f"A new invitation has gone to {membership.user.email}. Any earlier link no longer works.")
            return redirect("accounts:member", slug=marac.slug, pk=membership.pk)
        if action == "change-role" and form.is_valid():
            try:
                services.membership_change_role(by=request.user, membership=membership, role=form.cleaned_data["role"], request=request)
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, f"{membership.user} is now {membership.get_role_display()}. They have been told by email.")
                return redirect("accounts:members", slug=marac.slug)
    audit.record(action=audit.Action.VIEWED, request=request, obj=membership.user, marac=marac)
    context = {
        "marac": marac,
        "membership": membership,
        "form": form,
        "locked_out": services.is_locked_out(membership.user),
        "acts_alone": policy.can_act_on_account(request.user, membership.user, marac),
        "other_roles": selectors.roles_elsewhere(user=request.user, marac=marac, account=membership.user),
        "viewers": (viewers := audit_display.viewers_page(request, audit_selectors.viewers_of(user=request.user, marac=marac, obj=membership.user))),
        "viewer_rows": audit_display.viewer_rows(viewers),
    }
    return render(request, "accounts/manage/member.html", context)


# Account actions that ask for confirmation and a written reason. Each: the page
# heading, what will happen, the button, and the service.
MEMBER_ACTIONS = {
    "remove-role": ("Remove this role", "Remove role"),
    "deactivate": ("Deactivate this account", "Deactivate account"),
    "reset-authenticator": ("Reset their authenticator", "Reset authenticator"),
    "unlock": ("Let them sign in again", "Unlock account"),
}


@login_required
def member_action(request, slug, pk, action):
    marac = _managed_marac(request, slug)
    membership = _membership(request, marac, pk)
    # The system administrator can still act on an account whose roles here a
    # coordinator has ended while asking for the account to be deactivated.
    referred_to_admin = policy.is_system_admin(request.user) and action in {"deactivate", "reset-authenticator"} and membership.user.is_active
    if action not in MEMBER_ACTIONS or not (membership.is_active or referred_to_admin):
        not_found(request, "accounts.membership", f"{pk}/{action}")
    user = membership.user
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        try:
            if action == "remove-role":
                services.membership_deactivate(by=request.user, membership=membership, reason=reason, request=request)
                done = f"{user} no longer has the role {membership.get_role_display()}. Their sessions have ended and they have been told by email."
            elif action == "deactivate":
                referred = services.account_deactivate(by=request.user, membership=membership, reason=reason, request=request)
                done = (
                    f"{user}'s roles in {marac} have ended. They also work with another Marac, so the system administrator has been asked to deactivate the account."
                    if referred
                    else f"{user}'s account is deactivated. Their sessions have ended and they have been told by email."
                )
            elif action == "reset-authenticator":
                referred = services.mfa_reset(by=request.user, membership=membership, reason=reason, request=request)
                done = (
                    f"{user} also works with another Marac, so the system administrator has been asked to reset their authenticator."
                    if referred
                    else f"{user} will set up a new authenticator app at their next sign-in. They have been told by email."
                )
            else:
                services.account_unlock(by=request.user, membership=membership, reason=reason, request=request)
                done = f"{user} can sign in again. They have been told by email."
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, done)
            if action in {"remove-role", "deactivate"}:
                return redirect("accounts:members", slug=marac.slug)
            return redirect("accounts:member", slug=marac.slug, pk=membership.pk)
    heading, button = MEMBER_ACTIONS[action]
    context = {
        "marac": marac,
        "membership": membership,
        "form": form,
        "action": action,
        "heading": heading,
        "button": button,
        "acts_alone": policy.can_act_on_account(request.user, user, marac),
        "last_coordinator": services.is_last_coordinator(membership),
    }
    return render(request, "accounts/manage/member_action.html", context)


@login_required
def agencies(request, slug):
    marac = _managed_marac(request, slug)
    links = list(selectors.agency_links_of(user=request.user, marac=marac))
    present = {link.agency.kind for link in links if link.is_active}
    # The core agencies (DOMAIN.md) this Marac has none of yet, suggested by kind.
    missing_core = [label for value, label in AgencyKind.choices if value in CORE_AGENCY_KINDS and value not in present]
    return render(request, "accounts/manage/agencies.html", {"marac": marac, "links": links, "missing_core": missing_core})


@login_required
def agency_add(request, slug):
    marac = _managed_marac(request, slug)
    form = AddAgencyForm(request.POST or None, marac=marac, user=request.user)
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
    link = selectors.agency_links_of(user=request.user, marac=marac).filter(pk=pk).first()
    if link is None:
        not_found(request, "accounts.maracagency", pk)
    form = AgencyLinkForm(
        request.POST or None,
        initial={"is_core": link.is_core, "is_active": link.is_active, "referrals_checked_by_representative": link.referrals_checked_by_representative},
    )
    if request.method == "POST" and form.is_valid():
        services.agency_link_update(by=request.user, link=link, request=request, **form.cleaned_data)
        messages.success(request, f"{link.agency} updated.")
        return redirect("accounts:agencies", slug=marac.slug)
    return render(request, "accounts/manage/agency_edit.html", {"marac": marac, "link": link, "form": form})


@login_required
def marac_settings(request, slug):
    marac = _managed_marac(request, slug)
    # The settings in force, read before the form touches the instance, so a refused
    # change never shows as if it had been saved.
    in_force = selectors.settings_in_force(marac)
    form = MaracSettingsForm(request.POST or None, instance=marac)
    if request.method == "POST" and form.is_valid():
        marac = services.marac_save(by=request.user, marac=form.instance, request=request)
        messages.success(request, "Settings saved.")
        return redirect("accounts:marac-settings", slug=marac.slug)
    return render(request, "accounts/manage/marac_settings.html", {"marac": Marac.objects.get(pk=marac.pk), "form": form, "in_force": in_force})


@login_required
def maracs(request):
    if not policy.can_administer_system(request.user):
        not_found(request, "accounts.marac", "list")
    context = {
        "maracs": selectors.maracs_with_leadership(user=request.user),
        "account_requests": selectors.open_account_requests(user=request.user),
    }
    return render(request, "accounts/manage/maracs.html", context)


@login_required
def marac_create(request):
    if not policy.can_administer_system(request.user):
        not_found(request, "accounts.marac", "new")
    form = MaracSettingsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        marac = services.marac_save(by=request.user, marac=form.instance, request=request)
        messages.success(request, f"{marac} created. Add its agencies, set its meeting pattern and invite its coordinator.")
        return redirect("accounts:agencies", slug=marac.slug)
    return render(request, "accounts/manage/marac_create.html", {"form": form})
