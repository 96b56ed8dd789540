"""Issue 9, careful language: an agency's action update written with victim-blaming words
is saved as written, and the page after saving advises better wording (axe-clean)."""

from datetime import timedelta

from django.utils import timezone

from openmarac.accounts.models import Agency
from openmarac.actions import services as action_services
from openmarac.actions.models import ActionUpdate
from openmarac.synthetic.accounts import DEMO_PASSWORD, demo_deployment

from .test_transfer_and_flags import _heard_case


def test_an_action_update_is_saved_with_advice_on_the_wording(new_page, transactional_db):
    marac, _ = demo_deployment()
    _, hearing, coordinator = _heard_case(marac, seed=61)
    action = action_services.action_add(
        by=coordinator, hearing=hearing, owner_agency=Agency.objects.get(name="Northshire Council Housing"),
        description="Offer a management transfer", for_whom="victim", due_on=timezone.localdate() + timedelta(days=14),
    )
    housing = new_page()
    housing.sign_in("housing@demo.openmarac.invalid", DEMO_PASSWORD)
    housing.visit(f"/actions/{action.pk}/")
    note = "Visited twice. She chooses to stay with him and it is a toxic relationship; domestic abuse history noted."
    housing.fill("#id_note", note)
    housing.click_and_check("button:has-text('Save update')", screenshot="careful-language-advice")
    body = housing.inner_text("main")
    assert "Action updated." in body
    assert "Careful language in “Update”: instead of “chooses to stay”" in body
    assert "instead of “toxic”" in body
    assert "instead of “domestic" not in body.lower()
    assert ActionUpdate.objects.filter(action=action, note=note).exists()
