"""An action may be for several children: the single `child` link becomes `children`,
keeping every existing link."""

from django.db import migrations, models


def copy_child_links(apps, schema_editor):
    Action = apps.get_model("actions", "Action")
    Through = Action.children.through
    Through.objects.bulk_create(
        [Through(action_id=pk, person_id=child_id) for pk, child_id in Action.objects.filter(child__isnull=False).values_list("pk", "child_id")],
        batch_size=1000,
    )


def copy_child_links_back(apps, schema_editor):
    Action = apps.get_model("actions", "Action")
    for row in Action.children.through.objects.order_by("action_id", "person_id").values("action_id", "person_id"):
        Action.objects.filter(pk=row["action_id"], child__isnull=True).update(child_id=row["person_id"])


class Migration(migrations.Migration):
    dependencies = [
        ('actions', '0004_transfer_status_and_flag_removal'),
        ("people", "0004_person_expected_birth_on"),
    ]

    operations = [
        migrations.AddField(
            model_name="action",
            name="children",
            field=models.ManyToManyField(blank=True, related_name="child_actions", to="people.person"),
        ),
        migrations.RunPython(copy_child_links, copy_child_links_back),
        migrations.RemoveField(model_name="action", name="child"),
    ]
