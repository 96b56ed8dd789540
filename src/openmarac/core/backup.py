"""Backups with pg_dump, and the check after a restore. A backup is a pg_dump archive
and a manifest beside it: every table's row count and the audit trail's last event,
read in the very snapshot pg_dump copies (so they match it exactly). After a restore,
`openmarac verify-restore` compares the restored database with the manifest and checks
the whole audit hash chain."""

import hashlib
import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from django.db import connection, transaction

from openmarac.audit.models import AuditEvent
from openmarac.audit.services import verify_chain


class BackupError(Exception):
    pass


def table_counts():
    """Rows in every table of the database, by table name."""
    with connection.cursor() as cursor:
        counts = {}
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608  (a table name from the database itself, quoted)
            counts[table] = cursor.fetchone()[0]
    return counts


def audit_head():
    last = AuditEvent.objects.order_by("-id").values("id", "row_hash").first()
    return last and {"id": last["id"], "row_hash": last["row_hash"]}


def manifest_now():
    return {"counts": table_counts(), "audit_head": audit_head()}


def _pg_env(settings_dict):
    env = {**os.environ, "PGDATABASE": settings_dict["NAME"]}
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if settings_dict.get(key):
            env[name] = str(settings_dict[key])
    return env


def backup(*, directory):
    """Write `openmarac-<time>.dump` (pg_dump's custom format) and its manifest into
    `directory`; return both paths."""
    if connection.vendor != "postgresql":
        raise BackupError("Backups use pg_dump: the database must be PostgreSQL.")
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError("pg_dump was not found: install PostgreSQL's client programs (Debian: postgresql-client).")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    dump = directory / f"openmarac-{stamp}.dump"
    with transaction.atomic(), connection.cursor() as cursor:
        # One snapshot for the counts and for pg_dump: it stays open while pg_dump runs.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        manifest = manifest_now()
        result = subprocess.run(  # noqa: S603  (pg_dump, fixed arguments)
            [pg_dump, "--format=custom", "--no-owner", f"--snapshot={snapshot}", f"--file={dump}"],
            env=_pg_env(connection.settings_dict), capture_output=True, text=True,
        )
    if result.returncode != 0:
        dump.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    manifest.update(
        {"created_at": stamp, "dump": dump.name, "dump_sha256": hashlib.sha256(dump.read_bytes()).hexdigest()}
    )
    manifest_path = directory / f"openmarac-{stamp}.manifest.json"
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return dump, manifest_path


def verify_restore(manifest):
    """What does not match between this database and a backup's manifest: an empty
    list when every table has its rows and the audit chain is whole up to the same
    last event."""
    problems = []
    now = table_counts()
    for table, expected in sorted(manifest["counts"].items()):
        found = now.get(table)
        if found != expected:
            problems.append(f"{table}: {expected} rows in the backup, {'no table' if found is None else found} here")
    report = verify_chain()
    if not report.whole:
        problems.append(f"the audit chain breaks at event {report.first_break_id}: {report.problem}")
    if audit_head() != manifest["audit_head"]:
        problems.append("the audit trail does not end with the backup's last event")
    return problems
