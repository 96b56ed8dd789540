"""`openmarac import-referrals FILE`: see docs/import-format.md."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from openmarac.access import policy
from openmarac.accounts.models import Marac, User
from openmarac.referrals import importer


class Command(BaseCommand):
    help = (
        "Import referrals from a CSV file (docs/import-format.md). Nothing is written unless every row is "
        "valid; with --partial the valid rows are written and the rest go to a rejects file."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file (UTF-8, with a header row).")
        parser.add_argument("--marac", required=True, help="The slug of the Marac the referrals belong to.")
        parser.add_argument("--by", required=True, help="Email of the coordinator of that Marac who is importing.")
        parser.add_argument("--partial", action="store_true", help="Write the valid rows and put the rest in a rejects file.")
        parser.add_argument("--rejects", help="Where --partial writes the rejected rows (default: FILE's name with .rejects.csv).")

    def handle(self, *args, file, marac, by, partial, rejects, **options):
        slug, marac = marac, Marac.objects.filter(slug=marac).first()
        if marac is None:
            raise CommandError(f"There is no Marac with the slug “{slug}”.")
        user = User.objects.filter(email__iexact=by, is_active=True).first()
        if user is None:
            raise CommandError(f"There is no active user with the email {by}.")
        if not policy.can_import_referrals(user, marac):
            raise CommandError(
                f"Nothing was imported: {user.email} is not an active coordinator of {marac}. "
                "Give --by the email of one of its coordinators."
            )

        # A bar is noise in a log file or a cron email, so only on a terminal.
        bar = tqdm(desc="Importing", unit="referral", disable=not self.stdout.isatty())
        try:
            report = importer.import_file(file, marac=marac, by=user, partial=partial, progress=bar.update)
        except importer.ImportFileError as error:
            raise CommandError(str(error)) from error
        finally:
            bar.close()

        if report.rejects and not partial:
            for reject in report.rejects:
                self.stderr.write(str(reject))
            raise CommandError(
                f"Nothing was imported: {len(report.rejects)} of the rows are rejected (listed above). "
                "Correct them and run the import again, or use --partial to import the valid rows now."
            )
        self.stdout.write(importer.summary(report))
        if report.rejects:
            path = rejects or Path(file).with_name(f"{Path(file).stem}.rejects.csv")
            importer.write_rejects(path, report, by=user, marac=marac)
            self.stdout.write(
                self.style.WARNING(
                    f"{len(report.rejects)} rows were rejected and not imported: they are in {path} with the reason for each. "
                    "Correct them there and import that file."
                )
            )

