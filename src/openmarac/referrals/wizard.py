"""The referral form as a sequence of pages. Each page's answers are kept in the
draft exactly as typed, so nothing is lost when a page has a mistake or the referrer
saves and comes back; everything is checked again before submission."""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.http import QueryDict

from openmarac.accounts.models import Membership
from openmarac.people.services import PersonData

from . import forms as f
from .services import LinkedPerson, ReferralData, SharingDecisionData, checklist_definition

CHECKLIST_PAGE_SIZE = 8


@dataclass(frozen=True)
class Step:
    slug: str
    title: str


def definition_for(referral):
    """The checklist this referrer completes: the Marac's choice for their agency's kind."""
    agency = referral.referrer.agency if referral.referrer_id and referral.referrer.agency_id else None
    return checklist_definition(referral.marac, agency_kind=agency.kind if agency else "")


def steps_for(referral):
    """The pages of this referral, in order. The sharing page appears only when the
    victim has not consented."""
    definition = definition_for(referral)
    count = len(definition.questions)
    checklist_steps = []
    for page, start in enumerate(range(0, count, CHECKLIST_PAGE_SIZE), start=1):
        end = min(start + CHECKLIST_PAGE_SIZE, count)
        checklist_steps.append(Step(f"checklist-{page}", f"Risk checklist: questions {start + 1} to {end}"))
    steps = [
        Step("referrer", "About you and your agency"),
        Step("victim", "The victim"),
        Step("victim-contact", "Contacting the victim safely"),
        Step("perpetrators", "Perpetrators"),
        Step("children", "Children"),
        *checklist_steps,
        Step("judgement", "Professional judgement"),
        Step("reasons", "Reasons for referral"),
        Step("consent", "The victim’s knowledge and consent"),
    ]
    if referral.draft.get("consent", {}).get("consent_given") == "no":
        steps.append(Step("sharing", "Information sharing without consent"))
    return steps


def _data(referral, slug):
    stored = referral.draft.get(slug)
    if stored is None:
        return None
    query = QueryDict(mutable=True)
    for key, value in stored.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    return query


def _abuser_name(referral):
    names = [v for k, v in referral.draft.get("perpetrators", {}).items() if k.endswith("-given_name") and v]
    return " / ".join(names) or "the abuser"


def form_for(referral, slug, data=None, user=None):
    """The form of one page, bound to `data` or to what the draft holds."""
    if data is None:
        data = _data(referral, slug)
    definition = definition_for(referral)
    if slug == "referrer":
        initial = {}
        if user is not None:
            initial = {"referrer_name": user.full_name, "referrer_email": user.email, "referred_on": date.today()}
        return f.ReferrerForm(data, initial=initial)
    if slug == "victim":
        return f.VictimForm(data)
    if slug == "victim-contact":
        return f.VictimContactForm(data)
    if slug == "perpetrators":
        return f.PerpetratorFormSet(data, prefix="perpetrator")
    if slug == "children":
        return f.ChildFormSet(data, prefix="child")
    if slug.startswith("checklist-"):
        page = int(slug.split("-")[1])
        questions = definition.questions[(page - 1) * CHECKLIST_PAGE_SIZE : page * CHECKLIST_PAGE_SIZE]
        return f.ChecklistForm(data, definition=definition, questions=questions, abuser_name=_abuser_name(referral))
    if slug == "judgement":
        return f.JudgementForm(data, definition=definition)
    if slug == "reasons":
        return f.ReferralReasonsForm(data)
    if slug == "consent":
        return f.ConsentForm(data)
    if slug == "sharing":
        owners = get_user_model().objects.filter(
            pk__in=Membership.objects.filter(marac=referral.marac, is_active=True).values("user"), is_active=True
        )
        if referral.referrer and referral.referrer.agency_id:
            owners = owners.filter(agency_id=referral.referrer.agency_id)
        return f.SharingForm(data, owners=owners.order_by("full_name"), initial={"review_owner": referral.referrer_id})
    raise KeyError(slug)


def store(referral, slug, post):
    """Keep what was typed on a page (without the CSRF token and buttons)."""
    kept = {key: post.getlist(key) if len(post.getlist(key)) > 1 else post.get(key) for key in post if key not in {"csrfmiddlewaretoken", "action"}}
    referral.draft = {**referral.draft, slug: kept}
    referral.save(update_fields=["draft", "updated_at"])


def _stored_forms(referral, slug, prefix):
    """A repeating page's stored answers and how many items it holds (0 to 15)."""
    stored = dict(referral.draft.get(slug, {}))
    try:
        total = int(stored.get(f"{prefix}-TOTAL_FORMS", 0) or 0)
    except (TypeError, ValueError):
        total = 0
    return stored, min(max(total, 0), 15)


def add_blank_form(referral, slug, prefix):
    """"Add another" on a repeating page: one more empty form, typed answers kept."""
    stored, total = _stored_forms(referral, slug, prefix)
    stored[f"{prefix}-TOTAL_FORMS"] = str(total + 1)
    stored.setdefault(f"{prefix}-INITIAL_FORMS", "0")
    if prefix == "child":
        # The new child starts as "date of birth known", with the date boxes showing.
        stored[f"child-{total}-birth"] = "known"
    referral.draft = {**referral.draft, slug: stored}
    referral.save(update_fields=["draft", "updated_at"])


def remove_form(referral, slug, prefix, index):
    """"Remove" on a repeating page: the item goes, the others keep what was typed."""
    stored, total = _stored_forms(referral, slug, prefix)
    if not 0 <= index < total:
        return
    kept = {key: value for key, value in stored.items() if not key.startswith(f"{prefix}-") or key.endswith("_FORMS")}
    for number in range(total):
        if number == index:
            continue
        new = number if number < index else number - 1
        for key, value in stored.items():
            if key.startswith(f"{prefix}-{number}-"):
                kept[f"{prefix}-{new}-{key[len(f'{prefix}-{number}-'):]}"] = value
    kept[f"{prefix}-TOTAL_FORMS"] = str(total - 1)
    referral.draft = {**referral.draft, slug: kept}
    referral.save(update_fields=["draft", "updated_at"])


def first_incomplete(referral):
    """The first page not yet answered or no longer valid, or None when all are done."""
    for step in steps_for(referral):
        if step.slug not in referral.draft or not form_for(referral, step.slug).is_valid():
            return step
    return None


def _lines_to_aliases(text):
    aliases = []
    for line in (text or "").splitlines():
        parts = line.strip().rsplit(" ", 1)
        if parts[0]:
            aliases.append((parts[0], parts[1]) if len(parts) == 2 else ("", parts[0]))
    return aliases


def _person(data, **extra):
    return PersonData(
        given_name=data["given_name"],
        family_name=data["family_name"],
        aliases=_lines_to_aliases(data.get("aliases")),
        date_of_birth=data.get("date_of_birth"),
        expected_birth_on=data.get("expected_birth_on"),
        gender=data.get("gender", ""),
        address_line_1=data.get("address_line_1", ""),
        address_line_2=data.get("address_line_2", ""),
        town=data.get("town", ""),
        postcode=data.get("postcode", ""),
        **extra,
    )


def referral_data(referral):
    """Turn a complete draft into ReferralData (all pages must be valid)."""
    cleaned = {}
    forms_by_slug = {}
    for step in steps_for(referral):
        form = form_for(referral, step.slug)
        if not form.is_valid():
            raise ValueError(f"Page {step.slug} is not complete")
        forms_by_slug[step.slug] = form
        cleaned[step.slug] = form.cleaned_data
    victim = cleaned["victim"]
    contact = cleaned["victim-contact"]
    answers = {}
    for slug, form in forms_by_slug.items():
        if slug.startswith("checklist-"):
            answers.update(form.answers())
    reasons = cleaned["reasons"]
    consent = cleaned["consent"]
    judgement = cleaned["judgement"]
    data = ReferralData(
        victim=_person(
            victim,
            ethnicity=victim["ethnicity"],
            racially_minoritised=victim["racially_minoritised"],
            disabled=victim["disabled"],
            lgbt=victim["lgbt"],
            language=victim["language"],
            interpreter_needed=victim["interpreter_needed"],
            address_sealed=victim["address_sealed"],
            phone=contact["phone"],
            phone_safe_to_call=contact["phone_safe_to_call"],
            phone_safe_times=contact["phone_safe_times"],
            phone_sealed=contact["phone_sealed"],
        ),
        victim_under_16_reason=victim["under_16_reason"],
        referred_on=cleaned["referrer"]["referred_on"],
        disclosed_on=reasons["disclosed_on"],
        referring_agency=referral.referrer.agency if referral.referrer else None,
        referrer_name=cleaned["referrer"]["referrer_name"],
        referrer_phone=cleaned["referrer"]["referrer_phone"],
        referrer_email=cleaned["referrer"]["referrer_email"],
        reasons=reasons["reasons"],
        perpetrators=[
            LinkedPerson(_person(p), relationship_to_victim=p["relationship_to_victim"])
            for p in cleaned["perpetrators"]
            if p
        ],
        children=[
            LinkedPerson(
                _person(c),
                relationship_to_victim=c["relationship_to_victim"],
                relationship_to_perpetrator=c["relationship_to_perpetrator"],
                school=c["school"],
                gp=c["gp"],
                details_unreliable=c["details_unreliable"],
            )
            for c in cleaned["children"]
            if c
        ],
        checklist_answers=answers,
        checklist_professional_judgement=forms_by_slug["judgement"].answers(),
        professional_judgement=judgement["professional_judgement"] == "yes",
        professional_judgement_rationale=judgement["professional_judgement_rationale"],
        police_incidents_last_12_months=reasons["police_incidents_last_12_months"],
        repeat_declared=reasons["repeat_declared"] == "yes",
        previous_marac_reference=reasons["previous_marac_reference"],
        previous_other_marac=reasons["previous_other_marac"],
        victim_aware=consent["victim_aware"] == "yes",
        victim_not_aware_reason=consent["victim_not_aware_reason"],
        consent_given=consent["consent_given"] == "yes",
        victim_afraid_of=consent["victim_afraid_of"],
        safe_to_talk_to=consent["safe_to_talk_to"],
        unsafe_to_talk_to=consent["unsafe_to_talk_to"],
    )
    if "sharing" in cleaned:
        sharing = dict(cleaned["sharing"])
        sharing["client_notified"] = sharing["client_notified"] == "yes"
        sharing["protocol_applies"] = sharing["protocol_applies"] == "yes"
        data.sharing = SharingDecisionData(**sharing)
    return data


def summary(referral):
    """Rows for the "check your answers" page: (step, [(label, value)])."""
    sections = []
    for step in steps_for(referral):
        form = form_for(referral, step.slug)
        valid = form.is_valid()
        rows = []
        forms_ = form.forms if hasattr(form, "forms") else [form]
        for number, item in enumerate(forms_, start=1):
            if not valid or not getattr(item, "cleaned_data", None):
                continue
            for name, field in item.fields.items():
                value = item.cleaned_data.get(name)
                if value in (None, "", [], False):
                    continue
                label = field.label if len(forms_) == 1 else f"{number}: {field.label}"
                rows.append((label, _display(field, value)))
        sections.append((step, valid, rows))
    return sections


def _display(field, value):
    choices = dict(getattr(field, "choices", []) or [])
    if isinstance(value, list):
        return ", ".join(str(choices.get(v, v)) for v in value)
    if value is True:
        return "Yes"
    if hasattr(value, "strftime"):
        return value.strftime("%-d %B %Y")
    return str(choices.get(value, value))
