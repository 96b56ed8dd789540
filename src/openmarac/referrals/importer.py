"""Bulk import of referrals from a CSV file: a Marac's history or a police batch.

The format is documented for coordinators in docs/import-format.md; keep the two in
step. Every row becomes a `ReferralData` and is recorded with `referral_record`, as
the web form's referrals are, so matching runs on imported people too. Each row
carries the source system's own `referral_id`, kept as `Referral.source_key`: a
re-run skips the rows already imported instead of duplicating them.
"""

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from os import PathLike
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from openmarac.access import policy
from openmarac.accounts.models import AgencyKind
from openmarac.audit import services as audit
from openmarac.people.models import UNBORN_GIVEN_NAME, YesNoUnknown
from openmarac.people.services import PersonData

from . import bulk, services
from .models import LegalGround, OLD_HUMAN_RIGHTS_GROUND, Referral
from .services import LinkedPerson, ReferralData, SharingDecisionData

_PERSON_FIELDS = ("given_name", "family_name", "aliases", "date_of_birth")
_PERPETRATOR_FIELDS = (*_PERSON_FIELDS, "relationship", "postcode")
_SHARING_COLUMNS = ("sharing_legal_grounds", "sharing_review_on", "sharing_caseworker", "sharing_manager", "sharing_signed_on")

#: Every column the format knows, in the documented order.
COLUMNS = (
    "referral_id", "referred_on", "disclosed_on", "referring_agency_kind", "referrer_name", "referrer_email", "reasons",
    *(f"victim_{name}" for name in _PERSON_FIELDS),
    "victim_gender", "victim_postcode", "victim_address", "victim_address_sealed", "victim_phone",
    "victim_phone_safe_to_call", "victim_racially_minoritised", "victim_disabled", "victim_lgbt", "victim_ethnicity",
    "victim_under_16_reason",
    *(f"perpetrator_{name}" for name in _PERPETRATOR_FIELDS),
    *(f"perpetrator2_{name}" for name in _PERPETRATOR_FIELDS),
    "children", "checklist_score", "checklist_yes", "professional_judgement", "professional_judgement_rationale",
    "police_incidents_last_12_months", "repeat_declared", "previous_marac_reference", "consent_given",
    *_SHARING_COLUMNS,
    "heard_on",
)
#: The header must name these; any other column may be left out altogether.
REQUIRED_COLUMNS = ("referral_id", "referred_on", "referring_agency_kind", "victim_given_name", "victim_family_name")
#: The column a rejects file adds. It is ignored on reading, so a corrected rejects
#: file can be imported as it is.
REASON_COLUMN = "reason"

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YES_NO = {"yes": True, "no": False}
_YES_NO_UNKNOWN = {value: value for value in YesNoUnknown.values}
# Built once: `Choices.values` makes a new list on every read.
_AGENCY_KINDS = {value: value for value in AgencyKind.values}

# Where to look when `referral_problems` (written for the web form) names a field.
_COLUMN_HINTS = {
    "criteria": "checklist_score or checklist_yes, professional_judgement, police_incidents_last_12_months, repeat_declared",
    "professional_judgement_rationale": "professional_judgement_rationale",
    "victim_under_16_reason": "victim_under_16_reason",
    "disclosed_on": "disclosed_on",
}


# The columns each of `referral_problems`' checks reads, by the first word of the
# check's key ("child_2" reads "children").
_CHECK_COLUMNS = {
    "referred": {"referred_on"},
    "victim": {"victim_date_of_birth", "victim_under_16_reason"},
    "perpetrator": {"perpetrator_date_of_birth", "perpetrator2_date_of_birth"},
    "heard": {"heard_on", "referred_on"},
    "child": {"children"},
    "professional": {"professional_judgement"},
    "checklist": {"checklist_yes"},
    "criteria": {"checklist_score", "checklist_yes", "professional_judgement", "police_incidents_last_12_months", "repeat_declared"},
    "sharing": {"consent_given", "sharing_legal_grounds", "sharing_review_on", "sharing_caseworker", "sharing_manager",
                "sharing_signed_on"},
}


class ImportFileError(Exception):
    """The file as a whole cannot be read (not CSV, not UTF-8, a bad header)."""


@dataclass(frozen=True)
class Reject:
    line: int
    referral_id: str
    reason: str
    # The row as the file gave it, {column: value}, for the rejects file.
    row: dict = field(default_factory=dict, compare=False, repr=False)

    def __str__(self):
        return f"line {self.line} (ref {self.referral_id or 'missing'}): {self.reason}"


@dataclass
class ParseResult:
    rows: list  # [(line, ReferralData)]
    rejects: list  # [Reject]
    already_imported: int = 0
    columns: list = field(default_factory=list)  # the file's header, for the rejects file
    originals: dict = field(default_factory=dict, repr=False)  # {line: row}, for rejects found when recording


@dataclass
class ImportReport:
    created: int
    already_imported: int
    rejects: list
    columns: list = field(default_factory=list)


# --- Reading ----------------------------------------------------------------------


def parse(path_or_file, *, marac, by=None):
    """Read and check a whole file without writing anything. `by` becomes the review
    owner of any information-sharing-without-consent record."""
    columns, records = _read(path_or_file)
    # The checklist each kind of referring agency completes (the Marac may use the police
    # DASH for police referrals), read once for the file.
    definitions = {kind: services.checklist_definition(marac, agency_kind=kind) for kind in ["", *AgencyKind.values]}
    # Looked up once, not per row: a history file may have thousands of rows.
    agencies = {kind: services.agency_of_kind(marac, kind) for kind in AgencyKind.values}
    imported = set(Referral.objects.filter(marac=marac).exclude(source_key="").values_list("source_key", flat=True))
    id_counts = Counter(row["referral_id"].strip() for _, row, _ in records)
    # Read once: the current time zone is a thread-local lookup, and a file asks for
    # "today" several times on each of its rows.
    today = timezone.localdate()
    result = ParseResult(rows=[], rejects=[], columns=columns)
    for line, row, value_count in records:
        referral_id = row["referral_id"].strip()
        result.originals[line] = row
        if value_count != len(columns):
            # Too many: a comma in a value lost its quotes, and the values have moved
            # column. Too few: the row or the file was cut short.
            problems = [f"the line has {value_count} values but the header names {len(columns)} columns"]
        elif not referral_id:
            problems = ["referral_id is required: give each referral the source system’s own identifier"]
        elif id_counts[referral_id] > 1:
            # Which of the lines is right cannot be told, so none is imported.
            problems = [f"referral_id {referral_id} is on {id_counts[referral_id]} lines of this file: each referral needs its own"]
        elif referral_id in imported:
            result.already_imported += 1
            continue
        else:
            data, problems = _referral(_Row(row, today), marac=marac, definitions=definitions, agencies=agencies, by=by)
            if not problems:
                result.rows.append((line, data))
                continue
        result.rejects.append(Reject(line, referral_id, "; ".join(problems), row))
    return result


def _read(path_or_file):
    """(columns, [(line, {column: value}, number of values on the line)])."""
    try:
        if isinstance(path_or_file, (str, PathLike)):
            # utf-8-sig: spreadsheets saving "CSV UTF-8" start the file with a byte order mark.
            with open(path_or_file, encoding="utf-8-sig", newline="") as file:
                return _records(file)
        return _records(path_or_file)
    except OSError as error:
        raise ImportFileError(f"Cannot read {path_or_file}: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise ImportFileError("The file is not UTF-8 text: save it from the spreadsheet as “CSV UTF-8”") from error
    except csv.Error as error:
        raise ImportFileError(f"The file is not valid CSV: {error}") from error


def _records(file):
    reader = csv.reader(file)
    header = next(reader, None)
    if not header:
        raise ImportFileError("The file is empty: the first line must be a header naming the columns")
    columns = [name.strip().lower() for name in header]
    _check_header(columns)
    records = []
    # A quoted value may run over several lines, so a record's line is where it starts.
    end_of_last = reader.line_num
    for values in reader:
        line, end_of_last = end_of_last + 1, reader.line_num
        if not any(value.strip() for value in values):
            continue  # a blank line, or a spreadsheet row of empty cells
        padded = values + [""] * (len(columns) - len(values))
        records.append((line, dict(zip(columns, padded)), len(values)))
    return columns, records


def _check_header(columns):
    problems = []
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        problems.append(f"the header lacks the required column(s) {', '.join(missing)}")
    # An unknown column is most likely a misspelt one; ignoring it would lose its data.
    unknown = [name for name in columns if name not in COLUMNS and name != REASON_COLUMN]
    if unknown:
        problems.append(f"the header has unknown column(s) {', '.join(repr(name) for name in unknown)}")
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        problems.append(f"the header names {', '.join(repeated)} more than once")
    if problems:
        raise ImportFileError(f"Line 1: {'; '.join(problems)}. See docs/import-format.md for the columns.")


class _Row:
    """One row, read column by column. Problems are collected rather than raised so
    that a reject names everything wrong with the row at once."""

    def __init__(self, values, today):
        self.values = values
        self.today = today
        self.problems = []
        self.columns_with_problems = set()

    def problem(self, column, message):
        self.problems.append(message)
        self.columns_with_problems.add(column)

    def text(self, column, *, required=False, max_length=None):
        value = (self.values.get(column) or "").strip()
        if required and not value:
            self.problem(column, f"{column} is required")
        elif max_length and len(value) > max_length:
            self.problem(column, f"{column} is longer than {max_length} characters")
        return value

    def choice(self, column, allowed, *, blank=None, required=False):
        value = self.text(column, required=required)
        if not value:
            return blank
        if value.lower() in allowed:
            return allowed[value.lower()]
        self.problem(column, f"{column}: “{value}” is not one of {', '.join(allowed)}")
        return blank

    def date(self, column, *, required=False, not_future=False):
        value = self.text(column, required=required)
        if not value:
            return None
        parsed = _date(value)
        if parsed is None:
            self.problem(column, f"{column}: “{value}” is not a date in the form YYYY-MM-DD")
        elif not_future and parsed > self.today:
            self.problem(column, f"{column} cannot be in the future")
        return parsed

    def integer(self, column, *, low, high):
        value = self.text(column)
        if not value:
            return None
        if value.isdigit() and low <= int(value) <= high:
            return int(value)
        self.problem(column, f"{column}: “{value}” is not a whole number from {low} to {high}")
        return None

    def items(self, column):
        """A ";"-separated list, blanks dropped."""
        return [item.strip() for item in self.text(column).split(";") if item.strip()]


def _date(value):
    if not _DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:  # 2024-02-30
        return None


def _referral(row, *, marac, definitions, agencies, by):
    """(ReferralData, problems): the parse problems, or if there are none those of
    `referral_problems`, which needs well-formed data to check."""
    referred_on = row.date("referred_on", required=True)
    kind = row.choice("referring_agency_kind", _AGENCY_KINDS, blank="", required=True)
    definition = definitions.get(kind) or definitions[""]
    referrer_email = row.text("referrer_email", max_length=254)
    if referrer_email:
        try:
            validate_email(referrer_email)
        except ValidationError:
            row.problem("referrer_email", f"referrer_email: “{referrer_email}” is not an email address")
    consent = row.choice("consent_given", _YES_NO)
    data = ReferralData(
        source_key=row.text("referral_id", max_length=200),
        referred_on=referred_on,
        disclosed_on=row.date("disclosed_on", not_future=True),
        referring_agency_kind=kind,
        referring_agency=agencies.get(kind),
        referrer_name=row.text("referrer_name", max_length=150),
        referrer_email=referrer_email,
        reasons=row.text("reasons"),
        victim=_victim(row),
        victim_under_16_reason=row.text("victim_under_16_reason"),
        perpetrators=[p for p in (_perpetrator(row, "perpetrator"), _perpetrator(row, "perpetrator2")) if p],
        children=_children(row),
        checklist_id=definition.id,
        checklist_version=definition.version,
        professional_judgement=row.choice("professional_judgement", _YES_NO, blank=False),
        professional_judgement_rationale=row.text("professional_judgement_rationale"),
        police_incidents_last_12_months=row.integer("police_incidents_last_12_months", low=0, high=999),
        repeat_declared=row.choice("repeat_declared", _YES_NO, blank=False),
        previous_marac_reference=row.text("previous_marac_reference", max_length=60),
        consent_given=consent,
        sharing=_sharing(row, by) if consent is False else None,
        heard_on=row.date("heard_on", not_future=True),
    )
    data.checklist_score, data.checklist_answers = _checklist(row, definition)
    if data.heard_on and referred_on and data.heard_on < referred_on:
        row.problem("heard_on", "heard_on is before referred_on: a case is heard after it is referred")
    # The checks the web form makes too, on what could be read, so that every problem
    # of the row is reported at once; a check is left out when a column it reads could
    # not be read (that column's own problem says so). They all need the referral date.
    checks = services.referral_problems(marac=marac, data=data, today=row.today) if referred_on else {}
    checks = {key: message for key, message in checks.items() if not _CHECK_COLUMNS.get(key.split("_")[0], set()) & row.columns_with_problems}
    return data, row.problems + [
        f"{message} (see {_COLUMN_HINTS[key]})" if key in _COLUMN_HINTS else message for key, message in checks.items()
    ]


def _names(row, prefix):
    """Given and family name, both required as on the web form, and the aliases."""
    given = row.text(f"{prefix}_given_name", required=True, max_length=100)
    family = row.text(f"{prefix}_family_name", required=True, max_length=100)
    # "Given Family; Family": the last word of each alias is the family name.
    aliases = []
    for alias in row.items(f"{prefix}_aliases"):
        *given_words, family_word = alias.split()
        aliases.append((" ".join(given_words), family_word))
    if any(len(name) > 100 for alias in aliases for name in alias):
        row.problem(f"{prefix}_aliases", f"{prefix}_aliases: a name is longer than 100 characters")
    return given, family, aliases


def _victim(row):
    given, family, aliases = _names(row, "victim")
    return PersonData(
        given_name=given,
        family_name=family,
        aliases=aliases,
        date_of_birth=row.date("victim_date_of_birth"),
        gender=row.text("victim_gender", max_length=40),
        ethnicity=row.text("victim_ethnicity", max_length=100),
        racially_minoritised=row.choice("victim_racially_minoritised", _YES_NO_UNKNOWN, blank=YesNoUnknown.UNKNOWN),
        disabled=row.choice("victim_disabled", _YES_NO_UNKNOWN, blank=YesNoUnknown.UNKNOWN),
        lgbt=row.choice("victim_lgbt", _YES_NO_UNKNOWN, blank=YesNoUnknown.UNKNOWN),
        address_line_1=row.text("victim_address", max_length=200),
        postcode=row.text("victim_postcode", max_length=10),
        address_sealed=row.choice("victim_address_sealed", _YES_NO, blank=False),
        phone=row.text("victim_phone", max_length=30),
        phone_safe_to_call=row.choice("victim_phone_safe_to_call", _YES_NO_UNKNOWN, blank=YesNoUnknown.UNKNOWN),
    )


def _perpetrator(row, prefix):
    """None when the row names no such perpetrator (the columns are blank or absent)."""
    if not any(row.text(f"{prefix}_{name}") for name in _PERPETRATOR_FIELDS):
        return None
    given, family, aliases = _names(row, prefix)
    person = PersonData(
        given_name=given,
        family_name=family,
        aliases=aliases,
        # Services check the victim's and children's dates of birth, not perpetrators'.
        date_of_birth=row.date(f"{prefix}_date_of_birth", not_future=True),
        postcode=row.text(f"{prefix}_postcode", max_length=10),
    )
    return LinkedPerson(person, relationship_to_victim=row.text(f"{prefix}_relationship", max_length=100))


def _children(row):
    """"Given Family YYYY-MM-DD; ...": both names and the date of birth, as the web form
    asks; "Given Family unknown" when the date of birth is not known, and "[Given]
    Family expected YYYY-MM-DD" for an unborn child."""
    children = []
    for number, entry in enumerate(row.items("children"), start=1):
        *names, born = entry.split()
        expected = bool(names) and names[-1].lower() == "expected"
        if expected:
            names.pop()
        date_of_birth = None if born.lower() == "unknown" and not expected else _date(born)
        given, family = " ".join(names[:-1]), names[-1] if names else ""
        if expected and not given and family:
            given = UNBORN_GIVEN_NAME
        if not given or (date_of_birth is None and born.lower() != "unknown"):
            row.problem(
                "children",
                f"children: child {number} (“{entry}”) is not in the form Given Family YYYY-MM-DD "
                "(or Given Family unknown, or Family expected YYYY-MM-DD for an unborn child)"
            )
            continue
        if len(given) > 100 or len(family) > 100:
            row.problem("children", f"children: child {number}’s name is longer than 100 characters")
            continue
        person = PersonData(
            given_name=given, family_name=family,
            date_of_birth=None if expected else date_of_birth, expected_birth_on=date_of_birth if expected else None,
        )
        children.append(LinkedPerson(person, relationship_to_victim="Child"))
    return children


def _checklist(row, definition):
    """(score, answers). Answers when the file says which questions were answered yes
    (every other question counts as answered no); only a score when that is all the
    source system kept; neither when no checklist was done."""
    score = row.integer("checklist_score", low=0, high=definition.max_score)
    yes = row.items("checklist_yes")
    if not yes:
        return score, None
    if row.text("checklist_score"):
        row.problem("checklist_score", "give checklist_score or checklist_yes, not both")
        return None, None
    numbers = {question.number: question.key for question in definition.questions}
    not_questions = [item for item in yes if not (item.isdigit() and int(item) in numbers)]
    if not_questions:
        row.problem(
            "checklist_yes",
            f"checklist_yes: {', '.join(not_questions)} not question numbers of the {definition.name} (1 to {definition.max_score})"
        )
        return None, None
    yes_keys = {numbers[int(item)] for item in yes}
    answers = {key: {"answer": definition.scored_answer if key in yes_keys else "no"} for key in numbers.values()}
    return None, answers


def _sharing(row, by):
    """The information sharing without consent record a "no" to consent needs."""
    missing = [column for column in _SHARING_COLUMNS if not row.text(column)]
    if missing:
        row.problem(
            "consent_given",
            "consent_given is no, so the information sharing without consent record is needed: "
            f"fill in {', '.join(missing)}"
        )
        return None
    grounds = []
    for ground in row.items("sharing_legal_grounds"):
        # The two human rights grounds were once one value: it still reads as both.
        grounds += [LegalGround.RIGHT_TO_LIFE.value, LegalGround.FREEDOM_FROM_TORTURE.value] if ground == OLD_HUMAN_RIGHTS_GROUND else [ground]
    unknown = [ground for ground in grounds if ground not in LegalGround.values]
    if unknown:
        row.problem("sharing_legal_grounds", f"sharing_legal_grounds: {', '.join(unknown)} not one of {', '.join(LegalGround.values)}")
    signed_on = row.date("sharing_signed_on", not_future=True)
    return SharingDecisionData(
        legal_grounds=grounds,
        review_on=row.date("sharing_review_on"),
        review_owner=by,
        caseworker_name=row.text("sharing_caseworker", max_length=150),
        caseworker_signed_on=signed_on,
        manager_name=row.text("sharing_manager", max_length=150),
        manager_signed_on=signed_on,
    )


# --- Writing ----------------------------------------------------------------------


def import_file(path, *, marac, by, partial=False, progress=None):
    """Import a file. Without `partial`, nothing is written unless every row is good;
    with it, the good rows are written and the rest come back as rejects. `progress(n)`
    is told how many rows each batch recorded (a progress bar). Notifications are not
    sent: imported history is not news to anyone. Rows are written in batches
    (`bulk.record_referrals`), as `services.referral_record` writes them one by one."""
    # The command checks first, to say so clearly; this stops any other caller.
    if not policy.can_import_referrals(by, marac):
        raise PermissionDenied
    parsed = parse(path, marac=marac, by=by)
    report = ImportReport(created=0, already_imported=parsed.already_imported, rejects=list(parsed.rejects), columns=parsed.columns)
    if report.rejects and not partial:
        return report
    # One transaction: an interrupted import writes nothing, so it can simply be re-run.
    with transaction.atomic():
        # by=None: the importer did not make the referrals, and must not become their
        # referrer (who follows them); the file's referrer_name says who did.
        created, refused = bulk.record_referrals(marac=marac, rows=parsed.rows, recorded_by=by, progress=progress)
        report.created = created
        # referral_problems is checked again while recording; the day may have changed since parsing.
        report.rejects += [Reject(line, key, "; ".join(problems), parsed.originals[line]) for line, key, problems in refused]
        if report.rejects and not partial:
            transaction.set_rollback(True)
            report.created = 0
            return report
        name = Path(getattr(path, "name", str(path))).name
        audit.record(
            action=audit.Action.CREATED,
            actor=by,
            marac=marac,
            record_type="referrals.import",
            record_id=name[:64],
            summary=f"Referrals imported from {name}: {summary(report)}",
        )
    return report


def summary(report):
    referrals = "referral" if report.created == 1 else "referrals"
    return f"Imported {report.created} {referrals}; {report.already_imported} already imported; {len(report.rejects)} rejected"


def write_rejects(path, report, *, by, marac):
    """The rejected rows as the file had them, with a `reason` column added. The file
    holds personal data from the import, so writing it is an export in the audit trail;
    it names no reader in the file itself, so that it can be corrected and imported again."""
    columns = [name for name in report.columns if name != REASON_COLUMN]
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([*columns, REASON_COLUMN])
        for reject in sorted(report.rejects, key=lambda r: r.line):
            writer.writerow([*(reject.row.get(name, "") for name in columns), f"line {reject.line}: {reject.reason}"])
    audit.record(
        action=audit.Action.EXPORTED, actor=by, marac=marac, record_type="referrals.import",
        record_id=Path(str(path)).name[:64], summary=f"{len(report.rejects)} rejected rows written to {Path(str(path)).name}"[:500],
    )
