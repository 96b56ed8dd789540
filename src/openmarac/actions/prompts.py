"""What the action plan may be missing: prompts beside the action list. Pure rules over
the plan and the case; the chair decides."""

from openmarac.accounts.models import AgencyKind

from .models import ActionKind, ForWhom

COMPLEX_NEEDS_PROMPTS = (
    "Complex needs: consider a mental health or substance misuse worker as the single point of contact",
    "Complex needs: a professionals’ meeting to agree who leads",
    "Complex needs: a Care Act assessment for care and support needs",
)


def _childrens_social_care_action(action):
    """A referral to children's social care, or an action children's social care owns or
    shares. An action merely for a child (a school's, say) is not one."""
    if action.kind == ActionKind.CHILDRENS_REFERRAL:
        return True
    agencies = [action.owner_agency, *action.joint_agencies.all()]
    return any(agency.kind == AgencyKind.CHILDRENS_SOCIAL_CARE for agency in agencies)


def plan_prompts(*, actions, children_count, needs=frozenset(), children=()):
    """`children`: the children named on the case (people with `birth_text`), so the
    prompts can say which child no action is for yet."""
    kinds = {a.kind for a in actions}
    for_whom = {a.for_whom for a in actions}
    prompts = []
    if ForWhom.PERPETRATOR not in for_whom:
        prompts.append("No action addresses the perpetrator: consider disruption, a perpetrator programme, MAPPA or MATAC")
    if children_count and not any(_childrens_social_care_action(a) for a in actions):
        prompts.append("There are children but no children’s social care action")
    if children_count and children:
        covered = {child.pk for a in actions if a.for_whom == ForWhom.CHILD for child in a.children.all()}
        prompts.extend(f"No action is for {child} ({child.birth_text}) yet" for child in children if child.pk not in covered)
    if ActionKind.FLAG not in kinds:
        prompts.append("Flag and tag agency files for 12 months, so a repeat incident is recognised")
    if not {ActionKind.HOUSING_VICTIM, ActionKind.HOUSING_PERPETRATOR} <= kinds:
        prompts.append("Housing options for the victim and for the perpetrator")
    if ActionKind.DVDS not in kinds:
        prompts.append("Domestic Violence Disclosure Scheme")
    if ActionKind.PROTECTION_ORDER not in kinds:
        prompts.append("Protection orders (DVPN/DVPO)")
    if not {ActionKind.MAPPA, ActionKind.MASH, ActionKind.MATAC} & kinds:
        prompts.append("Links to MAPPA, MASH or MATAC")
    if ActionKind.PROFESSIONALS_MEETING not in kinds:
        prompts.append("A professionals’ meeting")
    if needs & {"mental_health", "substance_misuse", "care_act"}:
        prompts.extend(COMPLEX_NEEDS_PROMPTS)
    return prompts
