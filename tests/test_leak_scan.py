"""Sealed values never leak, anywhere (issue 14).

Every victim and child in the world below has a sealed address and a sealed safe
contact number, each made of words found nowhere else. Then every kind of user (every
role, an involved and an uninvolved agency, another Marac's users, the system
administrator, a deactivated account and an anonymous visitor) fetches every URL of
the URL table, the live hearing fragment as htmx asks for it, every PDF (as text,
through pdftotext), ICS file, CSV, XLSX and JSON export; and every email the workflows
sent (referral, listing, publication, research and action reminders, minutes,
transfer, invitation) is read. A sealed word found where its reader may not see it
fails the test.

Who may see a sealed value is written here from ARCHITECTURE.md, not asked of the
access policy: the coordinator and the Idva of the Marac that holds the person. Email
leaves the system's protection, so no email may carry one, whoever receives it.

`test_every_url_is_scanned_or_declared` fails when a URL is added without being
scanned here or declared (with a reason) not to carry case data."""

import io
import re
import subprocess
import tempfile
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from openmarac.accounts.models import AgencyKind, Membership, Role
from openmarac.actions import services as action_services
from openmarac.api import services as api_services
from openmarac.meetings import services as meeting_services
from openmarac.meetings.models import DeclarationSignature
from openmarac.people.models import Person
from openmarac.records import services as record_services
from openmarac.referrals import services as referral_services
from openmarac.referrals import restriction, transfer
from openmarac.referrals.models import AgencyCheck, BreakGlassGrant, Referral
from openmarac.accounts import services as account_services
from openmarac.synthetic.referrals import ReferralGenerator

from .api.table import API_ENDPOINTS
from .conftest import sign_in, world_for_module
from .factories import MaracFactory, UserFactory, marac_with_core_agencies, member
from .test_permissions import MFA_STEP, POST_ONLY, PROTECTED, PUBLIC, _url_names
from .test_write_permissions import ROLE_ACTORS, WRITES

# The same readers as the write table: housing referred every case and owns the
# actions (the involved agency); probation takes part but has no part in any case.
ACTORS = sorted(ROLE_ACTORS) + ["other_coordinator", "other_representative", "system_admin", "deactivated", "anonymous"]

# The one rule this test checks everything against (ARCHITECTURE.md, "Access").
MAY_SEE_SEALED = {Role.COORDINATOR, Role.IDVA}

# URLs that carry no case data, and why; everything else is fetched by every actor.
NOT_CASE_DATA = {
    **{name: "the second sign-in step: the person's own authenticator, before any case is reachable" for name in MFA_STEP},
    "accounts:sign-out": "POST only: ends the session and redirects",
    "accounts:signed-out-draft": "POST only: keeps the signed-out person's own typing, answers with a redirect",
    "referrals:match-decision": "POST only: records a decision and redirects",
    "meetings:item-move": "POST only: moves an agenda item and redirects",
    "meetings:date-override": "POST only: records why a meeting step goes ahead early and redirects",
    "records:sar-link": "POST only: links a person to a request and redirects",
    "records:sar-complete": "POST only: closes a request and redirects",
    "actions:flag-removed": "POST only: records that a flag is off the agency's files and redirects",
    "actions:records-updated": "POST only: ticks an agency's records update and redirects",
    "meetings:research-delegate": "POST only: hands research to a colleague and redirects",
    "meetings:research-delegation-withdraw": "POST only: withdraws a hand-over and redirects",
    "api-v1:schema": "the API's description: no data",
    "api-v1:no-such-endpoint": "a JSON 404 for any unknown API path",
    "api-v1:referrals": "POST only: answers with the new referral's identifiers, criteria and score, no person's details",
    "api-v1:research": "POST only: answers with the research return's identifiers and status",
    "api-v1:action-updates": "POST only: answers with the action as the agency reported it (scanned as api-v1:action)",
    "actions:chase": "POST only: emails the owning agency a link and redirects",
    "actions:agency-chase": "POST only: emails an agency a link and redirects",
    "meetings:research-remind": "POST only: emails an agency a link and redirects",
}
# API endpoints read with credentials (`test_no_sealed_value_through_the_api`).
API_SCANNED = {name for name, endpoint in API_ENDPOINTS.items() if endpoint.method == "get"}
# Every URL the scan fetches: the URL table's pages and the sign-in pages.
SCANNED = set(PROTECTED) | set(PUBLIC)
# Pages fetched again the way htmx asks for them (a fragment, not a whole page).
HTMX_FRAGMENTS = {"actions:hearing-live"}


def _letters(n):
    """A distinctive word per number: 0 -> "qa", 27 -> "rb" (no digits, so one word
    never contains another's)."""
    return "q" + chr(97 + n % 26) + chr(97 + n // 26 % 26)


def _sealed_values(n, kind):
    """Words for person n's sealed address and number, found nowhere else."""
    word = f"Zephyrin{_letters(n)}"
    return {
        "address_line_1": f"{n + 1} {word} {kind.title()} Refuge",
        "town": f"Quillmarsh{_letters(n)}",
        "postcode": "ZZ9 9ZZ",  # shared: not searched
        "phone": f"07700 9{n:05d}",
        "tokens": [word, f"Quillmarsh{_letters(n)}", f"077009{n:05d}"],
    }


_counter = iter(range(10_000))


def _seal(data, kind, planted):
    """Give a person being referred a sealed address and a sealed safe number."""
    n = next(_counter)
    values = _sealed_values(n, kind)
    data.address_line_1, data.town, data.postcode = values["address_line_1"], values["town"], values["postcode"]
    data.address_sealed = True
    data.phone, data.phone_safe_to_call, data.phone_sealed = values["phone"], "yes", True
    planted.append((data, values["tokens"]))


def _refer(marac, referrer, seed, planted, **kwargs):
    data = ReferralGenerator(seed=seed).referral(marac=marac, referring_agency=referrer.agency, children=1, **kwargs)
    _seal(data.victim, "victim", planted)
    for child in data.children:
        _seal(child.data, "child", planted)
    return referral_services.referral_record(marac=marac, data=data, by=referrer)


def _build_world():
    marac = marac_with_core_agencies(MaracFactory(name="Northshire Marac", slug="northshire"))
    other_marac = marac_with_core_agencies(MaracFactory(name="Southvale Marac", slug="southvale"))
    users = {name: member(marac, role, agency_kind=kind) for name, (role, kind) in ROLE_ACTORS.items()}
    users["other_coordinator"] = member(other_marac, Role.COORDINATOR, agency_kind=AgencyKind.IDVA)
    users["other_representative"] = member(other_marac, Role.REPRESENTATIVE, agency_kind=AgencyKind.HOUSING)
    admin = UserFactory(is_system_admin=True, agency=None)
    admin.totpdevice_set.create(name="app", confirmed=True)
    users["system_admin"] = admin
    users["deactivated"] = member(marac, Role.COORDINATOR)
    coordinator, referrer = users["coordinator"], users["referrer"]
    planted = []

    # Every workflow that sends email runs with its on-commit callbacks executed, so
    # the outbox holds what a real run would send.
    mail.outbox = []
    with TestCase.captureOnCommitCallbacks(execute=True):
        # A case waiting for transfer to the other Marac, with a sharing decision.
        referral = _refer(marac, referrer, 3, planted, consent=False, review_owner=referrer)
        pending = transfer.transfer_request(by=coordinator, case=referral.case, to_marac=other_marac, reason="Moved")
        # A case already transferred: now the other Marac's.
        moved = _refer(marac, referrer, 6, planted)
        accepted = transfer.transfer_request(by=coordinator, case=moved.case, to_marac=other_marac, reason="Moved")
        transfer.transfer_decide(by=users["other_coordinator"], transfer=accepted, accept=True)
        # A case listed for a published meeting, heard, with an action.
        meeting = meeting_services.meeting_add(by=coordinator, marac=marac, starts_at=timezone.now() + timedelta(days=20))
        listed = _refer(marac, referrer, 4, planted)
        item = meeting_services.referral_list(by=coordinator, referral=listed, meeting=meeting)
        meeting_services.meeting_publish(by=coordinator, meeting=meeting)
        # Another meeting whose minutes are published.
        earlier = meeting_services.meeting_add(by=coordinator, marac=marac, starts_at=timezone.now() + timedelta(days=13))
        heard = _refer(marac, referrer, 7, planted)
        earlier_item = meeting_services.referral_list(by=coordinator, referral=heard, meeting=earlier)
        meeting_services.meeting_publish(by=coordinator, meeting=earlier)
        DeclarationSignature.objects.bulk_create(
            DeclarationSignature(meeting=m, user=u, statement="x") for m in (meeting, earlier) for u in users.values()
        )
        action = action_services.action_add(
            by=coordinator, hearing=action_services.hearing_for(item), owner_agency=users["representative"].agency,
            description="Housing options", for_whom="victim", due_on=timezone.localdate() + timedelta(days=30),
        )
        action_services.action_add(
            by=coordinator, hearing=action_services.hearing_for(earlier_item), owner_agency=users["representative"].agency,
            description="Target hardening", for_whom="victim", due_on=timezone.localdate() + timedelta(days=30),
        )
        assert sign_in(Client(), coordinator).post(reverse("actions:minutes", args=[earlier.public_id]), {"confirm": "yes"}).status_code == 302
        # The earlier case is closed for its meeting: the referrer is told it was heard.
        earlier_hearing = action_services.hearing_for(earlier_item)
        action_services.hearing_save(
            by=coordinator, hearing=earlier_hearing, version=earlier_hearing.version, referrer_summary="Housing will offer a transfer"
        )
        action_services.hearing_close(by=coordinator, hearing=earlier_hearing, reason="The Idva was on leave", children_reason="Confirmed after the meeting")
        meeting_services.research_reminders_send(today=timezone.localtime(meeting.research_deadline).date())
        action_services.action_reminders_send(today=action.due_on + timedelta(days=1))
        # A flag, reminded on its last day; housing's research handed to its key worker.
        flag = action_services.action_add(
            by=coordinator, hearing=action_services.hearing_for(item), owner_agency=users["representative"].agency,
            description="Flag the tenancy file", for_whom="victim", due_on=timezone.localdate() + timedelta(days=30), kind="flag",
        )
        action_services.flag_reminders_send(today=flag.flag_expires_on)
        # The coordinator chases housing: one action, then everything it has open.
        action_services.action_chase(by=coordinator, action=action)
        action_services.agency_chase(by=coordinator, marac=marac, agency=users["representative"].agency)
        delegation = meeting_services.research_delegate(
            by=users["representative"], meeting=meeting, referral=listed, delegate=referrer, invited_to_slot=True
        )
        # A case restricted to its coordinator, opened by the chair through break-glass.
        restricted = _refer(marac, referrer, 8, planted)
        restriction.case_restrict(by=coordinator, case=restricted.case, reason="The perpetrator works for a member agency", named_users=[])
        grant = BreakGlassGrant.objects.create(
            case=restricted.case, user=users["chair"], reason="Urgent safeguarding call tonight",
            granted_at=timezone.now(), expires_at=timezone.now(),
        )
        account_services.user_invite(
            by=coordinator, marac=marac, email="new.rep@example.org", full_name="Noor Rep", agency=users["representative"].agency,
            role=Role.REPRESENTATIVE,
        )
    emails = list(mail.outbox)

    draft = Referral.objects.create(marac=marac, referrer=referrer)
    agency_check = AgencyCheck.objects.create(referral=listed, agency=referrer.agency, due_at=timezone.now() + timedelta(days=1))
    sar = record_services.sar_record(by=coordinator, marac=marac, person=listed.case.victim, received_on=timezone.localdate())
    users["deactivated"].is_active = False
    users["deactivated"].save(update_fields=["is_active"])

    # Which Marac holds each planted person now (a transfer moves them).
    tokens = {}
    for data, words in planted:
        person = Person.objects.get(addresses__line_1=data.address_line_1)
        tokens[person.pk] = words
    link = marac.agency_links.get(agency=users["uninvolved_representative"].agency)
    victim = listed.case.victim
    # An agency system of each agency of the Marac (each acts as that agency's
    # representative: none may see a sealed value).
    expiry = timezone.localdate() + timedelta(days=30)
    api_tokens = {
        link.agency.name: api_services.credential_create(by=coordinator, marac=marac, agency=link.agency, name=link.agency.name, expires_on=expiry).token
        for link in marac.agency_links.select_related("agency")
    }
    credential = api_services.credential_create(by=coordinator, marac=marac, agency=users["representative"].agency, name="Revocable", expires_on=expiry).credential
    kwargs = {
        "api:credentials": [{"slug": marac.slug}],
        "api:credential-create": [{"slug": marac.slug}],
        "api:credential-created": [{"pk": credential.pk}],
        "api:credential-revoke": [{"pk": credential.pk}],
        "api-v1:case": [{"public_id": r.case.public_id} for r in (referral, listed, heard, moved, restricted)],
        "api-v1:meeting": [{"public_id": m.public_id} for m in (meeting, earlier)],
        "api-v1:action": [{"pk": a.pk} for a in (action, flag)],
        "meetings:meetings": [{"slug": marac.slug}],
        "meetings:pattern": [{"slug": marac.slug}],
        "meetings:meeting-add": [{"slug": marac.slug}],
        "meetings:listing": [{"slug": marac.slug}],
        "meetings:agency-slots": [{"slug": marac.slug}],
        "meetings:meeting": [{"public_id": m.public_id} for m in (meeting, earlier)],
        "meetings:meeting-change": [{"public_id": meeting.public_id}],
        "meetings:declaration": [{"public_id": meeting.public_id}],
        "meetings:case-list-pdf": [{"public_id": m.public_id} for m in (meeting, earlier)],
        "meetings:meeting-ics": [{"public_id": meeting.public_id}],
        "meetings:research": [{"public_id": meeting.public_id}],
        "meetings:research-case": [{"public_id": meeting.public_id, "referral_id": listed.public_id}],
        "meetings:register": [{"public_id": meeting.public_id}],
        "actions:run-meeting": [{"public_id": meeting.public_id}],
        "referrals:transfer-request": [{"public_id": r.case.public_id} for r in (referral, listed)],
        "referrals:transfer-bundle": [{"public_id": r.case.public_id} for r in (referral, listed, moved)],
        "referrals:transfer": [{"pk": pending.pk}, {"pk": accepted.pk}],
        "actions:hearing": [{"public_id": meeting.public_id, "item_id": item.pk}, {"public_id": earlier.public_id, "item_id": earlier_item.pk}],
        "actions:hearing-live": [{"public_id": meeting.public_id, "item_id": item.pk}],
        "actions:minutes": [{"public_id": m.public_id} for m in (meeting, earlier)],
        "actions:agency-summary": [{"public_id": m.public_id} for m in (meeting, earlier)],
        "actions:mine": [{"slug": marac.slug}],
        "actions:action": [{"pk": a.pk} for a in (action, flag)],
        "actions:flags": [{"slug": marac.slug}],
        "actions:all": [{"slug": marac.slug}],
        "actions:chase": [{"pk": action.pk}],
        "actions:agency-chase": [{"slug": marac.slug, "agency_id": users["representative"].agency_id}],
        "meetings:research-remind": [{"public_id": meeting.public_id, "agency_id": users["representative"].agency_id}],
        "referrals:matches": [{"slug": marac.slug}],
        "referrals:idva-referrals": [{"slug": marac.slug}],
        "meetings:delegated-research": [{"pk": delegation.pk}],
        "meetings:research-delegate": [{"public_id": meeting.public_id, "referral_id": listed.public_id}],
        "meetings:research-delegation-withdraw": [{"pk": delegation.pk}],
        "actions:flag-removed": [{"pk": flag.pk}],
        "actions:records-updated": [{"pk": action.pk}],
        "referrals:restriction": [{"public_id": restricted.case.public_id}],
        "referrals:break-glass": [{"public_id": restricted.case.public_id}],
        "referrals:break-glass-review": [{"pk": grant.pk}],
        "referrals:step": [{"public_id": draft.public_id, "slug": "victim"}],
        "referrals:check": [{"public_id": draft.public_id}],
        "referrals:sent": [{"public_id": r.public_id} for r in (referral, listed)],
        "referrals:referral": [{"public_id": r.public_id} for r in (referral, listed, moved)],
        "referrals:quality-concern": [{"public_id": referral.public_id}],
        "referrals:case": [{"public_id": r.case.public_id} for r in (referral, listed, heard, moved)],
        "referrals:idva-referral": [{"pk": r.idva_referral.pk} for r in (referral, listed)],
        "referrals:children-prompt": [{"pk": r.children_prompt.pk} for r in (referral, listed)],
        "referrals:sharing": [{"pk": referral.sharing_decision.pk}],
        "referrals:agency-check": [{"pk": agency_check.pk}],
        "risk:reassess": [{"public_id": r.case.public_id} for r in (referral, listed)],
        "actions:victim-told": [{"public_id": earlier.public_id, "item_id": earlier_item.pk}],
        "governance:dashboard": [{"slug": marac.slug}],
        "governance:definitions": [{"slug": marac.slug}],
        "governance:data-return": [{"slug": marac.slug}],
        "governance:data-return-download": [{"slug": marac.slug, "fmt": fmt} for fmt in ("csv", "xlsx")],
        "accounts:members": [{"slug": marac.slug}],
        "accounts:invite": [{"slug": marac.slug}],
        "accounts:member": [{"slug": marac.slug, "pk": referrer.memberships.get().pk}],
        "accounts:agencies": [{"slug": marac.slug}],
        "accounts:agency-add": [{"slug": marac.slug}],
        "accounts:agency-edit": [{"slug": marac.slug, "pk": link.pk}],
        "accounts:marac-settings": [{"slug": marac.slug}],
        "accounts:member-action": [{"slug": marac.slug, "pk": referrer.memberships.get().pk, "action": "unlock"}],
        "records:sar-list": [{"slug": marac.slug}],
        "records:sar-add": [{"slug": marac.slug}],
        "records:sar": [{"pk": sar.pk}],
        "records:sar-complete": [{"pk": sar.pk}],
        "records:sar-link": [{"pk": sar.pk}],
        "records:sar-bundle-json": [{"pk": sar.pk}],
        "records:sar-bundle-pdf": [{"pk": sar.pk}],
        "records:person-correct": [{"public_id": listed.case.public_id, "pk": victim.pk}],
        "audit:views-by-user": [{"slug": marac.slug}],
        "audit:views-by-agency": [{"slug": marac.slug}],
        "audit:user-records": [{"slug": marac.slug, "user_id": users["chair"].pk}],
        "audit:exceptions": [{"slug": marac.slug}],
        "audit:exception-review": [
            {"slug": marac.slug, "kind": "out_of_hours", "user_id": users["chair"].pk, "day": timezone.localdate().isoformat()}
        ],
        "meetings:item-move": [{"public_id": meeting.public_id, "pk": item.pk}],
        "meetings:date-override": [{"public_id": meeting.public_id}],
        "accounts:password-reset-confirm": [{"uidb64": "MQ", "token": "set-password"}],
        "accounts:accept-invitation": [{"uidb64": "MQ", "token": "abc-def"}],
    }
    # The search page, as each reader would use it: every planted person by family name
    # and by date of birth (the results list cases, never an address or a number).
    planted_people = Person.objects.filter(pk__in=tokens)
    queries = {
        "referrals:search": ["?" + urlencode({"q": person.family_name}) for person in planted_people]
        + ["?" + urlencode({"q": f"{person.date_of_birth:%d/%m/%Y}"}) for person in planted_people if person.date_of_birth]
    }
    return {
        "users": users, "tokens": tokens, "emails": emails, "kwargs": kwargs, "marac": marac, "listed": listed, "api_tokens": api_tokens,
        "queries": queries,
    }


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction rolled back at its end; each
    test's own transaction (the `db` fixture) nests inside it."""
    with world_for_module(django_db_blocker, _build_world) as built:
        yield built


def _client_for(actor, users):
    client = Client()
    if actor == "anonymous":
        return client
    if actor == "deactivated":  # signed in before the account was deactivated
        client.force_login(users[actor])
        return client
    return sign_in(client, users[actor])


def _pdf_text(content):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf:
        pdf.write(content)
        pdf.flush()
        return subprocess.run(["pdftotext", pdf.name, "-"], capture_output=True, text=True, check=True).stdout


def _xlsx_text(content):
    book = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(
        " ".join(str(cell) for cell in row if cell is not None) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
    )


def readable_text(response):
    """What a reader gets from a response, whatever its format."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if "pdf" in kind:
        return _pdf_text(content)
    if "spreadsheetml" in kind:
        return _xlsx_text(content)
    return content.decode("utf-8", errors="replace")


def _squash(text):
    """Lower case without spaces, so a phone number or a word a PDF broke across a
    line is still found."""
    return re.sub(r"\s+", "", text).lower()


def leaks_in(text, tokens, allowed_people):
    """The sealed words found in `text` of people whose sealed values its reader may
    not see."""
    squashed = _squash(text)
    return sorted(
        word for person_id, words in tokens.items() if person_id not in allowed_people for word in words if _squash(word) in squashed
    )


def people_whose_sealed_values_may_be_seen(user):
    """The coordinator and the Idva of the Marac holding the person: the rule written
    out from ARCHITECTURE.md, independently of the access policy."""
    if user is None or not user.is_active:
        return set()
    maracs = set(
        Membership.objects.filter(user=user, is_active=True, role__in=MAY_SEE_SEALED).values_list("marac_id", flat=True)
    )
    return set(Person.objects.filter(marac_id__in=maracs).values_list("pk", flat=True))


def _fetches(world):
    for url_name in sorted(SCANNED):
        for kwargs in world["kwargs"].get(url_name, [None]):
            url = reverse(url_name, kwargs=kwargs)
            yield url_name, url, {}
            for query in world["queries"].get(url_name, []):
                yield url_name, url + query, {}
            if url_name in HTMX_FRAGMENTS:
                yield url_name, url, {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": url}


def scan(world, actor):
    """Fetch everything as `actor`; return the leaks found and the pages read."""
    users = world["users"]
    user = users.get(actor)
    allowed = people_whose_sealed_values_may_be_seen(user)
    client = _client_for(actor, users)
    leaks, read = [], 0
    for url_name, url, headers in _fetches(world):
        response = client.get(url, **headers)
        if response.status_code != 200 or response.has_header("HX-Redirect"):
            continue  # a refusal, or htmx told to go and sign in
        read += 1
        found = leaks_in(readable_text(response), world["tokens"], allowed)
        if found:
            leaks.append((url_name, url, headers and "htmx", found))
    return leaks, read


@pytest.mark.parametrize("actor", ACTORS)
def test_no_sealed_value_reaches_anyone_who_may_not_see_it(world, db, actor):
    leaks, read = scan(world, actor)
    assert leaks == []
    if actor not in {"deactivated", "anonymous"}:
        assert read >= 1  # every signed-in actor reads at least the home page
    else:
        # Only the sign-in pages answer 200 to them.
        assert read == sum(1 for name in PUBLIC if PUBLIC[name] == 200)


def test_no_sealed_value_through_the_api(world, db):
    """Every agency's system reads every API list and record: none may see a sealed
    value (a credential acts as an agency representative)."""
    leaks, read = [], 0
    for agency, token in world["api_tokens"].items():
        client = Client(headers={"Authorization": f"Bearer {token}"})
        for url_name in sorted(API_SCANNED):
            for kwargs in world["kwargs"].get(url_name, [None]):
                response = client.get(reverse(url_name, kwargs=kwargs), {"page_size": 200})
                if response.status_code != 200:
                    continue
                read += 1
                found = leaks_in(readable_text(response), world["tokens"], allowed_people=set())
                if found:
                    leaks.append((agency, url_name, found))
    assert leaks == []
    assert read > 2 * len(world["api_tokens"])


# POSTs whose answer is not scanned, and why.
POSTS_NOT_SCANNED = {
    "referrals:match-decision": "needs a match candidate; answers with a redirect whatever is posted",
}


@pytest.mark.parametrize("actor", ACTORS)
def test_no_sealed_value_in_the_answer_to_a_post(world, db, actor):
    """A form posted incomplete is shown again, with its errors, around the record it
    is about: those pages are scanned too. Each post is rolled back."""
    users, tokens = world["users"], world["tokens"]
    allowed = people_whose_sealed_values_may_be_seen(users.get(actor))
    client = _client_for(actor, users)
    leaks = []
    for url_name in sorted(_posted_urls() - set(POSTS_NOT_SCANNED)):
        for kwargs in world["kwargs"].get(url_name, [None]):
            with transaction.atomic():
                response = client.post(reverse(url_name, kwargs=kwargs), {})
                transaction.set_rollback(True)
            if response.status_code == 200:
                found = leaks_in(readable_text(response), tokens, allowed)
                if found:
                    leaks.append((url_name, found))
    assert leaks == []


def _posted_urls():
    """The URL names of the write table (a key may be `name#variant`)."""
    return {key.split("#")[0] for key in WRITES}


def test_every_post_is_scanned_or_declared():
    assert set(POSTS_NOT_SCANNED) <= _posted_urls()


def test_no_email_carries_a_sealed_value(world):
    emails = world["emails"]
    # Every workflow named in the issue sent something, so the outbox is not empty by
    # accident: referral, transfer, publication, reminders, minutes, invitation.
    subjects = " | ".join(message.subject for message in emails)
    for expected in ["transfer", "research", "action", "minutes", "invit"]:
        assert expected in subjects.lower(), subjects
    for message in emails:
        text = "\n".join([message.subject, message.body] + [str(body) for body, _ in getattr(message, "alternatives", [])])
        assert leaks_in(text, world["tokens"], allowed_people=set()) == [], message.subject


def test_the_coordinator_and_idva_do_see_sealed_values(world, db):
    """The scan's positive control: the planted words are really on the pages and in
    the exports of those allowed to see them, so finding none elsewhere means something."""
    kwargs = world["kwargs"]
    listed_victim = world["listed"].case.victim_id
    for actor in ["coordinator", "idva"]:
        client = _client_for(actor, world["users"])
        page = client.get(reverse("referrals:case", kwargs=kwargs["referrals:case"][1]))
        assert page.status_code == 200
        assert world["tokens"][listed_victim][0] in readable_text(page)
    coordinator = _client_for("coordinator", world["users"])
    for url_name in ["records:sar-bundle-pdf", "records:sar-bundle-json"]:
        text = _squash(readable_text(coordinator.get(reverse(url_name, kwargs=kwargs[url_name][0]))))
        assert _squash(world["tokens"][listed_victim][1]) in text


def test_a_planted_leak_is_caught(world, db, monkeypatch):
    """Proof the scan can fail: make the presenter show sealed values to everyone (as a
    careless template or selector change would) and the chair's scan finds them."""
    from openmarac.people import selectors

    monkeypatch.setattr(selectors.policy, "can_see_sealed_values", lambda user, marac: True)
    leaks, read = scan(world, "chair")
    assert read > 0
    assert any(url_name == "referrals:case" for url_name, *_ in leaks)
    assert any(url_name == "meetings:case-list-pdf" for url_name, *_ in leaks)


def test_a_sealed_value_planted_in_a_template_is_caught(world, db, settings, tmp_path):
    """Proof the scan can fail at the template level: a case page template that prints
    the victim's first address raw (bypassing the presenter) is caught for the chair,
    who may open the case but not see sealed values."""
    override = tmp_path / "referrals" / "case.html"
    override.parent.mkdir()
    # Extends the real template of the same name (Django skips the overriding file).
    override.write_text(
        '{% extends "referrals/case.html" %}{% block content %}{{ block.super }}'
        "<p>{% for a in case.victim.addresses.all %}{{ a }} {% endfor %}</p>{% endblock %}"
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    leaks, _ = scan(world, "chair")
    assert [url_name for url_name, *_ in leaks] == ["referrals:case"] * len(leaks) and leaks


def test_every_url_is_scanned_or_declared():
    """A new URL fails here until it is scanned (in the URL table) or declared above
    not to carry case data, with a reason."""
    names = set(_url_names())
    assert names - SCANNED - API_SCANNED - set(NOT_CASE_DATA) == set()
    assert set(NOT_CASE_DATA) <= names and SCANNED | API_SCANNED <= names  # nothing stale
    assert all(reason.strip() for reason in NOT_CASE_DATA.values())
