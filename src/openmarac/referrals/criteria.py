"""The Marac referral criteria and the repeat window: pure rules, no database.

A case meets the criteria when any of these holds (DOMAIN.md, step 3):
visible high risk (score at or above the Marac's threshold), professional judgement,
potential escalation (police-reported incidents in the window at or above the
Marac's threshold), or repeat (a further incident within the repeat window of the
last referral, same victim and perpetrator). There is no screening: the criteria
describe a referral, they never refuse one.
"""

from calendar import isleap
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.db.models.functions import Coalesce

# An unborn child is expected within a pregnancy of the referral; a due date a month
# past is still plausible on a referral made around the birth.
UNBORN_EXPECTED_WITHIN = timedelta(days=305)
UNBORN_EXPECTED_BEFORE = timedelta(days=31)


@dataclass(frozen=True)
class Criteria:
    visible_high_risk: bool
    professional_judgement: bool
    escalation: bool
    repeat: bool

    @property
    def any(self):
        return self.visible_high_risk or self.professional_judgement or self.escalation or self.repeat

    @property
    def labels(self):
        names = [
            (self.visible_high_risk, "Visible high risk"),
            (self.professional_judgement, "Professional judgement"),
            (self.escalation, "Potential escalation"),
            (self.repeat, "Repeat"),
        ]
        return [label for met, label in names if met]


def criteria_met(*, score, threshold, professional_judgement, incidents, escalation_threshold, repeat):
    return Criteria(
        visible_high_risk=score is not None and score >= threshold,
        professional_judgement=bool(professional_judgement),
        escalation=incidents is not None and incidents >= escalation_threshold,
        repeat=bool(repeat),
    )


def repeat_window_end(last_referral_on: date, months: int) -> date:
    """The last day a further referral counts as a repeat. "Within 12 months" includes
    the anniversary; from 29 February the anniversary is 28 February."""
    return last_referral_on + relativedelta(months=months)


def within_repeat_window(last_referral_on: date, referred_on: date, months: int) -> bool:
    return last_referral_on <= referred_on <= repeat_window_end(last_referral_on, months)


def age_on(date_of_birth: date | None, on: date) -> int | None:
    """Whole years of age on a day, as relativedelta counts them (someone born on 29
    February is a year older on 28 February of other years). Plain arithmetic for the
    usual case: an import works this out for several people on each of thousands of
    rows, and relativedelta was a tenth of its time."""
    if date_of_birth is None:
        return None
    if on < date_of_birth:
        return relativedelta(on, date_of_birth).years
    birthday = (date_of_birth.month, date_of_birth.day)
    if birthday == (2, 29) and not isleap(on.year):
        birthday = (2, 28)
    return on.year - date_of_birth.year - ((on.month, on.day) < birthday)


def clock_start(disclosed_on: date | None, referred_on: date | None) -> date | None:
    """The day the six-week target counts from: the disclosure (or incident) when the
    referrer knew it and it is not after the referral, otherwise the referral date."""
    if disclosed_on is not None and (referred_on is None or disclosed_on <= referred_on):
        return disclosed_on
    return referred_on


def referral_clock_start(referral) -> date | None:
    """The one place that says when a referral's time to hearing starts: the six-week
    flag on the case list, the listing proposal and the governance figures all use it
    (the figures through CLOCK_START, its database twin)."""
    return clock_start(referral.disclosed_on, referral.referred_on)


#: referral_clock_start as a query expression, for counting in the database. The
#: service refuses a disclosure after the referral date, so the two always agree.
CLOCK_START = Coalesce("disclosed_on", "referred_on")
