"""Backups: pg_dump and a manifest from one snapshot; after a restore, row counts and
the audit chain are checked against the manifest."""

import json
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.db import connection

from openmarac.audit import services as audit
from openmarac.core.backup import manifest_now, verify_restore
from tests.factories import MaracFactory, UserFactory


@pytest.fixture
def some_records(db):
    marac = MaracFactory()
    user = UserFactory()
    audit.record(action=audit.Action.CREATED, actor=user, obj=marac, marac=marac, summary="Created for the backup test")
    return marac


def test_a_database_matches_its_own_manifest(some_records):
    assert verify_restore(manifest_now()) == []


def test_missing_rows_and_a_different_audit_trail_are_reported(some_records):
    manifest = manifest_now()
    manifest["counts"]["accounts_marac"] += 1
    manifest["counts"]["no_such_table"] = 3
    manifest["audit_head"] = {"id": 1, "row_hash": "0" * 64}
    problems = verify_restore(manifest)
    assert "accounts_marac: 2 rows in the backup, 1 here" in problems
    assert "no_such_table: 3 rows in the backup, no table here" in problems
    assert "the audit trail does not end with the backup's last event" in problems


def test_backup_refuses_a_database_other_than_postgresql(db, tmp_path):
    if connection.vendor == "postgresql":
        return  # the round trip below covers PostgreSQL
    with pytest.raises(Exception, match="must be PostgreSQL"):
        call_command("backup", str(tmp_path))


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_backup_restore_and_verify_round_trip(some_records, tmp_path):
    call_command("backup", str(tmp_path))
    manifest_path = next(tmp_path.glob("*.manifest.json"))
    manifest = json.loads(manifest_path.read_text())
    assert manifest["counts"]["accounts_marac"] == 1 and manifest["audit_head"]["id"]
    dump = tmp_path / manifest["dump"]
    settings_dict = connection.settings_dict
    restored = f"{settings_dict['NAME']}_restored"
    pg = {**os.environ, "PGHOST": settings_dict["HOST"] or "127.0.0.1", "PGPORT": str(settings_dict["PORT"] or 5432), "PGUSER": settings_dict["USER"]}
    if settings_dict["PASSWORD"]:
        pg["PGPASSWORD"] = settings_dict["PASSWORD"]
    subprocess.run(["dropdb", "--if-exists", restored], env=pg, check=True)  # noqa: S607
    subprocess.run(["createdb", restored], env=pg, check=True)  # noqa: S607
    try:
        subprocess.run(["pg_restore", "--no-owner", f"--dbname={restored}", str(dump)], env=pg, check=True)  # noqa: S607
        url = f"postgres://{pg['PGUSER']}:{settings_dict['PASSWORD']}@{pg['PGHOST']}:{pg['PGPORT']}/{restored}"
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "openmarac.config.settings.dev"}
        check = subprocess.run([sys.executable, "-m", "openmarac", "verify-restore", str(manifest_path)], env=env, capture_output=True, text=True)  # noqa: S603
        assert check.returncode == 0, check.stderr
        assert "Restore verified" in check.stdout
        # A restore that lost rows is caught.
        subprocess.run(["psql", "-q", f"--dbname={restored}", "-c", "DELETE FROM django_migrations WHERE id = (SELECT MAX(id) FROM django_migrations)"], env=pg, check=True, capture_output=True)  # noqa: S607
        check = subprocess.run([sys.executable, "-m", "openmarac", "verify-restore", str(manifest_path)], env=env, capture_output=True, text=True)  # noqa: S603
        assert check.returncode != 0
        assert "django_migrations: " in check.stderr and "does not match the backup" in check.stderr
    finally:
        subprocess.run(["dropdb", "--if-exists", restored], env=pg, check=True)  # noqa: S607
