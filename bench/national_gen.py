"""Ten years of national Marac history loaded into PostgreSQL with COPY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/om_national \\
        PYTHONPATH=src .venv/bin/python -m bench.national_gen --scale 1

At scale 1: 1.2 million cases over ten years (120,000 a year) in 40 Maracs, with their
people (victim, perpetrator, children), address and phone, referrals (15% repeats of a
case heard in the previous year), Idva referrals, agency involvements, meetings of 40
cases, agenda items, hearings, research returns (four agencies a case), the attendance
register and about 10 million actions. The Maracs, agencies, users and meeting patterns
are made through the ORM (a few hundred rows); everything else is streamed with COPY,
one connection per table, all tables filled in one pass over the referrals.

The database is migrated first; it must be empty of cases (use a fresh database). The
foreign-key triggers are off while loading (session_replication_role = replica), the
plain indexes of the loaded tables are dropped before and built again after, and the
sequences are moved past the ids used. `--check` then looks for orphans in every foreign
key of the loaded tables (worth running at small scale; it scans everything).

Sign-in: every bench user has the password "bench-marac-password" and a confirmed TOTP
device; emails are <role>@<marac slug>.bench.invalid (e.g. coordinator@m01.bench.invalid).
"""

import argparse
import os
import random
import resource
import time
import uuid
from array import array
from datetime import date, datetime, timedelta, timezone

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmarac.config.settings.dev")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, models  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402
from faker.providers.person.en_GB import Provider as NameProvider  # noqa: E402

from openmarac.accounts.models import AgencyKind, MaracAgency, Membership, Role, User  # noqa: E402
from openmarac.actions.models import Action, ActionKind, ForWhom  # noqa: E402
from openmarac.meetings.models import AgendaItem, Attendance, Hearing, Meeting, MeetingSchedule, ResearchReturn  # noqa: E402
from openmarac.people.models import Address, Person, Phone  # noqa: E402
from openmarac.referrals.models import Case, CaseInvolvement, IdvaReferral, Referral, ReferenceCounter, ReferralPerson  # noqa: E402
from openmarac.synthetic.accounts import marac_with_agencies  # noqa: E402

BENCH_PASSWORD = "bench-marac-password"
CASES_AT_SCALE_1 = 1_200_000
MARACS_AT_SCALE_1 = 40
YEARS = 10
REPEAT_SHARE = 0.15
REPEAT_WINDOW_CASES = 3_000  # a repeat is of one of the Marac's last 3,000 cases (about a year at scale 1)
CASES_PER_MEETING = 40
RESEARCH_KINDS = [AgencyKind.POLICE, AgencyKind.IDVA, AgencyKind.HOUSING, AgencyKind.CHILDRENS_SOCIAL_CARE]
ACCOUNTS = [  # (role, agency kind, email local part)
    (Role.COORDINATOR, AgencyKind.IDVA, "coordinator"),
    (Role.CHAIR, AgencyKind.POLICE, "chair"),
    (Role.REPRESENTATIVE, AgencyKind.HOUSING, "housing"),
    (Role.REPRESENTATIVE, AgencyKind.POLICE, "police"),
    (Role.IDVA, AgencyKind.IDVA, "idva"),
    (Role.REFERRER, AgencyKind.HOUSING, "referrer"),
    (Role.GOVERNANCE, AgencyKind.ADULT_SOCIAL_CARE, "governance"),
]
ActionChild = Action.children.through  # which children an action for children is for
LOADED = [Person, Address, Phone, Case, Referral, ReferralPerson, IdvaReferral, CaseInvolvement, Meeting, AgendaItem,
          Hearing, ResearchReturn, Attendance, Action, ActionChild]
DESCRIPTIONS = [
    "Fit target-hardening to the property (locks, door chain, letterbox cover)",
    "Flag the address on the police command-and-control system for 12 months",
    "Idva to discuss the safety plan with the victim by phone at a safe time",
    "Children's social care to complete a child and family assessment",
    "Housing to discuss a management transfer with the victim",
    "Probation to address the perpetrator's compliance with licence conditions",
    "Health visitor to see the victim alone at the next appointment",
    "Refer the victim to the sanctuary scheme",
    "Share the Marac outcome with the school's designated safeguarding lead",
    "Mental health trust to review the perpetrator's care plan",
]
RESEARCH_TEXT = "Known to us: two call-outs in the last year, both verbal arguments; no injuries recorded."
MINUTES = "Risks discussed with all agencies present; actions agreed as below. Victim's views given by the Idva."


class Stream:
    """One COPY into one table: the columns the generator varies come first, the others
    take their model default (or now, for auto timestamps) once, as a constant tail."""

    def __init__(self, conninfo, model, varying, now):
        self.model = model
        self.table = model._meta.db_table
        fields = {f.column: f for f in model._meta.concrete_fields}
        tail_columns, tail = [], []
        for column, field in fields.items():
            if column in varying:
                continue
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value = now
            elif field.has_default():
                value = field.get_default()
                if isinstance(field, models.JSONField):
                    value = "{}" if value == {} else "[]"
            elif field.null:
                value = None
            elif field.blank and isinstance(field, (models.CharField, models.TextField)):
                value = ""
            else:
                raise ValueError(f"{self.table}.{column} needs a value")
            tail_columns.append(column)
            tail.append(value)
        unknown = set(varying) - set(fields)
        if unknown:
            raise ValueError(f"{self.table}: no columns {unknown}")
        self.tail = tuple(tail)
        self.rows = 0
        self.conn = psycopg.connect(conninfo)
        self.conn.execute("SET session_replication_role = replica")
        self.conn.execute("SET synchronous_commit = off")
        columns = ", ".join(f'"{c}"' for c in [*varying, *tail_columns])
        self.cm = self.conn.cursor().copy(f'COPY "{self.table}" ({columns}) FROM STDIN')
        self.copy = self.cm.__enter__()

    def write(self, values):
        self.copy.write_row(values + self.tail)
        self.rows += 1

    def close(self):
        self.cm.__exit__(None, None, None)
        self.conn.commit()
        self.conn.close()


def conninfo():
    db = settings.DATABASES["default"]
    parts = {"dbname": db["NAME"], "user": db.get("USER"), "password": db.get("PASSWORD"), "host": db.get("HOST"),
             "port": db.get("PORT")}
    return " ".join(f"{k}={v}" for k, v in parts.items() if v)


def plain_indexes(tables):
    """CREATE INDEX statements of the tables' indexes that back no constraint."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT i.indexname, i.indexdef FROM pg_indexes i
               WHERE i.tablename = ANY(%s) AND i.schemaname = 'public'
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""",
            [list(tables)],
        )
        return cursor.fetchall()


def name_pool(names, rng, size=20_000):
    if isinstance(names, dict):
        return rng.choices(list(names), weights=list(names.values()), k=size)
    return [rng.choice(list(names)) for _ in range(size)]


def setup_maracs(n_maracs, now):
    """Maracs, agencies, meeting patterns and one account per role in each (ORM)."""
    password = make_password(BENCH_PASSWORD)
    maracs = []
    for m in range(n_maracs):
        slug = f"m{m + 1:02d}"
        marac = marac_with_agencies(name=f"Bench Area {m + 1:02d} Marac", slug=slug, seed=m)
        MeetingSchedule.objects.get_or_create(marac=marac, defaults={"capacity": CASES_PER_MEETING})
        agencies = {link.agency.kind: link.agency_id for link in MaracAgency.objects.filter(marac=marac).select_related("agency")}
        users = {}
        for role, kind, local in ACCOUNTS:
            email = f"{local}@{slug}.bench.invalid"
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User(email=email, full_name=f"{local.title()} {slug.upper()}", agency_id=agencies[kind], password=password)
                user.save()
                TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
            Membership.objects.get_or_create(user=user, marac=marac, role=role)
            users[local] = user.pk
        maracs.append((marac, agencies, users))
    return maracs


def max_id(model):
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{model._meta.db_table}"')
        return cursor.fetchone()[0]


def generate(scale, seed, today):
    rng = random.Random(seed)
    now = datetime.combine(today, datetime.min.time(), tzinfo=timezone.utc)
    start = today - timedelta(days=365 * YEARS)
    n_cases = round(CASES_AT_SCALE_1 * scale)
    n_maracs = max(1, round(MARACS_AT_SCALE_1 * scale**0.5))
    n_refs = round(n_cases / (1 - REPEAT_SHARE))

    given_f = name_pool(NameProvider.first_names_female, rng)
    given_m = name_pool(NameProvider.first_names_male, rng)
    family = name_pool(NameProvider.last_names, rng)
    towns = ["Northtown", "Southport", "Eastham", "Westbury", "Middleton", "Kingsford"]

    t0 = time.perf_counter()
    if Case.objects.exists():
        raise SystemExit("The database already holds cases: use a fresh database.")
    maracs = setup_maracs(n_maracs, now)
    ids = {model: max_id(model) for model in LOADED}

    def next_id(model):
        ids[model] += 1
        return ids[model]

    info = conninfo()
    tables = [m._meta.db_table for m in LOADED]
    indexes = plain_indexes(tables)
    with connection.cursor() as cursor:
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')

    s = {
        Person: Stream(info, Person, ["id", "marac_id", "given_name", "family_name", "date_of_birth", "gender"], now),
        Address: Stream(info, Address, ["id", "person_id", "line_1", "town", "postcode", "is_sealed"], now),
        Phone: Stream(info, Phone, ["id", "person_id", "number", "safe_to_call"], now),
        Case: Stream(info, Case, ["id", "public_id", "marac_id", "reference", "victim_id", "last_heard_on", "created_at"], now),
        Referral: Stream(info, Referral, [
            "id", "public_id", "marac_id", "case_id", "status", "referring_agency_id", "referring_agency_kind", "referrer_id",
            "referrer_name", "referred_on", "submitted_at", "reasons", "meets_visible_high_risk", "meets_professional_judgement",
            "meets_repeat", "repeat_of_id", "checklist_score", "victim_aware", "consent_given", "victim_age", "victim_gender",
            "victim_racially_minoritised", "victim_disabled", "victim_lgbt", "youngest_perpetrator_age", "children_count",
            "heard_on", "created_at"], now),
        ReferralPerson: Stream(info, ReferralPerson, ["id", "referral_id", "person_id", "role", "relationship_to_victim"], now),
        IdvaReferral: Stream(info, IdvaReferral, [
            "id", "referral_id", "idva_agency_id", "status", "first_contact_due", "first_contact_at", "created_at"], now),
        CaseInvolvement: Stream(info, CaseInvolvement, ["id", "case_id", "agency_id", "reason"], now),
        Meeting: Stream(info, Meeting, [
            "id", "public_id", "marac_id", "starts_at", "capacity", "research_deadline", "published_at", "pattern_date",
            "minutes_published_at"], now),
        AgendaItem: Stream(info, AgendaItem, ["id", "meeting_id", "referral_id", "listed_at"], now),
        Hearing: Stream(info, Hearing, ["id", "item_id", "minutes", "children_confirmed", "closed_at"], now),
        ResearchReturn: Stream(info, ResearchReturn, [
            "id", "meeting_id", "referral_id", "agency_id", "details_correct", "risk_information", "returned_by_id",
            "returned_at"], now),
        Attendance: Stream(info, Attendance, ["id", "meeting_id", "agency_id", "status", "information_sent_in_advance"], now),
        Action: Stream(info, Action, [
            "id", "case_id", "marac_id", "hearing_id", "kind", "owner_agency_id", "description", "for_whom", "due_on",
            "status", "completed_on", "created_by_id", "created_at", "agreed_marac_id", "agreed_meeting_at"], now),
        ActionChild: Stream(info, ActionChild, ["id", "action_id", "person_id"], now),
    }
    kinds = [k for k in ActionKind.values if k not in (ActionKind.UPDATE_RECORDS,)]
    for_whom = [ForWhom.VICTIM, ForWhom.VICTIM, ForWhom.VICTIM, ForWhom.PERPETRATOR, ForWhom.HOUSEHOLD]
    racial = ["yes", "no", "no", "no", "unknown"]
    disabled = ["yes", "no", "no", "no", "unknown"]
    lgbt = ["yes"] + ["no"] * 25 + ["unknown"] * 4
    span = (today + timedelta(days=21) - start).days  # the last meetings are still to come
    counters = {}

    refs_per_marac = [n_refs // n_maracs + (1 if m < n_refs % n_maracs else 0) for m in range(n_maracs)]
    for m, (marac, agencies, users) in enumerate(maracs):
        agency_ids = list(agencies.values())
        research_agencies = [agencies[k] for k in RESEARCH_KINDS]
        idva = agencies[AgencyKind.IDVA]
        children_agency = agencies[AgencyKind.CHILDRENS_SOCIAL_CARE]
        referrer_kinds = [(k, a) for k, a in agencies.items()]
        n = refs_per_marac[m]
        n_meetings = -(-n // CASES_PER_MEETING)
        # Cases of this Marac: first referral's id, victim and children person ids, last heard.
        case_ids, case_victim, case_perp, case_children, case_ref, case_people = array("q"), array("q"), array("q"), [], array("q"), []
        case_involved = []
        case_rows = []  # written when the Marac is done, with the day each was last heard
        meeting_id = None
        for i in range(n):
            j = i // CASES_PER_MEETING
            if i % CASES_PER_MEETING == 0:
                day = start + timedelta(days=(j * span) // n_meetings)
                starts_at = datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=9, minutes=30)
                held = day < today
                meeting_id = next_id(Meeting)
                s[Meeting].write((
                    meeting_id, uuid.UUID(int=rng.getrandbits(128), version=4), marac.pk, starts_at, CASES_PER_MEETING,
                    starts_at - timedelta(days=1), starts_at - timedelta(days=7), day,
                    starts_at + timedelta(days=5) if held and day < today - timedelta(days=7) else None))
                for agency_id in agency_ids:
                    if held:
                        r = rng.random()
                        status = "present" if r < 0.85 else "apologies" if r < 0.95 else "absent"
                        sent = status == "apologies" and rng.random() < 0.7
                    else:
                        status, sent = "", None
                    s[Attendance].write((next_id(Attendance), meeting_id, agency_id, status, sent))
            referred_on = day - timedelta(days=rng.randint(7, 28))
            submitted_at = datetime.combine(referred_on, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=rng.randint(8, 17))
            referral_id = next_id(Referral)
            repeat_of = None
            if len(case_ids) >= 100 and rng.random() < REPEAT_SHARE:
                c = len(case_ids) - 1 - rng.randrange(min(len(case_ids), REPEAT_WINDOW_CASES))
                case_id = case_ids[c]
                repeat_of = case_ref[c]
                case_ref[c] = referral_id
                people = case_people[c]
                involved = case_involved[c]
                victim_id = case_victim[c]
                children = case_children[c]
                perp_id = case_perp[c]
            else:
                c = len(case_ids)
                case_id = next_id(Case)
                year = referred_on.year
                prefix = f"{marac.slug.upper()}-{year}-"
                counters[prefix] = counters.get(prefix, 0) + 1
                victim_id = next_id(Person)
                female = rng.random() < 0.93
                dob = referred_on - timedelta(days=rng.randint(16 * 365, 75 * 365))
                surname = family[rng.randrange(20_000)]
                s[Person].write((victim_id, marac.pk, (given_f if female else given_m)[rng.randrange(20_000)], surname, dob,
                                 "Female" if female else "Male"))
                perp_id = next_id(Person)
                perp_dob = dob + timedelta(days=rng.randint(-3000, 3000))
                s[Person].write((perp_id, marac.pk, (given_m if female else given_f)[rng.randrange(20_000)],
                                 family[rng.randrange(20_000)], perp_dob, "Male" if female else "Female"))
                children = []
                for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 2, 3))):
                    child_id = next_id(Person)
                    child_dob = referred_on - timedelta(days=rng.randint(0, 16 * 365))
                    s[Person].write((child_id, marac.pk, (given_f, given_m)[rng.randrange(2)][rng.randrange(20_000)], surname,
                                     child_dob, ""))
                    children.append(child_id)
                postcode = f"N{rng.randint(1, 99)} {rng.randint(1, 9)}{chr(65 + rng.randrange(26))}{chr(65 + rng.randrange(26))}"
                s[Address].write((next_id(Address), victim_id, f"{rng.randint(1, 200)} {family[rng.randrange(20_000)]} Road",
                                  towns[rng.randrange(6)], postcode, rng.random() < 0.05))
                s[Phone].write((next_id(Phone), victim_id, f"07{rng.randint(100000000, 999999999)}", "yes"))
                case_rows.append([case_id, uuid.UUID(int=rng.getrandbits(128), version=4), marac.pk,
                                  f"{prefix}{counters[prefix]:04d}", victim_id, None, submitted_at])
                people = [(victim_id, "victim", ""), (perp_id, "perpetrator", "Partner")]
                people += [(child, "child", "Child") for child in children]
                involved = set()
                case_ids.append(case_id)
                case_victim.append(victim_id)
                case_perp.append(perp_id)
                case_children.append(children)
                case_ref.append(referral_id)
                case_people.append(people)
                case_involved.append(involved)
            if held:
                case_rows[c][5] = day
            kind, referring = referrer_kinds[rng.randrange(len(referrer_kinds))]
            score = rng.randint(8, 24)
            status = "heard" if held else "listed"
            s[Referral].write((
                referral_id, uuid.UUID(int=rng.getrandbits(128), version=4), marac.pk, case_id, status, referring, kind, None,
                "Referring officer", referred_on, submitted_at, "Disclosed further abuse to the referrer.", score >= 14,
                score < 14, repeat_of is not None, repeat_of, score, True, rng.random() < 0.8, rng.randint(16, 75),
                "Female", racial[rng.randrange(5)], disabled[rng.randrange(5)], lgbt[rng.randrange(30)], rng.randint(16, 70),
                len(children), day if held else None, submitted_at))
            for person_id, role, relationship in people:
                s[ReferralPerson].write((next_id(ReferralPerson), referral_id, person_id, role, relationship))
            first_contact = submitted_at + timedelta(hours=rng.randint(2, 72))
            s[IdvaReferral].write((
                next_id(IdvaReferral), referral_id, idva, "closed" if held else "in_contact", submitted_at + timedelta(hours=48),
                first_contact, submitted_at))
            for agency_id, reason in ((referring, "referred"), (idva, "idva_referral")):
                if (agency_id, reason) not in involved:
                    involved.add((agency_id, reason))
                    s[CaseInvolvement].write((next_id(CaseInvolvement), case_id, agency_id, reason))
            if children and (children_agency, "children_referral") not in involved:
                involved.add((children_agency, "children_referral"))
                s[CaseInvolvement].write((next_id(CaseInvolvement), case_id, children_agency, "children_referral"))
            item_id = next_id(AgendaItem)
            s[AgendaItem].write((item_id, meeting_id, referral_id, starts_at - timedelta(days=8)))
            returned = starts_at - timedelta(days=rng.randint(1, 5))
            for agency_id in research_agencies:
                if held or rng.random() < 0.5:
                    s[ResearchReturn].write((next_id(ResearchReturn), meeting_id, referral_id, agency_id, "yes", RESEARCH_TEXT,
                                             None, returned))
            if not held:
                continue
            hearing_id = next_id(Hearing)
            s[Hearing].write((hearing_id, item_id, MINUTES, True, starts_at + timedelta(minutes=10 * (i % CASES_PER_MEETING))))
            recent = day > today - timedelta(days=120)
            for _ in range(rng.randint(3, 11)):  # 7 on average
                owner = agency_ids[rng.randrange(len(agency_ids))]
                due_on = day + timedelta(days=rng.randint(7, 90))
                r = rng.random()
                if recent or r < 0.005:
                    status, completed = "open", None
                elif r < 0.9:
                    status, completed = "completed", due_on - timedelta(days=rng.randint(0, 6))
                else:
                    status, completed = "not_possible", None
                whom = for_whom[rng.randrange(5)]
                child = None
                if children and rng.random() < 0.3:
                    whom, child = ForWhom.CHILD, children[rng.randrange(len(children))]
                action_id = next_id(Action)
                s[Action].write((
                    action_id, case_id, marac.pk, hearing_id, kinds[rng.randrange(len(kinds))], owner,
                    DESCRIPTIONS[rng.randrange(len(DESCRIPTIONS))], whom, due_on, status, completed,
                    users["coordinator"], starts_at, marac.pk, starts_at))
                if child:
                    s[ActionChild].write((next_id(ActionChild), action_id, child))
                if (owner, "action") not in involved:
                    involved.add((owner, "action"))
                    s[CaseInvolvement].write((next_id(CaseInvolvement), case_id, owner, "action"))
        for row in case_rows:
            s[Case].write(tuple(row))
        print(f"  {marac.slug}: {n} referrals, {len(case_ids)} cases, {n_meetings} meetings "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)

    rows = {model._meta.db_table: stream.rows for model, stream in s.items()}
    for stream in s.values():
        stream.close()
    t_copy = time.perf_counter() - t0
    with connection.cursor() as cursor:
        for prefix, last in counters.items():
            cursor.execute(
                f'INSERT INTO "{ReferenceCounter._meta.db_table}" (prefix, last_number) VALUES (%s, %s) '
                "ON CONFLICT (prefix) DO UPDATE SET last_number = GREATEST(EXCLUDED.last_number, "
                f'"{ReferenceCounter._meta.db_table}".last_number)', [prefix, last])
    t_counters = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for _, sql in indexes:
            cursor.execute(sql)
    t_index = time.perf_counter() - t0
    with connection.cursor() as cursor:
        for model in LOADED:
            table = model._meta.db_table
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), %s)", [max(ids[model], 1)])
            cursor.execute(f'ANALYZE "{table}"')
    t_total = time.perf_counter() - t0
    return {"rows": rows, "maracs": n_maracs, "copy": t_copy, "index": t_index - t_counters,
            "analyse": t_total - t_index, "total": t_total}


def check_foreign_keys():
    """Orphans in every foreign key of the loaded tables (should all be 0)."""
    problems = []
    with connection.cursor() as cursor:
        for model in LOADED:
            for field in model._meta.concrete_fields:
                if not field.is_relation:
                    continue
                target = field.related_model._meta.db_table
                cursor.execute(
                    f'SELECT COUNT(*) FROM "{model._meta.db_table}" t LEFT JOIN "{target}" r ON r.id = t."{field.column}" '
                    f'WHERE t."{field.column}" IS NOT NULL AND r.id IS NULL')
                orphans = cursor.fetchone()[0]
                if orphans:
                    problems.append(f"{model._meta.db_table}.{field.column}: {orphans} orphans")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 1.2 million cases (default)")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    parser.add_argument("--check", action="store_true", help="look for orphaned foreign keys afterwards")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database.")
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    t_migrate = time.perf_counter() - t0
    result = generate(args.scale, args.seed, args.today)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print(f"National data at scale {args.scale:g} ({result['maracs']} Maracs), seed {args.seed}, today {args.today}")
    print()
    print("| Table | Rows |")
    print("|---|---:|")
    for table, rows in result["rows"].items():
        print(f"| {table} | {rows:,} |")
    print(f"| **all** | **{sum(result['rows'].values()):,}** |")
    print()
    print("| Step | Seconds |")
    print("|---|---:|")
    print(f"| migrate | {t_migrate:.0f} |")
    for step in ("copy", "index", "analyse", "total"):
        print(f"| {step} | {result[step]:.0f} |")
    print(f"| peak memory of the generator (MiB) | {peak:.0f} |")
    if args.check:
        problems = check_foreign_keys()
        print("Foreign keys: " + ("; ".join(problems) if problems else "no orphans"))


if __name__ == "__main__":
    main()
