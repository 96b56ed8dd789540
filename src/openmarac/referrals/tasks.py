"""Work on referrals left to `openmarac worker`."""

from django_tasks import task

from . import services


@task()
def search_other_maracs(*, referral_ids):
    """The likely matches in other Maracs of imported referrals' victims and
    perpetrators (`services.other_marac_matches_record`). Safe to run again: a match
    already recorded is kept, not doubled."""
    return services.other_marac_matches_record(referral_ids=referral_ids)
