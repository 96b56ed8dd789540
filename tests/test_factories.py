"""The test staff's names never overlap the names the referral generator gives people, so
"the victim's name is not on this page" can only fail when the victim's name is there."""

from faker.providers.person.en_GB import Provider as GeneratedNames

from tests.factories import STAFF_FAMILY_NAMES, STAFF_GIVEN_NAMES, STAFF_JOB_TITLES


def test_staff_names_share_no_part_with_generated_names():
    generated = {n.lower() for n in (*GeneratedNames.first_names_female, *GeneratedNames.first_names_male, *GeneratedNames.last_names)}
    for staff_word in (*STAFF_GIVEN_NAMES, *STAFF_FAMILY_NAMES, *" ".join(STAFF_JOB_TITLES).split()):
        word = staff_word.lower()
        assert not [name for name in generated if name in word or word in name], staff_word
