"""`openmarac data-return`: the SafeLives Marac data return for a period
(docs/data-return.md)."""

import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from openmarac.accounts.models import Marac
from openmarac.audit import services as audit
from openmarac.governance import figures, writers


def _date(value):
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"“{value}” is not a date: write it as YYYY-MM-DD, for example 2025-01-01.") from None


class Command(BaseCommand):
    help = "Write the SafeLives Marac data return: one row per meeting date in the period (docs/data-return.md)."

    def add_arguments(self, parser):
        parser.add_argument("--marac", required=True, help="The slug of the Marac.")
        parser.add_argument("--from", dest="start", required=True, help="First day of the period, YYYY-MM-DD.")
        parser.add_argument("--to", dest="end", required=True, help="Last day of the period, YYYY-MM-DD.")
        parser.add_argument("--format", dest="fmt", required=True, choices=sorted(writers.FORMATS), help="csv, xlsx or json.")
        parser.add_argument("--output", help="Where to write the file (default: standard output; required for xlsx on a terminal).")

    def handle(self, *args, marac, start, end, fmt, output, **options):
        slug, marac = marac, Marac.objects.filter(slug=marac).first()
        if marac is None:
            raise CommandError(f"There is no Marac with the slug “{slug}”.")
        start, end = _date(start), _date(end)
        if start > end:
            raise CommandError(f"--from ({start.isoformat()}) is after --to ({end.isoformat()}): the period must start on or before its last day.")
        period = figures.Period(start, end)
        rows = figures.data_return(marac=marac, period=period)
        content = writers.render(rows, fmt)
        if output:
            try:
                with open(output, "wb") as file:
                    file.write(content)
            except OSError as error:
                raise CommandError(f"Cannot write the return to {output}: {error.strerror}.") from error
        else:
            stream = getattr(self.stdout, "_out", sys.stdout)
            binary = getattr(stream, "buffer", None)
            if fmt == "xlsx" and (binary is None or stream.isatty()):
                raise CommandError("An XLSX file cannot be written to a terminal: give --output PATH.")
            if binary is not None:
                stream.flush()
                binary.write(content)
                binary.flush()
            else:
                stream.write(content.decode("utf-8"))
        # Every export is in the audit trail, once it is written; from the command line there is no signed-in
        # user, so the event names the command instead.
        audit.record(
            action=audit.Action.EXPORTED, marac=marac, record_type="governance.data_return", record_id=f"{start}..{end}",
            summary=f"Data return {period} as {fmt} from the command line",
        )
        if not rows:
            # A period with no meetings is not an error: the return is empty, and says so.
            self.stderr.write(f"No case was heard at {marac} between {start:%-d %B %Y} and {end:%-d %B %Y}: the return is empty.")
        elif output:
            self.stderr.write(f"Wrote the data return for {marac}, {period} ({len(rows)} meeting date{'s' if len(rows) != 1 else ''}) to {output}.")
