"""A quarter with known figures, written by hand (not made by the project's code): the
expected numbers below are counted from these rows, not computed."""

import csv
from datetime import date

import pytest
from django.core.management import call_command

QUARTER = ("2025-01-01", "2025-03-31")

HEADER = [
    "referral_id", "referred_on", "heard_on", "referring_agency_kind", "victim_given_name", "victim_family_name",
    "victim_date_of_birth", "victim_gender", "victim_racially_minoritised", "victim_disabled", "victim_lgbt",
    "perpetrator_given_name", "perpetrator_family_name", "perpetrator_date_of_birth", "children", "checklist_score",
    "repeat_declared",
]

# referral_id, referred_on, heard_on, kind, victim, dob, gender, minoritised, disabled, lgbt, perpetrator, perp dob, children, repeat
ROWS = [
    # Meeting of 14 January 2025
    ("Q-A1", "2025-01-02", "2025-01-14", "police", "Aisha Rahman", "1990-05-01", "Female", "yes", "no", "no", "Omar Rahman", "1988-01-01", "Sara Rahman 2015-04-04; Ali Rahman 2018-08-08", "no"),
    # A victim of 16 and a perpetrator of 17 on the referral date; a repeat.
    ("Q-A2", "2025-01-03", "2025-01-14", "idva", "Tom Hughes", "2008-06-01", "Male", "no", "yes", "no", "Lee Carter", "2008-01-01", "", "yes"),
    # CAMHS is not a kind the return names: counted under other.
    ("Q-A3", "2025-01-05", "2025-01-14", "camhs", "Beth Ollerton", "1985-03-03", "Female", "unknown", "unknown", "yes", "Gary Ollerton", "1980-06-06", "Finn Ollerton 2012-12-12", "no"),
    # Meeting of 11 February 2025
    ("Q-B1", "2025-01-20", "2025-02-11", "housing", "Precious Adeyemi", "1995-02-02", "Female", "yes", "yes", "no", "Tunde Bello", "1990-10-10", "", "yes"),
    # Aged 17 on the referral date (18 eleven months later); the perpetrator is 15.
    ("Q-B2", "2025-01-25", "2025-02-11", "police", "Ryan Walsh", "2007-12-31", "Male", "no", "no", "no", "Kyle Dunn", "2009-03-01", "", "no"),
    ("Q-B3", "2025-01-28", "2025-02-11", "police", "Margaret Fenwick", "1970-01-01", "Female", "no", "no", "no", "Derek Fenwick", "", "Amy Fenwick 2010-01-01; Ben Fenwick 2012-02-02; Cara Fenwick 2014-03-03", "yes"),
    ("Q-B4", "2025-02-01", "2025-02-11", "education", "Jordan Pike", "1999-09-09", "Non-binary", "no", "no", "yes", "Sam Pike", "1999-01-01", "", "no"),
    # Meeting of 11 March 2025
    # Sixteen on the very day of the referral; the perpetrator is 18 the day after.
    ("Q-C1", "2025-02-20", "2025-03-11", "childrens_social_care", "Nadia Hussain", "2009-02-20", "Female", "yes", "no", "no", "Imran Qureshi", "2007-02-21", "Layla Hussain 2024-06-06", "no"),
    # Eighteen the day before the referral: not aged 16 or 17.
    ("Q-C2", "2025-02-25", "2025-03-11", "health", "Chloe Barnes", "2007-02-24", "Female", "yes", "yes", "yes", "Dean Barnes", "2006-01-01", "", "no"),
    # Outside the quarter on either side: not in its return.
    ("Q-D1", "2024-12-01", "2024-12-17", "police", "Helen Marsh", "1980-01-01", "Female", "yes", "yes", "yes", "Paul Marsh", "1979-01-01", "", "yes"),
    ("Q-D2", "2025-03-25", "2025-04-08", "police", "Irene Cole", "1960-01-01", "Male", "yes", "yes", "yes", "Ray Cole", "1959-01-01", "", "yes"),
]

# Counted by hand from ROWS.
EXPECTED = [
    {
        "meeting_date": "2025-01-14", "cases": 3, "repeats": 1, "children": 3,
        "referrals_by_agency_kind": {"police": 1, "idva": 1, "other": 1},
        "victims_racially_minoritised": 1, "victims_lgbt": 1, "victims_disabled": 1, "victims_male": 1,
        "victims_aged_16_17": 1, "perpetrators_aged_17_or_under": 1,
    },
    {
        "meeting_date": "2025-02-11", "cases": 4, "repeats": 2, "children": 3,
        "referrals_by_agency_kind": {"police": 2, "housing": 1, "education": 1},
        "victims_racially_minoritised": 1, "victims_lgbt": 1, "victims_disabled": 1, "victims_male": 1,
        "victims_aged_16_17": 1, "perpetrators_aged_17_or_under": 1,
    },
    {
        "meeting_date": "2025-03-11", "cases": 2, "repeats": 0, "children": 1,
        "referrals_by_agency_kind": {"childrens_social_care": 1, "health": 1},
        "victims_racially_minoritised": 2, "victims_lgbt": 1, "victims_disabled": 1, "victims_male": 0,
        "victims_aged_16_17": 1, "perpetrators_aged_17_or_under": 1,
    },
]


def write_quarter(path):
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        for (ref, referred, heard, kind, victim, dob, gender, minoritised, disabled, lgbt, perp, perp_dob, children, repeat) in ROWS:
            v_given, v_family = victim.split(" ", 1)
            p_given, p_family = perp.split(" ", 1)
            writer.writerow([
                ref, referred, heard, kind, v_given, v_family, dob, gender, minoritised, disabled, lgbt,
                p_given, p_family, perp_dob, children, "16", repeat,
            ])
    return path


@pytest.fixture
def quarter(staff, marac, tmp_path):
    """The quarter, imported through `openmarac import-referrals` as a Marac migrating
    its history would."""
    path = write_quarter(tmp_path / "history.csv")
    call_command("import_referrals", str(path), marac=marac.slug, by=staff["coordinator"].email, stdout=open("/dev/null", "w"))
    return date(2025, 1, 1), date(2025, 3, 31)
