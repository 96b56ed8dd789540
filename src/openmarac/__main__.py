"""The `openmarac` command: Django's management commands, with hyphenated names
accepted for the project's own (`openmarac verify-audit` runs `verify_audit`)."""

import os
import sys


def main(argv=None):
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmarac.config.settings.dev")
    from django.core.management import execute_from_command_line

    command_positions = [1, 2] if argv[1:2] == ["help"] else [1]
    for i in command_positions:
        if len(argv) > i and not argv[i].startswith("-"):
            argv[i] = argv[i].replace("-", "_")
    argv[0] = "openmarac"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
