"""Discard the face templates made by another encoder configuration.

    manage.py reset_face_templates          # says what it would do, changes nothing
    manage.py reset_face_templates --yes    # does it

Run it after changing SMILEPAY_FACE_ENCODERS (docs/faces.md, "Encoders").
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from accounts.face_configuration import face_templates_discard_foreign, foreign_templates


class Command(BaseCommand):
    help = (
        "Delete every stored face template made by another face-encoder configuration than "
        "the one in force; those customers enrol again from nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--yes", action="store_true", help="delete them (default: only say)")

    def handle(self, *args, yes: bool, **options) -> None:
        report = foreign_templates()
        self.stdout.write(f"Face encoders in force: {report.configuration}")
        if not report.templates:
            self.stdout.write("Every stored face template was made by them: nothing to do.")
            return
        listing = ", ".join(
            f"{n} of {name!r}" for name, n in sorted(report.by_configuration.items())
        )
        self.stdout.write(
            f"Stored templates made by other encoders: {listing} "
            f"({report.customers} customers).\n"
            "Templates of one configuration cannot be compared with another's, and SmilePay "
            "keeps no face photos to compute them again, so they are never used for payments "
            "now. Deleting them is final: "
            f"{report.customers_left_without_face_pay} customers are left with no template of "
            "the configuration in force and cannot pay by face until they enrol again on the "
            "portal (consent, limits and settings stay as they are)."
        )
        if not yes:
            self.stdout.write("Nothing was changed. Run again with --yes to delete them.")
            return
        done = face_templates_discard_foreign()
        self.stdout.write(
            self.style.SUCCESS(f"Deleted {done.templates} templates of {done.customers} customers.")
        )
