"""Logs as one JSON object a line, for journald or a log collector, and without
personal data: a record keeps its message and the fields the code passed in `extra`
from a short list of safe names; an exception keeps its class and where it was raised,
never its message (a database error quotes the values it refused). Django's request
log names the path, never the query string: paths here hold record numbers, not names."""

import json
import logging
import traceback
from datetime import UTC, datetime

# `extra` fields a log line may carry: identifiers of work, never of a person.
SAFE_FIELDS = (
    "worker", "backend", "job", "slot", "task", "error", "attempt", "attempts", "retry_in_seconds",
    "status_code", "method", "duration_ms",
)


def _frames(tb):
    return [f"{frame.filename}:{frame.lineno} in {frame.name}" for frame in traceback.extract_tb(tb)]


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({name: getattr(record, name) for name in SAFE_FIELDS if hasattr(record, name)})
        if record.exc_info and record.exc_info[0] is not None:
            kind, _, tb = record.exc_info
            entry["exception"] = f"{kind.__module__}.{kind.__qualname__}"
            entry["stack"] = _frames(tb)
        return json.dumps(entry, default=str)

