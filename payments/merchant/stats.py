"""Daily figures for the dashboard: volume, count, success rate, outcomes, decision time."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from payments.models import Payment, RecognitionAttempt

S = Payment.Status
DECIDED = [S.SUCCEEDED, S.PARTIALLY_REFUNDED, S.REFUNDED, S.DECLINED, S.EXPIRED, S.FAILED]


@dataclass
class Day:
    day: date
    volume_minor: int = 0
    count: int = 0
    succeeded: int = 0
    decided: int = 0
    median_decision_s: float | None = None

    @property
    def success_rate(self) -> float | None:
        return self.succeeded / self.decided if self.decided else None


def daily_figures(*, merchant_id: int, days: int = 30) -> list[Day]:
    # The shop's days are the deployment's (TIME_ZONE), whoever looks at them and where.
    with timezone.override(timezone.get_default_timezone()):
        return _daily_figures(merchant_id=merchant_id, days=days)


def _daily_figures(*, merchant_id: int, days: int) -> list[Day]:
    today = timezone.localdate()
    start = today - timedelta(days=days - 1)
    base = Payment.objects.filter(merchant_id=merchant_id, created_at__date__gte=start)
    by_day = {start + timedelta(days=i): Day(start + timedelta(days=i)) for i in range(days)}
    rows = (
        base.annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(
            count=Count("id"),
            volume=Sum("amount_minor", filter=Q(status__in=Payment.CAPTURED_STATUSES)),
            succeeded=Count("id", filter=Q(status__in=Payment.CAPTURED_STATUSES)),
            decided=Count("id", filter=Q(status__in=DECIDED)),
        )
    )
    for row in rows:
        day = by_day.get(row["day"])
        if day:
            day.count, day.volume_minor = row["count"], row["volume"] or 0
            day.succeeded, day.decided = row["succeeded"], row["decided"]
    durations: dict[date, list[float]] = defaultdict(list)
    for created, matched, decided in base.filter(
        matched_at__isnull=False, decided_at__isnull=False
    ).values_list("created_at", "matched_at", "decided_at"):
        local_day = timezone.localtime(created).date()
        durations[local_day].append((decided - matched).total_seconds())
    for day, values in durations.items():
        if day in by_day:
            by_day[day].median_decision_s = statistics.median(values)
    return list(by_day.values())


def recognition_outcomes(*, merchant_id: int, days: int = 30) -> list[tuple[str, int]]:
    since = timezone.now() - timedelta(days=days)
    counts = Counter(
        dict(
            RecognitionAttempt.objects.filter(kiosk__merchant_id=merchant_id, created_at__gte=since)
            .values_list("outcome")
            .annotate(n=Count("id"))
            .values_list("outcome", "n")
        )
    )
    return counts.most_common()
