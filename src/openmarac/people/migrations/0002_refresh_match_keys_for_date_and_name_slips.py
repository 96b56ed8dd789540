"""Blocking keys are recomputed for everyone: the keys now carry a given initial, and
names are also filed written surname first (openmarac.people.matching.blocking_keys).
Without this, people recorded before would no longer be found by new referrals."""

from django.db import migrations

BATCH = 2000


def refresh_keys(apps, schema_editor):
    from openmarac.people import matching

    Person = apps.get_model("people", "Person")
    PersonMatchKey = apps.get_model("people", "PersonMatchKey")
    last_pk = 0
    while True:
        people = list(
            Person.objects.filter(pk__gt=last_pk).order_by("pk").prefetch_related("aliases", "phones", "addresses")[:BATCH]
        )
        if not people:
            return
        keys = []
        for person in people:
            facts = matching.PersonFacts(
                names=((person.given_name, person.family_name),)
                + tuple((a.given_name, a.family_name) for a in person.aliases.all()),
                date_of_birth=person.date_of_birth,
                phones=tuple(p.number for p in person.phones.all()),
                postcodes=tuple(a.postcode for a in person.addresses.all() if a.postcode),
            )
            keys += [PersonMatchKey(person_id=person.pk, marac_id=person.marac_id, key=k) for k in matching.blocking_keys(facts)]
        PersonMatchKey.objects.filter(person_id__in=[p.pk for p in people]).delete()
        PersonMatchKey.objects.bulk_create(keys, batch_size=BATCH)
        last_pk = people[-1].pk


class Migration(migrations.Migration):
    dependencies = [('people', '0001_initial')]

    operations = [migrations.RunPython(refresh_keys, migrations.RunPython.noop, elidable=True)]
