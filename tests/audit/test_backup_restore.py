"""Failure drill: a PostgreSQL backup restored into a fresh database is the same
database: every table has the same rows, the audit chain is whole, and the audit table
still refuses changes. It follows the procedure in docs/deployment.md (pg_dump in the
custom format, pg_restore into an empty database, then `openmarac verify_audit`)."""

import os
import subprocess
import sys
from datetime import timedelta

import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

from openmarac.actions import services as action_services
from openmarac.audit import services as audit
from openmarac.meetings import services as meeting_services
from openmarac.referrals import services as referral_services
from openmarac.synthetic.referrals import ReferralGenerator

pytestmark = pytest.mark.postgresql


def _pg_env(database):
    config = settings.DATABASES["default"]
    env = {**os.environ, "PGHOST": config["HOST"] or "127.0.0.1", "PGPORT": str(config["PORT"] or 5432), "PGUSER": config["USER"], "PGDATABASE": database}
    if config["PASSWORD"]:
        env["PGPASSWORD"] = config["PASSWORD"]
    return env


def _maintenance(sql):
    env = _pg_env("postgres")
    with psycopg.connect(host=env["PGHOST"], port=env["PGPORT"], user=env["PGUSER"], password=env.get("PGPASSWORD"), dbname="postgres", autocommit=True) as conn:
        conn.execute(sql)


def _counts(database):
    env = _pg_env(database)
    tables = sorted(model._meta.db_table for model in apps.get_models() if model._meta.managed)
    with psycopg.connect(host=env["PGHOST"], port=env["PGPORT"], user=env["PGUSER"], password=env.get("PGPASSWORD"), dbname=database) as conn:
        return {table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}


@pytest.fixture
def scratch_database():
    # Named after this run's test database, so engineers and CI runs do not collide.
    name = f"{connection.settings_dict['NAME']}_restore"
    _maintenance(f'DROP DATABASE IF EXISTS "{name}"')
    _maintenance(f'CREATE DATABASE "{name}"')
    yield name
    _maintenance(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def a_working_marac(transactional_db, marac, staff):
    """Committed data of every kind: referrals with people, children and sharing
    records, a meeting, a hearing, an action, and their audit rows."""
    generator = ReferralGenerator(seed=5)
    coordinator = staff["coordinator"]
    meeting = meeting_services.meeting_add(by=coordinator, marac=marac, starts_at=timezone.now() + timedelta(days=10))
    for children in (0, 2):
        data = generator.referral(marac=marac, referring_agency=staff["referrer"].agency, children=children, consent=False, review_owner=staff["referrer"])
        referral = referral_services.referral_record(marac=marac, data=data, by=staff["referrer"], notify_agencies=False)
        item = meeting_services.referral_list(by=coordinator, referral=referral, meeting=meeting)
    meeting_services.meeting_publish(by=coordinator, meeting=meeting)
    action_services.action_add(
        by=coordinator, hearing=action_services.hearing_for(item), owner_agency=staff["housing_rep"].agency,
        description="Management transfer", for_whom="victim", due_on=timezone.localdate() + timedelta(days=20),
    )
    assert audit.verify_chain().whole
    return marac


def test_a_backup_restored_into_a_fresh_database_is_whole(a_working_marac, scratch_database, tmp_path):
    source = connection.settings_dict["NAME"]
    backup = tmp_path / "openmarac.dump"
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={backup}"], env=_pg_env(source), check=True, capture_output=True, timeout=300)
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={scratch_database}", str(backup)],
        env=_pg_env(scratch_database), check=True, capture_output=True, timeout=300,
    )

    before = _counts(source)
    assert before["audit_auditevent"] > 5 and before["referrals_referral"] == 2
    assert _counts(scratch_database) == before

    # The check an operator runs after a restore, against the restored database.
    config = settings.DATABASES["default"]
    password = f":{config['PASSWORD']}" if config["PASSWORD"] else ""
    url = f"postgres://{config['USER']}{password}@{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 5432}/{scratch_database}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "openmarac.config.settings.test"}
    result = subprocess.run([sys.executable, "-m", "openmarac", "verify_audit"], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert f"Audit chain is whole: {before['audit_auditevent']} events checked." in result.stdout

    # The restored audit table is still append-only.
    env = _pg_env(scratch_database)
    with psycopg.connect(host=env["PGHOST"], port=env["PGPORT"], user=env["PGUSER"], password=env.get("PGPASSWORD"), dbname=scratch_database) as conn:
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute("DELETE FROM audit_auditevent")
