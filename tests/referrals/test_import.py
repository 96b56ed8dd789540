import csv
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core import mail

from openmarac.audit import services as audit
from openmarac.audit.models import AuditEvent
from openmarac.people.models import Person
from openmarac.referrals import bulk, importer, services
from openmarac.referrals.models import Case, MatchCandidate, Referral, ReferralPerson, SharingDecision
from openmarac.risk.models import RiskAssessment

TODAY = date.today()


def _row(marac, data, referral_id, **changes):
    """A generator's ReferralData as a row of the import file, with `changes` on top."""
    victim, perpetrator = data.victim, data.perpetrators[0]
    numbers = {q.key: q.number for q in services.checklist_definition(marac).questions}
    row = {
        "referral_id": referral_id,
        "referred_on": data.referred_on.isoformat(),
        "referring_agency_kind": "police",
        "referrer_name": data.referrer_name,
        "referrer_email": data.referrer_email,
        "victim_given_name": victim.given_name,
        "victim_family_name": victim.family_name,
        "victim_date_of_birth": victim.date_of_birth.isoformat(),
        "victim_gender": victim.gender,
        "victim_postcode": victim.postcode,
        "victim_address": victim.address_line_1,
        "victim_phone": victim.phone,
        "victim_racially_minoritised": victim.racially_minoritised,
        "victim_disabled": victim.disabled,
        "victim_lgbt": victim.lgbt,
        "perpetrator_given_name": perpetrator.data.given_name,
        "perpetrator_family_name": perpetrator.data.family_name,
        "perpetrator_date_of_birth": perpetrator.data.date_of_birth.isoformat(),
        "perpetrator_relationship": perpetrator.relationship_to_victim,
        "children": "; ".join(f"{c.data.given_name} {c.data.family_name} {c.data.date_of_birth}" for c in data.children),
        "checklist_yes": ";".join(str(numbers[key]) for key, entry in data.checklist_answers.items() if entry["answer"] == "yes"),
        "professional_judgement": "yes" if data.professional_judgement else "no",
        "professional_judgement_rationale": data.professional_judgement_rationale,
        "police_incidents_last_12_months": str(data.police_incidents_last_12_months),
        "repeat_declared": "no",
        "consent_given": "yes",
    }
    row.update(changes)
    return row


def _write(tmp_path, rows, name="referrals.csv"):
    path = tmp_path / name
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, list(dict.fromkeys(key for row in rows for key in row)))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def rows(marac, intake, generator):
    police = intake["chair"].agency

    def row(referral_id, *, on=None, children=0, **changes):
        data = generator.referral(marac=marac, referring_agency=police, referred_on=on, children=children)
        return _row(marac, data, referral_id, **changes)

    heard_case_referred_on = TODAY - timedelta(days=90)
    return [
        row(
            "POL-1", checklist_yes="", checklist_score="16", professional_judgement="no", professional_judgement_rationale="",
            police_incidents_last_12_months="",
        ),
        row("POL-2", children=2),
        row("POL-3", on=heard_case_referred_on, children=1, heard_on=(heard_case_referred_on + timedelta(days=10)).isoformat()),
    ]


def _import(tmp_path, rows, intake, marac, **options):
    return importer.import_file(_write(tmp_path, rows), marac=marac, by=intake["coordinator"], **options)


def _nothing_written():
    return not (Referral.objects.exists() or Person.objects.exists() or Case.objects.exists())


def test_a_valid_file_imports_every_row(django_capture_on_commit_callbacks, tmp_path, marac, intake, rows):
    with django_capture_on_commit_callbacks(execute=True):
        report = _import(tmp_path, rows, intake, marac)
    assert (report.created, report.already_imported, report.rejects) == (3, 0, [])
    imported = {referral.source_key: referral for referral in Referral.objects.all()}
    assert set(imported) == {"POL-1", "POL-2", "POL-3"}

    score_only = imported["POL-1"]
    assert score_only.checklist_score == 16 and score_only.criteria_labels == ["Visible high risk"]
    assert RiskAssessment.objects.get(referral=score_only).answers == {}
    for row in rows[1:]:
        referral = imported[row["referral_id"]]
        yes_count = len(row["checklist_yes"].split(";"))
        assert referral.checklist_score == yes_count
        assert referral.meets_visible_high_risk == (yes_count >= marac.visible_high_risk_threshold)
        assert referral.meets_professional_judgement == (row["professional_judgement"] == "yes")
        assessment = RiskAssessment.objects.get(referral=referral)
        assert len(assessment.answers) == 24 and assessment.score == yes_count

    with_children = imported["POL-2"]
    assert with_children.children_count == 2
    assert with_children.people.filter(role=ReferralPerson.Role.CHILD).count() == 2
    assert with_children.children_prompt.agency.kind == "childrens_social_care"
    assert with_children.referring_agency == intake["chair"].agency
    # The importer is not the referrer: the file says who referred.
    assert with_children.referrer is None and with_children.referrer_name == rows[1]["referrer_name"]

    heard = imported["POL-3"]
    assert heard.status == Referral.Status.HEARD
    assert heard.case.last_heard_on == heard.heard_on == date.fromisoformat(rows[2]["heard_on"])
    assert with_children.status == Referral.Status.AWAITING_LISTING

    assert mail.outbox == []  # imported history is not news to anyone
    event = AuditEvent.objects.get(record_type="referrals.import")
    assert event.actor == intake["coordinator"] and event.action == AuditEvent.Action.CREATED
    assert "Imported 3 referrals; 0 already imported; 0 rejected" in event.summary


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"referred_on": (TODAY + timedelta(days=1)).isoformat()}, "The referral date cannot be in the future"),
        ({"referred_on": "12/03/2024"}, "referred_on: “12/03/2024” is not a date in the form YYYY-MM-DD"),
        ({"referring_agency_kind": "constabulary"}, "referring_agency_kind: “constabulary” is not one of police, idva"),
        ({"victim_disabled": "maybe"}, "victim_disabled: “maybe” is not one of yes, no, unknown"),
        ({"repeat_declared": "Y"}, "repeat_declared: “Y” is not one of yes, no"),
        ({"victim_given_name": ""}, "victim_given_name is required"),
        ({"children": f"Sam Reed {TODAY - timedelta(days=365 * 19)}"}, "Child 1 is over 17"),
        ({"children": "Sam Reed"}, "children: child 1 (“Sam Reed”) is not in the form Given Family YYYY-MM-DD"),
        (
            {"checklist_yes": "1;2", "professional_judgement": "no", "police_incidents_last_12_months": "0"},
            "Say which criterion this referral meets",
        ),
        ({"checklist_yes": "", "checklist_score": "30"}, "checklist_score: “30” is not a whole number from 0 to 24"),
        ({"checklist_yes": "1;25"}, "checklist_yes: 25 not question numbers"),
        ({"checklist_score": "16"}, "give checklist_score or checklist_yes, not both"),
        (
            {"consent_given": "no"},
            "consent_given is no, so the information sharing without consent record is needed: fill in sharing_legal_grounds",
        ),
        ({"heard_on": (TODAY - timedelta(days=400)).isoformat()}, "heard_on is before referred_on"),
        ({"perpetrator_family_name": ""}, "perpetrator_family_name is required"),
    ],
)
def test_one_bad_row_stops_the_whole_import_and_is_reported(tmp_path, marac, intake, rows, changes, reason):
    rows[1].update(changes)
    report = _import(tmp_path, rows, intake, marac)
    assert report.created == 0
    assert [(reject.line, reject.referral_id) for reject in report.rejects] == [(3, "POL-2")]
    assert reason in report.rejects[0].reason
    assert _nothing_written()


def test_every_bad_row_is_reported_with_all_its_problems(tmp_path, marac, intake, rows):
    rows[0].update(victim_lgbt="maybe", victim_address_sealed="sometimes")
    rows[2]["referral_id"] = ""
    report = _import(tmp_path, rows, intake, marac)
    assert [reject.line for reject in report.rejects] == [2, 4]
    assert "victim_lgbt" in report.rejects[0].reason and "victim_address_sealed" in report.rejects[0].reason
    assert "referral_id is required" in report.rejects[1].reason
    assert _nothing_written()


def test_a_problem_reading_a_column_does_not_hide_the_checks_on_the_others(tmp_path, marac, intake, rows):
    rows[1].update(
        victim_lgbt="maybe",
        referred_on=(TODAY + timedelta(days=3)).isoformat(),
        professional_judgement="yes",
        professional_judgement_rationale="",
        children="Sam Reed",
    )
    report = _import(tmp_path, rows, intake, marac)
    reasons = report.rejects[0].reason.split("; ")
    assert reasons == [
        "victim_lgbt: “maybe” is not one of yes, no, unknown",
        "children: child 1 (“Sam Reed”) is not in the form Given Family YYYY-MM-DD "
        "(or Given Family unknown, or Family expected YYYY-MM-DD for an unborn child)",
        "The referral date cannot be in the future",
        "Explain why you believe the risk is high (required for professional judgement) (see professional_judgement_rationale)",
    ]


@pytest.mark.parametrize(
    "changes, reasons",
    [
        # The file's own message, not a second one for the same dates.
        ({"heard_on": (TODAY - timedelta(days=400)).isoformat()}, ["heard_on is before referred_on: a case is heard after it is referred"]),
        # An unreadable score is not also "no criterion met".
        (
            {"checklist_yes": "", "checklist_score": "thirty", "professional_judgement": "no"},
            ["checklist_score: “thirty” is not a whole number from 0 to 24"],
        ),
    ],
)
def test_a_column_that_cannot_be_read_is_reported_once(tmp_path, marac, intake, rows, changes, reasons):
    rows[1].update(changes)
    report = _import(tmp_path, rows, intake, marac)
    assert report.rejects[0].reason.split("; ") == reasons


def test_a_referral_id_used_twice_in_a_file_rejects_both_rows(tmp_path, marac, intake, rows):
    rows[2]["referral_id"] = "POL-1"
    report = _import(tmp_path, rows, intake, marac)
    assert [(reject.line, reject.referral_id) for reject in report.rejects] == [(2, "POL-1"), (4, "POL-1")]
    assert "referral_id POL-1 is on 2 lines of this file" in report.rejects[0].reason
    assert _nothing_written()


def test_line_numbers_count_a_value_running_over_several_lines(tmp_path, marac, intake, rows):
    rows[0]["victim_address"] = "Flat 2\n10 High Street"
    rows[1]["victim_lgbt"] = "maybe"
    report = _import(tmp_path, rows, intake, marac)
    assert [reject.line for reject in report.rejects] == [4]


def test_a_line_with_the_wrong_number_of_values_is_rejected(tmp_path, marac, intake, rows):
    path = _write(tmp_path, rows)
    lines = path.read_text(encoding="utf-8").splitlines()
    columns = len(lines[0].split(","))
    lines[2] += ",a stray value"
    lines[3] = lines[3].rsplit(",", 2)[0]  # cut short, as by a truncated copy
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = importer.import_file(path, marac=marac, by=intake["coordinator"])
    assert [(reject.line, reject.reason) for reject in report.rejects] == [
        (3, f"the line has {columns + 1} values but the header names {columns} columns"),
        (4, f"the line has {columns - 2} values but the header names {columns} columns"),
    ]
    assert _nothing_written()


def test_the_example_in_the_documentation_imports(tmp_path, marac, intake):
    document = (Path(__file__).parents[2] / "docs" / "import-format.md").read_text(encoding="utf-8")
    example = re.search(r"```csv\n(.*?)```", document, re.DOTALL).group(1)
    path = tmp_path / "example.csv"
    path.write_text(example, encoding="utf-8")
    report = importer.import_file(path, marac=marac, by=intake["coordinator"])
    assert (report.created, report.rejects) == (3, [])
    labels = {referral.source_key: referral.criteria_labels for referral in Referral.objects.all()}
    assert labels == {
        "NP-2024-0117": ["Visible high risk"],
        "NP-2024-0118": ["Professional judgement"],
        "NP-2023-0950": ["Visible high risk"],
    }


def test_a_problem_found_only_when_recording_rolls_everything_back(tmp_path, marac, intake, rows, monkeypatch):
    check = services.referral_problems

    def refuse_the_second(*, data, **kwargs):
        if data.source_key == "POL-2":
            return {"referred_on": "The referral date cannot be in the future"}
        return check(data=data, **kwargs)

    # The check made again while recording (the day may have changed since parsing).
    monkeypatch.setattr(bulk, "referral_problems", refuse_the_second)
    report = _import(tmp_path, rows, intake, marac)
    assert report.created == 0
    assert [(reject.line, reject.reason) for reject in report.rejects] == [(3, "The referral date cannot be in the future")]
    assert _nothing_written()
    assert not AuditEvent.objects.filter(record_type="referrals.import").exists()


def test_partial_writes_the_valid_rows_and_returns_the_rest(tmp_path, marac, intake, rows):
    rows[1]["victim_lgbt"] = "perhaps"
    report = _import(tmp_path, rows, intake, marac, partial=True)
    assert report.created == 2 and [reject.line for reject in report.rejects] == [3]
    assert set(Referral.objects.values_list("source_key", flat=True)) == {"POL-1", "POL-3"}


def test_a_second_run_adds_nothing_and_counts_the_rows_already_imported(tmp_path, marac, intake, rows):
    path = _write(tmp_path, rows)
    importer.import_file(path, marac=marac, by=intake["coordinator"])
    people = Person.objects.count()
    again = importer.import_file(path, marac=marac, by=intake["coordinator"])
    assert (again.created, again.already_imported, again.rejects) == (0, 3, [])
    assert Referral.objects.count() == 3 and Person.objects.count() == people


def test_sharing_without_consent_is_recorded_with_the_importer_as_review_owner(tmp_path, marac, intake, rows):
    rows[1].update(
        consent_given="no",
        sharing_legal_grounds="prevention_detection_of_crime; vital_interests",
        sharing_review_on=(TODAY + timedelta(days=28)).isoformat(),
        sharing_caseworker="Sam Caseworker",
        sharing_manager="Alex Manager",
        sharing_signed_on=TODAY.isoformat(),
    )
    _import(tmp_path, rows, intake, marac)
    decision = SharingDecision.objects.get(referral__source_key="POL-2")
    assert decision.referral.consent_given is False
    assert decision.legal_grounds == ["prevention_detection_of_crime", "vital_interests"]
    assert decision.review_owner == intake["coordinator"] and decision.manager_name == "Alex Manager"


def test_aliases_and_a_second_perpetrator_are_read(tmp_path, marac, intake, rows):
    rows[1].update(
        victim_aliases="Amira Shah; Shah",
        perpetrator2_given_name="Lee",
        perpetrator2_family_name="Grant",
        perpetrator2_aliases="Lee Mark Grant",
        perpetrator2_relationship="Partner’s brother",
    )
    _import(tmp_path, rows, intake, marac)
    referral = Referral.objects.get(source_key="POL-2")
    assert set(referral.case.victim.aliases.values_list("given_name", "family_name")) == {("Amira", "Shah"), ("", "Shah")}
    second = referral.people.filter(role=ReferralPerson.Role.PERPETRATOR).order_by("id").last()
    assert (second.person.given_name, second.person.family_name, second.relationship_to_victim) == ("Lee", "Grant", "Partner’s brother")
    assert list(second.person.aliases.values_list("given_name", "family_name")) == [("Lee Mark", "Grant")]


def test_a_blank_consent_is_allowed_for_history(tmp_path, marac, intake, rows):
    rows[2]["consent_given"] = ""
    _import(tmp_path, rows, intake, marac)
    assert Referral.objects.get(source_key="POL-3").consent_given is None


def test_an_imported_referral_for_a_known_victim_awaits_the_coordinators_decision(tmp_path, marac, intake, generator):
    police = intake["chair"].agency
    known = generator.referral(marac=marac, referring_agency=police, referred_on=TODAY - timedelta(days=200))
    earlier = services.referral_record(marac=marac, data=known, by=intake["referrer"])
    again = generator.referral(marac=marac, referring_agency=police, victim=known.victim, perpetrator=known.perpetrators[0].data)

    _import(tmp_path, [_row(marac, again, "POL-9")], intake, marac)
    imported = Referral.objects.get(source_key="POL-9")
    candidates = list(MatchCandidate.objects.filter(referral=imported))
    earlier_perpetrator = earlier.people.get(role=ReferralPerson.Role.PERPETRATOR).person
    assert {candidate.candidate for candidate in candidates} == {earlier.case.victim, earlier_perpetrator}
    assert {candidate.decision for candidate in candidates} == {MatchCandidate.Decision.PENDING}
    assert imported.case != earlier.case and not imported.meets_repeat  # nothing merged automatically

    # The coordinator's decision brings the repeat detection the web form's referrals get.
    for candidate in candidates:
        services.match_decide(by=intake["coordinator"], candidate=candidate, same_person=True)
    imported.refresh_from_db()
    assert imported.case == earlier.case and imported.repeat_of == earlier and imported.meets_repeat


def test_children_with_an_unknown_date_of_birth_and_an_unborn_child_are_imported():
    from openmarac.referrals.importer import _children

    class Row:
        problems = []

        def problem(self, column, message):
            self.problems.append(message)

        def items(self, name):
            return ["Zara Khan 2016-09-01", "Adam Khan unknown", "Khan expected 2027-03-01", "Nia Khan expected 2027-04-01", "Bad entry"]

    row = Row()
    children = _children(row)
    people = [(c.data.given_name, c.data.family_name, c.data.date_of_birth, c.data.expected_birth_on) for c in children]
    assert people == [
        ("Zara", "Khan", date(2016, 9, 1), None),
        ("Adam", "Khan", None, None),
        ("Unborn", "Khan", None, date(2027, 3, 1)),
        ("Nia", "Khan", None, date(2027, 4, 1)),
    ]
    assert len(row.problems) == 1 and "Bad entry" in row.problems[0]


def test_a_row_carries_the_disclosure_date_and_is_read_against_its_agency_kinds_checklist(tmp_path, marac, intake, generator):
    police = intake["chair"].agency
    data = generator.referral(marac=marac, referring_agency=police)
    housing_data = generator.referral(marac=marac, referring_agency=police)
    marac.risk_checklists_by_agency_kind = {"police": "police-dash"}
    marac.save()
    police_row = _row(
        marac, data, "P-1", checklist_yes="1;18;27", professional_judgement="yes", professional_judgement_rationale="Strangulation",
        disclosed_on=(data.referred_on - timedelta(days=9)).isoformat(),
    )
    housing_row = _row(marac, housing_data, "H-1", referring_agency_kind="housing", checklist_yes="1;24")
    late = dict(housing_row, referral_id="H-2", disclosed_on=(TODAY + timedelta(days=1)).isoformat())
    (reject,) = importer.parse(_write(tmp_path, [late], name="late.csv"), marac=marac, by=intake["coordinator"]).rejects
    assert "disclosed_on cannot be in the future" in reject.reason
    _import(tmp_path, [police_row, housing_row], intake, marac)
    police_referral = Referral.objects.get(source_key="P-1")
    assert police_referral.disclosed_on == data.referred_on - timedelta(days=9)
    assessment = RiskAssessment.objects.get(referral=police_referral)
    assert (assessment.definition_id, assessment.score, len(assessment.answers)) == ("police-dash", 3, 27)
    assert RiskAssessment.objects.get(referral__source_key="H-1").definition_id == "safelives-dash"


def _big_file(count):
    """`count` plain rows, each a victim and perpetrator of their own, several batches."""
    rows = [
        {
            "referral_id": f"BIG-{n}", "referred_on": (TODAY - timedelta(days=60 + n % 300)).isoformat(), "referring_agency_kind": "police",
            "victim_given_name": f"Ann{n}", "victim_family_name": f"Smith{n % 97}", "victim_date_of_birth": date(1980 + n % 20, 1 + n % 12, 1 + n % 28).isoformat(),
            "victim_postcode": f"N{n % 9 + 1} 1AB", "victim_phone": f"07700{n:06d}",
            "perpetrator_given_name": f"Bob{n}", "perpetrator_family_name": f"Jones{n % 89}", "perpetrator_relationship": "Ex-partner",
            "checklist_score": "16", "consent_given": "yes",
        }
        for n in range(count)
    ]
    return rows


def test_a_bad_row_in_the_middle_of_a_2000_row_file_leaves_nothing_written(tmp_path, marac, intake):
    rows = _big_file(2000)
    rows[1000]["victim_lgbt"] = "perhaps"
    report = _import(tmp_path, rows, intake, marac)
    assert (report.created, [reject.referral_id for reject in report.rejects]) == (0, ["BIG-1000"])
    assert _nothing_written()


def test_a_row_refused_after_batches_were_written_rolls_the_whole_2000_rows_back(tmp_path, marac, intake, monkeypatch):
    rows = _big_file(2000)
    check = services.referral_problems
    refused = {"BIG-1700", "BIG-1999"}

    def refuse(*, data, **kwargs):
        return {"referred_on": "The referral date cannot be in the future"} if data.source_key in refused else check(data=data, **kwargs)

    # Batches of 500: three are written before the first refusal is met.
    monkeypatch.setattr(bulk, "referral_problems", refuse)
    audit_events = AuditEvent.objects.count()
    report = _import(tmp_path, rows, intake, marac)
    assert report.created == 0 and sorted(reject.referral_id for reject in report.rejects) == sorted(refused)
    assert _nothing_written() and AuditEvent.objects.count() == audit_events

    partial = _import(tmp_path, rows, intake, marac, partial=True)
    assert partial.created == 1998 and Referral.objects.count() == 1998


def test_ids_stay_fresh_after_an_import_so_a_referral_recorded_later_gets_new_ones(tmp_path, marac, intake, generator):
    report = _import(tmp_path, _big_file(600), intake, marac)
    assert report.created == 600
    highest = {model: model.objects.order_by("-pk").values_list("pk", flat=True).first() for model in (Person, Case, Referral, AuditEvent)}
    data = generator.referral(marac=marac, referring_agency=intake["chair"].agency)
    referral = services.referral_record(marac=marac, data=data, by=intake["referrer"])
    assert referral.pk > highest[Referral] and referral.case.pk > highest[Case] and referral.case.victim.pk > highest[Person]
    assert AuditEvent.objects.order_by("-pk").first().pk > highest[AuditEvent]
    # And the audit chain, appended to by the import in bulk and by the referral one by one, is whole.
    assert audit.verify_chain().whole
