"""Templates made by another face-encoder configuration than the one in force.

A template is a point in the space of the encoders that made it (``FaceTemplate.
configuration``, the fingerprint of ``SMILEPAY_FACE_ENCODERS``); a probe of another
configuration cannot be compared with it. SmilePay never keeps face photos, so such
templates cannot be recomputed either: after a change of configuration they are only
dead weight, and their customers must enrol again. Until an operator discards them
(``manage.py reset_face_templates``) they are simply not used.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count

from accounts.audit import audit
from accounts.models import FaceTemplate
from accounts.selectors import face_configuration
from accounts.services import face_templates_bump


@dataclass(frozen=True)
class ForeignTemplates:
    configuration: str  # the one in force
    by_configuration: dict[str, int]  # other configurations: templates stored
    customers: int  # customers who have any of them
    customers_left_without_face_pay: int  # ... and none of the configuration in force

    @property
    def templates(self) -> int:
        return sum(self.by_configuration.values())


def foreign_templates() -> ForeignTemplates:
    """What ``face_templates_discard_foreign`` would delete."""
    current = face_configuration()
    foreign = FaceTemplate.objects.exclude(configuration=current)
    counts = dict(
        foreign.values_list("configuration")
        .annotate(n=Count("id"))
        .values_list("configuration", "n")
    )
    users = set(foreign.values_list("user_id", flat=True))
    kept = set(
        FaceTemplate.objects.filter(configuration=current, user_id__in=users).values_list(
            "user_id", flat=True
        )
    )
    return ForeignTemplates(current, counts, len(users), len(users - kept))


def face_templates_discard_foreign() -> ForeignTemplates:
    """Delete every template of another configuration, one customer at a time (each in
    its own transaction, so an interrupted run can simply be repeated), with an audit
    event per customer. Returns what was deleted."""

    report = foreign_templates()
    current = report.configuration
    user_ids = (
        FaceTemplate.objects.exclude(configuration=current)
        .values_list("user_id", flat=True)
        .distinct()
    )
    for user_id in list(user_ids):
        with transaction.atomic():
            rows = FaceTemplate.objects.select_for_update().filter(user_id=user_id)
            foreign = [t for t in rows if t.configuration != current]
            if not foreign:
                continue  # another run got here first
            FaceTemplate.objects.filter(pk__in=[t.pk for t in foreign]).delete()
            audit(
                "face.templates_discarded",
                user_id=user_id,
                data={
                    "templates": len(foreign),
                    "configurations": sorted({t.configuration for t in foreign}),
                    "configuration_in_force": current,
                },
            )
            face_templates_bump()
    return report
