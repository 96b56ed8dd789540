"""People known to a Marac: victims, perpetrators, children and other household
members, with aliases, address history, phones and the keys used to match them."""

from django.db import models


class YesNoUnknown(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    UNKNOWN = "unknown", "Not known"


# The given name recorded for an unborn child who has no name yet.
UNBORN_GIVEN_NAME = "Unborn"


def birth_text(date_of_birth, expected_birth_on=None):
    """How a (child's) birth reads on every page and paper: "born 3 Apr 2019",
    "unborn, expected 03/2027" or "date of birth unknown"."""
    if date_of_birth:
        return f"born {date_of_birth:%-d %b %Y}"
    if expected_birth_on:
        return f"unborn, expected {expected_birth_on:%m/%Y}"
    return "date of birth unknown"


class Person(models.Model):
    """One person as recorded in one Marac. Two records found to be the same person are
    linked by `same_as` (a coordinator's decision), never merged automatically."""

    marac = models.ForeignKey("accounts.Marac", on_delete=models.PROTECT, related_name="people")
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    expected_birth_on = models.DateField(
        "expected date of birth", null=True, blank=True, help_text="An unborn child: when the child is expected."
    )
    gender = models.CharField(max_length=40, blank=True)
    ethnicity = models.CharField(max_length=100, blank=True)
    racially_minoritised = models.CharField(max_length=8, choices=YesNoUnknown.choices, default=YesNoUnknown.UNKNOWN)
    disabled = models.CharField(max_length=8, choices=YesNoUnknown.choices, default=YesNoUnknown.UNKNOWN)
    lgbt = models.CharField("LGBT+", max_length=8, choices=YesNoUnknown.choices, default=YesNoUnknown.UNKNOWN)
    language = models.CharField(max_length=60, blank=True)
    interpreter_needed = models.BooleanField(default=False)
    same_as = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["marac", "date_of_birth"])]

    def __str__(self):
        return f"{self.given_name} {self.family_name}"

    @property
    def birth_text(self):
        return birth_text(self.date_of_birth, self.expected_birth_on)

    @property
    def canonical_id(self):
        return self.same_as_id or self.pk


class Alias(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="aliases")
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name_plural = "aliases"

    def __str__(self):
        return f"{self.given_name} {self.family_name}".strip()


class Address(models.Model):
    """An address, kept as history. A sealed address (a refuge, a safe house) shows only
    to those the access policy allows; everyone else sees that one exists."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="addresses")
    line_1 = models.CharField(max_length=200)
    line_2 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    is_sealed = models.BooleanField(default=False)
    is_current = models.BooleanField(default=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_current", "-recorded_at"]

    def __str__(self):
        return ", ".join(part for part in [self.line_1, self.line_2, self.town, self.postcode] if part)


class Phone(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(max_length=30)
    safe_to_call = models.CharField(max_length=8, choices=YesNoUnknown.choices, default=YesNoUnknown.UNKNOWN)
    safe_times = models.CharField("safe times to call", max_length=200, blank=True)
    is_sealed = models.BooleanField(default=False, help_text="A safe contact number known only to coordinator and Idva.")
    is_current = models.BooleanField(default=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_current", "-recorded_at"]

    def __str__(self):
        return self.number


class PersonMatchKey(models.Model):
    """Blocking keys (openmarac.people.matching.blocking_keys): candidates for a new
    person are fetched by key through an index, never by scanning everyone.

    A derived index of people, rebuilt from the person by `match_keys_refresh`, so it
    carries no foreign-key constraints in the database: a person has about nine keys,
    and checking each key row's two references at COMMIT was the largest part of a bulk
    import's database time. Django's on_delete still deletes a person's keys with the
    person, and the readers skip a key whose person is gone. The person needs no index
    of its own: the unique (person, key) index starts with it."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="match_keys", db_constraint=False, db_index=False)
    marac = models.ForeignKey("accounts.Marac", on_delete=models.CASCADE, related_name="+", db_constraint=False)
    key = models.CharField(max_length=80)

    class Meta:
        # The person is carried in the index (PostgreSQL), so a lookup reads the index
        # alone instead of one table page per key row.
        indexes = [models.Index(fields=["key", "marac"], include=["person"], name="people_match_key_lookup")]
        constraints = [models.UniqueConstraint(fields=["person", "key"], name="unique_key_per_person")]
