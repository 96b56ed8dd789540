"""The OpenAPI schema is generated without a warning and is valid OpenAPI 3."""

import yaml
from django.core.management import call_command


def test_the_schema_is_valid_and_complete(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert schema["components"]["securitySchemes"]["credential"]["scheme"] == "bearer"
    operations = {operation["operationId"] for path in schema["paths"].values() for operation in path.values()}
    assert operations == {
        "referral_create", "case_list", "case_detail", "meeting_list", "meeting_detail", "research_submit",
        "action_list", "action_detail", "action_update", "flag_list",
    }
