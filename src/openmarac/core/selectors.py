"""What each role's home page shows: what needs the user's attention in each Marac."""

from dataclasses import dataclass, field

from openmarac.access import policy
from openmarac.accounts import selectors as account_selectors
from openmarac.accounts.models import Role


@dataclass
class RolePanel:
    marac: object
    role: str
    role_label: str
    attention: list = field(default_factory=list)


def home_panels(*, user):
    """One panel per role the user holds, in Marac order. Later steps of the process
    (referrals, meetings, actions) add their items here."""
    panels = []
    for membership in sorted(policy.active_memberships(user), key=lambda m: (m.marac.name, m.role)):
        panel = RolePanel(marac=membership.marac, role=membership.role, role_label=membership.get_role_display())
        if membership.role == Role.COORDINATOR:
            for link in account_selectors.core_agencies_without_representative(user=user, marac=membership.marac):
                panel.attention.append(f"{link.agency} is a core agency with no representative")
        panels.append(panel)
    return panels
