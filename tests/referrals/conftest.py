import pytest

from openmarac.synthetic.referrals import ReferralGenerator


@pytest.fixture
def generator():
    return ReferralGenerator(seed=7)


@pytest.fixture
def intake(staff):
    return staff
