"""The long schemathesis run against the REST API on a live local server (issue 10,
"API robustness"). The test suite runs a short version (tests/api/test_fuzz.py).

Starts `openmarac runserver` on 127.0.0.1 with a fresh database (the demo data and
one API credential for the demo's housing agency), points schemathesis at
/api/v1/schema/ with every phase (examples, coverage, fuzzing, stateful) and every
check but positive_data_acceptance (see tests/api/test_fuzz.py), with real case,
meeting and action ids so the detail and write operations reach their logic. Prints
one table; docs/api.md holds the figures.

Run from the repository root:

    PYTHONPATH=src .venv/bin/python -m bench.api_fuzz --max-examples 100
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/openmarac_api_fuzz PYTHONPATH=src .venv/bin/python -m bench.api_fuzz --max-examples 20

The database is emptied first (flush): never point it at one that matters.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _openmarac(env, *args, capture=False):
    return subprocess.run([sys.executable, "-m", "openmarac", *args], env=env, check=True, capture_output=capture, text=True)


def _first_id(base, token, path, key="id", **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    request = urllib.request.Request(f"{base}{path}?{query}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as response:
        results = json.load(response)["results"]
    return results[0][key] if results else None


def _config(base, token, directory):
    """Real ids for the operations that need one: without them every call is a 404."""
    case = _first_id(base, token, "/api/v1/cases/")
    meeting = _first_id(base, token, "/api/v1/meetings/")
    action = _first_id(base, token, "/api/v1/actions/", status="open")
    lines = []
    for path, name, value in [
        ("/api/v1/cases/{public_id}/", "public_id", case),
        ("/api/v1/meetings/{public_id}/", "public_id", meeting),
        ("/api/v1/meetings/{public_id}/research/", "public_id", meeting),
        ("/api/v1/actions/{id}/", "id", action),
        ("/api/v1/actions/{id}/updates/", "id", action),
    ]:
        if value is not None:
            lines += ["[[operations]]", f'include-path = "{path}"', f"parameters = {{ {name} = {json.dumps(value)} }}", ""]
    config = Path(directory) / "schemathesis.toml"
    config.write_text("\n".join(lines))
    return config


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OPENMARAC_API_RATE_PER_MINUTE": "1000000"}
        env.setdefault("DATABASE_URL", f"sqlite:///{directory}/api-fuzz.sqlite3")
        _openmarac(env, "migrate", "--noinput", capture=True)
        _openmarac(env, "flush", "--noinput", capture=True)  # a fresh demo, whatever the database held
        _openmarac(env, "demo", capture=True)
        token = _openmarac(
            env, "api-credential", "--by", "coordinator@demo.openmarac.invalid", "--marac", "northshire",
            "--agency", "Northshire Council Housing", "--name", "Fuzzing", capture=True,
        ).stdout.strip()
        base = f"http://127.0.0.1:{args.port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "openmarac", "runserver", f"127.0.0.1:{args.port}", "--noreload"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(60):
                try:
                    urllib.request.urlopen(f"{base}/api/v1/schema/")
                    break
                except OSError:
                    time.sleep(0.5)
            config = _config(base, token, directory)
            started = time.perf_counter()
            result = subprocess.run(
                [
                    sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run", f"{base}/api/v1/schema/",
                    "--header", f"Authorization: Bearer {token}", "--max-examples", str(args.max_examples), "--seed", str(args.seed),
                    "--workers", "1", "--checks", "all", "--exclude-checks", "positive_data_acceptance", "--no-color",
                ],
                capture_output=True, text=True,
            )
            seconds = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait()
    output = result.stdout + result.stderr
    generated = re.search(r"(\d+) generated", output)
    tested = re.search(r"Tested: (\d+)", output)
    failures = re.search(r"(\d+) found (\d+) unique failures", output)
    database = "PostgreSQL" if env["DATABASE_URL"].startswith("postgres") else "SQLite"
    print("| database | max examples | operations | generated cases | failures | exit | seconds |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {database} | {args.max_examples} | {tested.group(1) if tested else '?'} | {generated.group(1) if generated else '?'} "
        f"| {failures.group(2) if failures else 0} | {result.returncode} | {seconds:.0f} |"
    )
    if result.returncode:
        print(output[-8000:], file=sys.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
