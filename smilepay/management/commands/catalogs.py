"""`manage.py catalogs update|check|compile`: the translation catalogs (docs/i18n.md)."""

from __future__ import annotations

import shutil

from django.core.management.base import BaseCommand, CommandError

from smilepay import catalogs


class Command(BaseCommand):
    help = (
        "update: collect marked strings into the .po files (needs GNU gettext); "
        "check: fail on missing, untranslated, fuzzy or stale entries (needs GNU gettext); "
        "compile: write the .mo files (msgfmt if installed, else babel)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["update", "check", "compile"])
        parser.add_argument(
            "--if-stale", action="store_true", help="compile: only .po files newer than their .mo"
        )

    def handle(self, *args, action: str, if_stale: bool = False, **options) -> None:
        verbosity = options["verbosity"]
        if action in ("update", "check") and not shutil.which("xgettext"):
            raise CommandError(
                "GNU gettext is not installed (xgettext): apt-get install gettext "
                "(brew install gettext on a Mac)."
            )
        if action == "update":
            catalogs.update(verbosity=max(verbosity - 1, 0))
            self.stdout.write("Catalogs updated: translate the new entries (docs/i18n.md).")
        elif action == "check":
            problems = catalogs.check()
            if problems:
                raise CommandError(
                    "The translation catalogs are not complete.\n" + problems.report()
                )
            if verbosity:
                self.stdout.write("Catalogs complete: every marked string is translated.")
        else:
            compiled, tool = catalogs.compile_catalogs(only_stale=if_stale)
            if verbosity and (compiled or not if_stale):
                self.stdout.write(f"Compiled {len(compiled)} catalog(s) with {tool}.")
