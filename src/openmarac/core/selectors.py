"""What each role's home page shows: what needs the user's attention in each Marac."""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from openmarac.access import policy
from openmarac.accounts import selectors as account_selectors
from openmarac.accounts.models import Membership, Role, User
from openmarac.actions import selectors as action_selectors
from openmarac.core import compiled
from openmarac.core.display import day_text
from openmarac.meetings import selectors as meeting_selectors
from openmarac.meetings import services as meeting_services
from openmarac.meetings.models import ResearchDelegation
from openmarac.records import selectors as record_selectors
from openmarac.referrals import restriction
from openmarac.referrals import selectors as referral_selectors
from openmarac.referrals.models import CaseTransfer, Referral, SharingDecision


@dataclass
class Attention:
    text: str
    url: str = ""
    urgent: bool = False


@dataclass
class RolePanel:
    marac: object
    role: str
    role_label: str
    attention: list = field(default_factory=list)
    links: list = field(default_factory=list)


def home_panels(*, user):
    """One panel per role the user holds, in Marac order; each step of the process
    adds what needs this role's attention."""
    panels = []
    for membership in sorted(policy.active_memberships(user), key=lambda m: (m.marac.name, m.role)):
        marac = membership.marac
        panel = RolePanel(marac=marac, role=membership.role, role_label=membership.get_role_display())
        builder = _PANEL_BUILDERS.get(membership.role)
        if builder:
            builder(user, marac, panel)
        if policy.can_refer(user, marac):
            panel.links.append(("Make a referral", reverse("referrals:start")))
        panels.append(panel)
    return panels


def personal_attention(*, user):
    """Items that follow the person rather than a role: reviews they own, drafts,
    cases offered to their Marac."""
    from openmarac.referrals.transfer import transfers_awaiting

    # Most people have none of these most days: one query says which kinds may have
    # items, and only those are read in full (through their selectors and the policy).
    pending = _personal_pending(user)
    items = []
    if pending["transfers"]:
        items += [
            Attention(f"{t.from_marac.name} asks to transfer a case to {t.to_marac.name}", reverse("referrals:transfer", args=[t.pk]))
            for t in transfers_awaiting(user=user)
        ]
    for delegation in meeting_selectors.live_delegations(user=user) if pending["delegations"] else []:
        items.append(
            Attention(
                f"{delegation.delegated_by.full_name} asks you to complete research on case {delegation.referral.case.reference} "
                f"by {timezone.localtime(delegation.meeting.research_deadline):%-d %B %H:%M}",
                reverse("meetings:delegated-research", args=[delegation.pk]),
                urgent=timezone.now() > delegation.meeting.research_deadline,
            )
        )
    for decision in referral_selectors.sharing_reviews_due(user=user) if pending["reviews"] else []:
        items.append(
            Attention(
                f"Review the information sharing decision for case {decision.referral.case.reference} (due {decision.review_on:%-d %B %Y})",
                reverse("referrals:sharing", args=[decision.pk]),
                urgent=decision.review_on < timezone.localdate(),
            )
        )
    for offer in account_selectors.membership_offers_for(user=user) if pending["offers"] else []:
        items.append(Attention(f"{offer.marac.name} asks you to take the role {offer.get_role_display()}", reverse("accounts:offers")))
    requests = account_selectors.open_account_requests(user=user).count()
    if requests:
        items.append(Attention(f"{requests} request{'s' if requests > 1 else ''} from coordinators about accounts", reverse("accounts:maracs"), urgent=True))
    drafts = referral_selectors.referrals_made_by(user=user).filter(status="draft").count() if pending["drafts"] else 0
    if drafts:
        items.append(Attention(f"{drafts} draft referral{'s' if drafts > 1 else ''} not yet sent", reverse("referrals:mine")))
    return items


def _personal_pending(user):
    """{kind: whether the user may have items of that kind}, in one query. Each test is
    a necessary condition of its selector (the selector and the policy still decide
    what is shown), so a False here can only skip a query that would have found
    nothing."""
    # On every home page, compiled once: the ORM took longer to compile the five tests
    # than the database takes to run them.
    found = compiled.rows(_personal_checks, user_id=user.pk, now=timezone.now(), today=timezone.localdate())
    return {kind: bool(value) for kind, value in found[0].items()} if found else dict.fromkeys(_PERSONAL_KINDS, False)


_PERSONAL_KINDS = ("transfers", "delegations", "reviews", "offers", "drafts")


def _personal_checks(user_id, now, today):
    coordinates = Membership.objects.filter(user=OuterRef(OuterRef("pk")), marac=OuterRef("to_marac"), role=Role.COORDINATOR, is_active=True)
    checks = {
        "transfers": Exists(CaseTransfer.objects.filter(Exists(coordinates), status=CaseTransfer.Status.PENDING)),
        "delegations": Exists(ResearchDelegation.objects.filter(delegate=OuterRef("pk"), withdrawn_at__isnull=True, meeting__starts_at__gt=now)),
        "reviews": Exists(SharingDecision.objects.filter(review_owner=OuterRef("pk"), reviewed_at__isnull=True, review_on__lte=today)),
        "offers": Exists(Membership.objects.filter(user=OuterRef("pk"), awaiting_acceptance=True, marac__is_active=True)),
        "drafts": Exists(Referral.objects.filter(referrer=OuterRef("pk"), status=Referral.Status.DRAFT)),
    }
    return User.objects.filter(pk=user_id).values(**{kind: checks[kind] for kind in _PERSONAL_KINDS})


def _coordinator(user, marac, panel):
    now, today = timezone.now(), timezone.localdate()
    # Read by queries compiled once and sent together (one round trip on PostgreSQL):
    # the ORM took longer to build these dozen role-dependent queries than the database
    # took to run them.
    (next_meeting, unrepresented, awaiting, checks, published, case_counts, returned, researching, matches, grants, overdue, sars) = compiled.read_together(
        meeting_selectors.next_meeting_read(user=user, marac=marac, now=now),
        account_selectors.core_agencies_without_representative_read(user=user, marac=marac),
        (_awaiting_listing, {"marac_id": marac.pk}),
        referral_selectors.agency_checks_open_read(user=user, marac=marac),
        meeting_selectors.published_upcoming_read(user=user, marac=marac, now=now),
        *meeting_selectors.research_missing_reads(user=user, marac=marac, now=now),
        referral_selectors.pending_matches_count_read(user=user, marac=marac, now=now),
        restriction.grants_awaiting_review_read(user=user, marac=marac),
        action_selectors.overdue_count_read(user=user, marac=marac, now=now, today=today),
        record_selectors.open_sars_read(marac=marac),
    )
    _next_meeting(marac, panel, meeting_selectors.readiness_of(next_meeting, marac))
    for link in unrepresented:
        panel.attention.append(Attention(f"{link.agency} is a core agency with no representative", reverse("accounts:agencies", args=[marac.slug])))
    awaiting = awaiting[0]["n"] if awaiting else 0
    if awaiting:
        panel.attention.append(Attention(f"{awaiting} referral{'s' if awaiting > 1 else ''} awaiting listing", reverse("meetings:listing", args=[marac.slug])))
    for check in checks:
        panel.attention.append(
            Attention(
                f"Case {check.referral.case.reference}: {check.agency} is checking its referral until {timezone.localtime(check.due_at):%-d %b %H:%M}",
                reverse("referrals:case", args=[check.referral.case.public_id]),
            )
        )
    missing_by_meeting = meeting_services.missing_research_by_meeting(
        published, {row["meeting"]: row["n"] for row in case_counts}, returned, researching
    )
    for meeting in published:
        missing = len(missing_by_meeting[meeting.pk])
        if missing:
            panel.attention.append(
                Attention(
                    f"{meeting.title[0].upper()}{meeting.title[1:]}: {missing} agenc{'ies have' if missing > 1 else 'y has'} not returned all research",
                    reverse("meetings:research", args=[meeting.public_id]),
                    urgent=now > meeting.research_deadline,
                )
            )
    matches = matches[0]["n"] if matches else 0
    if matches:
        panel.attention.append(
            Attention(f"{matches} referral{'s have' if matches > 1 else ' has'} possible matches to confirm or reject", reverse("referrals:matches", args=[marac.slug]))
        )
    # Shown until a coordinator reviews it (issue 14): break-glass must never go unnoticed.
    for grant in grants:
        panel.attention.append(
            Attention(
                f"{grant.user.full_name} used break-glass access to a restricted case on {timezone.localtime(grant.granted_at):%-d %B %Y at %H:%M}: review it",
                reverse("referrals:break-glass-review", args=[grant.pk]),
            )
        )
    overdue = overdue[0]["n"] if overdue else 0
    if overdue:
        panel.attention.append(Attention(f"{overdue} overdue action{'s' if overdue > 1 else ''} to chase", reverse("actions:all", args=[marac.slug]), urgent=True))
    # Shown until done: the one-month deadline is the law's, not the Marac's.
    for sar in sars:
        panel.attention.append(
            Attention(
                f"Subject access request received {sar.received_on:%-d %B %Y}: response due {sar.due_on:%-d %B %Y}",
                reverse("records:sar", args=[sar.pk]),
                urgent=sar.due_on < today,
            )
        )
    panel.links += [
        ("Referrals awaiting listing", reverse("meetings:listing", args=[marac.slug])),
        ("Meetings", reverse("meetings:meetings", args=[marac.slug])),
        ("All actions and the chase list", reverse("actions:all", args=[marac.slug])),
        ("Your agency’s actions", reverse("actions:mine", args=[marac.slug])),
        ("Possible matches to confirm", reverse("referrals:matches", args=[marac.slug])),
        ("Subject access requests", reverse("records:sar-list", args=[marac.slug])),
        ("Confidentiality audit", reverse("audit:views-by-user", args=[marac.slug])),
        ("Users", reverse("accounts:members", args=[marac.slug])),
        ("Agencies", reverse("accounts:agencies", args=[marac.slug])),
        ("Settings", reverse("accounts:marac-settings", args=[marac.slug])),
        ("SafeLives data return", reverse("governance:data-return", args=[marac.slug])),
        ("Figures: how the Marac is working", reverse("governance:dashboard", args=[marac.slug])),
    ]


def _awaiting_listing(marac_id):
    # How many of the Marac's referrals await listing: one row of n, or none.
    awaiting = Referral.objects.filter(marac_id=marac_id, status=Referral.Status.AWAITING_LISTING)
    return awaiting.values("marac_id").annotate(n=Count("pk")).values("n")


def _next_meeting(marac, panel, ready):
    """The next meeting and how ready it is (`ready`, `meeting_selectors.readiness_of`'s): cases,
    research returned of expected and declarations signed."""
    if ready is None:
        panel.attention.append(Attention("No meeting is scheduled", reverse("meetings:meetings", args=[marac.slug])))
        return
    meeting = ready.meeting
    text = f"Next: the {meeting.title}, {ready.cases} case{'s' if ready.cases != 1 else ''}"
    if meeting.published_at:
        text += f"; research returned {ready.research_returned} of {ready.research_expected}; {ready.declarations_signed} declaration{'s' if ready.declarations_signed != 1 else ''} signed"
    else:
        text += "; case list not yet sent"
    panel.attention.append(Attention(text, reverse("meetings:meeting", args=[meeting.public_id])))


def _chair(user, marac, panel):
    now = timezone.now()
    next_meeting, overdue = compiled.read_together(
        meeting_selectors.next_meeting_read(user=user, marac=marac, now=now),
        action_selectors.overdue_count_read(user=user, marac=marac, now=now, today=timezone.localdate()),
    )
    _next_meeting(marac, panel, meeting_selectors.readiness_of(next_meeting, marac))
    overdue = overdue[0]["n"] if overdue else 0
    if overdue:
        panel.attention.append(Attention(f"{overdue} overdue action{'s' if overdue > 1 else ''} across the Marac", reverse("actions:all", args=[marac.slug])))
    panel.links += [
        ("All actions", reverse("actions:all", args=[marac.slug])),
        ("Referrals awaiting listing", reverse("meetings:listing", args=[marac.slug])),
        ("Meetings", reverse("meetings:meetings", args=[marac.slug])),
        ("Figures: how the Marac is working", reverse("governance:dashboard", args=[marac.slug])),
    ]


def _agency_work(user, marac, panel, *more):
    """What the user's agency owes: research on published case lists, and actions due
    within a week or overdue. `more`: the role's own reads, read with these; gives what
    they read."""
    now, today = timezone.now(), timezone.localdate()
    # Read by queries compiled once and sent together (one round trip on PostgreSQL):
    # building these role-dependent queries cost the ORM more than running them.
    published, outstanding, counted, *more = compiled.read_together(
        meeting_selectors.published_upcoming_read(user=user, marac=marac, now=now),
        meeting_selectors.research_outstanding_read(user=user, marac=marac, now=now),
        action_selectors.open_agency_counts_read(user=user, marac=marac, now=now, today=today),
        *more,
    )
    outstanding_by_meeting = {row["meeting"]: row["n"] for row in outstanding}
    for meeting in published:
        outstanding = outstanding_by_meeting.get(meeting.pk, 0)
        if outstanding:
            panel.attention.append(
                Attention(
                    f"Research for the {meeting.title}: {outstanding} case{'s' if outstanding > 1 else ''} to return by {timezone.localtime(meeting.research_deadline):%-d %B %H:%M}",
                    reverse("meetings:research", args=[meeting.public_id]),
                    urgent=now > meeting.research_deadline,
                )
            )
    # Records updates stay on the page until ticked, whatever their due date.
    # One query counts both: the records updates and the agency's other open actions.
    counts = counted[0] if counted else dict.fromkeys(("records_n", "records_late", "n", "late", "soon"), 0)
    # The overdue ones on a line of their own: the line tagged "Overdue" counts only them
    # (it counted every records update once one was late).
    late, rest = counts["records_late"], counts["records_n"] - counts["records_late"]
    for n, urgent, other in ((late, True, ""), (rest, False, "more " if late else "")):
        if n:
            panel.attention.append(
                Attention(
                    f"{n} {other}case{'s' if n > 1 else ''} on which to update your agency’s records after the meeting",
                    reverse("actions:mine", args=[marac.slug]),
                    urgent=urgent,
                )
            )
    actions = counts
    if actions["late"]:
        panel.attention.append(
            Attention(f"{actions['late']} overdue action{'s' if actions['late'] > 1 else ''} of your agency: report progress", reverse("actions:mine", args=[marac.slug]), urgent=True)
        )
    if actions["n"]:
        panel.attention.append(
            Attention(
                f"{actions['n']} open action{'s' if actions['n'] > 1 else ''} of your agency, {actions['soon']} due in the next 7 days",
                reverse("actions:mine", args=[marac.slug]),
            )
        )
    panel.links += [
        ("Meetings and case lists", reverse("meetings:meetings", args=[marac.slug])),
        ("Your agency’s actions", reverse("actions:mine", args=[marac.slug])),
        ("Your agency’s case slots", reverse("meetings:agency-slots", args=[marac.slug])),
    ]
    return more


def _which(referral):
    """A case's reference and the referral's date: a case with two referrals (a repeat, or
    a confirmed match) has one line each on the home page, and they must differ."""
    referred = day_text(referral.referred_on or referral.submitted_at)
    return f"{referral.case.reference} (referred {referred})" if referred else referral.case.reference


def _idva(user, marac, panel):
    read = referral_selectors.idva_referrals_awaiting_contact_read(user=user, marac=marac)
    (awaiting,) = _agency_work(user, marac, panel, read)
    if read is None:
        awaiting = referral_selectors.idva_referrals_for(user=user, marac=marac).filter(first_contact_at__isnull=True)
    now = timezone.now()
    for item in awaiting:
        overdue = item.first_contact_due < now
        panel.attention.append(
            Attention(
                f"Idva referral {_which(item.referral)}: first contact {'was due' if overdue else 'due by'} {timezone.localtime(item.first_contact_due):%-d %b %H:%M}",
                reverse("referrals:idva-referral", args=[item.pk]),
                urgent=overdue,
            )
        )
    # Once first contact is made an Idva referral leaves the list above: this finds it.
    if policy.can_list_idva_referrals(user, marac):
        panel.links.append(("Your Idva service’s open Idva referrals", reverse("referrals:idva-referrals", args=[marac.slug])))


def _representative(user, marac, panel):
    checks, prompts = _agency_work(
        user, marac, panel, referral_selectors.agency_checks_open_read(user=user, marac=marac), referral_selectors.children_prompts_read(user=user, marac=marac)
    )
    for check in checks:
        panel.attention.append(
            Attention(
                f"Case {check.referral.case.reference}: check a referral from your agency and send it on by {timezone.localtime(check.due_at):%-d %b %H:%M}",
                reverse("referrals:agency-check", args=[check.pk]),
                urgent=True,
            )
        )
    for prompt in prompts:
        panel.attention.append(
            Attention(
                f"Case {_which(prompt.referral)}: confirm the children’s social care referral",
                reverse("referrals:children-prompt", args=[prompt.pk]),
            )
        )


def _governance(user, marac, panel):
    """Figures only: never a person."""
    panel.links.append(("Figures: how the Marac is working", reverse("governance:dashboard", args=[marac.slug])))
    for agency, count in action_selectors.open_after_two_meetings(marac=marac).items():
        panel.attention.append(Attention(f"{agency}: {count} action{'s' if count > 1 else ''} still open after two meetings"))


_PANEL_BUILDERS = {
    Role.GOVERNANCE: _governance,
    Role.COORDINATOR: _coordinator,
    Role.CHAIR: _chair,
    Role.IDVA: _idva,
    Role.REPRESENTATIVE: _representative,
}
